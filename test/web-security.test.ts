// The findings of the security review (issue 17) that the web app, the users database and the
// CLI close, each reproduced against a real dev server and worker: what a stranger can make the
// app store or wait for (login names, failures, locks, rate, slow senders), what a stolen
// database gives away (keys, session ids, tokens, file modes), headers and errors (CSP, caching,
// Secure cookies, CSRF on multipart, 500 and 503 answers, 405), and input that is not plausible
// (seasons out of the window, quantities that are not plain decimals, bidi controls, blank reasons).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { call, calendar, drillWindow, enc, login, oid, startWebEnv, TQ, upload, type WebEnv } from './support/web';
import { fixturePolicies, fixturePoliciesDir, tempDir } from './support/temporal';
import { runCli } from './support/cli';
import { readEnv, dataPaths } from '../config/env';
import { startWeb, type RunningWeb } from '../web/start';
import { UserStore } from '../auth/users';
import { openUsers } from '../auth/open';
import { writeArchive } from '../storage/archive';
import { currentSeason } from '../domain/season';
import type { ObligationRecord } from '../domain/obligation';

let w: WebEnv;
const log = new PassThrough();
let logged = '';
log.on('data', (c) => (logged += String(c)));
const extras: RunningWeb[] = [];
const api = (p: string) => `${w.url}/api${p}`;
const as = (name: string) => w.tokens[name];
const pdf = (text: string) => Buffer.from(`%PDF-1.7\n${text}\n%%EOF\n`);
const sjzBoilers = oid('coal-boilers', '130100');
const tsBoilers = oid('coal-boilers', '130200');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Files in the evidence store. */
const blobs = () => {
  const store = path.join(w.deps.dir, 'evidence');
  return fs.existsSync(store)
    ? fs.readdirSync(store, { recursive: true }).filter((f) => /[0-9a-f]{64}$/.test(String(f))).length
    : 0;
};

beforeAll(async () => {
  w = await startWebEnv(
    {
      LANTIAN_LOGIN_MAX_FAILURES: '3',
      LANTIAN_LOGIN_LOCK_MINUTES: '0.05',
      LANTIAN_LOGIN_RATE_PER_MINUTE: '1000',
      LANTIAN_UPLOAD_MAX_BYTES: String(64 * 1024),
    },
    { logStream: log },
  );
  const launched = await call(api('/campaigns/drill/launch'), {
    method: 'POST',
    token: as('office1'),
    json: { season: 2030 },
  });
  expect(launched.status).toBe(200);
  await w.web.deps.index.refresh();
});
afterAll(async () => {
  for (const e of extras) await e.close();
  await w?.teardown();
});

/** Another web app on the same Temporal, with its own data folder and configuration. */
async function otherApp(env: Record<string, string>): Promise<RunningWeb & { dir: string }> {
  const dir = tempDir('web-extra');
  const web = await startWeb(
    readEnv({
      LANTIAN_DATA_DIR: dir,
      LANTIAN_POLICIES_DIR: fixturePoliciesDir,
      LANTIAN_TASK_QUEUE: TQ,
      LANTIAN_WEB_CACHE_SECONDS: '0',
      LANTIAN_SEASON_WINDOW: drillWindow(),
      ...env,
    }),
    w.env.client,
    fixturePolicies(),
    calendar,
    0,
    { logStream: new PassThrough() },
  );
  extras.push(web);
  return Object.assign(web, { dir });
}

/** The login form's cookie and token, then a POST of name and password. */
async function tryLogin(url: string, name: string, password: string, headers: Record<string, string> = {}) {
  const f = await fetch(`${url}/login`);
  const lc = f.headers.getSetCookie()[0].split(';')[0];
  const tk = /name="_csrf" value="([^"]+)"/.exec(await f.text())![1];
  const t0 = performance.now();
  const r = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: lc, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ name, password, _csrf: tk }).toString(),
  });
  return {
    status: r.status,
    ms: performance.now() - t0,
    location: decodeURIComponent(r.headers.get('location') ?? ''),
    retryAfter: r.headers.get('retry-after'),
    cookie: r.headers.getSetCookie().find((c) => c.startsWith('lantian_session=')),
    text: await r.text(),
  };
}

const changes = () => (w.web.deps.users.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;

// ------------------------------------------------------------------ A. nothing unbounded from a stranger

test('login names: a 900 kB name is refused by size, a 65-character one before any lookup; failures of unknown names are not stored', async () => {
  const before = changes();
  const huge = await tryLogin(w.url, '名'.repeat(300_000), 'x');
  expect(huge.status).toBe(413);
  const long = await tryLogin(w.url, 'a'.repeat(65), 'x');
  expect(long.status).toBe(303);
  expect(long.location).toContain('用户名不超过 64 个字符');
  for (let i = 0; i < 5; i++)
    expect((await tryLogin(w.url, `stranger-${i}`, 'x')).location).toContain('用户名或密码错误');
  // Nothing was written: no row per name, no table of names.
  expect(changes()).toBe(before);
  const tables = (
    w.web.deps.users.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as {
      name: string;
    }[]
  ).map((t) => t.name);
  expect(tables).not.toContain('login_failures');
  expect(w.web.deps.users.db.prepare('SELECT count(*) AS n FROM login_locks').get()).toEqual({ n: 0 });
});

test('a login lock: 20 parallel wrong passwords lock the name after 3 (429 with Retry-After), the lock expires, the real user gets in at once', async () => {
  const forms = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const f = await fetch(`${w.url}/login`);
      return {
        cookie: f.headers.getSetCookie()[0].split(';')[0],
        token: /name="_csrf" value="([^"]+)"/.exec(await f.text())![1],
      };
    }),
  );
  const answers = await Promise.all(
    forms.map((f) =>
      fetch(`${w.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'super1', password: 'wrong', _csrf: f.token }).toString(),
      }),
    ),
  );
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 303)).toHaveLength(3);
  expect(statuses.filter((s) => s === 429)).toHaveLength(17);
  const locked = answers.find((a) => a.status === 429)!;
  expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(await locked.text()).toContain('已暂时锁定');
  // One row for the user, counted exactly.
  expect(w.web.deps.users.failures('super1')).toBe(3);

  // Locked, the right password is refused too (guessing stops) …
  expect((await tryLogin(w.url, 'super1', w.passwords.super1)).status).toBe(429);
  // … until the lock expires (3 s here; 15 minutes by default): then the real user gets in, without waiting.
  await sleep(3100);
  const ok = await tryLogin(w.url, 'super1', w.passwords.super1);
  expect(ok.status).toBe(303);
  expect(ok.cookie).toBeDefined();
  expect(ok.ms).toBeLessThan(1000);
  expect(w.web.deps.users.failures('super1')).toBe(0);

  // A name that is no user locks the same way (the answers do not tell names apart), in memory only.
  const before = changes();
  const unknown = [];
  for (let i = 0; i < 4; i++) unknown.push(await tryLogin(w.url, 'nobody-here', 'x'));
  expect(unknown.map((u) => u.status)).toEqual([303, 303, 303, 429]);
  expect(changes()).toBe(before);
});

test('the lock is counted atomically in the database: two processes on one file count every failure', () => {
  const dir = tempDir('users-atomic');
  const file = path.join(dir, 'lantian.db');
  const policy = { maxFailures: 4, lockMs: 60_000 };
  const a = new UserStore(file, { login: policy });
  const b = new UserStore(file, { login: policy });
  const { password } = a.add('office9', 'office');
  const now = Date.now();
  expect(a.login('office9', 'wrong', now)).toEqual({ refused: 'invalid' });
  expect(b.login('office9', 'wrong', now)).toEqual({ refused: 'invalid' });
  expect(a.login('office9', 'wrong', now)).toEqual({ refused: 'invalid' });
  expect(b.login('office9', 'wrong', now)).toEqual({ refused: 'invalid' });
  expect(a.login('office9', password, now)).toEqual({ refused: 'locked', retryAfterSeconds: 60 });
  expect(b.login('office9', password, now + 30_000)).toEqual({ refused: 'locked', retryAfterSeconds: 30 });
  expect('user' in b.login('office9', password, now + 60_001)).toBe(true);
  a.close();
  b.close();
});

test('per address, POST /login is limited (429 with Retry-After)', async () => {
  const app = await otherApp({ LANTIAN_LOGIN_RATE_PER_MINUTE: '3' });
  const tries = [];
  for (let i = 0; i < 4; i++) tries.push(await tryLogin(app.url, `who${i}`, 'x'));
  expect(tries.map((t) => t.status)).toEqual([303, 303, 303, 429]);
  expect(Number(tries[3].retryAfter)).toBeGreaterThan(0);
  expect(tries[3].text).toContain('登录尝试过于频繁');
});

/** Sends `head` then `body` a byte at a time every `everyMs`; resolves when the server closes the connection. */
function trickle(port: number, head: string, body: string, everyMs: number): Promise<{ ms: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (c) => (answer += String(c)));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ ms: performance.now() - t0, answer });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (i < body.length && !socket.destroyed) socket.write(body[i++]);
      }, everyMs);
    });
    setTimeout(() => reject(new Error('the connection was still open after 15 s')), 15_000).unref();
  });
}

test('timeouts: a body trickled a byte every 5 s, or every 200 ms, and headers trickled are cut off within bounded time', async () => {
  const app = await otherApp({
    LANTIAN_HTTP_REQUEST_TIMEOUT_SECONDS: '2',
    LANTIAN_HTTP_HEADERS_TIMEOUT_SECONDS: '1',
    LANTIAN_HTTP_IDLE_TIMEOUT_SECONDS: '1.5',
  });
  const port = Number(new URL(app.url).port);
  const body = 'name=office1&password=' + 'x'.repeat(200);
  const head = `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
  // The review's probe: one byte per 5 s. Silent for longer than the idle timeout: closed.
  const slow = await trickle(port, head, body, 5000);
  expect(slow.ms).toBeLessThan(4000);
  // Never silent, but never done: the request timeout (2 s) ends it, with a 408.
  const steady = await trickle(port, head, body, 200);
  expect(steady.ms).toBeGreaterThan(1500);
  expect(steady.ms).toBeLessThan(5000);
  expect(steady.answer).toMatch(/^HTTP\/1\.1 408/);
  // Headers that never end: the headers timeout (1 s).
  const headers = await trickle(port, 'POST /login HTTP/1.1\r\n', 'X-Slow: ' + 'y'.repeat(100), 200);
  expect(headers.ms).toBeLessThan(4000);
});

// ------------------------------------------------------------------ B. secrets out of the data file

const mode = (f: string) => fs.statSync(f).mode & 0o777;
const bytesOf = (file: string) =>
  [file, `${file}-wal`, `${file}-shm`]
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f).toString('latin1'))
    .join('');

test('the users database and its log are 0600, the session key is a 0600 file of its own, and the database holds no raw session id or token', async () => {
  const file = dataPaths(w.deps.dir).usersDb;
  const s = await login(w.url, 'tangshan', w.passwords.tangshan);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) expect({ f, mode: mode(f) }).toEqual({ f, mode: 0o600 });
  const keyFile = dataPaths(w.deps.dir).sessionKey;
  expect(mode(keyFile)).toBe(0o600);
  const key = fs.readFileSync(keyFile, 'utf8').trim();
  const stored = bytesOf(file);
  expect(stored).not.toContain(s.sessionId);
  expect(stored).not.toContain(w.tokens.tangshan);
  expect(stored).not.toContain(key);
  expect(w.web.deps.users.db.prepare(`SELECT * FROM settings WHERE key = 'signing-key'`).get()).toBeUndefined();
  // What the database does hold (a digest) is no cookie: without the key nothing can be signed,
  // and even signed with it the digest names no session.
  const digest = (w.web.deps.users.db.prepare('SELECT id_sha256 FROM sessions LIMIT 1').get() as { id_sha256: string })
    .id_sha256;
  expect(w.web.deps.users.session(`${digest}.${'A'.repeat(43)}`)).toEqual({
    refused: 'session cookie signature is invalid',
  });
  // A copy of the database beside a key of its own (a thief's) logs no one in.
  const stolen = tempDir('stolen');
  for (const f of ['', '-wal']) fs.copyFileSync(`${file}${f}`, path.join(stolen, `lantian.db${f}`));
  const thief = new UserStore(path.join(stolen, 'lantian.db'));
  expect(thief.session(decodeURIComponent(s.cookie.split('=')[1]))).toEqual({
    refused: 'session cookie signature is invalid',
  });
  expect(thief.byToken(w.tokens.tangshan)?.name).toBe('tangshan'); // the token still works where it should …
  thief.close();
  // … and a login still works, and a reset stops the old token at once.
  expect((await call(api('/me'), { headers: { cookie: s.cookie } })).body.name).toBe('tangshan');
  const other = w.web.deps.users.add('tokenreset', 'supervisor');
  expect((await call(api('/me'), { token: other.token })).status).toBe(200);
  w.web.deps.users.reset('tokenreset');
  expect((await call(api('/me'), { token: other.token })).status).toBe(401);
});

test('LANTIAN_SESSION_SECRET signs sessions without any key file; a database from before is migrated: key, raw sessions and names gone, 0600', () => {
  const dir = tempDir('users-secret');
  const store = openUsers(
    readEnv({ LANTIAN_DATA_DIR: dir, LANTIAN_SESSION_SECRET: 'k'.repeat(40), LANTIAN_SEASON_WINDOW: '2,1' }),
  );
  const u = store.add('office2', 'office');
  const s = store.createSession(u.user.id, 60_000);
  expect('user' in store.session(s.cookie)).toBe(true);
  store.close();
  expect(fs.existsSync(path.join(dir, 'session.key'))).toBe(false);

  // The 1.0 layout: a world-readable file with the key in settings, raw session ids, failures by name.
  const old = path.join(tempDir('users-old'), 'lantian.db');
  const db = new Database(old);
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, org TEXT,
      password_hash TEXT NOT NULL, token_id TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
    CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    CREATE TABLE login_failures (name TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at INTEGER NOT NULL);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO users VALUES (1, 'office3', 'office', NULL, 'x', 'AAAAAAAA', 'x', 0, '2026-01-01');
    INSERT INTO sessions VALUES ('RAWSESSIONIDRAWSESSIONID', 1, 9999999999999);
    INSERT INTO login_failures VALUES ('${'n'.repeat(500)}', 3, 0);
    INSERT INTO settings VALUES ('signing-key', 'OLDSIGNINGKEYOLDSIGNINGKEY');
  `);
  db.close();
  fs.chmodSync(old, 0o644);
  const migrated = new UserStore(old);
  expect(migrated.list().map((x) => x.name)).toEqual(['office3']);
  migrated.close();
  expect(mode(old)).toBe(0o600);
  const text = bytesOf(old);
  expect(text).not.toContain('RAWSESSIONIDRAWSESSIONID');
  expect(text).not.toContain('OLDSIGNINGKEYOLDSIGNINGKEY');
  expect(text).not.toContain('n'.repeat(100));
});

// ------------------------------------------------------------------ C. headers and errors

test('headers: a CSP with no inline script and no framing, nosniff, no referrer, no-store on private answers; pages carry no inline script', async () => {
  const s = await login(w.url, 'office1', w.passwords.office1);
  const pages = [
    await call(`${w.url}/login`),
    await call(`${w.url}/review`, { headers: { cookie: s.cookie } }),
    await call(`${w.url}/campaigns`, { headers: { cookie: s.cookie } }),
    await call(`${w.url}/obligations/${enc(sjzBoilers)}`, { headers: { cookie: s.cookie } }),
    await call(`${w.url}/obligations/${enc('lantian:drill:2030:nothing:1')}`, { headers: { cookie: s.cookie } }),
    await call(api('/me'), { token: as('office1') }),
    await call(api('/obligations?campaign=drill'), { token: as('super1') }),
  ];
  for (const p of pages) {
    const csp = p.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(p.headers.get('x-content-type-options')).toBe('nosniff');
    expect(p.headers.get('x-frame-options')).toBe('DENY');
    expect(p.headers.get('referrer-policy')).toBe('no-referrer');
    expect(p.headers.get('cache-control')).toBe('no-store');
    expect(p.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\bon[a-z]+="|javascript:|<style/i);
  }
  const js = await call(`${w.url}/static/lantian.js`);
  expect(js.headers.get('content-type')).toMatch(/javascript/);
  expect(js.text).toContain("'print'");
  expect(js.headers.get('cache-control')).toMatch(/max-age/);
  expect((await call(`${w.url}/static/letter.css`)).status).toBe(200);
});

test('cookies are Secure when configured so, or behind a trusted proxy over HTTPS; a stranger’s X-Forwarded-Proto is not believed', async () => {
  const secure = await otherApp({ LANTIAN_COOKIE_SECURE: 'true' });
  const proxied = await otherApp({ LANTIAN_TRUST_PROXY: '127.0.0.1' });
  const direct = await otherApp({});
  for (const app of [secure, proxied, direct]) app.deps.users.add('office1', 'office');
  const pw = (app: RunningWeb) => app.deps.users.reset('office1').password;
  const https = { 'x-forwarded-proto': 'https' };
  expect((await tryLogin(secure.url, 'office1', pw(secure))).cookie).toMatch(/; Secure/);
  expect((await tryLogin(proxied.url, 'office1', pw(proxied), https)).cookie).toMatch(/; Secure/);
  expect((await tryLogin(proxied.url, 'office1', pw(proxied))).cookie).not.toMatch(/; Secure/);
  expect((await tryLogin(direct.url, 'office1', pw(direct), https)).cookie).not.toMatch(/; Secure/);
  expect((await call(`${secure.url}/login`)).headers.get('strict-transport-security')).toMatch(/max-age=/);
});

test('CSRF for every cookie change, multipart included: a multipart logout or waive without the token changes nothing and is no 500', async () => {
  const s = await login(w.url, 'office1', w.passwords.office1);
  const cookie = { cookie: s.cookie };
  const multipart = (fields: Record<string, string>) => upload(fields);
  const logout = await call(`${w.url}/logout`, { method: 'POST', headers: cookie, body: multipart({}) });
  expect([403, 415]).toContain(logout.status);
  expect((await call(api('/me'), { headers: cookie })).status).toBe(200);
  const waiveId = oid('monthly-report', '130000') + ':2030-10';
  for (const target of [`${w.url}/obligations/${enc(waiveId)}/waive`, api(`/obligations/${enc(waiveId)}/waive`)]) {
    const noToken = await call(target, { method: 'POST', headers: cookie, body: multipart({ reason: '关停' }) });
    expect({ target, status: noToken.status }).toEqual({ target, status: 403 });
    const withToken = await call(target, {
      method: 'POST',
      headers: { ...cookie, 'x-csrf-token': s.csrf },
      body: multipart({ reason: '关停', _csrf: s.csrf }),
    });
    expect({ target, status: withToken.status }).toEqual({ target, status: 415 });
    const bearer = await call(target, { method: 'POST', token: as('office1'), body: multipart({ reason: '关停' }) });
    expect([401, 415]).toContain(bearer.status);
  }
  // A form posted with no body at all is a refusal, not a crash.
  const empty = await call(`${w.url}/obligations/${enc(waiveId)}/waive`, {
    method: 'POST',
    headers: { ...cookie, 'x-csrf-token': s.csrf },
  });
  expect(empty.status).toBe(422);
  const rec = (await call(api(`/obligations/${enc(waiveId)}`), { token: as('office1') })).body;
  expect(rec.status).not.toBe('waived');
});

test('a 500 says 服务器内部错误 with a request id, never the internal message, and the cause is logged', async () => {
  const list = w.web.deps.index.list.bind(w.web.deps.index);
  w.web.deps.index.list = async () => {
    throw new TypeError("Cannot read properties of null (reading 'reason')");
  };
  try {
    const r = await call(api('/obligations'), { token: as('office1') });
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ error: 'internal_error', requestId: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(r.body.message).toContain(`服务器内部错误（请求编号 ${r.body.requestId}）`);
    expect(r.text).not.toContain('Cannot read');
    expect(r.headers.get('x-request-id')).toBe(r.body.requestId);
    const s = await login(w.url, 'office1', w.passwords.office1);
    const page = await call(`${w.url}/obligations`, { headers: { cookie: s.cookie } });
    expect(page.status).toBe(500);
    expect(page.text).toContain('服务器内部错误');
    expect(page.text).not.toContain('Cannot read');
    await sleep(100);
    const line = logged.split('\n').find((l) => l.includes(r.body.requestId))!;
    expect(JSON.parse(line)).toMatchObject({ level: 50, reqId: r.body.requestId, err: { type: 'TypeError' } });
    expect(line).toContain("Cannot read properties of null (reading 'reason')");
  } finally {
    w.web.deps.index.list = list;
  }
});

test('a busy worker answers 503 with Retry-After and a sentence a person understands: a read that timed out, an Update that timed out', async () => {
  const deadline = Object.assign(new Error('4 DEADLINE_EXCEEDED: context deadline exceeded'), { code: 4 });
  const list = w.web.deps.index.list.bind(w.web.deps.index);
  w.web.deps.index.list = async () => {
    throw new ServiceError('Failed to query Workflow', { cause: deadline });
  };
  try {
    const r = await call(api('/obligations'), { token: as('office1') });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.body).toMatchObject({ error: 'unavailable', message: expect.stringContaining('系统正忙') });
  } finally {
    w.web.deps.index.list = list;
  }
  // The first Update after a launch: the worker did not answer in time.
  const real = w.web.deps.client;
  const timeout = new WorkflowUpdateRPCTimeoutOrCancelledError('Timeout or cancellation waiting for update', {
    cause: deadline,
  });
  w.web.deps.client = new Proxy(real, {
    get: (c, p) =>
      p === 'workflow'
        ? new Proxy(real.workflow, {
            get: (wf, q) =>
              q === 'getHandle'
                ? (id: string) => {
                    const h = real.workflow.getHandle(id);
                    return new Proxy(h, {
                      get: (x, k) =>
                        k === 'executeUpdate'
                          ? async () => {
                              throw timeout;
                            }
                          : Reflect.get(x, k),
                    });
                  }
                : Reflect.get(wf, q),
          })
        : Reflect.get(c, p),
  }) as Client;
  try {
    const r = await call(api(`/obligations/${enc(tsBoilers)}/waive`), {
      method: 'POST',
      token: as('office1'),
      json: { reason: '企业关停' },
    });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.body.message).toContain('请稍后重试');
  } finally {
    w.web.deps.client = real;
  }
});

test('no dedupe or path across organisations: an upload answer says nothing of another’s same file; notices show no server path', async () => {
  const same = pdf('the very same bytes');
  const first = await call(api(`/obligations/${enc(sjzBoilers)}/evidence`), {
    method: 'POST',
    token: as('sjz'),
    body: upload({ quantity: '1' }, { name: 'a.pdf', content: same }),
  });
  expect(first.status).toBe(200);
  const second = await call(api(`/obligations/${enc(tsBoilers)}/evidence`), {
    method: 'POST',
    token: as('tangshan'),
    body: upload({ quantity: '1' }, { name: 'b.pdf', content: same }),
  });
  expect(second.status).toBe(200);
  expect(Object.keys(second.body).sort()).toEqual(['fileName', 'mediaType', 'receipt']);
  expect(second.text).not.toMatch(/alreadyStored|existed/);

  // A closed obligation read from the archive, with a notice delivered to the outbox.
  const rec = (await call(api(`/obligations/${enc(sjzBoilers)}`), { token: as('office1') })).body as ObligationRecord;
  const archived = 'lantian:drill:2030:archived-one:130100';
  const notice = {
    key: `${archived}#reminder:P7D`,
    kind: 'reminder',
    to: ['a@b.c'],
    cc: [],
    subject: '提醒',
    messageId: '<m@x>',
    transport: 'outbox' as const,
    location: '/srv/lantian/.data/outbox/secret-path.eml',
    sentAt: new Date().toISOString(),
  };
  await writeArchive(dataPaths(w.deps.dir).archive, {
    ...rec,
    workflowId: archived,
    notices: [notice],
    timeline: [...rec.timeline, { ...rec.timeline[0], type: 'reminder-sent', notice }],
  });
  const shown = await call(api(`/obligations/${enc(archived)}`), { token: as('office1') });
  expect(shown.status).toBe(200);
  expect(shown.body.notices[0].subject).toBe('提醒');
  expect(shown.text).not.toContain('location');
  expect(shown.text).not.toContain('secret-path');
  const s = await login(w.url, 'office1', w.passwords.office1);
  expect((await call(`${w.url}/obligations/${enc(archived)}`, { headers: { cookie: s.cookie } })).text).not.toContain(
    'secret-path',
  );
});

/** Any method, TRACE included (fetch refuses to send it). */
function raw(method: string, url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; allow?: string; body: string }>((resolve, reject) => {
    const r = http.request(url, { method, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += String(c)));
      res.on('end', () => resolve({ status: res.statusCode!, allow: res.headers.allow, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('405 with Allow for a method a path does not declare (TRACE, QUERY, DELETE, PUT); 404 for no path', async () => {
  const auth = { authorization: `Bearer ${as('office1')}` };
  const trace = await raw('TRACE', api('/me'), auth);
  expect(trace).toMatchObject({ status: 405, allow: 'GET, HEAD' });
  expect(JSON.parse(trace.body)).toMatchObject({
    error: 'method_not_allowed',
    message: `地址 /api/me 不支持 TRACE 请求（支持：GET, HEAD）。`,
  });
  expect(await raw('QUERY', api('/obligations'), auth)).toMatchObject({ status: 405, allow: 'GET, HEAD' });
  expect(await raw('DELETE', api(`/obligations/${enc(sjzBoilers)}`), auth)).toMatchObject({
    status: 405,
    allow: 'GET, HEAD',
  });
  expect(await raw('PUT', `${w.url}/login`)).toMatchObject({ status: 405, allow: 'GET, HEAD, POST' });
  expect((await raw('GET', api('/nothing'), auth)).status).toBe(404);
});

// ------------------------------------------------------------------ D. plausible input

test('seasons: 2100 is refused with a clear message by the API, the form and the CLI; the form offers the window only', async () => {
  const current = currentSeason();
  const r = await call(api('/campaigns/drill/launch'), {
    method: 'POST',
    token: as('office1'),
    json: { season: 2100 },
  });
  expect(r.status).toBe(422);
  expect(r.body).toMatchObject({
    error: 'season_outside',
    message: expect.stringMatching(/^2100–2101年秋冬季不在可下达的范围内：可下达 \d{4}–\d{4} 年的秋冬季/),
  });
  const s = await login(w.url, 'office1', w.passwords.office1);
  const formLaunch = await call(`${w.url}/campaigns/launch`, {
    method: 'POST',
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ campaignId: 'drill', season: '2100', _csrf: s.csrf }).toString(),
  });
  expect(formLaunch.status).toBe(422);
  expect(formLaunch.text).toContain('2100–2101年秋冬季不在可下达的范围内');
  const cli = await runCli(['campaign', 'launch', 'drill', '--season', '2100'], {
    LANTIAN_POLICIES_DIR: fixturePoliciesDir,
    LANTIAN_DATA_DIR: tempDir('cli-season'),
  });
  expect(cli.code).not.toBe(0);
  expect(cli.err).toContain(
    `season 2100 is outside the seasons that may be launched now, ${current - 2} to ${current + 1}`,
  );
  // Nothing started for 2100.
  expect((await call(api('/obligations?season=2100'), { token: as('office1') })).body.items).toEqual([]);
  // The document says which seasons.
  const doc = (await call(`${w.url}/docs/json`)).body;
  const season =
    doc.paths['/api/campaigns/{id}/launch'].post.requestBody.content['application/json'].schema.properties.season;
  expect(season).toMatchObject({ minimum: current - 2, maximum: Math.max(current + 1, 2030) });
});

test('quantities are plain decimals within bounds (API and CLI); nothing is stored for a refused one', async () => {
  const before = blobs();
  for (const q of ['0x10', '1e300', 'Infinity', '-1', '1.1234567', '1000000001', '12,5']) {
    const r = await call(api(`/obligations/${enc(tsBoilers)}/evidence`), {
      method: 'POST',
      token: as('tangshan'),
      body: upload({ quantity: q }, { name: `q${q}.pdf`, content: pdf(`quantity ${q}`) }),
    });
    expect({ q, status: r.status, body: r.body }).toEqual({
      q,
      status: 422,
      body: {
        error: 'quantity_invalid',
        message: expect.stringContaining('无效：应为 0 至 1,000,000,000 之间的普通小数'),
      },
    });
  }
  expect(blobs()).toBe(before);
  const ok = await call(api(`/obligations/${enc(tsBoilers)}/evidence`), {
    method: 'POST',
    token: as('tangshan'),
    body: upload({ quantity: '2.5' }, { name: 'ok.pdf', content: pdf('a plausible quantity') }),
  });
  expect(ok.status).toBe(200);
  const cli = await runCli(['evidence', 'submit', tsBoilers, 'x.pdf', '--as', '130200', '--quantity', '0x10'], {
    LANTIAN_POLICIES_DIR: fixturePoliciesDir,
  });
  expect(cli.code).not.toBe(0);
  expect(cli.err).toContain('quantity "0x10" is not a plain decimal number');
});

test('bidi controls are stripped from names, notes, file names and reasons; a blank reason is refused with 422 in Chinese', async () => {
  const rlo = '\u202E';
  const r = await call(api(`/obligations/${enc(oid('voc-bypass', '130100'))}/evidence`), {
    method: 'POST',
    token: as('sjz'),
    body: upload({ note: `已封堵${rlo}成完` }, { name: `报告${rlo}fdp.exe`, content: pdf('bidi') }),
  });
  expect(r.status).toBe(200);
  expect(r.body.fileName).toBe('报告fdp.exe');
  const rec = (await call(api(`/obligations/${enc(oid('voc-bypass', '130100'))}`), { token: as('sjz') })).body;
  expect(rec.evidence.at(-1).note).toBe('已封堵成完');

  const waive = (reason: string) =>
    call(api(`/obligations/${enc(oid('monthly-report', '110000') + ':2030-12')}/waive`), {
      method: 'POST',
      token: as('office1'),
      json: { reason },
    });
  for (const blank of [' ', '\u3000', rlo, `  ${rlo}\u2066 `])
    expect(await waive(blank)).toMatchObject({
      status: 422,
      body: { error: 'reason_required', message: '理由不能为空。' },
    });
  const done = await waive(`企业${rlo}已关停`);
  expect(done.status).toBe(200);
  const waived = (
    await call(api(`/obligations/${enc(oid('monthly-report', '110000') + ':2030-12')}`), { token: as('office1') })
  ).body;
  expect(waived.timeline.find((e: { type: string }) => e.type === 'waived')).toMatchObject({ reason: '企业已关停' });

  // User names: the CLI strips them (and the name rule refuses any other control).
  const dir = tempDir('cli-bidi');
  const added = await runCli(['user', 'add', `ab${rlo}cd`, '--role', 'office', '--json'], {
    LANTIAN_DATA_DIR: dir,
    LANTIAN_POLICIES_DIR: fixturePoliciesDir,
  });
  expect(added.code).toBe(0);
  expect(JSON.parse(added.out).user.name).toBe('abcd');
});

// ------------------------------------------------------------------ E. the document tells the truth

test('the upload takes what the document names: an unknown field, a second file or a malformed body is a 400 and keeps no file', async () => {
  const before = blobs();
  const send = (body: FormData | string, headers: Record<string, string> = {}) =>
    call(api(`/obligations/${enc(tsBoilers)}/evidence`), { method: 'POST', token: as('tangshan'), headers, body });
  // The file first, then a field no one reads: refused, and the stored file removed again.
  const late = new FormData();
  late.append('quantity', '1');
  late.append('file', new Blob([pdf('a field after the file')]), 'late.pdf');
  late.append('colour', 'blue');
  expect(await send(late)).toMatchObject({
    status: 400,
    body: { error: 'evidence_unknown_field', message: expect.stringContaining('「colour」') },
  });
  const two = new FormData();
  two.append('file', new Blob([pdf('one')]), 'one.pdf');
  two.append('file', new Blob([pdf('two')]), 'two.pdf');
  expect((await send(two)).status).toBe(400);
  const malformed = await send('--x\r\nContent-Disposition: form-data; name="file"', {
    'content-type': 'multipart/form-data',
  });
  expect(malformed.status).toBe(400);
  expect(blobs()).toBe(before);
});

test('the OpenAPI document: the upload’s multipart body, every status each operation answers, 503 with Retry-After', async () => {
  const doc = (await call(`${w.url}/docs/json`)).body;
  const up = doc.paths['/api/obligations/{id}/evidence'].post;
  const body = up.requestBody.content['multipart/form-data'].schema;
  expect(body.required).toEqual(['file']);
  expect(Object.keys(body.properties).sort()).toEqual(['_csrf', 'file', 'note', 'quantity']);
  expect(body.additionalProperties).toBe(false);
  expect(body.properties.file).toMatchObject({ type: 'string', format: 'binary' });
  expect(Object.keys(up.responses).sort()).toEqual(
    ['200', '400', '401', '403', '404', '409', '413', '415', '422', '503'].sort(),
  );
  const statuses = (p: string, m = 'get') => Object.keys(doc.paths[p][m].responses).sort();
  expect(statuses('/api/me')).toEqual(['200', '401']);
  expect(statuses('/api/obligations/{id}')).toEqual(['200', '400', '401', '404', '503']);
  expect(statuses('/api/obligations.csv')).toEqual(['200', '400', '401', '503']);
  expect(statuses('/api/campaigns')).toEqual(['200', '401', '403']);
  expect(statuses('/api/obligations/{id}/waive', 'post')).toEqual(
    ['200', '400', '401', '403', '404', '409', '413', '415', '422', '503'].sort(),
  );
  expect(doc.paths['/api/obligations.csv'].get.responses['200'].content['text/csv']).toBeDefined();
  expect(up.responses['503'].headers['retry-after']).toBeDefined();
  const waive = doc.paths['/api/obligations/{id}/waive'].post.requestBody.content['application/json'].schema;
  expect(waive.properties.reason).toMatchObject({ minLength: 1, pattern: expect.any(String) });
  for (const [p, ops] of Object.entries(doc.paths) as [string, Record<string, { responses: object }>][])
    for (const [m, op] of Object.entries(ops))
      expect({
        p,
        m,
        has2xx: Object.keys(op.responses).some((k) => /^2\d\d$/.test(k)),
        has401: '401' in op.responses,
      }).toEqual({
        p,
        m,
        has2xx: true,
        has401: true,
      });
});
