// WCAG 2.1 A/AA checks with axe-core in real Chromium on every page each role opens: the login
// page (with and without its error), the city's inbox, obligation pages with evidence and letters,
// the office's review queue, campaigns, overview and lists, the supervisor's scoreboard, the
// letters awaiting 签收, a letter and a 404; the problems' ledger, a problem in each state with its
// forms and the form that records one. Any serious or critical violation fails the test, listed
// with the elements it is on.
import { firstTeam, problemPolicies } from './support/problems';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import { readEnv } from '../config/env';
import { startWeb, type RunningWeb } from '../web/start';
import { loadPolicies } from '../planner/load';
import { currentSeason } from '../domain/season';
import { call, enc, oid, startWebEnv, upload, type WebEnv } from './support/web';
import { devServerEnv, templatesDir, testCalendar, testDeps, testWorker } from './support/temporal';

let w: WebEnv;
let browser: Browser;
const voc = oid('voc-bypass', '130100');
const pastBoilers = oid('coal-boilers', '130100', 2025);
let letterKey: string;

const axePath = require.resolve('axe-core/axe.min.js');

beforeAll(async () => {
  w = await startWebEnv();
  const api = (p: string) => `${w.url}/api${p}`;
  const launch = (json: object) =>
    call(api('/campaigns/drill/launch'), { method: 'POST', token: w.tokens.office1, json });
  expect((await launch({ season: 2030 })).status).toBe(200);
  // A season that has ended: its obligations are overdue at once and their letters go out, so
  // there are escalated obligations and a stored letter to check.
  expect((await launch({ season: 2025, allowPast: true, provisionalCalendar: true })).status).toBe(200);
  const sent = await call(api(`/obligations/${enc(voc)}/evidence`), {
    method: 'POST',
    token: w.tokens.sjz,
    body: upload({ note: '旁路已全部封堵' }, { name: '封堵清单.pdf', content: '%PDF-1.7\nlist\n%%EOF\n' }),
  });
  expect(sent.status).toBe(200);
  letterKey = await firstLetter(pastBoilers);
  await w.web.deps.index.refresh();
  browser = await chromium.launch({
    executablePath: process.env.LANTIAN_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
    env: { ...process.env, LANGUAGE: 'zh_CN', LANG: 'C.UTF-8' },
  });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await w?.teardown();
});

/**
 * One look at the API while waiting on the workflows: a connection the loaded server dropped
 * (ECONNRESET on a reused keep-alive socket) is looked at again rather than failing the wait.
 */
const poll = (p: string) =>
  call(`${w.url}${p}`, { token: w.tokens.super1 }).then(
    (r) => r.body,
    () => undefined,
  );

/** The key of the obligation's first stored letter, once the notice pipeline has issued it. */
async function firstLetter(id: string): Promise<string> {
  for (const until = Date.now() + 120_000; Date.now() < until;) {
    const rec = await poll(`/api/obligations/${enc(id)}`);
    const letter = rec?.notices?.find((n: { documentNumber?: string }) => n.documentNumber);
    if (letter) return letter.key;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no letter was issued for ${id}`);
}

// axe is injected as a script tag; the app's CSP (script-src 'self') would refuse it, so this
// context alone bypasses the CSP. The pages' own script and style are the same either way.
async function open(name?: string, at: { url: string; passwords: Record<string, string> } = w): Promise<Page> {
  const context = await browser.newContext({
    locale: 'zh-CN',
    viewport: { width: 1280, height: 900 },
    bypassCSP: true,
  });
  const page = await context.newPage();
  if (!name) return page;
  await page.goto(`${at.url}/login`);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', at.passwords[name]);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
  return page;
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** The serious and critical violations of WCAG 2.0/2.1 A and AA on each page, as readable lines. */
async function check(page: Page, paths: string[], url = w.url): Promise<string[]> {
  const found: string[] = [];
  for (const p of paths) {
    const r = await page.goto(`${url}${p}`);
    expect({ path: p, status: r?.status() }).toEqual({ path: p, status: p.startsWith('/nowhere') ? 404 : 200 });
    await page.waitForLoadState('networkidle');
    await page.addScriptTag({ path: axePath });
    // Evaluated in the page (the tests compile without the DOM's types).
    const violations = await page.evaluate<Violation[]>(
      "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations)",
    );
    for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical'))
      found.push(
        `${p}: ${v.id} (${v.impact}) ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`,
      );
  }
  return found;
}

test('the login page, with and without its error', async () => {
  const page = await open();
  expect(await check(page, ['/login', `/login?reason=${enc('用户名或密码错误')}`])).toEqual([]);
  // Every field is labelled: the name and password are found by their labels.
  await page.getByLabel('用户名').fill('x');
  await page.getByLabel('密码').fill('y');
  await page.close();
});

test('every page a city opens', async () => {
  const page = await open('sjz');
  expect(
    await check(page, [
      '/inbox',
      `/obligations/${enc(voc)}?received=E1`,
      `/obligations/${enc(pastBoilers)}`,
      `/letters/${enc(letterKey)}`,
      '/nowhere',
    ]),
  ).toEqual([]);
  await page.close();
});

test('every page the office opens', async () => {
  const page = await open('office1');
  expect(
    await check(page, [
      '/review',
      '/campaigns',
      '/letters',
      '/overview',
      '/obligations',
      '/obligations?campaign=drill&status=overdue',
      `/obligations/${enc(voc)}`,
      `/obligations/${enc(pastBoilers)}`,
      `/letters/${enc(letterKey)}`,
    ]),
  ).toEqual([]);
  await page.close();
});

test('every page the supervisor opens', async () => {
  const page = await open('super1');
  expect(
    await check(page, [
      '/scoreboard',
      '/scoreboard?campaign=drill&season=2025',
      '/letters',
      '/obligations',
      `/obligations/${enc(voc)}`,
      `/obligations/${enc(pastBoilers)}`,
      `/letters/${enc(letterKey)}`,
    ]),
  ).toEqual([]);
  await page.close();
});

/** The focused element: its text, id and outline style. */
const focused = (page: Page) =>
  page.evaluate<{ text: string; id: string; outline: string }>(
    '(() => { const el = document.activeElement; return { text: el.textContent, id: el.id, outline: getComputedStyle(el).outlineStyle }; })()',
  );

test('keyboard: the skip link leads to the content, and every control shows where the focus is', async () => {
  const page = await open('office1');
  await page.goto(`${w.url}/obligations`);
  await page.keyboard.press('Tab');
  expect(await focused(page)).toEqual({ text: '跳到正文', id: '', outline: 'solid' });
  await page.keyboard.press('Enter');
  expect((await focused(page)).id).toBe('content');
  // Tabbing on through the filters and the list: each control shows a solid outline when focused.
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    expect((await focused(page)).outline).toBe('solid');
  }
  await page.close();
});

/**
 * The problems' pages, on a server of their own: the drill fixtures with the shipped problems
 * policy beside them (as the problem tests set it up). Problems in 排查, 交办 and 待核查 show
 * every form a page has: 交办 and 核查 for the office, 整改方案, evidence and 举一反三 for the city.
 */
describe('the problems pages', () => {
  const TQ = 'lantian-a11y-problems';
  const calendar = testCalendar(2026, 2032);
  const season = currentSeason();
  let env: TestWorkflowEnvironment;
  let worker: LantianWorker;
  let running: Promise<void>;
  let web: RunningWeb;
  const passwords: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const dir = problemPolicies('a11y-problem-policies', [firstTeam]);
    env = await devServerEnv();
    const deps = testDeps(calendar, loadPolicies(dir, undefined, templatesDir));
    worker = await testWorker(env, deps, TQ);
    running = worker.run();
    const config = readEnv({
      LANTIAN_DATA_DIR: deps.dir,
      LANTIAN_POLICIES_DIR: dir,
      LANTIAN_TASK_QUEUE: TQ,
      LANTIAN_WEB_CACHE_SECONDS: '0',
    });
    web = await startWeb(config, env.client, loadPolicies(dir, undefined, templatesDir), calendar, 0);
    for (const [name, role, org] of [
      ['office1', 'office'],
      ['super1', 'supervisor'],
      ['sjz', 'assignee', '130100'],
      ['team1', 'team', firstTeam.id],
    ] as const) {
      const u = await web.deps.users.add(name, role, org);
      passwords[name] = u.password;
      tokens[name] = u.token;
    }
    const post = async (who: string, p: string, init: Parameters<typeof call>[1], status = 200) => {
      const r = await call(`${web.url}/api${p}`, { method: 'POST', token: tokens[who], ...init });
      expect({ p, status: r.status }).toEqual({ p, status });
      return r.body;
    };
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    for (const number of ['A11Y-1', 'A11Y-2', 'A11Y-3'])
      ids[number] = (
        await post(
          'office1',
          '/problems',
          {
            json: {
              campaign: 'drill',
              season,
              number,
              assignee: '130100',
              site: `某建材有限公司${number}`,
              category: '扬尘',
              description: '料场未苫盖，道路积尘',
              foundDate: today,
            },
          },
          201,
        )
      ).workflowId;
    // A11Y-1 stays in 排查; A11Y-2 is assigned (交办); A11Y-3 has its plan and a photo (待核查).
    for (const n of ['A11Y-2', 'A11Y-3']) await post('office1', `/problems/${enc(ids[n])}/assign`, { json: {} });
    const rec = (await call(`${web.url}/api/problems/${enc(ids['A11Y-3'])}`, { token: tokens.sjz })).body;
    await post('sjz', `/problems/${enc(ids['A11Y-3'])}/plan`, {
      json: { plan: '料场全部苫盖', completeBy: rec.dueDate },
    });
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]);
    await post('sjz', `/problems/${enc(ids['A11Y-3'])}/evidence`, {
      body: upload({ note: '整改后照片' }, { name: '整改后.jpg', content: jpeg }),
    });
  }, 180_000);
  afterAll(async () => {
    await web?.close();
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  const problem = (n: string) => `/problems/${enc(ids[n])}`;
  /** The headings of the forms on a problem's page: what was checked is the page with its forms. */
  const forms = async (page: Page, n: string) => {
    await page.goto(`${web.url}${problem(n)}`);
    return page.locator('form.action h3').allInnerTexts();
  };

  test('the office: the ledger, a filtered list, the record form and each problem with its forms', async () => {
    const page = await open('office1', { url: web.url, passwords });
    expect(
      await check(
        page,
        [
          '/problems',
          `/problems?season=${season}&assignee=130100&state=${enc('待核查')}`,
          '/problems/new',
          problem('A11Y-1'),
          problem('A11Y-3'),
        ],
        web.url,
      ),
    ).toEqual([]);
    expect(await forms(page, 'A11Y-1')).toEqual(['交办']);
    expect(await forms(page, 'A11Y-3')).toEqual(['核查']);
    await page.close();
  });

  test('the city and the supervisor: the ledger and their problems', async () => {
    const city = await open('sjz', { url: web.url, passwords });
    expect(await check(city, ['/problems', problem('A11Y-2'), problem('A11Y-3')], web.url)).toEqual([]);
    expect(await forms(city, 'A11Y-2')).toEqual(['整改方案', '举一反三']);
    await city.close();
    const supervisor = await open('super1', { url: web.url, passwords });
    expect(await check(supervisor, ['/problems', problem('A11Y-3')], web.url)).toEqual([]);
    await supervisor.close();
  });

  test('the inspection team: its ledger, the record form and a problem to verify', async () => {
    const team = await open('team1', { url: web.url, passwords });
    expect(await check(team, ['/problems', '/problems/new', problem('A11Y-3')], web.url)).toEqual([]);
    expect(await forms(team, 'A11Y-3')).toEqual(['核查']);
    await team.close();
  });
});
