// Versioned schema migrations: the numbered .sql files in db/migrations, each applied once, in
// order, in its own transaction, and recorded in schema_migrations. `lantian db migrate` applies
// them; the worker and the web app only check that none is pending (schemaCurrent) and refuse to
// start on a database that is behind. An advisory lock keeps two migrating processes apart.
import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';

export const migrationsDir = path.join(__dirname, 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** A number of our own ("lant"): the advisory lock `lantian db migrate` holds while it works. */
const LOCK = 0x6c616e74;

export function migrations(dir = migrationsDir): Migration[] {
  const list = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(f);
      if (!m) throw new Error(`${path.join(dir, f)}: a migration is named NNNN_words.sql`);
      return { version: Number(m[1]), name: m[2], sql: fs.readFileSync(path.join(dir, f), 'utf8') };
    });
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${dir}: migration ${i + 1} is missing (found ${m.version} ${m.name})`);
  });
  return list;
}

const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

async function applied(pool: Pool): Promise<Set<number>> {
  const exists = await pool.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`);
  if (!exists.rows[0].ok) return new Set();
  const r = await pool.query<{ version: number }>('SELECT version FROM schema_migrations');
  return new Set(r.rows.map((x) => x.version));
}

/** Applies what is pending; returns the migrations applied now (none on a current database). */
export async function migrate(pool: Pool, list = migrations()): Promise<Migration[]> {
  const client = await pool.connect();
  const done: Migration[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK]);
    await client.query(createTable);
    const have = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    for (const m of list) {
      if (have.has(m.version)) continue;
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} ${m.name} failed, nothing of it applied: ${(e as Error).message}`);
      }
      done.push(m);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK]).catch(() => undefined);
    client.release();
  }
  return done;
}

export async function pendingMigrations(pool: Pool, list = migrations()): Promise<Migration[]> {
  const have = await applied(pool);
  return list.filter((m) => !have.has(m.version));
}

/** A database that lacks migrations this version needs (the message says what to run). */
export class SchemaBehind extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaBehind';
  }
}

/** Refuses (with what to do) a database that lacks migrations this version needs. */
export async function requireCurrentSchema(pool: Pool, list = migrations()): Promise<void> {
  const pending = await pendingMigrations(pool, list);
  if (pending.length)
    throw new SchemaBehind(
      `the database is behind this version (${pending.length} migration(s) pending, first ${pending[0].version} ${pending[0].name}); run \`npm run lantian -- db migrate\` first`,
    );
}
