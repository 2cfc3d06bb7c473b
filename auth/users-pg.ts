// Users, sessions, API tokens, login locks and the evidence download log in PostgreSQL
// (LANTIAN_DATABASE_URL): the same rules as the SQLite store (auth/users.ts), shared by every web
// instance, so a session ended, a user disabled or a name locked on one is so on all at once.
// The signing key stays outside the database, as there.
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { DUMMY_HASH, hashSecret, hmac, randomSecret, safeEqual, verifySecret } from './secrets';
import { defaultLoginPolicy, failuresAt, lockedAt, StrangerFailures } from './login-lock';
import {
  bindingRefusal,
  keyFromFile,
  MAX_NAME_LENGTH,
  UserError,
  userName,
  type EvidenceDownload,
  type LoginPolicy,
  type LoginResult,
  type NewUser,
  type Role,
  type User,
  type Users,
} from './users';
import { redactedUrl } from '../db/pool';

interface Row {
  id: string;
  name: string;
  role: Role;
  org: string | null;
  disabled: boolean;
  created_at: string;
  password_hash: string;
  token_id: string;
  token_hash: string;
}

const toUser = (r: Row): User => ({
  id: Number(r.id),
  name: r.name,
  role: r.role,
  ...(r.org ? { org: r.org } : {}),
  disabled: r.disabled,
  createdAt: r.created_at,
});

const digest = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export class PgUserStore implements Users {
  private keyBytes?: Buffer;
  private readonly policy: LoginPolicy;
  private readonly tokenCache = new Map<string, { userId: number; tokenId: string; until: number }>();
  private readonly strangers: StrangerFailures;

  constructor(
    readonly pool: Pool,
    readonly url: string,
    private readonly keySource: Buffer | { file: string },
    opts: { login?: LoginPolicy; ownsPool?: boolean } = {},
  ) {
    this.policy = opts.login ?? defaultLoginPolicy;
    this.strangers = new StrangerFailures(this.policy);
    this.ownsPool = opts.ownsPool ?? false;
  }

  private readonly ownsPool: boolean;

  get location(): string {
    return redactedUrl(this.url);
  }

  private get key(): Buffer {
    return (this.keyBytes ??= Buffer.isBuffer(this.keySource) ? this.keySource : keyFromFile(this.keySource.file));
  }

  private async one(sql: string, args: unknown[]): Promise<Row | undefined> {
    return (await this.pool.query<Row>(sql, args)).rows[0];
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  async recordDownload(
    workflowId: string,
    evidenceId: string,
    u: Pick<User, 'name' | 'role' | 'org'>,
    at = new Date(),
  ) {
    await this.pool.query(
      'INSERT INTO evidence_downloads (workflow_id, evidence_id, user_name, role, org, at) VALUES ($1, $2, $3, $4, $5, $6)',
      [workflowId, evidenceId, u.name, u.role, u.org ?? null, at.toISOString()],
    );
  }

  async downloads(workflowId: string, limit = 200): Promise<EvidenceDownload[]> {
    const r = await this.pool.query<{
      evidence_id: string;
      user_name: string;
      role: Role;
      org: string | null;
      at: string;
    }>(
      'SELECT evidence_id, user_name, role, org, at FROM evidence_downloads WHERE workflow_id = $1 ORDER BY id DESC LIMIT $2',
      [workflowId, limit],
    );
    return r.rows.map((x) => ({
      evidenceId: x.evidence_id,
      user: x.user_name,
      role: x.role,
      ...(x.org ? { org: x.org } : {}),
      at: x.at,
    }));
  }

  async add(name: string, r: Role, org?: string): Promise<NewUser> {
    const n = userName.safeParse(name);
    if (!n.success) throw new UserError(`user name ${JSON.stringify(name)}: ${n.error.issues[0].message}`);
    const unbound = bindingRefusal(r, org);
    if (unbound) throw new UserError(unbound);
    const password = randomSecret(12);
    const tokenId = randomSecret(6);
    const token = `lt_${tokenId}_${randomSecret(24)}`;
    // The unique name decides between two instances adding the same user at once.
    const row = await this.one(
      `INSERT INTO users (name, role, org, password_hash, token_id, token_hash, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING *`,
      [name, r, org ?? null, hashSecret(password), tokenId, hashSecret(token), new Date().toISOString()],
    );
    if (!row) throw new UserError(`user ${name} already exists`);
    return { user: toUser(row), password, token };
  }

  async list(): Promise<User[]> {
    return (await this.pool.query<Row>('SELECT * FROM users ORDER BY name')).rows.map(toUser);
  }

  async byId(id: number): Promise<User | undefined> {
    const r = await this.one('SELECT * FROM users WHERE id = $1', [id]);
    return r && toUser(r);
  }

  async disable(name: string): Promise<User> {
    const u = await this.one('UPDATE users SET disabled = true WHERE name = $1 RETURNING *', [name]);
    if (!u) throw new UserError(`no user ${name}`);
    await this.pool.query('DELETE FROM sessions WHERE user_id = $1', [u.id]);
    this.tokenCache.clear();
    return toUser(u);
  }

  async reset(name: string): Promise<NewUser> {
    const password = randomSecret(12);
    const tokenId = randomSecret(6);
    const token = `lt_${tokenId}_${randomSecret(24)}`;
    const u = await this.one(
      'UPDATE users SET password_hash = $2, token_id = $3, token_hash = $4 WHERE name = $1 RETURNING *',
      [name, hashSecret(password), tokenId, hashSecret(token)],
    );
    if (!u) throw new UserError(`no user ${name}`);
    await this.pool.query('DELETE FROM sessions WHERE user_id = $1', [u.id]);
    // A new password is no guess: a lock from failed logins ends with the old one.
    await this.pool.query('DELETE FROM login_locks WHERE user_id = $1', [u.id]);
    this.tokenCache.clear();
    return { user: toUser(u), password, token };
  }

  async enable(name: string): Promise<User> {
    const u = await this.one('UPDATE users SET disabled = false WHERE name = $1 RETURNING *', [name]);
    if (!u) throw new UserError(`no user ${name}`);
    return toUser(u);
  }

  async login(name: string, password: string, now = Date.now()): Promise<LoginResult> {
    if (name.length > MAX_NAME_LENGTH || name.length === 0) return { refused: 'invalid' };
    const r = await this.one('SELECT * FROM users WHERE name = $1', [name]);
    const lockedUntil = r
      ? Number(
          (
            await this.pool.query<{ locked_until: string }>('SELECT locked_until FROM login_locks WHERE user_id = $1', [
              r.id,
            ])
          ).rows[0]?.locked_until ?? 0,
        )
      : (this.strangers.get(name)?.lockedUntil ?? 0);
    const locked = lockedAt(lockedUntil, now);
    if (locked) return { refused: 'locked', ...locked };
    const ok = verifySecret(password, r?.password_hash ?? DUMMY_HASH) && !!r && !r.disabled;
    if (ok) {
      await this.pool.query('DELETE FROM login_locks WHERE user_id = $1', [r.id]);
      return { user: toUser(r) };
    }
    if (r) await this.countFailure(r.id, now);
    else this.strangers.fail(name, now);
    return { refused: 'invalid' };
  }

  private async countFailure(userId: string, now: number): Promise<void> {
    // One statement, as in SQLite: concurrent failures on every instance are each counted.
    await this.pool.query(
      `INSERT INTO login_locks AS l (user_id, failures, since, locked_until)
       VALUES ($1, 1, $2::bigint, CASE WHEN 1 >= $3::integer THEN $2::bigint + $4::bigint ELSE 0 END)
       ON CONFLICT (user_id) DO UPDATE SET
         failures = CASE WHEN l.since <= $2::bigint - $4::bigint THEN 1 ELSE l.failures + 1 END,
         since = CASE WHEN l.since <= $2::bigint - $4::bigint THEN $2::bigint ELSE l.since END,
         locked_until = CASE
           WHEN (CASE WHEN l.since <= $2::bigint - $4::bigint THEN 1 ELSE l.failures + 1 END) >= $3::integer THEN $2::bigint + $4::bigint
           ELSE 0 END`,
      [userId, now, this.policy.maxFailures, Math.round(this.policy.lockMs)],
    );
  }

  async failures(name: string, now = Date.now()): Promise<number> {
    const r = await this.one('SELECT * FROM users WHERE name = $1', [name]);
    const f = r
      ? (
          await this.pool.query<{ failures: number; since: string }>(
            'SELECT failures, since FROM login_locks WHERE user_id = $1',
            [r.id],
          )
        ).rows.map((x) => ({ failures: x.failures, since: Number(x.since) }))[0]
      : this.strangers.get(name);
    return failuresAt(f, now, this.policy);
  }

  async createSession(userId: number, ttlMs: number): Promise<{ cookie: string; expiresAt: number }> {
    const id = randomSecret(24);
    const expiresAt = Date.now() + ttlMs;
    await this.pool.query('DELETE FROM sessions WHERE expires_at < $1', [Date.now()]);
    await this.pool.query('INSERT INTO sessions (id_sha256, user_id, expires_at) VALUES ($1, $2, $3)', [
      digest(id),
      userId,
      expiresAt,
    ]);
    return { cookie: `${id}.${hmac(this.key, `session:${id}`)}`, expiresAt };
  }

  async session(cookie: string | undefined): Promise<{ user: User; sessionId: string } | { refused: string }> {
    if (!cookie) return { refused: 'not logged in' };
    const [id, sig] = cookie.split('.');
    if (!id || !sig || !safeEqual(sig, hmac(this.key, `session:${id}`)))
      return { refused: 'session cookie signature is invalid' };
    // One query: the session and its user as they are now (another instance may have disabled it).
    const s = (
      await this.pool.query<Row & { expires_at: string }>(
        'SELECT u.*, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_sha256 = $1',
        [digest(id)],
      )
    ).rows[0];
    if (!s) return { refused: 'session unknown or logged out' };
    if (Number(s.expires_at) <= Date.now()) return { refused: 'session expired' };
    if (s.disabled) return { refused: 'user disabled' };
    return { user: toUser(s), sessionId: id };
  }

  async endSession(sessionId: string): Promise<void> {
    await this.pool.query('DELETE FROM sessions WHERE id_sha256 = $1', [digest(sessionId)]);
  }

  async expireSession(sessionId: string): Promise<void> {
    await this.pool.query('UPDATE sessions SET expires_at = 0 WHERE id_sha256 = $1', [digest(sessionId)]);
  }

  csrfToken(sessionId: string): string {
    return hmac(this.key, `csrf:${sessionId}`);
  }

  checkCsrf(sessionId: string, token: unknown): boolean {
    return typeof token === 'string' && safeEqual(token, this.csrfToken(sessionId));
  }

  async byToken(token: string): Promise<User | undefined> {
    const tokenDigest = digest(token);
    const cached = this.tokenCache.get(tokenDigest);
    if (cached && cached.until > Date.now()) {
      const r = await this.one('SELECT * FROM users WHERE id = $1', [cached.userId]);
      // Disabled or reset, perhaps by another instance or the CLI: the cached verdict no longer holds.
      return r && !r.disabled && r.token_id === cached.tokenId ? toUser(r) : undefined;
    }
    const m = /^lt_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]+)$/.exec(token);
    const r = m ? await this.one('SELECT * FROM users WHERE token_id = $1', [m[1]]) : undefined;
    if (!r || !verifySecret(token, r.token_hash) || r.disabled) return undefined;
    this.tokenCache.set(tokenDigest, { userId: Number(r.id), tokenId: r.token_id, until: Date.now() + 5 * 60_000 });
    return toUser(r);
  }
}
