// The sent ledger: what each notice key's delivery was, recorded once. Insert-if-absent in both
// implementations (a file created exclusively; a row under a primary key), so two workers can
// never both record a send, and the mailer asks it before sending.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { writeFileAtomically } from './atomic-file';

export interface SentLedger<T = unknown> {
  get(key: string): Promise<T | undefined>;
  /** Records the entry unless the key has one; returns the entry that stands (the earlier one if any). */
  record(key: string, entry: T): Promise<{ entry: T; recorded: boolean }>;
}

/** The ledger folder's file name for a key: as the mailer has always named them. */
export const ledgerFileName = (key: string) =>
  `${crypto.createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`;

export function fileSentLedger<T>(dir: string): SentLedger<T> {
  const file = (key: string) => path.join(dir, ledgerFileName(key));
  const get = async (key: string) => {
    try {
      return JSON.parse(fs.readFileSync(file(key), 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };
  return {
    get,
    async record(key, entry) {
      const existing = await get(key);
      if (existing !== undefined) return { entry: existing, recorded: false };
      // Written whole under a temporary name, then linked to the final name: link() fails if the
      // name exists, so the first record stands and a reader never sees half an entry.
      const tmp = `${file(key)}.${process.pid}-${crypto.randomUUID()}.tmp`;
      await writeFileAtomically(tmp, JSON.stringify(entry));
      try {
        fs.linkSync(tmp, file(key));
        return { entry, recorded: true };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        return { entry: (await get(key))!, recorded: false };
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    },
  };
}

export function pgSentLedger<T>(pool: Pool): SentLedger<T> {
  const get = async (key: string) =>
    (await pool.query<{ delivery: T }>('SELECT delivery FROM sent_ledger WHERE key = $1', [key])).rows[0]?.delivery;
  return {
    get,
    async record(key, entry) {
      const r = await pool.query(
        'INSERT INTO sent_ledger (key, delivery) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
        [key, JSON.stringify(entry)],
      );
      return r.rowCount ? { entry, recorded: true } : { entry: (await get(key))!, recorded: false };
    },
  };
}
