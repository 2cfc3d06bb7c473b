// Where Lantian's own state lives, chosen once per process from the configuration: the data
// folder and SQLite (neither URL set: npm start, unchanged) or PostgreSQL plus an S3-compatible
// bucket (both set), which every web instance and worker shares. config/env.ts refuses one
// without the other; a database behind this version's migrations is refused here.
import { Pool } from 'pg';
import { dataPaths, type Env } from '../config/env';
import { openPool, redactedUrl } from '../db/pool';
import { requireCurrentSchema, SchemaBehind } from '../db/migrate';
import { openUsers, sessionKeySource } from '../auth/open';
import type { Users } from '../auth/users';
import { PgUserStore } from '../auth/users-pg';
import { fileLetterStore, pgLetterStore, type LetterStore } from './letters';
import { fileArchiveStore, pgArchiveStore, type ArchiveStore } from './archive';
import { fileSentLedger, pgSentLedger, type SentLedger } from './sent-ledger';
import { ensureBucket, fileObjectStore, s3FromUrl, s3ObjectStore, type ObjectStore } from './object-store';
import { airQualityDir, fileAirQualityStore, type AirQualityStore } from './air-quality';
import { pgAirQualityStore } from './air-quality-pg';
import { fileTimelineStore, pgTimelineStore, type AssessmentTimelineStore } from './assessment-timeline';

/** A pool on a database whose schema is current; refused, and the pool ended, otherwise. */
async function openCheckedPool(db: string, max?: number, o?: { allowExitOnIdle?: boolean }): Promise<Pool> {
  const pool = openPool(db, max, o);
  try {
    await requireCurrentSchema(pool);
    return pool;
  } catch (e) {
    await pool.end();
    if (e instanceof SchemaBehind) throw e;
    throw new Error(`cannot use the database at ${redactedUrl(db)}: ${(e as Error).message}`);
  }
}

export interface Stores {
  kind: 'file' | 'production';
  evidence: ObjectStore;
  letters: LetterStore;
  archive: ArchiveStore;
  /** The mailer's record of what went out (SMTP), by notice key. */
  ledger: SentLedger;
  /** Air-quality figures, baselines and falsified-data marks with their logs. */
  airQuality: AirQualityStore;
  /** Each city's assessment acts, by idempotency key. */
  assessmentTimeline: AssessmentTimelineStore;
  /** Where it all is, for the log (no passwords). */
  describe: string;
  close(): Promise<void>;
}

export interface OpenedStores extends Stores {
  users: Users;
}

/** The stores the worker needs (no users); PostgreSQL's pool when production storage is set. */
export async function openStores(env: Env): Promise<Stores & { pool?: Pool }> {
  const data = dataPaths(env.LANTIAN_DATA_DIR);
  const db = env.LANTIAN_DATABASE_URL;
  const objects = env.LANTIAN_OBJECT_STORE_URL;
  if (!db || !objects)
    return {
      kind: 'file',
      evidence: fileObjectStore(data.evidence, 'evidence'),
      letters: fileLetterStore(data.letters),
      archive: fileArchiveStore(data.archive),
      ledger: fileSentLedger(data.ledger),
      airQuality: fileAirQualityStore(airQualityDir(data.root)),
      assessmentTimeline: fileTimelineStore(airQualityDir(data.root)),
      describe: `data folder ${data.root}`,
      async close() {},
    };
  const pool = await openCheckedPool(db);
  const s3 = s3FromUrl(objects);
  try {
    await ensureBucket(s3.client, s3.bucket);
  } catch (e) {
    await pool.end();
    s3.client.destroy();
    throw new Error(`cannot use the object store at ${redactedUrl(objects)}: ${(e as Error).message}`);
  }
  return { ...productionStores(pool, s3, { database: db, objects }), pool };
}

/** Every store, the users included (the web app and the CLI's user commands). */
export async function openWebStores(env: Env): Promise<OpenedStores> {
  const s = await openStores(env);
  const users: Users = s.pool
    ? new PgUserStore(s.pool, env.LANTIAN_DATABASE_URL ?? '', sessionKeySource(env), {
        login: { maxFailures: env.LANTIAN_LOGIN_MAX_FAILURES, lockMs: env.LANTIAN_LOGIN_LOCK_MINUTES * 60_000 },
      })
    : openUsers(env);
  return {
    ...s,
    users,
    async close() {
      await users.close();
      await s.close();
    },
  };
}

/** PostgreSQL and the bucket, on a pool and client already checked. `close` ends both. */
export function productionStores(
  pool: Pool,
  s3: ReturnType<typeof s3FromUrl>,
  urls: { database: string; objects: string },
): Stores {
  const evidence = s3ObjectStore({ ...s3, prefix: 'evidence/' }, 'evidence');
  const pdfs = s3ObjectStore({ ...s3, prefix: 'letters/' }, 'letter-pdf');
  return {
    kind: 'production',
    evidence,
    letters: pgLetterStore(pool, pdfs),
    archive: pgArchiveStore(pool),
    ledger: pgSentLedger(pool),
    airQuality: pgAirQualityStore(pool),
    assessmentTimeline: pgTimelineStore(pool),
    describe: `PostgreSQL ${redactedUrl(urls.database)}, objects ${redactedUrl(urls.objects)}`,
    async close() {
      await pool.end();
      s3.client.destroy();
    },
  };
}

/** The users alone (the CLI's user commands): the SQLite file, or PostgreSQL once its schema is current. */
export async function openUserStore(env: Env): Promise<Users> {
  const db = env.LANTIAN_DATABASE_URL;
  if (!db) return openUsers(env);
  const pool = await openCheckedPool(db, 2);
  return new PgUserStore(pool, db, sessionKeySource(env), {
    login: { maxFailures: env.LANTIAN_LOGIN_MAX_FAILURES, lockMs: env.LANTIAN_LOGIN_LOCK_MINUTES * 60_000 },
    ownsPool: true,
  });
}

export interface AssessmentStores {
  airQuality: AirQualityStore;
  assessmentTimeline: AssessmentTimelineStore;
  close(): Promise<void>;
}

/**
 * The air-quality figures and the assessment timelines alone (the CLI's data, assessment and
 * evidence commands): the data folder, or PostgreSQL once its schema is current. The pool lets
 * the process exit when idle, so a command that fails before `close` does not hang.
 */
export async function openAssessmentStores(env: Env): Promise<AssessmentStores> {
  const db = env.LANTIAN_DATABASE_URL;
  if (!db) {
    const dir = airQualityDir(dataPaths(env.LANTIAN_DATA_DIR).root);
    return { airQuality: fileAirQualityStore(dir), assessmentTimeline: fileTimelineStore(dir), async close() {} };
  }
  const pool = await openCheckedPool(db, 2, { allowExitOnIdle: true });
  return {
    airQuality: pgAirQualityStore(pool),
    assessmentTimeline: pgTimelineStore(pool),
    close: () => pool.end(),
  };
}

/** The same, connected on first use only (a command that may not need them). */
export function lazyAssessmentStores(env: Env): AssessmentStores {
  let opened: Promise<AssessmentStores> | undefined;
  const open = () => (opened ??= openAssessmentStores(env));
  return {
    airQuality: {
      readSeries: async (...a) => (await open()).airQuality.readSeries(...a),
      importSeries: async (...a) => (await open()).airQuality.importSeries(...a),
      readFalsified: async (...a) => (await open()).airQuality.readFalsified(...a),
      markFalsified: async (...a) => (await open()).airQuality.markFalsified(...a),
    },
    assessmentTimeline: {
      record: async (...a) => (await open()).assessmentTimeline.record(...a),
      read: async (...a) => (await open()).assessmentTimeline.read(...a),
    },
    async close() {
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
}
