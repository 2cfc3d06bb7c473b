// The pages as a person reads them: names rather than codes (the organisation in the header, the
// campaign's Chinese title and season), what happens next, the inbox by what is due soonest, an
// HTML page for an unknown address, Post/Redirect/Get after an upload, filters offering only
// launched seasons, and the campaigns page showing each launched season with its counts.
import { call, enc, login, oid, startWebEnv, type WebEnv } from './support/web';

let w: WebEnv;
const api = (p: string) => `${w.url}/api${p}`;
const sjzBoilers = oid('coal-boilers', '130100');
const sjzVoc = oid('voc-bypass', '130100');
const main = (page: string) => page.slice(page.indexOf('<main>'));

beforeAll(async () => {
  w = await startWebEnv();
  const launched = await call(api('/campaigns/drill/launch'), {
    method: 'POST',
    token: w.tokens.office1,
    json: { season: 2030 },
  });
  expect(launched.status).toBe(200);
  await w.web.deps.index.refresh();
});
afterAll(async () => {
  await w?.teardown();
});

test('names, not codes: the organisation in the header, the campaign and season in words, the ID only in details', async () => {
  const city = await login(w.url, 'sjz', w.passwords.sjz);
  const page = (await call(`${w.url}/obligations/${enc(sjzBoilers)}`, { headers: { cookie: city.cookie } })).text;
  expect(page).toMatch(/<span class="me">石家庄市 · 责任单位 <span class="who">sjz<\/span><\/span>/);
  expect(page).toContain('演练秋冬季攻坚行动方案 · 2030–2031年秋冬季');
  // The title once (the heading), the workflow ID only in the details line.
  expect(main(page).split('淘汰35蒸吨/小时以下燃煤锅炉')).toHaveLength(2);
  // hrefs carry it encoded; the raw ID is written once, in the details line.
  expect(page.split(sjzBoilers)).toHaveLength(2);
  expect(page).toMatch(/<details class="muted ids"><summary>详细信息<\/summary>任务编号（可复制）：<code>/);
  const inbox = (await call(`${w.url}/inbox`, { headers: { cookie: city.cookie } })).text;
  expect(inbox).toContain('2030–2031年秋冬季');
  expect(inbox).not.toContain('<span class="muted">drill');
});

test('what happens next: reminders, the deadline, each escalation step and the close, in Beijing time', async () => {
  const office = await login(w.url, 'office1', w.passwords.office1);
  const page = (await call(`${w.url}/obligations/${enc(sjzBoilers)}`, { headers: { cookie: office.cookie } })).text;
  const plan = page.slice(
    page.indexOf('<table id="plan-ahead">'),
    page.indexOf('</table>', page.indexOf('plan-ahead')),
  );
  expect(plan).toContain('到期提醒（截止前 7 天）');
  expect(plan).toContain('到期提醒（截止前 1 天）');
  expect(plan).toContain('<b>截止</b>（2030-12-31）');
  for (const step of [
    '督办通知（督办级别 1',
    '预警通知函（督办级别 2',
    '公开约谈通知（督办级别 3',
    '问责及区域环评限批通知（督办级别 4',
  ])
    expect(plan).toContain(step);
  expect(plan).toContain('关闭');
  // In order, in Beijing time (the deadline is the end of the due date there).
  const times = [...plan.matchAll(/<td>(\d{4}-\d{2}-\d{2} \d{2}:\d{2})<\/td>/g)].map((m) => m[1]);
  expect(times).toEqual([...times].sort());
  expect(plan).toMatch(/<td>2030-12-31 23:59<\/td><td><b>截止<\/b>/);
});

test('the inbox lists what is due soonest first', async () => {
  const city = await login(w.url, 'sjz', w.passwords.sjz);
  const inbox = (await call(`${w.url}/inbox`, { headers: { cookie: city.cookie } })).text;
  expect(inbox.indexOf(enc(sjzBoilers))).toBeGreaterThan(0);
  expect(inbox.indexOf(enc(sjzBoilers))).toBeLessThan(inbox.indexOf(enc(sjzVoc)));
});

test('an unknown address is an HTML page for a browser and JSON under /api/', async () => {
  const office = await login(w.url, 'office1', w.passwords.office1);
  const page = await call(`${w.url}/no-such-page`, { headers: { cookie: office.cookie } });
  expect(page.status).toBe(404);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.text).toContain('页面不存在');
  const apiMiss = await call(api('/no-such-route'), { token: w.tokens.office1 });
  expect(apiMiss).toMatchObject({ status: 404, body: { error: 'route_not_found' } });
  const missing = await call(`${w.url}/obligations/${enc('lantian:drill:2030:nothing:130100')}`, {
    headers: { cookie: office.cookie },
  });
  expect(missing.status).toBe(404);
  expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
});

test('an upload through the page redirects to the obligation page, which shows the receipt (Post/Redirect/Get)', async () => {
  const city = await login(w.url, 'sjz', w.passwords.sjz);
  const body = new FormData();
  body.append('_csrf', city.csrf);
  body.append('note', '旁路已封堵');
  body.append('file', new Blob([Buffer.from('%PDF-1.7\nsealed\n%%EOF\n')]), '封堵清单.pdf');
  const r = await call(`${w.url}/obligations/${enc(sjzVoc)}/evidence`, {
    method: 'POST',
    headers: { cookie: city.cookie },
    body,
  });
  expect(r.status).toBe(303);
  expect(r.headers.get('location')).toBe(`/obligations/${enc(sjzVoc)}?received=E1`);
  const page = await call(`${w.url}${r.headers.get('location')}`, { headers: { cookie: city.cookie } });
  expect(page.text).toMatch(
    /<div class="ok" id="receipt"><b>已收到材料 E1<\/b>：封堵清单.pdf（application\/pdf）<br>sha256 <code>[0-9a-f]{64}<\/code>/,
  );
});

test('filters offer only launched seasons; the campaigns page shows each launched season with its counts', async () => {
  const office = await login(w.url, 'office1', w.passwords.office1);
  const list = (await call(`${w.url}/obligations`, { headers: { cookie: office.cookie } })).text;
  const seasonSelect = list.slice(
    list.indexOf('<select name="season">'),
    list.indexOf('</select>', list.indexOf('name="season"')),
  );
  expect([...seasonSelect.matchAll(/<option value="(\d+)"/g)].map((m) => m[1])).toEqual(['2030']);
  expect(seasonSelect).toContain('2030–2031年秋冬季');

  const campaigns = (await call(`${w.url}/campaigns`, { headers: { cookie: office.cookie } })).text;
  const row = /<tr data-campaign="drill" data-season="2030">(.*?)<\/tr>/.exec(campaigns)?.[1] ?? '';
  expect(row).toContain('2030–2031年秋冬季');
  expect(row).toContain('已下达');
  const cells = [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));
  // 任务数, 进行中, 已逾期, 已完成, 未完成关闭, 豁免 (one obligation submitted above counts as open).
  expect(cells.slice(3)).toEqual(['15', '15', '0', '0', '0', '0']);
  expect(campaigns).toMatch(/<option value="2030"[^>]*>2030–2031（已下达）/);
});
