// Letters in the web app, on a real dev server and worker: the print page is one HTML document
// with the letter inside it, and the letters awaiting 签收 are listed for the office and the
// supervisor (red once their 催签 fell due), in the page and the API, and refused to an assignee.
// Two obligations are started with a due date 20 days ago, so each issues its warning letter at
// once; the worker's calendar makes every recent day a working day, so whether a 签收 is overdue
// does not depend on the day the test runs.
import path from 'node:path';
import { DateTime } from 'luxon';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { resolveCampaign, type PlanRow } from '../planner/resolve';
import { searchAttributesFor } from '../client/launch';
import { readEnv } from '../config/env';
import { startWeb, type RunningWeb } from '../web/start';
import { workingDaysBetween } from '../web/letters';
import type { LantianWorker } from '../worker/registry';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { call, drillWindow, enc, login, people } from './support/web';
import {
  devServerEnv,
  fixturePolicies,
  fixturePoliciesDir,
  tempDir,
  testCalendar,
  testDeps,
  testWorker,
} from './support/temporal';

const TQ = 'lantian-letters-test';
const today = DateTime.now().setZone('Asia/Shanghai').startOf('day');
const year = today.year;
const recentWeekends = Array.from({ length: 40 }, (_, i) => today.minus({ days: i }))
  .filter((d) => d.weekday >= 6)
  .map((d) => d.toISODate()!);
const calendar = testCalendar(Math.min(year - 1, 2029), Math.max(year + 6, 2032), ['2031-01-01'], recentWeekends);

let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;
let web: RunningWeb;
const tokens: Record<string, string> = {};
const passwords: Record<string, string> = {};
const rows: Record<string, PlanRow> = {};

/** The drill's coal-boilers of a city, due 20 days ago at 00:00; its 签收 due after `acknowledgeWithin` working days. */
function overdue(assignee: string, acknowledgeWithin: number): PlanRow {
  const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
    (r) => r.obligationId === 'coal-boilers' && r.assignee === assignee,
  )!;
  const dueDate = today.minus({ days: 20 }).toISODate()!;
  return {
    ...row,
    deadline: today.minus({ days: 19 }).toUTC().toISO()!,
    input: { ...row.input, dueDate, sending: { at: '00:00', workingDaysOnly: true }, acknowledgeWithin },
  };
}

async function waitFor<T>(what: string, get: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

beforeAll(async () => {
  env = await devServerEnv(path.join(tempDir('letters-devserver'), 'temporal.db'));
  const policies = fixturePolicies();
  const deps = testDeps(calendar, policies);
  deps.policies = policies;
  worker = await testWorker(env, deps, TQ);
  running = worker.run();
  const config = readEnv({
    LANTIAN_DATA_DIR: deps.dir,
    LANTIAN_POLICIES_DIR: fixturePoliciesDir,
    LANTIAN_TASK_QUEUE: TQ,
    LANTIAN_WEB_CACHE_SECONDS: '0',
    LANTIAN_SEASON_WINDOW: drillWindow(),
  });
  web = await startWeb(config, env.client, policies, calendar, 0);
  for (const p of people) {
    const u = await web.deps.users.add(p.name, p.role, p.org);
    tokens[p.name] = u.token;
    passwords[p.name] = u.password;
  }
  rows.sjz = overdue('130100', 0);
  rows.tangshan = overdue('130200', 30);
  for (const row of Object.values(rows))
    await env.client.workflow.start(obligationWorkflow, {
      taskQueue: TQ,
      workflowId: row.workflowId,
      args: [row.input],
      typedSearchAttributes: searchAttributesFor(row),
    });
  // Both warning letters out, and 石家庄市's 催签 (its 签收 was due today at 00:00).
  for (const row of Object.values(rows))
    await waitFor(`the letters of ${row.workflowId}`, async () => {
      const rec = await env.client.workflow.getHandle(row.workflowId).query(recordQuery);
      const letter = rec.notices.find((n) => n.kind === 'warning-letter');
      const urged = rec.timeline.some((e) => e.type === 'acknowledgement-urged');
      return letter?.acknowledgeBy && rec.level === 2 && (row === rows.tangshan || urged) ? rec : undefined;
    });
}, 120_000);

afterAll(async () => {
  await web?.close();
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const url = (p: string) => `${web.url}${p}`;
/** The letters awaiting 签收 as the API lists them, once the list has caught up with the workflows. */
async function awaiting(who: string, count: number) {
  return waitFor(`${count} letters awaiting 签收`, async () => {
    await web.deps.index.refresh();
    const r = await call(url('/api/letters/unacknowledged'), { token: tokens[who] });
    expect(r.status).toBe(200);
    return r.body.items.length === count ? r.body.items : undefined;
  });
}

test('the letters awaiting 签收, for the office and the supervisor: oldest first, red once their 催签 fell due', async () => {
  const items = await awaiting('super1', 2);
  const sjz = items.find((l: { organisation: { code: string } }) => l.organisation.code === '130100');
  const ts = items.find((l: { organisation: { code: string } }) => l.organisation.code === '130200');
  expect(sjz).toMatchObject({
    workflowId: rows.sjz.workflowId,
    organisation: { name: '石家庄市' },
    kind: 'warning-letter',
    documentNumber: expect.stringMatching(/^测试大气办〔\d{4}〕\d+号$/),
    title: expect.stringMatching(/^【预警通知函】关于石家庄市/),
    issuedDate: today.toISODate(),
    workingDaysWaiting: 0,
    late: true,
  });
  expect(Date.parse(sjz.acknowledgeBy)).toBeLessThanOrEqual(Date.now());
  expect(ts).toMatchObject({ organisation: { name: '唐山市' }, late: false, workingDaysWaiting: 0 });
  expect(Date.parse(ts.acknowledgeBy)).toBeGreaterThan(Date.now());

  const office = await login(web.url, 'office1', passwords.office1);
  const page = await call(url('/letters'), { headers: { cookie: office.cookie } });
  expect(page.status).toBe(200);
  expect(page.text).toMatch(/<title>待签收函件 · 蓝天<\/title>/);
  expect(page.text).toContain('共 2 件函件待签收，其中 <span class="err">1 件已过签收期限并已催签</span>');
  const row = (code: string) => {
    const key = items.find((l: { organisation: { code: string } }) => l.organisation.code === code).key;
    return new RegExp(`<tr class="([^"]*)" data-key="${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">(.*?)</tr>`).exec(
      page.text,
    )!;
  };
  expect(row('130100')[1]).toBe('overdue');
  expect(row('130100')[2]).toContain('<td>石家庄市</td>');
  expect(row('130100')[2]).toMatch(
    new RegExp(`<td>${sjz.documentNumber.replace(/[〔〕]/g, '.')}</td><td>${today.toISODate()}</td><td[^>]*>0</td>`),
  );
  expect(row('130100')[2]).toContain('<span class="err">逾期未签收，已催签</span>');
  expect(row('130100')[2]).toContain(`href="/letters/${enc(sjz.key)}"`);
  expect(row('130200')[1]).toBe('');
  expect(row('130200')[2]).toContain('<span class="muted">待签收</span>');
  // Both the office's and the supervisor's navigation lead there.
  expect(page.text).toContain('<a href="/letters" aria-current="page">待签收函件</a>');
  const supervisor = await login(web.url, 'super1', passwords.super1);
  const board = await call(url('/scoreboard'), { headers: { cookie: supervisor.cookie } });
  expect(board.text).toContain('<a href="/letters">待签收函件</a>');

  // The API is in the OpenAPI document.
  const doc = await call(url('/docs/json'));
  expect(doc.body.paths['/api/letters/unacknowledged'].get.operationId).toBe('listUnacknowledgedLetters');

  // Acknowledged, a letter leaves the list.
  const ack = await call(url(`/api/obligations/${enc(rows.tangshan.workflowId)}/acknowledge`), {
    method: 'POST',
    token: tokens.tangshan,
    json: { notice: ts.key },
  });
  expect(ack.status).toBe(200);
  const left = await awaiting('office1', 1);
  expect(left.map((l: { organisation: { code: string } }) => l.organisation.code)).toEqual(['130100']);
});

test('an assignee may not list the letters awaiting 签收', async () => {
  const api = await call(url('/api/letters/unacknowledged'), { token: tokens.sjz });
  expect(api.status).toBe(403);
  expect(api.body.error).toBeTruthy();
  const sjz = await login(web.url, 'sjz', passwords.sjz);
  const page = await call(url('/letters'), { headers: { cookie: sjz.cookie } });
  expect(page.status).toBe(403);
  expect((await call(url('/inbox'), { headers: { cookie: sjz.cookie } })).text).not.toContain('href="/letters"');
});

test('the print page is one HTML document with the letter inside it', async () => {
  const rec = await env.client.workflow.getHandle(rows.sjz.workflowId).query(recordQuery);
  const letter = rec.notices.find((n) => n.kind === 'warning-letter')!;
  const page = await call(url(`/letters/${enc(letter.key)}`), { token: tokens.office1 });
  expect(page.status).toBe(200);
  const count = (re: RegExp) => (page.text.match(re) ?? []).length;
  expect(count(/<!doctype html>/gi)).toBe(1);
  expect(count(/<html[\s>]/gi)).toBe(1);
  expect(count(/<head[\s>]/gi)).toBe(1);
  expect(count(/<body[\s>]/gi)).toBe(1);
  expect(count(/<\/html>/gi)).toBe(1);
  expect(page.text.trim()).toMatch(/<\/html>$/);
  const article = /<article class="letter">([\s\S]*)<\/article>/.exec(page.text)![1];
  expect(article).not.toMatch(/<(html|head|body|style|title|meta)[\s>]/i);
  expect(article).toContain(`<p class="docno">${letter.documentNumber}</p>`);
  expect(article).toContain('<p class="addressee">石家庄市人民政府：</p>');
  expect(article).toContain('<p class="reference">（督办事项编号：DRILL2030-01-130100）</p>');
  expect(article).not.toMatch(/lantian[:-]/);
});

test('working days waited are counted after the issue date, holidays and weekends left out', () => {
  const cal = testCalendar(2030, 2032, ['2031-01-01']);
  // Issued Thu 2031-01-02: Fri 01-03, Mon 01-06 and Tue 01-07 are the working days since.
  expect(workingDaysBetween(cal, '2031-01-02', '2031-01-07')).toBe(3);
  expect(workingDaysBetween(cal, '2030-12-31', '2031-01-02')).toBe(1);
  expect(workingDaysBetween(cal, '2031-01-07', '2031-01-07')).toBe(0);
  // A year the calendar lacks counts Monday to Friday.
  expect(workingDaysBetween(cal, '2040-01-06', '2040-01-13')).toBe(5);
});
