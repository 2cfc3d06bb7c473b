// Users, sessions and API tokens in an embedded SQLite database (better-sqlite3; a file under
// the data folder by default, LANTIAN_DB_FILE in production). Secrets are stored only as scrypt
// hashes; a session is a random id signed with the database's own key and kept in a table, so a
// logout or a disabled user ends it at once.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { DUMMY_HASH, hashSecret, hmac, randomSecret, safeEqual, verifySecret } from './secrets';

export const role = z.enum(['office', 'assignee', 'supervisor']);
export type Role = z.infer<typeof role>;

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

/** Failed logins for one name slow every further attempt: 0.5 s, 1 s, 2 s … up to 8 s. */
export function loginDelayMs(failures: number): number {
  return failures <= 0 ? 0 : Math.min(8000, 250 * 2 ** failures);
}

export class UserStore {
  readonly db: Database.Database;
  private readonly key: Buffer;
  /** sha256(token) → user id: a verified token is not scrypt-hashed again on every request. */
  private readonly tokenCache = new Map<string, { userId: number; tokenId: string; until: number }>();

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('office','assignee','supervisor')),
        org TEXT,
        password_hash TEXT NOT NULL,
        token_id TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        CHECK ((role = 'assignee') = (org IS NOT NULL))
      );
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS login_failures (
        name TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.db
      .prepare(`INSERT OR IGNORE INTO settings (key, value) VALUES ('signing-key', ?)`)
      .run(crypto.randomBytes(32).toString('base64'));
    this.key = Buffer.from(
      (this.db.prepare(`SELECT value FROM settings WHERE key = 'signing-key'`).get() as { value: string }).value,
      'base64',
    );
  }

  close(): void {
    this.db.close();
  }

  add(name: string, r: Role, org?: string): NewUser {
    const n = userName.safeParse(name);
    if (!n.success) throw new UserError(`user name ${JSON.stringify(name)}: ${n.error.issues[0].message}`);
    if (r === 'assignee' && !org) throw new UserError('an assignee user needs --org <organisation code>');
    if (r !== 'assignee' && org) throw new UserError(`a ${r} user is not bound to an organisation; drop --org`);
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
    this.tokenCache.clear();
    return { user: this.byId(u.id)!, password, token };
  }

  enable(name: string): User {
    const info = this.db.prepare('UPDATE users SET disabled = 0 WHERE name = ?').run(name);
    if (!info.changes) throw new UserError(`no user ${name}`);
    return toUser(this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row);
  }

  // ------------------------------------------------------------------ login

  failures(name: string, now = Date.now()): number {
    const f = this.db.prepare('SELECT failures, last_at FROM login_failures WHERE name = ?').get(name) as
      { failures: number; last_at: number } | undefined;
    // Failures older than 15 minutes are forgiven.
    return f && now - f.last_at < 15 * 60_000 ? f.failures : 0;
  }

  /** The user if name and password match an enabled user; records failures either way. */
  checkPassword(name: string, password: string): User | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row | undefined;
    const ok = verifySecret(password, r?.password_hash ?? DUMMY_HASH) && !!r && !r.disabled;
    if (ok) {
      this.db.prepare('DELETE FROM login_failures WHERE name = ?').run(name);
      return toUser(r);
    }
    const now = Date.now();
    this.db
      .prepare(
        'INSERT INTO login_failures (name, failures, last_at) VALUES (?, 1, ?) ON CONFLICT(name) DO UPDATE SET failures = failures + 1, last_at = excluded.last_at',
      )
      .run(name, now);
    return undefined;
  }

  // ------------------------------------------------------------------ sessions

  createSession(userId: number, ttlMs: number): { cookie: string; expiresAt: number } {
    const id = randomSecret(24);
    const expiresAt = Date.now() + ttlMs;
    this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(Date.now());
    this.db.prepare('INSERT INTO sessions (id, user_id, expires_at) VALUES (?, ?, ?)').run(id, userId, expiresAt);
    return { cookie: `${id}.${hmac(this.key, `session:${id}`)}`, expiresAt };
  }

  /** The session's user, or why not (forged, unknown or expired session, disabled user). */
  session(cookie: string | undefined): { user: User; sessionId: string } | { refused: string } {
    if (!cookie) return { refused: 'not logged in' };
    const [id, sig] = cookie.split('.');
    if (!id || !sig || !safeEqual(sig, hmac(this.key, `session:${id}`)))
      return { refused: 'session cookie signature is invalid' };
    const s = this.db.prepare('SELECT user_id, expires_at FROM sessions WHERE id = ?').get(id) as
      { user_id: number; expires_at: number } | undefined;
    if (!s) return { refused: 'session unknown or logged out' };
    if (s.expires_at <= Date.now()) return { refused: 'session expired' };
    const user = this.byId(s.user_id);
    if (!user || user.disabled) return { refused: 'user disabled' };
    return { user, sessionId: id };
  }

  endSession(sessionId: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(sessionId);
  }

  /** For tests and operations: make a session expire now. */
  expireSession(sessionId: string): void {
    this.db.prepare('UPDATE sessions SET expires_at = 0 WHERE id = ?').run(sessionId);
  }

  csrfToken(sessionId: string): string {
    return hmac(this.key, `csrf:${sessionId}`);
  }

  checkCsrf(sessionId: string, token: unknown): boolean {
    return typeof token === 'string' && safeEqual(token, this.csrfToken(sessionId));
  }

  // ------------------------------------------------------------------ API tokens

  byToken(token: string): User | undefined {
    const digest = crypto.createHash('sha256').update(token).digest('hex');
    const cached = this.tokenCache.get(digest);
    if (cached && cached.until > Date.now()) {
      const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(cached.userId) as Row | undefined;
      // Disabled, or reset (perhaps by the CLI, another process): the cached verdict no longer holds.
      return r && !r.disabled && r.token_id === cached.tokenId ? toUser(r) : undefined;
    }
    const m = /^lt_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]+)$/.exec(token);
    const r = m ? (this.db.prepare('SELECT * FROM users WHERE token_id = ?').get(m[1]) as Row | undefined) : undefined;
    if (!r || !verifySecret(token, r.token_hash) || r.disabled) return undefined;
    this.tokenCache.set(digest, { userId: r.id, tokenId: r.token_id, until: Date.now() + 5 * 60_000 });
    return toUser(r);
  }
}
