// Durable air-quality figures, baselines and falsified-data marks under <data>/air-quality/:
// one JSON file per (campaign, season, kind), replaced atomically (write, fsync, rename), so an
// import is all or nothing and a crash leaves the previous file intact. Every import and every
// replacement (with its reason) is kept in the file's log.
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
  file: string;
  added: number;
  unchanged: number;
  replaced: ImportLogEntry['replaced'];
  /** Nothing new: the same figures were already stored. */
  noop: boolean;
}

/**
 * Same figures again: a no-op. Different figures for a stored day: refused (naming every such
 * day) unless `replace` with a reason, which the log keeps with the old and new figures.
 */
export function importSeries(dir: string, req: ImportRequest): ImportResult {
  const file = seriesPath(dir, req.campaignId, req.season, req.kind);
  const current = readSeries(dir, req.campaignId, req.season, req.kind);
  const days: Series = {};
  for (const [code, d] of Object.entries(current.days)) days[code] = { ...d };
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
  if (!noop && !req.dryRun) {
    const entry: ImportLogEntry = {
      at: new Date().toISOString(),
      by: req.by,
      source: req.source,
      sha256: req.sha256,
      added,
      unchanged,
      replaced,
      ...(replaced.length ? { reason: req.replace!.reason } : {}),
    };
    writeAtomic(file, { ...current, days, log: [...current.log, entry] } satisfies SeriesFile);
  }
  return { file, added, unchanged, replaced, noop };
}

export function readFalsified(dir: string, campaignId: string, season: number): FalsifiedFile {
  const file = falsifiedPath(dir, campaignId, season);
  if (!fs.existsSync(file)) return { campaignId, season, marks: {}, log: [] };
  return JSON.parse(fs.readFileSync(file, 'utf8')) as FalsifiedFile;
}

export function markFalsified(
  dir: string,
  campaignId: string,
  season: number,
  code: string,
  mark: FalsifiedMark,
): FalsifiedFile {
  if (!mark.reason.trim()) throw new ImportRefused('marking data as falsified needs a reason');
  if (!mark.evidence.trim()) throw new ImportRefused('marking data as falsified needs evidence');
  const f = readFalsified(dir, campaignId, season);
  const next: FalsifiedFile = {
    ...f,
    marks: { ...f.marks, [code]: mark },
    log: [...f.log, { code, action: 'marked', ...mark }],
  };
  writeAtomic(falsifiedPath(dir, campaignId, season), next);
  return next;
}
