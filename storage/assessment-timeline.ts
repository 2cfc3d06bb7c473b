// Each city's assessment timeline: one small JSON file per act (by its idempotency key) under
// <data>/air-quality/timeline/<campaign>.<season>/<code>/, so a retried activity rewrites the
// same entry and concurrent activities never contend for one file.
import fs from 'node:fs';
import path from 'node:path';

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

export function writeTimelineAct(root: string, a: TimelineAct): void {
  const dir = cityDir(root, a.campaignId, a.season, a.code);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${safe(a.key)}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(a));
  fs.renameSync(tmp, file);
}

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
    .sort((a, b) => a.issuedAt.localeCompare(b.issuedAt) || a.code.localeCompare(b.code));
}
