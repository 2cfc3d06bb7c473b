// The sent ledger: what each notice key's delivery was, recorded once. Insert-if-absent in both
// implementations (a file created exclusively; a row under a primary key), so two workers can
// never both record a send, and the mailer asks it before sending. Beside it, reservations: the
// mailer reserves a key before it sends (insert-if-absent, with a lease its holder renews while
// sending), so two attempts of one notice running at once cannot both pass the check and send.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { writeFileAtomically } from './atomic-file';

export interface SentLedger<T = unknown> {
  get(key: string): Promise<T | undefined>;
  /** Records the entry unless the key has one; returns the entry that stands (the earlier one if any). */
  record(key: string, entry: T): Promise<{ entry: T; recorded: boolean }>;
  /**
   * Reserves the key for `holder` for `leaseMs`, unless another holder's reservation is live. A
   * lapsed one (its holder died mid-send, or stopped renewing) is taken over and returned.
   */
  reserve(key: string, holder: string, leaseMs: number): Promise<Reserved>;
  /** Extends the holder's lease; false when the key is no longer the holder's. */
  renew(key: string, holder: string, leaseMs: number): Promise<boolean>;
  /** Ends the holder's reservation (sent and recorded, or failed): the next attempt need not wait. */
  release(key: string, holder: string): Promise<void>;
}

export interface Reservation {
  holder: string;
  /** How long the lease has left, by the clock of the store that keeps it. */
  remainingMs: number;
}

export type Reserved = { reserved: true; tookOver?: Reservation } | { reserved: false; current: Reservation };

/** The ledger folder's file name for a key: as the mailer has always named them. */
export const ledgerFileName = (key: string) =>
  `${crypto.createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`;

interface LeaseFile {
  holder: string;
  expiresAt: number;
}

export function fileSentLedger<T>(dir: string): SentLedger<T> {
  const file = (key: string) => path.join(dir, ledgerFileName(key));
  // A key's reservations are numbered files, each created exclusively: taking over a lapsed lease
  // creates the next number, so of two attempts that both find it lapsed only one succeeds. Only
  // the newest is ever removed (released by its holder), so the numbers stay without a gap.
  const lease = (key: string, n: number) =>
    path.join(dir, 'reservations', `${ledgerFileName(key).replace(/\.json$/, '')}.${n}.json`);
  const readLease = (key: string, n: number): LeaseFile | undefined => {
    try {
      return JSON.parse(fs.readFileSync(lease(key, n), 'utf8')) as LeaseFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };
  /** The newest reservation and its number (0 and undefined when there is none). */
  const newest = (key: string): { n: number; current?: LeaseFile } => {
    let n = 0;
    let current: LeaseFile | undefined;
    for (let next = readLease(key, 1); next; next = readLease(key, n + 1)) {
      n++;
      current = next;
    }
    return { n, current };
  };
  const rewrite = async (key: string, holder: string, expiresAt: number) => {
    const { n, current } = newest(key);
    if (current?.holder !== holder) return false;
    await writeFileAtomically(lease(key, n), JSON.stringify({ holder, expiresAt } satisfies LeaseFile));
    return true;
  };
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
    async reserve(key, holder, leaseMs) {
      for (;;) {
        const { n, current } = newest(key);
        const now = Date.now();
        if (current && current.expiresAt > now)
          return { reserved: false, current: { holder: current.holder, remainingMs: current.expiresAt - now } };
        const mine = lease(key, n + 1);
        const tmp = `${mine}.${process.pid}-${crypto.randomUUID()}.tmp`;
        await writeFileAtomically(tmp, JSON.stringify({ holder, expiresAt: now + leaseMs } satisfies LeaseFile));
        try {
          fs.linkSync(tmp, mine);
          if (readLease(key, n + 2)) {
            // A release removed our predecessor's number while a later one stood: ours is not
            // the newest, so it holds nothing. Ended, and looked at again.
            await writeFileAtomically(mine, JSON.stringify({ holder, expiresAt: 0 } satisfies LeaseFile));
            continue;
          }
          // An ended lease (expiresAt 0) was not taken over: its holder had finished.
          return current?.expiresAt
            ? { reserved: true, tookOver: { holder: current.holder, remainingMs: current.expiresAt - now } }
            : { reserved: true };
        } catch (e) {
          // Another attempt created that number first: look again at what it holds.
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        } finally {
          fs.rmSync(tmp, { force: true });
        }
      }
    },
    renew: (key, holder, leaseMs) => rewrite(key, holder, Date.now() + leaseMs),
    // Ended, not removed: numbers are probed from 1 upwards, and a removed one would leave a gap
    // that hides every later reservation from another process.
    release: async (key, holder) => void (await rewrite(key, holder, 0)),
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
    async reserve(key, holder, leaseMs) {
      for (;;) {
        // Taken when absent or lapsed, by the database's clock; a concurrent taker waits on the
        // row and then finds it live, so only one of them gets a row back.
        const taken = await pool.query<{ prior_holder: string | null; prior_ms: number | null }>(
          `WITH prior AS (SELECT holder, expires_at FROM sent_reservations WHERE key = $1)
           INSERT INTO sent_reservations AS r (key, holder, expires_at)
           VALUES ($1, $2, now() + $3 * interval '1 millisecond')
           ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
             WHERE r.expires_at <= now()
           RETURNING (SELECT holder FROM prior) AS prior_holder,
             (SELECT extract(epoch FROM expires_at - now()) * 1000 FROM prior)::float8 AS prior_ms`,
          [key, holder, leaseMs],
        );
        const t = taken.rows[0];
        if (t)
          return t.prior_holder !== null
            ? { reserved: true, tookOver: { holder: t.prior_holder, remainingMs: Number(t.prior_ms) } }
            : { reserved: true };
        const live = await pool.query<{ holder: string; ms: number }>(
          `SELECT holder, (extract(epoch FROM expires_at - now()) * 1000)::float8 AS ms
             FROM sent_reservations WHERE key = $1 AND expires_at > now()`,
          [key],
        );
        // Released or lapsed in between: try again.
        if (live.rows[0])
          return { reserved: false, current: { holder: live.rows[0].holder, remainingMs: live.rows[0].ms } };
      }
    },
    async renew(key, holder, leaseMs) {
      const r = await pool.query(
        `UPDATE sent_reservations SET expires_at = now() + $3 * interval '1 millisecond'
          WHERE key = $1 AND holder = $2`,
        [key, holder, leaseMs],
      );
      return r.rowCount === 1;
    },
    async release(key, holder) {
      await pool.query('DELETE FROM sent_reservations WHERE key = $1 AND holder = $2', [key, holder]);
    },
  };
}
