// Air-quality figures in PostgreSQL (production): the same contract as the data folder's files.
// An import is one transaction that first locks its series' row, so it is all or nothing and two
// concurrent imports of one series run one after the other, each checked against what the other
// stored; neither loses the other's rows or log entry.
import type { Pool, PoolClient } from 'pg';
import type { FalsifiedMark, Series } from '../domain/assessment';
import {
  checkMark,
  mergeImport,
  type AirQualityStore,
  type FalsifiedFile,
  type ImportLogEntry,
  type SeriesFile,
  type SeriesKind,
} from './air-quality';

type Querier = Pick<PoolClient, 'query'> | Pool;

async function days(q: Querier, campaignId: string, season: number, kind: SeriesKind): Promise<Series> {
  const r = await q.query<{ code: string; day: string; pm25: number; aqi: number }>(
    `SELECT code, day, pm25, aqi FROM air_quality_days
     WHERE campaign_id = $1 AND season = $2 AND kind = $3 ORDER BY code, day`,
    [campaignId, season, kind],
  );
  const out: Series = {};
  for (const row of r.rows) (out[row.code] ??= {})[row.day] = [row.pm25, row.aqi];
  return out;
}

async function inTransaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

export function pgAirQualityStore(pool: Pool): AirQualityStore {
  const readFalsified = async (q: Querier, campaignId: string, season: number): Promise<FalsifiedFile> => {
    const marks = await q.query<{ code: string; mark: FalsifiedMark }>(
      'SELECT code, mark FROM air_quality_falsified WHERE campaign_id = $1 AND season = $2 ORDER BY code',
      [campaignId, season],
    );
    const log = await q.query<{ entry: FalsifiedFile['log'][number] }>(
      'SELECT entry FROM air_quality_falsified_log WHERE campaign_id = $1 AND season = $2 ORDER BY id',
      [campaignId, season],
    );
    return {
      campaignId,
      season,
      marks: Object.fromEntries(marks.rows.map((r) => [r.code, r.mark])),
      log: log.rows.map((r) => r.entry),
    };
  };
  return {
    async readSeries(campaignId, season, kind): Promise<SeriesFile> {
      const log = await pool.query<{ entry: ImportLogEntry }>(
        'SELECT entry FROM air_quality_imports WHERE campaign_id = $1 AND season = $2 AND kind = $3 ORDER BY id',
        [campaignId, season, kind],
      );
      return {
        campaignId,
        season,
        kind,
        days: await days(pool, campaignId, season, kind),
        log: log.rows.map((r) => r.entry),
      };
    },

    async importSeries(req) {
      const where = `air_quality_days ${req.campaignId} ${req.season} ${req.kind}`;
      const key = [req.campaignId, req.season, req.kind];
      if (req.dryRun) {
        const m = mergeImport(await days(pool, req.campaignId, req.season, req.kind), req);
        return { file: where, added: m.added, unchanged: m.unchanged, replaced: m.replaced, noop: m.noop };
      }
      return inTransaction(pool, async (c) => {
        await c.query(
          `INSERT INTO air_quality_series (campaign_id, season, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
          key,
        );
        await c.query(
          'SELECT 1 FROM air_quality_series WHERE campaign_id = $1 AND season = $2 AND kind = $3 FOR UPDATE',
          key,
        );
        const stored = await days(c, req.campaignId, req.season, req.kind);
        const m = mergeImport(stored, req);
        if (m.entry) {
          // Only the days that are new or replaced are written.
          const changed: { code: string; date: string; v: [number, number] }[] = [];
          for (const [code, byDay] of Object.entries(m.days))
            for (const [date, v] of Object.entries(byDay)) {
              const was = stored[code]?.[date];
              if (!was || was[0] !== v[0] || was[1] !== v[1]) changed.push({ code, date, v });
            }
          await c.query(
            `INSERT INTO air_quality_days (campaign_id, season, kind, code, day, pm25, aqi)
             SELECT $1::text, $2::integer, $3::text, * FROM unnest($4::text[], $5::text[], $6::float8[], $7::float8[])
             ON CONFLICT (campaign_id, season, kind, code, day) DO UPDATE SET pm25 = EXCLUDED.pm25, aqi = EXCLUDED.aqi`,
            [
              ...key,
              changed.map((r) => r.code),
              changed.map((r) => r.date),
              changed.map((r) => r.v[0]),
              changed.map((r) => r.v[1]),
            ],
          );
          await c.query('INSERT INTO air_quality_imports (campaign_id, season, kind, entry) VALUES ($1, $2, $3, $4)', [
            ...key,
            JSON.stringify(m.entry),
          ]);
        }
        return { file: where, added: m.added, unchanged: m.unchanged, replaced: m.replaced, noop: m.noop };
      });
    },

    readFalsified: (campaignId, season) => readFalsified(pool, campaignId, season),

    async markFalsified(campaignId, season, code, mark) {
      checkMark(mark);
      return inTransaction(pool, async (c) => {
        await c.query(
          `INSERT INTO air_quality_falsified (campaign_id, season, code, mark) VALUES ($1, $2, $3, $4)
           ON CONFLICT (campaign_id, season, code) DO UPDATE SET mark = EXCLUDED.mark`,
          [campaignId, season, code, JSON.stringify(mark)],
        );
        await c.query('INSERT INTO air_quality_falsified_log (campaign_id, season, entry) VALUES ($1, $2, $3)', [
          campaignId,
          season,
          JSON.stringify({ code, action: 'marked', ...mark }),
        ]);
        return readFalsified(c, campaignId, season);
      });
    },
  };
}
