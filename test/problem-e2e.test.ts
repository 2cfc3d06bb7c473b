// A problem's story in real Chromium (Debian's chromium, driven by playwright-core): an inspection
// team records a problem in its city and assigns it; the city submits its plan and a photo of the
// rectified site; the team verifies it; the supervisor's ledger shows it move from 待核查 to
// 已销号. Pages are photographed into test-artifacts/web/.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import { readEnv } from '../config/env';
import { startWeb, type RunningWeb } from '../web/start';
import { loadPolicies } from '../planner/load';
import { currentSeason } from '../domain/season';
import { devServerEnv, repo, templatesDir, testCalendar, testDeps, testWorker } from './support/temporal';
import { firstTeam, problemPolicies } from './support/problems';

const TQ = 'lantian-problem-e2e';
let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;
let web: RunningWeb;
let browser: Browser;
const passwords: Record<string, string> = {};
const shots = path.join(repo, 'test-artifacts', 'web');
const season = currentSeason();

beforeAll(async () => {
  const dir = problemPolicies('problem-e2e-policies', [firstTeam]);
  env = await devServerEnv();
  const deps = testDeps(testCalendar(2026, 2032), loadPolicies(dir, undefined, templatesDir));
  worker = await testWorker(env, deps, TQ);
  running = worker.run();
  const config = readEnv({
    LANTIAN_DATA_DIR: deps.dir,
    LANTIAN_POLICIES_DIR: dir,
    LANTIAN_TASK_QUEUE: TQ,
    LANTIAN_WEB_CACHE_SECONDS: '0',
  });
  web = await startWeb(config, env.client, loadPolicies(dir, undefined, templatesDir), testCalendar(2026, 2032), 0);
  for (const [name, role, org] of [
    ['team1', 'team', firstTeam.id],
    ['super1', 'supervisor'],
    ['sjz', 'assignee', '130100'],
  ] as const)
    passwords[name] = (await web.deps.users.add(name, role, org)).password;
  browser = await chromium.launch({
    executablePath: process.env.LANTIAN_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
    env: { ...process.env, LANGUAGE: 'zh_CN', LANG: 'zh_CN.UTF-8' },
  });
  fs.mkdirSync(shots, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  worker?.shutdown();
  await running;
  await env?.teardown();
});

async function signIn(name: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${web.url}/login`);
  await page.getByLabel('用户名').fill(name);
  await page.getByLabel('密码').fill(passwords[name]);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
  return page;
}

// Also into LANTIAN_SCREENSHOTS (docs/screenshots for the README's tour), as test/web-e2e.test.ts does.
const shot = async (page: Page, name: string) => {
  for (const dir of [
    shots,
    ...(process.env.LANTIAN_SCREENSHOTS ? [path.resolve(repo, process.env.LANTIAN_SCREENSHOTS)] : []),
  ])
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
};

/** The supervisor's count of 石家庄市's problems in `state`, read off the ledger page. */
async function ledgerCount(page: Page, state: string): Promise<string> {
  await page.goto(`${web.url}/problems?season=${season}`);
  const row = page.locator('table.ledger tbody tr', { hasText: '石家庄市' });
  const states = await page.locator('table.ledger thead th').allInnerTexts();
  return (
    await row
      .locator('td')
      .nth(states.indexOf(state) - 1)
      .innerText()
  ).trim();
}

test('a team records and assigns, the city plans and sends a photo, the team verifies, the supervisor sees the ledger change', async () => {
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

  // The team records a problem in its city and assigns it (交办).
  const team = await signIn('team1');
  // A team lands on its problems; its header names its team.
  expect(new URL(team.url()).pathname).toBe('/problems');
  await expect(team.locator('header .me').innerText()).resolves.toMatch(/^第一检查组 · 检查组\s+team1$/);
  await team.goto(`${web.url}/problems`);
  await team.getByRole('link', { name: '登记问题' }).click();
  await team.getByLabel('问题编号').fill('E2E-1');
  await team.getByLabel('点位或企业', { exact: true }).fill('某建材有限公司');
  await team.getByLabel('类别').selectOption('扬尘');
  await team.getByLabel('问题描述').fill('料场未苫盖，道路积尘');
  await team.getByLabel('发现日期').fill(today);
  // Only the team's own city is offered.
  expect(await team.getByLabel('责任单位').locator('option').allInnerTexts()).toEqual(['石家庄市']);
  // With a photo of what the team found (Chromium's own picture of a page stands in for one).
  const found = await team.screenshot({ type: 'jpeg' });
  await team.getByLabel(/现场照片/).setInputFiles({ name: '现场.jpg', mimeType: 'image/jpeg', buffer: found });
  await shot(team, 'problem-record');
  await Promise.all([
    team.waitForURL(/\/problems\/lantian-problem/),
    team.getByRole('button', { name: '登记' }).click(),
  ]);
  await expect(team.locator('dd[data-state]').innerText()).resolves.toContain('排查');
  expect(await team.locator('ul.photos li').allInnerTexts()).toEqual([expect.stringMatching(/^现场\.jpg/)]);
  await Promise.all([team.waitForLoadState('load'), team.getByRole('button', { name: '交办' }).click()]);
  await expect(team.locator('dd[data-state]').getAttribute('data-state')).resolves.toBe('交办');
  const problemUrl = team.url();

  // The city: its plan, then a photo of the rectified site.
  const city = await signIn('sjz');
  await city.goto(`${web.url}/problems`);
  await city.getByRole('link', { name: 'E2E-1' }).click();
  const due = (await city.locator('dt:has-text("整改期限") + dd').innerText()).trim();
  await city.getByLabel('整改措施').fill('料场全部苫盖，道路每日清扫');
  await city.getByLabel(/计划完成日期/).fill(due);
  await Promise.all([city.waitForLoadState('load'), city.getByRole('button', { name: '提交整改方案' }).click()]);
  await expect(city.locator('dd[data-state]').getAttribute('data-state')).resolves.toBe('整改中');
  const photo = await city.screenshot({ type: 'jpeg' });
  await city.getByLabel('照片或文件').setInputFiles({ name: '整改后.jpg', mimeType: 'image/jpeg', buffer: photo });
  await Promise.all([city.waitForLoadState('load'), city.getByRole('button', { name: '提交，申请核查' }).click()]);
  await expect(city.locator('dd[data-state]').getAttribute('data-state')).resolves.toBe('待核查');
  await shot(city, 'problem-city-evidence');

  const supervisor = await signIn('super1');
  expect(await ledgerCount(supervisor, '待核查')).toBe('1');
  expect(await ledgerCount(supervisor, '已销号')).toBe('0');

  // The team verifies: 销号.
  await team.goto(problemUrl);
  await Promise.all([team.waitForLoadState('load'), team.getByRole('button', { name: '核查通过，销号' }).click()]);
  await expect(team.locator('dd[data-state]').getAttribute('data-state')).resolves.toBe('已销号');
  const timeline = await team.locator('ol.timeline li').allInnerTexts();
  expect(timeline.map((t) => t.replace(/^\S+ \S+ /, '').split(' · ')[0])).toEqual([
    '发现问题',
    '交办',
    '提交整改方案',
    '提交整改材料',
    '核查通过，销号',
  ]);
  await shot(team, 'problem-verified');

  // The supervisor's ledger has changed; the count drills down to the problem.
  expect(await ledgerCount(supervisor, '待核查')).toBe('0');
  expect(await ledgerCount(supervisor, '已销号')).toBe('1');
  await supervisor.locator('table.ledger tbody a[data-state="已销号"]').click();
  await expect(supervisor.locator('table.problems tbody tr').allInnerTexts()).resolves.toEqual([
    expect.stringContaining('E2E-1'),
  ]);
  await shot(supervisor, 'problem-ledger');

  // The supervisor opens the team's photo from the problem's page: the picture as taken.
  await supervisor.goto(problemUrl);
  const href = await supervisor.locator('ul.photos a').getAttribute('href');
  const opened = await supervisor.request.get(`${web.url}${href}`);
  expect([opened.status(), opened.headers()['content-type']]).toEqual([200, 'image/jpeg']);
  expect(await opened.body()).toEqual(found);
}, 600_000);
