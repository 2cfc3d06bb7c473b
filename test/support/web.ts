// The web app on a real dev server with a real worker, for the API and browser tests: users of
// each role, HTTP helpers for Bearer tokens and browser-like sessions (login form, cookie, CSRF).
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../../worker/registry';
import { readEnv } from '../../config/env';
import { startWeb, type RunningWeb } from '../../web/start';
import { currentSeason } from '../../domain/season';
import { checkRefusalLanguage } from './language';
import {
  devServerEnv,
  fixturePolicies,
  fixturePoliciesDir,
  tempDir,
  testCalendar,
  testDeps,
  testWorker,
  type TestDeps,
} from './temporal';

export const TQ = 'lantian-web-test';
export const calendar = testCalendar(2026, 2032, ['2031-01-01']);

export interface WebEnv {
  env: TestWorkflowEnvironment;
  deps: TestDeps;
  worker: LantianWorker;
  running: Promise<void>;
  web: RunningWeb;
  url: string;
  tokens: Record<string, string>;
  passwords: Record<string, string>;
  teardown(): Promise<void>;
}

export const people = [
  { name: 'office1', role: 'office' as const },
  { name: 'super1', role: 'supervisor' as const },
  { name: 'sjz', role: 'assignee' as const, org: '130100' },
  { name: 'tangshan', role: 'assignee' as const, org: '130200' },
];

/**
 * The drill is written for season 2030: the seasons that may be launched reach it from the
 * season under way (LANTIAN_SEASON_WINDOW), whatever year the tests run in.
 */
export const drillWindow = () => `2,${Math.max(1, 2030 - currentSeason())}`;

export async function startWebEnv(
  extraEnv: Record<string, string> = {},
  opts: { logStream?: NodeJS.WritableStream } = {},
): Promise<WebEnv> {
  const env = await devServerEnv(path.join(tempDir('web-devserver'), 'temporal.db'));
  const deps = testDeps(calendar);
  const worker = await testWorker(env, deps, TQ);
  const running = worker.run();
  const config = readEnv({
    LANTIAN_DATA_DIR: deps.dir,
    LANTIAN_POLICIES_DIR: fixturePoliciesDir,
    LANTIAN_TASK_QUEUE: TQ,
    LANTIAN_WEB_CACHE_SECONDS: '0',
    LANTIAN_SEASON_WINDOW: drillWindow(),
    ...extraEnv,
  });
  const web = await startWeb(config, env.client, fixturePolicies(), calendar, 0, opts);
  const tokens: Record<string, string> = {};
  const passwords: Record<string, string> = {};
  for (const p of people) {
    const u = web.deps.users.add(p.name, p.role, p.org);
    tokens[p.name] = u.token;
    passwords[p.name] = u.password;
  }
  return {
    env,
    deps,
    worker,
    running,
    web,
    url: web.url,
    tokens,
    passwords,
    async teardown() {
      await web.close();
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  headers: Headers;
}

export async function call(url: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const r = await fetch(url, { ...init, headers, body, redirect: 'manual' });
  const text = await r.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* a page */
  }
  // Every refusal any test provokes is read by a person: Chinese, with a code for programs.
  checkRefusalLanguage(`${init.method ?? 'GET'} ${url}`, r.status, r.headers.get('content-type') ?? '', text, parsed);
  return { status: r.status, body: parsed, text, headers: r.headers };
}

/** Logs in through the form as a browser would; returns the session cookie and its CSRF token. */
export async function login(
  url: string,
  name: string,
  password: string,
): Promise<{ cookie: string; csrf: string; sessionId: string }> {
  const form = await fetch(`${url}/login`, { redirect: 'manual' });
  const loginCookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  const r = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name, password, _csrf: token }).toString(),
  });
  const session = r.headers.getSetCookie().find((c) => c.startsWith('lantian_session='));
  if (!session) throw new Error(`login of ${name} failed: ${r.status} ${r.headers.get('location')}`);
  const cookie = session.split(';')[0];
  const page = await fetch(`${url}${r.headers.get('location')}`, { headers: { cookie }, redirect: 'manual' });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  return { cookie, csrf, sessionId: decodeURIComponent(cookie.split('=')[1]).split('.')[0] };
}

export function upload(fields: Record<string, string>, file?: { name: string; content: Buffer | string }): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (file)
    f.append(
      'file',
      new Blob([typeof file.content === 'string' ? Buffer.from(file.content) : file.content]),
      file.name,
    );
  return f;
}

export const oid = (obligation: string, assignee: string, season = 2030) =>
  `lantian:drill:${season}:${obligation}:${assignee}`;
export const enc = encodeURIComponent;
