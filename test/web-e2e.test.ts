// End to end in real Chromium (Debian's chromium, driven by playwright-core): a city logs in
// and uploads evidence, the office accepts it, the supervisor sees the timeline and the
// scoreboard change. Screenshots of each page go to test-artifacts/.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { call, enc, oid, startWebEnv, type WebEnv } from './support/web';
import { repo } from './support/temporal';

let w: WebEnv;
let browser: Browser;
const shots = path.join(repo, 'test-artifacts', 'web');

beforeAll(async () => {
  w = await startWebEnv();
  const launched = await call(`${w.url}/api/campaigns/drill/launch`, {
    method: 'POST',
    token: w.tokens.office1,
    json: { season: 2030 },
  });
  expect(launched.status).toBe(200);
  await w.web.deps.index.refresh();
  browser = await chromium.launch({
    executablePath: process.env.LANTIAN_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  fs.mkdirSync(shots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await w?.teardown();
});

async function signIn(name: string): Promise<Page> {
  const page = await (await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${w.url}/login`);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', w.passwords[name]);
  await page.click('button:has-text("登录")');
  await page.waitForLoadState('networkidle');
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

test('a city uploads, the office accepts, the supervisor sees the timeline and the scoreboard change', async () => {
  const id = oid('voc-bypass', '130100');
  const city = await signIn('sjz');
  expect(city.url()).toMatch(/\/inbox$/);
  await shot(city, '1-assignee-inbox');
  await city.click(`a[href="/obligations/${enc(id)}"]`);
  await city.fill('input[name=note]', '旁路已全部封堵');
  const file = path.join(w.deps.dir, '封堵清单.pdf');
  fs.writeFileSync(file, '%PDF-1.7\nVOC bypass sealing list\n%%EOF\n');
  await city.setInputFiles('input[type=file]', file);
  await city.click('button:has-text("提交")');
  await city.waitForSelector('#receipt');
  expect(await city.textContent('#receipt')).toMatch(/已收到材料 E1[\s\S]*sha256 [0-9a-f]{64}/);
  // Post/Redirect/Get: the receipt is on the obligation page; a reload sends nothing again.
  expect(city.url()).toBe(`${w.url}/obligations/${enc(id)}?received=E1`);
  expect(await city.textContent('header .me')).toMatch(/^石家庄市 · 责任单位/);
  expect(await city.textContent('#plan-ahead')).toContain('截止');
  await shot(city, '2-assignee-receipt');

  const office = await signIn('office1');
  expect(office.url()).toMatch(/\/review$/);
  // The office sees the file before judging it: a preview from the app's own inline route.
  const refusedFrames: string[] = [];
  office.on('console', (m) => /Refused to (frame|load)/.test(m.text()) && refusedFrames.push(m.text()));
  await office.reload();
  await office.waitForLoadState('networkidle');
  const preview = office.locator('iframe.preview');
  expect(await preview.getAttribute('src')).toBe(`/obligations/${enc(id)}/evidence/E1`);
  expect(refusedFrames).toEqual([]);
  const opened = await office.request.get(`${w.url}/obligations/${enc(id)}/evidence/E1`);
  expect(opened.headers()['content-type']).toBe('application/pdf');
  expect(opened.headers()['content-disposition']).toMatch(
    /^inline; .*filename\*=UTF-8''%E5%B0%81%E5%A0%B5%E6%B8%85%E5%8D%95\.pdf$/,
  );
  expect((await opened.body()).toString()).toContain('VOC bypass sealing list');
  await shot(office, '3-office-review-queue');
  await office.click('button:has-text("通过")');
  await office.waitForSelector('p.ok');
  expect(await office.textContent('p.ok')).toContain('材料 E1 已通过');
  expect(await office.textContent('#downloads')).toContain('office1');

  const supervisor = await signIn('super1');
  await supervisor.goto(`${w.url}/scoreboard?campaign=drill`);
  const row = supervisor.locator('#scoreboard tr[data-org="130100"]');
  expect(await row.locator('td.met').textContent()).toBe('1');
  await shot(supervisor, '4-supervisor-scoreboard');
  await supervisor.goto(`${w.url}/obligations/${enc(id)}`);
  const timeline = await supervisor.textContent('ol.timeline');
  expect(timeline).toContain('提交佐证材料');
  expect(timeline).toContain('材料审核通过');
  expect(timeline).toMatch(/办公室 office1/);
  await shot(supervisor, '5-supervisor-timeline');
});
