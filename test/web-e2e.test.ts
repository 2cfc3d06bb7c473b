// End to end in real Chromium (Debian's chromium, driven by playwright-core), one story per role's
// main job: the city finds what is due soonest, uploads and reads its receipt and what comes next;
// the office previews the PDF, accepts it, extends another obligation and launches the season
// under way; the supervisor drills from the scoreboard to an escalated obligation and its letter,
// and downloads the list as .xlsx. Every page is photographed at 1280 × 900 (a few at 1024 wide)
// into test-artifacts/web/, and into LANTIAN_SCREENSHOTS (docs/screenshots for the README's tour).
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { call, enc, oid, startWebEnv, type WebEnv } from './support/web';
import { repo } from './support/temporal';
import { currentSeason } from '../domain/season';

let w: WebEnv;
const isClosed = (s: string) => ['met', 'met-late', 'waived', 'unmet'].includes(s);
let browser: Browser;
const shots = [path.join(repo, 'test-artifacts', 'web')];
if (process.env.LANTIAN_SCREENSHOTS) shots.push(path.resolve(repo, process.env.LANTIAN_SCREENSHOTS));

beforeAll(async () => {
  w = await startWebEnv();
  const launch = (json: object) =>
    call(`${w.url}/api/campaigns/drill/launch`, { method: 'POST', token: w.tokens.office1, json });
  // The drill's season 2030 for the city and the office; its season 2025, long ended, launched
  // late so that its obligations are overdue and escalated for the supervisor.
  expect((await launch({ season: 2030 })).status).toBe(200);
  expect((await launch({ season: 2025, allowPast: true, provisionalCalendar: true })).status).toBe(200);
  await closed(2025);
  browser = await chromium.launch({
    executablePath: process.env.LANTIAN_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
    // The browser's own words (file pickers, date fields) in Chinese, as the users' browsers say
    // them: Chromium on Linux takes its language from LANGUAGE (Debian's chromium-l10n); LANG
    // stays a UTF-8 locale that exists, or file names in Chinese would not reach the page.
    env: { ...process.env, LANGUAGE: 'zh_CN', LANG: 'C.UTF-8' },
  });
  for (const dir of shots) fs.mkdirSync(dir, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.teardown();
});

async function newPage(width = 1280): Promise<Page> {
  const context = await browser.newContext({
    locale: 'zh-CN',
    viewport: { width, height: 900 },
    acceptDownloads: true,
  });
  return context.newPage();
}

async function signIn(name: string, width = 1280): Promise<Page> {
  const page = await newPage(width);
  await page.goto(`${w.url}/login`);
  await page.getByLabel('用户名').fill(name);
  await page.getByLabel('密码').fill(w.passwords[name]);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
  await page.waitForLoadState('networkidle');
  return page;
}

async function shot(page: Page, name: string) {
  await page.waitForLoadState('networkidle');
  for (const dir of shots) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** A real PDF (printed by Chromium) for the city to upload and the office to preview. */
async function listPdf(): Promise<Buffer> {
  const page = await newPage();
  await page.setContent(
    '<h1>淘汰35蒸吨/小时以下燃煤锅炉 拆除清单</h1><p>石家庄市生态环境局 2030年12月</p><table border="1" cellpadding="6"><tr><th>序号</th><th>企业</th><th>锅炉</th><th>拆除日期</th></tr>' +
      Array.from(
        { length: 12 },
        (_, i) =>
          `<tr><td>${i + 1}</td><td>企业 ${i + 1}</td><td>10蒸吨/小时</td><td>2030-11-${String(i + 10)}</td></tr>`,
      ).join('') +
      '</table>',
  );
  const pdf = await page.pdf({ format: 'A4' });
  await page.context().close();
  return pdf;
}

/** The page fits the window: nothing scrolls sideways but the tables' own boxes. */
async function fitsWidth(page: Page) {
  // Evaluated in the page (the tests compile without the DOM's types).
  const { scroll, client } = await page.evaluate<{ scroll: number; client: number }>(
    '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
  );
  expect(scroll).toBeLessThanOrEqual(client);
}

/**
 * One look at the API while waiting on the workflows: a connection the loaded server dropped
 * (ECONNRESET on a reused keep-alive socket) is looked at again rather than failing the wait.
 */
const poll = (p: string) =>
  call(`${w.url}${p}`, { token: w.tokens.super1 }).then(
    (r) => r.body,
    () => undefined,
  );

/** Waits until every obligation of the drill's season is closed (a late launch closes them at once, in the workflows' own time). */
async function closed(season: number) {
  for (const until = Date.now() + 120_000; Date.now() < until;) {
    await w.web.deps.index.refresh();
    const items = (await poll(`/api/obligations?campaign=drill&season=${season}`))?.items;
    if (items?.length && items.every((r: { status: string }) => isClosed(r.status))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`season ${season} of the drill did not close`);
}

/** The obligation's record once its first letter is issued (the notice pipeline works on its own time). */
async function withLetter(id: string) {
  for (const until = Date.now() + 120_000; Date.now() < until;) {
    const rec = await poll(`/api/obligations/${enc(id)}`);
    if (rec?.notices?.some((n: { documentNumber?: string }) => n.documentNumber)) return rec;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no letter was issued for ${id}`);
}

test('the city finds what is due soonest, uploads its evidence, reads the receipt and what comes next', async () => {
  const login = await newPage();
  await login.goto(`${w.url}/login`);
  // The login page says what the system is before anyone signs in.
  expect(await login.locator('main h1').textContent()).toBe('蓝天');
  await shot(login, 'login');
  await login.getByLabel('用户名').fill('sjz');
  await login.getByLabel('密码').fill('wrong password');
  await login.click('button[type=submit]');
  await login.waitForURL(/\/login\?reason=/);
  // A refusal is shown beside the form, and the name field points to it.
  expect(await login.locator('form #login-error').count()).toBe(1);
  expect(await login.getByLabel('用户名').getAttribute('aria-describedby')).toBe('login-error');
  await shot(login, 'login-refused');

  const city = await signIn('sjz');
  expect(new URL(city.url()).pathname).toBe('/inbox');
  expect(await city.locator('nav a[aria-current=page]').getAttribute('href')).toBe('/inbox');
  // The inbox: open obligations first, the one due soonest at the top.
  const rows = await city
    .locator('table tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => ({ status: tr.className, due: tr.querySelector('td')!.textContent!.trim() })),
    );
  const open = rows.filter((r) => !isClosed(r.status));
  expect(open.length).toBeGreaterThan(0);
  expect(rows.slice(0, open.length)).toEqual(open);
  expect(open.map((r) => r.due)).toEqual([...open.map((r) => r.due)].sort());
  await shot(city, 'city-inbox');

  await city.locator('table tbody tr').first().locator('td a').first().click();
  await city.waitForLoadState('networkidle');
  const id = decodeURIComponent(new URL(city.url()).pathname.split('/')[2]);
  const quantity = city.locator('input[name=quantity]');
  if (await quantity.count()) await quantity.fill('12');
  await city.getByLabel('说明').fill('已拆除，附清单');
  const file = path.join(w.deps.dir, '拆除清单.pdf');
  fs.writeFileSync(file, await listPdf());
  await city.locator('input[type=file][name=file]').setInputFiles(file);
  await city.click('form[enctype="multipart/form-data"] button');
  await city.waitForSelector('#receipt');
  // Post/Redirect/Get: the receipt is on the obligation page; a reload sends nothing again.
  expect(city.url()).toBe(`${w.url}/obligations/${enc(id)}?received=E1`);
  expect(await city.textContent('#receipt')).toMatch(/E1[\s\S]*[0-9a-f]{64}/);
  expect(await city.textContent('header .me')).toMatch(/^石家庄市/);
  // What comes next: the schedule ahead, in order, the deadline among it.
  expect(await city.locator('#plan-ahead tbody tr').count()).toBeGreaterThan(0);
  expect(await city.locator('#plan-ahead tr.plan-deadline').count()).toBe(1);
  const rec = (await call(`${w.url}/api/obligations/${enc(id)}`, { token: w.tokens.sjz })).body;
  expect(rec).toMatchObject({ status: 'submitted', evidence: [{ id: 'E1', state: 'pending' }] });
  await shot(city, 'city-obligation');

  // At 1024 px the inbox still fits: the page does not scroll sideways.
  const narrow = await signIn('sjz', 1024);
  await fitsWidth(narrow);
  await shot(narrow, 'city-inbox-1024');
});

test('the office previews the PDF, accepts it, extends another obligation and launches the season under way', async () => {
  const office = await signIn('office1');
  expect(new URL(office.url()).pathname).toBe('/review');
  expect(await office.locator('nav a[aria-current=page]').getAttribute('href')).toBe('/review');
  // The file is seen before it is judged: a preview from the app's own inline route.
  const refused: string[] = [];
  office.on('console', (m) => /Refused to (frame|load)/.test(m.text()) && refused.push(m.text()));
  await office.reload();
  await office.waitForLoadState('networkidle');
  // The city's submission is the one in the queue; its PDF is framed beside the decision.
  const preview = office.locator('iframe.preview');
  const src = (await preview.getAttribute('src'))!;
  expect(src).toMatch(/^\/obligations\/[^/]+\/evidence\/E1$/);
  const id = decodeURIComponent(src.split('/')[2]);
  expect(id).toMatch(/:130100(:|$)/);
  expect(refused).toEqual([]);
  const opened = await office.request.get(`${w.url}/obligations/${enc(id)}/evidence/E1`);
  expect(opened.headers()['content-type']).toBe('application/pdf');
  expect(opened.headers()['content-disposition']).toMatch(/^inline; /);
  expect((await opened.body()).equals(fs.readFileSync(path.join(w.deps.dir, '拆除清单.pdf')))).toBe(true);
  await shot(office, 'office-review');
  const narrow = await signIn('office1', 1024);
  await fitsWidth(narrow);
  await shot(narrow, 'office-review-1024');

  await office.getByPlaceholder('审核意见（可选）').fill('核实无误');
  await office.click('button:has-text("通过")');
  await office.waitForSelector('p.ok');
  expect(new URL(office.url()).pathname).toBe(`/obligations/${enc(id)}`);
  expect(await office.locator('#downloads').textContent()).toContain('office1');
  expect((await call(`${w.url}/api/obligations/${enc(id)}`, { token: w.tokens.office1 })).body.status).toBe('met');

  // Another obligation, found in the list, extended with a reason.
  const tangshan = oid('coal-boilers', '130200');
  await office.click('nav a[href="/obligations"]');
  await office.selectOption('select[name=season]', '2030');
  await office.click('.filters button');
  await office.waitForLoadState('networkidle');
  await office.click(`table a[href="/obligations/${enc(tangshan)}"]`);
  const extend = office.locator('form[action$="/extend"]');
  await extend.getByLabel('新截止日期').fill('2031-02-28');
  await extend.getByLabel('理由').fill('设备采购延迟');
  await extend.locator('button').click();
  await office.waitForSelector('p.ok');
  expect((await call(`${w.url}/api/obligations/${enc(tangshan)}`, { token: w.tokens.office1 })).body).toMatchObject({
    dueDate: '2031-02-28',
    timeline: expect.arrayContaining([expect.objectContaining({ type: 'extended', reason: '设备采购延迟' })]),
  });
  await shot(office, 'office-extended');

  // The season under way is offered first; launched, the campaigns page lists it as launched.
  const season = currentSeason();
  await office.click('nav a[href="/campaigns"]');
  const form = office.locator('form[action="/campaigns/launch"]:has(input[name=campaignId][value=drill])');
  expect(await form.locator('select[name=season]').inputValue()).toBe(String(season));
  expect(await office.locator(`#launched tr[data-campaign=drill][data-season="${season}"]`).count()).toBe(0);
  await shot(office, 'office-campaigns');
  await form.locator('button').click();
  await office.waitForLoadState('networkidle');
  await office.goto(`${w.url}/campaigns`);
  const launched = office.locator(`#launched tr[data-campaign=drill][data-season="${season}"]`);
  expect(await launched.count()).toBe(1);
  await shot(office, 'office-launched');
});

test('the supervisor drills from the scoreboard to an escalated obligation and its letter, and downloads the .xlsx', async () => {
  const supervisor = await signIn('super1');
  expect(new URL(supervisor.url()).pathname).toBe('/scoreboard');
  await supervisor.goto(`${w.url}/scoreboard?campaign=drill&season=2025`);
  const row = supervisor.locator('#scoreboard tr[data-org="130100"]');
  expect(await row.count()).toBe(1);
  await shot(supervisor, 'supervisor-scoreboard');
  const narrow = await signIn('super1', 1024);
  await narrow.goto(`${w.url}/scoreboard?campaign=drill&season=2025`);
  await fitsWidth(narrow);
  await shot(narrow, 'supervisor-scoreboard-1024');

  // The organisation's name drills down to its list, filtered to the same season.
  await row.locator('td a').first().click();
  await supervisor.waitForLoadState('networkidle');
  const q = new URL(supervisor.url()).searchParams;
  expect(new URL(supervisor.url()).pathname).toBe('/obligations');
  expect({ assignee: q.get('assignee'), campaign: q.get('campaign'), season: q.get('season') }).toEqual({
    assignee: '130100',
    campaign: 'drill',
    season: '2025',
  });
  const listed = await supervisor.locator('table tbody tr').count();
  expect(listed).toBeGreaterThan(0);
  await shot(supervisor, 'supervisor-list');

  // An escalated obligation: its level on the list, its escalation and letter on its page.
  await supervisor.locator('table tbody tr:has(.lvl) td a').first().click();
  await supervisor.waitForLoadState('networkidle');
  const id = decodeURIComponent(new URL(supervisor.url()).pathname.split('/')[2]);
  const rec = await withLetter(id);
  expect(rec.level).toBeGreaterThan(0);
  expect(rec.timeline.some((e: { type: string }) => e.type === 'escalated')).toBe(true);
  await supervisor.reload();
  const letter = supervisor.locator('ol.timeline a[href^="/letters/"]').first();
  await letter.waitFor();
  await shot(supervisor, 'supervisor-obligation');
  await letter.click();
  await supervisor.waitForLoadState('networkidle');
  expect(new URL(supervisor.url()).pathname).toMatch(/^\/letters\//);
  expect(await supervisor.locator('article.letter').count()).toBe(1);
  await shot(supervisor, 'supervisor-letter');

  // The list as .xlsx (GET /api/obligations.xlsx with the list's filters), opened and read.
  const filters = `campaign=drill&season=2025&assignee=130100`;
  const xlsx = await supervisor.request.get(`${w.url}/api/obligations.xlsx?${filters}`);
  expect(xlsx.status()).toBe(200);
  expect(xlsx.headers()['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await xlsx.body()) as unknown as ArrayBuffer);
  const ws = wb.worksheets[0];
  const values: string[][] = [];
  ws.eachRow((r) => values.push((r.values as unknown[]).slice(1).map((v) => String(v ?? ''))));
  const header = values.findIndex((r) => r.includes('责任单位'));
  expect(header).toBeGreaterThanOrEqual(0);
  const data = values.slice(header + 1);
  expect(data).toHaveLength(listed);
  const org = values[header].indexOf('责任单位');
  expect(data.every((r) => r[org] === '石家庄市')).toBe(true);
  expect(data.some((r) => r.includes(id))).toBe(true);
  // The same file from the page's own export link, as a person downloads it.
  await supervisor.goto(`${w.url}/obligations?${filters}`);
  const [download] = await Promise.all([
    supervisor.waitForEvent('download'),
    supervisor.click('a[href^="/obligations.xlsx"]'),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
});
