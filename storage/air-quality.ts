// Durable air-quality figures, baselines and falsified-data marks, behind AirQualityStore: in the
// data folder (npm start) one JSON file per (campaign, season, kind), replaced atomically (write,
// fsync, rename), so an import is all or nothing and a crash leaves the previous file intact; in
// PostgreSQL (production, storage/air-quality-pg.ts) rows written in one transaction. Every import
// and every replacement (with its reason) is kept in the log.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Series, FalsifiedMark } from '../domain/assessment';
import type { DailyRow } from './air-quality-csv';

export type SeriesKind = 'observed' | 'baseline';

export interface ImportLogEntry {
  at: string;
  by: string;
  source: string;
  sha256: string;
  added: number;
  unchanged: number;
  replaced: { code: string; date: string; was: [number, number]; now: [number, number] }[];
  reason?: string;
}

export interface SeriesFile {
  campaignId: string;
  season: number;
  kind: SeriesKind;
  days: Series;
  log: ImportLogEntry[];
}

export interface FalsifiedFile {
  campaignId: string;
  season: number;
  marks: Record<string, FalsifiedMark>;
  log: ({ code: string; action: 'marked' | 'cleared' } & FalsifiedMark)[];
}

export class ImportRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportRefused';
  }
}

export function airQualityDir(dataDir: string): string {
  return path.join(dataDir, 'air-quality');
}

const seriesPath = (dir: string, campaignId: string, season: number, kind: SeriesKind) =>
  path.join(dir, `${campaignId}.${season}.${kind}.json`);
const falsifiedPath = (dir: string, campaignId: string, season: number) =>
  path.join(dir, `${campaignId}.${season}.falsified.json`);

function writeAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(value));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function readSeries(dir: string, campaignId: string, season: number, kind: SeriesKind): SeriesFile {
  const file = seriesPath(dir, campaignId, season, kind);
  if (!fs.existsSync(file)) return { campaignId, season, kind, days: {}, log: [] };
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SeriesFile;
}

export interface ImportRequest {
  campaignId: string;
  season: number;
  kind: SeriesKind;
  rows: DailyRow[];
  source: string;
  sha256: string;
  by: string;
  replace?: { reason: string };
  /** Check only (conflicts refused as usual), write nothing. */
  dryRun?: boolean;
}

export interface ImportResult {
  /** Where the figures are: the file, or the PostgreSQL table and series. */
  file: string;
  added: number;
  unchanged: number;
  replaced: ImportLogEntry['replaced'];
  /** Nothing new: the same figures were already stored. */
  noop: boolean;
}

export interface Merged {
  days: Series;
  added: number;
  unchanged: number;
  replaced: ImportLogEntry['replaced'];
  noop: boolean;
  /** The log entry to append (undefined when nothing changes). */
  entry?: ImportLogEntry;
}

/**
 * Same figures again: a no-op. Different figures for a stored day: refused (naming every such
 * day) unless `replace` with a reason, which the log keeps with the old and new figures. Pure:
 * both stores check an import against what they hold with this.
 */
export function mergeImport(stored: Series, req: ImportRequest): Merged {
  const days: Series = {};
  for (const [code, d] of Object.entries(stored)) days[code] = { ...d };
  let added = 0;
  let unchanged = 0;
  const replaced: ImportLogEntry['replaced'] = [];
  for (const r of req.rows) {
    const city = (days[r.code] ??= {});
    const was = city[r.date];
    const now: [number, number] = [r.pm25, r.aqi];
    if (!was) added++;
    else if (was[0] === now[0] && was[1] === now[1]) unchanged++;
    else replaced.push({ code: r.code, date: r.date, was, now });
    city[r.date] = now;
  }
  if (replaced.length && !req.replace) {
    const shown = replaced
      .slice(0, 10)
      .map(
        (x) => `  ${x.code} ${x.date}: stored pm25=${x.was[0]} aqi=${x.was[1]}, file pm25=${x.now[0]} aqi=${x.now[1]}`,
      );
    throw new ImportRefused(
      `${req.source} refused, nothing imported: ${replaced.length} day(s) already stored with different figures (use --replace --reason <text> to correct them):\n` +
        shown.join('\n') +
        (replaced.length > 10 ? `\n  … and ${replaced.length - 10} more` : ''),
    );
  }
  if (req.replace && !req.replace.reason.trim()) throw new ImportRefused('--replace needs a --reason');
  const noop = added === 0 && replaced.length === 0;
  const entry: ImportLogEntry | undefined = noop
    ? undefined
    : {
        at: new Date().toISOString(),
        by: req.by,
        source: req.source,
        sha256: req.sha256,
        added,
        unchanged,
        replaced,
        ...(replaced.length ? { reason: req.replace!.reason } : {}),
      };
  return { days, added, unchanged, replaced, noop, entry };
}

/** The data folder's import: the whole file replaced at once, or nothing written. */
export function importSeries(dir: string, req: ImportRequest): ImportResult {
  const file = seriesPath(dir, req.campaignId, req.season, req.kind);
  const current = readSeries(dir, req.campaignId, req.season, req.kind);
  const m = mergeImport(current.days, req);
  if (m.entry && !req.dryRun)
    writeAtomic(file, { ...current, days: m.days, log: [...current.log, m.entry] } satisfies SeriesFile);
  return { file, added: m.added, unchanged: m.unchanged, replaced: m.replaced, noop: m.noop };
}

export function readFalsified(dir: string, campaignId: string, season: number): FalsifiedFile {
  const file = falsifiedPath(dir, campaignId, season);
  if (!fs.existsSync(file)) return { campaignId, season, marks: {}, log: [] };
  return JSON.parse(fs.readFileSync(file, 'utf8')) as FalsifiedFile;
}

/** A mark needs its reason and its evidence. */
export function checkMark(mark: FalsifiedMark): void {
  if (!mark.reason.trim()) throw new ImportRefused('marking data as falsified needs a reason');
  if (!mark.evidence.trim()) throw new ImportRefused('marking data as falsified needs evidence');
}

export function markFalsified(
  dir: string,
  campaignId: string,
  season: number,
  code: string,
  mark: FalsifiedMark,
): FalsifiedFile {
  checkMark(mark);
  const f = readFalsified(dir, campaignId, season);
  const next: FalsifiedFile = {
    ...f,
    marks: { ...f.marks, [code]: mark },
    log: [...f.log, { code, action: 'marked', ...mark }],
  };
  writeAtomic(falsifiedPath(dir, campaignId, season), next);
  return next;
}

/** Figures, baselines and falsified-data marks of campaign seasons, wherever they are kept. */
export interface AirQualityStore {
  readSeries(campaignId: string, season: number, kind: SeriesKind): Promise<SeriesFile>;
  /** All or nothing; refused (ImportRefused) as mergeImport says. `dryRun` checks and writes nothing. */
  importSeries(req: ImportRequest): Promise<ImportResult>;
  readFalsified(campaignId: string, season: number): Promise<FalsifiedFile>;
  markFalsified(campaignId: string, season: number, code: string, mark: FalsifiedMark): Promise<FalsifiedFile>;
}

export function fileAirQualityStore(dir: string): AirQualityStore {
  return {
    async readSeries(campaignId, season, kind) {
      return readSeries(dir, campaignId, season, kind);
    },
    async importSeries(req) {
      return importSeries(dir, req);
    },
    async readFalsified(campaignId, season) {
      return readFalsified(dir, campaignId, season);
    },
    async markFalsified(campaignId, season, code, mark) {
      return markFalsified(dir, campaignId, season, code, mark);
    },
  };
}
