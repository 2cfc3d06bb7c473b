// Each city's assessment timeline, behind AssessmentTimelineStore. Acts are keyed by their
// idempotency key and recorded insert-if-absent, so a retried activity rewrites nothing: in the
// data folder one small JSON file per act under <data>/air-quality/timeline/<campaign>.<season>/<code>/
// (concurrent activities never contend for one file); in PostgreSQL one row per key.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Pool } from 'pg';

export interface TimelineAct {
  key: string;
  campaignId: string;
  season: number;
  code: string;
  name: string;
  point: string;
  pointTitle: string;
  act: string;
  verdict: string;
  verdictCn: string;
  reasons: string[];
  falsified: boolean;
  documentNumber?: string;
  subject: string;
  to: string[];
  cc: string[];
  messageId: string;
  transport: string;
  issuedAt: string;
  issuedAtLocal: string;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
const cityDir = (root: string, campaignId: string, season: number, code: string) =>
  path.join(root, 'timeline', `${campaignId}.${season}`, safe(code));

/** Records the act unless its key has one; returns the act that stands (the earlier one if any). */
export function writeTimelineAct(root: string, a: TimelineAct): { act: TimelineAct; recorded: boolean } {
  const dir = cityDir(root, a.campaignId, a.season, a.code);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${safe(a.key)}.json`);
  const tmp = `${file}.${process.pid}-${crypto.randomUUID()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(a));
  // link() fails if the name exists: the first act recorded under a key stands, whole.
  try {
    fs.linkSync(tmp, file);
    return { act: a, recorded: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return { act: JSON.parse(fs.readFileSync(file, 'utf8')) as TimelineAct, recorded: false };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

const byTime = (a: TimelineAct, b: TimelineAct) => a.issuedAt.localeCompare(b.issuedAt) || a.code.localeCompare(b.code);

export function readTimeline(root: string, campaignId: string, season: number, code?: string): TimelineAct[] {
  const base = path.join(root, 'timeline', `${campaignId}.${season}`);
  if (!fs.existsSync(base)) return [];
  const codes = code ? [safe(code)] : fs.readdirSync(base);
  return codes
    .flatMap((c) => {
      const dir = path.join(base, c);
      return fs.existsSync(dir)
        ? fs
            .readdirSync(dir)
            .filter((f) => f.endsWith('.json'))
            .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as TimelineAct)
        : [];
    })
    .sort(byTime);
}

export interface AssessmentTimelineStore {
  /** Insert-if-absent by the act's key; returns the act that stands. */
  record(act: TimelineAct): Promise<{ act: TimelineAct; recorded: boolean }>;
  /** A season's acts (one city's with `code`), oldest first. */
  read(campaignId: string, season: number, code?: string): Promise<TimelineAct[]>;
}

export function fileTimelineStore(root: string): AssessmentTimelineStore {
  return {
    async record(act) {
      return writeTimelineAct(root, act);
    },
    async read(campaignId, season, code) {
      return readTimeline(root, campaignId, season, code);
    },
  };
}

export function pgTimelineStore(pool: Pool): AssessmentTimelineStore {
  const get = async (key: string) =>
    (await pool.query<{ act: TimelineAct }>('SELECT act FROM assessment_timeline WHERE key = $1', [key])).rows[0]?.act;
  return {
    async record(act) {
      const r = await pool.query(
        `INSERT INTO assessment_timeline (key, campaign_id, season, code, act) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (key) DO NOTHING`,
        [act.key, act.campaignId, act.season, act.code, JSON.stringify(act)],
      );
      return r.rowCount ? { act, recorded: true } : { act: (await get(act.key))!, recorded: false };
    },
    async read(campaignId, season, code) {
      const r = await pool.query<{ act: TimelineAct }>(
        `SELECT act FROM assessment_timeline WHERE campaign_id = $1 AND season = $2 AND ($3::text IS NULL OR code = $3)`,
        [campaignId, season, code ?? null],
      );
      return r.rows.map((x) => x.act).sort(byTime);
    },
  };
}
