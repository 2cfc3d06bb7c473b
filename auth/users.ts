// Users, sessions and API tokens in an embedded SQLite database (better-sqlite3; a file under
// the data folder by default, LANTIAN_DB_FILE in production), created readable by its owner only.
// Nothing in it logs anyone in: passwords and API tokens are kept as scrypt hashes, session ids
// as sha256 digests, and the key that signs session cookies and CSRF tokens lives outside it
// (LANTIAN_SESSION_SECRET, or a 0600 key file). A session is a random id kept in a table, so a
// logout or a disabled user ends it at once. Failed logins lock a name for a while, counted in
// one row per user (a name that is no user is counted in memory only, in a bounded map).
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { message } from '../i18n/messages';
import { DUMMY_HASH, hashSecret, hmac, randomSecret, safeEqual, verifySecret } from './secrets';
import { defaultLoginPolicy, failuresAt, lockedAt, StrangerFailures, type LoginPolicy } from './login-lock';

/** A team (检查组) user's `org` is its team's id in policies/problems.yaml, as an assignee's is its organisation code. */
export const role = z.enum(['office', 'assignee', 'supervisor', 'team']);
export type Role = z.infer<typeof role>;

/** Roles bound to one organisation or team (`org`): the others must have none. */
export const boundRoles: readonly Role[] = ['assignee', 'team'];

/** Why a user of role `r` with `org` cannot be added; undefined when it can. */
export function bindingRefusal(r: Role, org: string | undefined): string | undefined {
  if (r === 'assignee' && !org) return message('user_needs_org', {});
  if (r === 'team' && !org) return message('user_needs_team', {});
  if (!boundRoles.includes(r) && org) return message('user_not_bound', { role: r });
  return undefined;
}

export const userName = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[\p{L}\p{N}._@-]+$/u, 'letters, digits and . _ @ - only');

export interface User {
  id: number;
  name: string;
  role: Role;
  org?: string;
  disabled: boolean;
  createdAt: string;
}

/** One download of an evidence file (web/actions.ts records them; the obligation page lists them). */
export interface EvidenceDownload {
  evidenceId: string;
  user: string;
  role: Role;
  org?: string;
  at: string;
}

export interface NewUser {
  user: User;
  password: string;
  token: string;
}

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

interface Row {
  id: number;
  name: string;
  role: Role;
  org: string | null;
  disabled: number;
  created_at: string;
  password_hash: string;
  token_id: string;
  token_hash: string;
}

const toUser = (r: Row): User => ({
  id: r.id,
  name: r.name,
  role: r.role,
  ...(r.org ? { org: r.org } : {}),
  disabled: !!r.disabled,
  createdAt: r.created_at,
});

type Awaitable<T> = T | Promise<T>;

/**
 * What the web app and the CLI ask of the user store: the SQLite file (UserStore, synchronous) or
 * PostgreSQL (PgUserStore, auth/users-pg.ts) when LANTIAN_DATABASE_URL is set. Callers await
 * every answer but the two HMACs, which need no database.
 */
export interface Users {
  recordDownload(
    workflowId: string,
    evidenceId: string,
    u: Pick<User, 'name' | 'role' | 'org'>,
    at?: Date,
  ): Awaitable<void>;
  downloads(workflowId: string, limit?: number): Awaitable<EvidenceDownload[]>;
  add(name: string, r: Role, org?: string): Awaitable<NewUser>;
  list(): Awaitable<User[]>;
  byId(id: number): Awaitable<User | undefined>;
  disable(name: string): Awaitable<User>;
  enable(name: string): Awaitable<User>;
  reset(name: string): Awaitable<NewUser>;
  login(name: string, password: string, now?: number): Awaitable<LoginResult>;
  failures(name: string, now?: number): Awaitable<number>;
  createSession(userId: number, ttlMs: number): Awaitable<{ cookie: string; expiresAt: number }>;
  session(cookie: string | undefined): Awaitable<{ user: User; sessionId: string } | { refused: string }>;
  endSession(sessionId: string): Awaitable<void>;
  expireSession(sessionId: string): Awaitable<void>;
  csrfToken(sessionId: string): string;
  checkCsrf(sessionId: string, token: unknown): boolean;
  byToken(token: string): Awaitable<User | undefined>;
  /** Where the users are kept, for messages (a file, or the database without its password). */
  readonly location: string;
  close(): Awaitable<void>;
}

/** Login names longer than this are refused before anything is looked up or stored. */
export const MAX_NAME_LENGTH = 64;

export { defaultLoginPolicy, type LoginPolicy } from './login-lock';

export type LoginResult =
  | { user: User }
  | { refused: 'invalid' }
  /** Too many failures for this name: try again in `retryAfterSeconds`. */
  | { refused: 'locked'; retryAfterSeconds: number };

export interface UserStoreOptions {
  /** The session-signing key, or the file holding it (created 0600 if absent). Default: session.key beside the database. */
  key?: Buffer | { file: string };
  login?: LoginPolicy;
}

/** The users table's columns and checks (the same in a new file and a migrated one). */
const USERS_COLUMNS = `id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('office','assignee','supervisor','team')),
        org TEXT,
        password_hash TEXT NOT NULL,
        token_id TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        CHECK ((role IN ('assignee','team')) = (org IS NOT NULL))`;

const digest = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** Readable and writable by the owner only (a file an older version created 0644 included). */
function ownerOnly(file: string): void {
  try {
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** The signing key in a file of its own, created with 32 random bytes and mode 0600 if absent. */
export function keyFromFile(file: string): Buffer {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  ownerOnly(file);
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new Error(`${file}: the session key must hold at least 32 bytes (base64)`);
  return key;
}

export class UserStore implements Users {
  readonly db: Database.Database;
  private keyBytes?: Buffer;
  private readonly keySource: Buffer | { file: string };
  private readonly policy: LoginPolicy;
  /** sha256(token) → user id: a verified token is not scrypt-hashed again on every request. */
  private readonly tokenCache = new Map<string, { userId: number; tokenId: string; until: number }>();
  /** Failed logins for names that are no user; never written to the database. */
  private readonly strangers: StrangerFailures;

  constructor(
    readonly file: string,
    opts: UserStoreOptions = {},
  ) {
    this.keySource = opts.key ?? { file: path.join(path.dirname(file), 'session.key') };
    this.policy = opts.login ?? defaultLoginPolicy;
    this.strangers = new StrangerFailures(this.policy);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Created 0600 before SQLite opens it; SQLite gives the -wal and -shm files the same mode.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    ownerOnly(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // A deleted session or key is overwritten, not left in free pages.
    this.db.pragma('secure_delete = ON');
    for (const f of [`${file}-wal`, `${file}-shm`]) ownerOnly(f);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        ${USERS_COLUMNS}
      );
      CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.migrate();
    this.allowTeams();
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        id_sha256 TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS login_locks (
        user_id INTEGER PRIMARY KEY REFERENCES users(id),
        failures INTEGER NOT NULL,
        since INTEGER NOT NULL,
        locked_until INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS evidence_downloads (
        id INTEGER PRIMARY KEY,
        workflow_id TEXT NOT NULL,
        evidence_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        role TEXT NOT NULL,
        org TEXT,
        at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS evidence_downloads_by_workflow ON evidence_downloads (workflow_id, id);
    `);
  }

  /**
   * Who opened which evidence file when: kept here, not in the workflow (reading a file changes
   * nothing about the obligation, so it is no Update and adds nothing to its history).
   */
  recordDownload(
    workflowId: string,
    evidenceId: string,
    u: Pick<User, 'name' | 'role' | 'org'>,
    at = new Date(),
  ): void {
    this.db
      .prepare(
        'INSERT INTO evidence_downloads (workflow_id, evidence_id, user_name, role, org, at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(workflowId, evidenceId, u.name, u.role, u.org ?? null, at.toISOString());
  }

  /** An obligation's evidence downloads, the most recent first (at most `limit`). */
  downloads(workflowId: string, limit = 200): EvidenceDownload[] {
    return (
      this.db
        .prepare(
          'SELECT evidence_id, user_name, role, org, at FROM evidence_downloads WHERE workflow_id = ? ORDER BY id DESC LIMIT ?',
        )
        .all(workflowId, limit) as {
        evidence_id: string;
        user_name: string;
        role: Role;
        org: string | null;
        at: string;
      }[]
    ).map((r) => ({
      evidenceId: r.evidence_id,
      user: r.user_name,
      role: r.role,
      ...(r.org ? { org: r.org } : {}),
      at: r.at,
    }));
  }

  /**
   * A database from before 1.1 kept the signing key in `settings`, raw session ids and failed
   * logins per name as typed: all three go (every session ends; users log in again), and the
   * file is rewritten so that nothing of them stays in its free pages or its log.
   */
  private migrate(): void {
    const columns = (t: string) =>
      (this.db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
    const old =
      columns('sessions').includes('id') ||
      columns('login_failures').length > 0 ||
      !!this.db.prepare(`SELECT 1 FROM settings WHERE key = 'signing-key'`).get();
    if (!old) return;
    this.db.exec(`
      DROP TABLE IF EXISTS login_failures;
      DELETE FROM settings WHERE key = 'signing-key';
    `);
    if (columns('sessions').includes('id')) this.db.exec('DROP TABLE sessions');
    // secure_delete has zeroed what was removed; VACUUM and the checkpoint also leave no old page
    // in the file or its log (skipped if another process holds the file at this moment).
    try {
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    }
  }

  /**
   * A database from before the team role checks roles without it. SQLite cannot alter a CHECK:
   * the table is rebuilt with the new one and its rows, in one transaction, with foreign keys
   * off meanwhile (sessions and login locks keep pointing at the same user ids).
   */
  private allowTeams(): void {
    const current = () =>
      (
        this.db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'`).get() as {
          sql: string;
        }
      ).sql.includes("'team'");
    if (current()) return;
    const foreignKeys = this.db.pragma('foreign_keys', { simple: true }) as number;
    this.db.pragma('foreign_keys = OFF');
    try {
      // Immediate, and checked again inside: another process opening the same file at this
      // moment waits for this one, then finds the table already rebuilt.
      this.db
        .transaction(() => {
          if (current()) return;
          this.db.exec(`
            CREATE TABLE users_new (
              ${USERS_COLUMNS}
            );
            INSERT INTO users_new (id, name, role, org, password_hash, token_id, token_hash, disabled, created_at)
              SELECT id, name, role, org, password_hash, token_id, token_hash, disabled, created_at FROM users;
            DROP TABLE users;
            ALTER TABLE users_new RENAME TO users;
          `);
          const broken = this.db.pragma('foreign_key_check') as unknown[];
          if (broken.length)
            throw new Error(`${this.file}: rebuilding the users table broke ${broken.length} references`);
        })
        .immediate();
    } finally {
      this.db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    }
  }

  get location(): string {
    return this.file;
  }

  private get key(): Buffer {
    return (this.keyBytes ??= Buffer.isBuffer(this.keySource) ? this.keySource : keyFromFile(this.keySource.file));
  }

  close(): void {
    this.db.close();
  }

  add(name: string, r: Role, org?: string): NewUser {
    const n = userName.safeParse(name);
    if (!n.success) throw new UserError(`user name ${JSON.stringify(name)}: ${n.error.issues[0].message}`);
    const unbound = bindingRefusal(r, org);
    if (unbound) throw new UserError(unbound);
    if (this.db.prepare('SELECT 1 FROM users WHERE name = ?').get(name))
      throw new UserError(`user ${name} already exists`);
    const password = randomSecret(12);
    const tokenId = randomSecret(6);
    const token = `lt_${tokenId}_${randomSecret(24)}`;
    const created = new Date().toISOString();
    const info = this.db
      .prepare(
        'INSERT INTO users (name, role, org, password_hash, token_id, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(name, r, org ?? null, hashSecret(password), tokenId, hashSecret(token), created);
    return { user: this.byId(Number(info.lastInsertRowid))!, password, token };
  }

  list(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY name').all() as Row[]).map(toUser);
  }

  byId(id: number): User | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return r && toUser(r);
  }

  disable(name: string): User {
    const info = this.db.prepare('UPDATE users SET disabled = 1 WHERE name = ?').run(name);
    if (!info.changes) throw new UserError(`no user ${name}`);
    const u = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row;
    this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(u.id);
    this.tokenCache.clear();
    return toUser(u);
  }

  /** A forgotten password or a leaked token: both are replaced, the old ones and every session stop. */
  reset(name: string): NewUser {
    const u = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row | undefined;
    if (!u) throw new UserError(`no user ${name}`);
    const password = randomSecret(12);
    const tokenId = randomSecret(6);
    const token = `lt_${tokenId}_${randomSecret(24)}`;
    this.db
      .prepare('UPDATE users SET password_hash = ?, token_id = ?, token_hash = ? WHERE id = ?')
      .run(hashSecret(password), tokenId, hashSecret(token), u.id);
    this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(u.id);
    // A new password is no guess: a lock from failed logins ends with the old one.
    this.db.prepare('DELETE FROM login_locks WHERE user_id = ?').run(u.id);
    this.tokenCache.clear();
    return { user: this.byId(u.id)!, password, token };
  }

  enable(name: string): User {
    const info = this.db.prepare('UPDATE users SET disabled = 0 WHERE name = ?').run(name);
    if (!info.changes) throw new UserError(`no user ${name}`);
    return toUser(this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row);
  }

  // ------------------------------------------------------------------ login

  /**
   * The user if name and password match an enabled user. Failures are counted per user in one
   * atomic statement; `maxFailures` of them within `lockMs` lock the name for `lockMs` (refused
   * without looking at the password, so guessing stops; the lock then expires by itself and the
   * real user logs in again). A name that is no user is counted the same way, in memory, so the
   * answers do not tell names that exist from names that do not.
   */
  login(name: string, password: string, now = Date.now()): LoginResult {
    if (name.length > MAX_NAME_LENGTH || name.length === 0) return { refused: 'invalid' };
    const r = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row | undefined;
    const lockedUntil = r
      ? ((
          this.db.prepare('SELECT locked_until FROM login_locks WHERE user_id = ?').get(r.id) as
            { locked_until: number } | undefined
        )?.locked_until ?? 0)
      : (this.strangers.get(name)?.lockedUntil ?? 0);
    const locked = lockedAt(lockedUntil, now);
    if (locked) return { refused: 'locked', ...locked };
    // Verifying and counting run in one synchronous step: no other login in this process
    // interleaves between the check above and the count below.
    const ok = verifySecret(password, r?.password_hash ?? DUMMY_HASH) && !!r && !r.disabled;
    if (ok) {
      this.db.prepare('DELETE FROM login_locks WHERE user_id = ?').run(r.id);
      return { user: toUser(r) };
    }
    if (r) this.countFailure(r.id, now);
    else this.strangers.fail(name, now);
    return { refused: 'invalid' };
  }

  private countFailure(userId: number, now: number): { failures: number; lockedUntil: number } {
    // One statement: concurrent failures (another process on the same file included) are each
    // counted, and the one that reaches the limit sets the lock. A window that has passed
    // (which an expired lock's has) starts again at one.
    const row = this.db
      .prepare(
        `INSERT INTO login_locks (user_id, failures, since, locked_until)
         VALUES (@id, 1, @now, CASE WHEN 1 >= @max THEN @now + @lock ELSE 0 END)
         ON CONFLICT (user_id) DO UPDATE SET
           failures = CASE WHEN since <= @now - @lock THEN 1 ELSE failures + 1 END,
           since = CASE WHEN since <= @now - @lock THEN @now ELSE since END,
           locked_until = CASE
             WHEN (CASE WHEN since <= @now - @lock THEN 1 ELSE failures + 1 END) >= @max THEN @now + @lock
             ELSE 0 END
         RETURNING failures, locked_until`,
      )
      .get({ id: userId, now, max: this.policy.maxFailures, lock: Math.round(this.policy.lockMs) }) as {
      failures: number;
      locked_until: number;
    };
    return { failures: row.failures, lockedUntil: row.locked_until };
  }

  /** For tests and operations: how many failures the name has now (0 after a lock expired). */
  failures(name: string, now = Date.now()): number {
    const r = this.db.prepare('SELECT id FROM users WHERE name = ?').get(name) as { id: number } | undefined;
    const f = r
      ? (this.db.prepare('SELECT failures, since FROM login_locks WHERE user_id = ?').get(r.id) as
          { failures: number; since: number } | undefined)
      : this.strangers.get(name);
    return failuresAt(f, now, this.policy);
  }

  // ------------------------------------------------------------------ sessions

  createSession(userId: number, ttlMs: number): { cookie: string; expiresAt: number } {
    const id = randomSecret(24);
    const expiresAt = Date.now() + ttlMs;
    this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(Date.now());
    this.db
      .prepare('INSERT INTO sessions (id_sha256, user_id, expires_at) VALUES (?, ?, ?)')
      .run(digest(id), userId, expiresAt);
    return { cookie: `${id}.${hmac(this.key, `session:${id}`)}`, expiresAt };
  }

  /** The session's user, or why not (forged, unknown or expired session, disabled user). */
  session(cookie: string | undefined): { user: User; sessionId: string } | { refused: string } {
    if (!cookie) return { refused: 'not logged in' };
    const [id, sig] = cookie.split('.');
    if (!id || !sig || !safeEqual(sig, hmac(this.key, `session:${id}`)))
      return { refused: 'session cookie signature is invalid' };
    const s = this.db.prepare('SELECT user_id, expires_at FROM sessions WHERE id_sha256 = ?').get(digest(id)) as
      { user_id: number; expires_at: number } | undefined;
    if (!s) return { refused: 'session unknown or logged out' };
    if (s.expires_at <= Date.now()) return { refused: 'session expired' };
    const user = this.byId(s.user_id);
    if (!user || user.disabled) return { refused: 'user disabled' };
    return { user, sessionId: id };
  }

  endSession(sessionId: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_sha256 = ?').run(digest(sessionId));
  }

  /** For tests and operations: make a session expire now. */
  expireSession(sessionId: string): void {
    this.db.prepare('UPDATE sessions SET expires_at = 0 WHERE id_sha256 = ?').run(digest(sessionId));
  }

  csrfToken(sessionId: string): string {
    return hmac(this.key, `csrf:${sessionId}`);
  }

  checkCsrf(sessionId: string, token: unknown): boolean {
    return typeof token === 'string' && safeEqual(token, this.csrfToken(sessionId));
  }

  // ------------------------------------------------------------------ API tokens

  byToken(token: string): User | undefined {
    const tokenDigest = digest(token);
    const cached = this.tokenCache.get(tokenDigest);
    if (cached && cached.until > Date.now()) {
      const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(cached.userId) as Row | undefined;
      // Disabled, or reset (perhaps by the CLI, another process): the cached verdict no longer holds.
      return r && !r.disabled && r.token_id === cached.tokenId ? toUser(r) : undefined;
    }
    const m = /^lt_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]+)$/.exec(token);
    const r = m ? (this.db.prepare('SELECT * FROM users WHERE token_id = ?').get(m[1]) as Row | undefined) : undefined;
    if (!r || !verifySecret(token, r.token_hash) || r.disabled) return undefined;
    this.tokenCache.set(tokenDigest, { userId: r.id, tokenId: r.token_id, until: Date.now() + 5 * 60_000 });
    return toUser(r);
  }
}
