// The scoreboard a leading group puts on the wall and the forms that behave: its totals, sort
// order, pace colours and chart with drill-down; each city's problems open and overdue beside its
// obligations, linked to its problem ledger, in the API and the .xlsx too; the .xlsx exports read back with exceljs beside
// the CSV; who may export what; Post/Redirect/Get; the question before a due date moves past the
// next season; HTML 404 and error pages; filters offering only what exists; the letters of the
// coming week; and what `npm start` lists as running and as ready.
import ExcelJS from 'exceljs';
import { DateTime } from 'luxon';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import { readEnv } from '../config/env';
import { loadPolicies } from '../planner/load';
import { startWeb, type RunningWeb } from '../web/start';
import { problemService } from '../web/problems-api';
import { problemRecordQuery } from '../workflows/problem-api';
import { calendar, call, drillWindow, enc, login, oid, startWebEnv, type WebEnv } from './support/web';
import { devServerEnv, templatesDir, testDeps, testWorker } from './support/temporal';
import { problemPolicies } from './support/problems';
import { boardRows, boardTable, overdueChart, paceOf, sortBoard, totals } from '../web/scoreboard';
import { campaignListing, launchedSeasons } from '../cli/start-listing';
import type { ObligationSummary } from '../client/obligations';
import { statusLabel } from '../web/html';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

describe('the rows, their colours, totals, order and chart', () => {
  const now = Date.parse('2030-06-01T00:00:00Z');
  let n = 0;
  const row = (assignee: string, status: string, level = 0, deadline = '2030-01-31T15:59:59.999Z') =>
    ({ workflowId: `w${n++}`, assignee, status, level, deadline, execution: 'Running' }) as ObligationSummary;
  const names: Record<string, string> = { a: '甲市', b: '乙市', c: '丙市', d: '丁市', e: '戊市' };
  const rows = [
    ...Array.from({ length: 10 }, () => row('a', 'met')),
    ...Array.from({ length: 9 }, () => row('b', 'met')),
    row('b', 'overdue', 1),
    ...Array.from({ length: 9 }, () => row('c', 'met')),
    row('c', 'overdue', 2),
    row('d', 'met'),
    row('d', 'met-late', 1),
    row('d', 'unmet', 4),
    row('d', 'unmet', 0),
    ...Array.from({ length: 3 }, () => row('e', 'open', 0, '2031-01-31T15:59:59.999Z')),
    row('e', 'waived'),
  ];
  const board = boardRows(rows, (c) => names[c], now);
  const by = (org: string) => board.find((r) => r.org === org)!;

  test('three colours by pace: green on time, yellow a little behind, red far behind or at a warning letter', () => {
    expect(Object.fromEntries(board.map((r) => [r.org, r.pace]))).toEqual({
      a: 'green',
      b: 'yellow',
      c: 'red',
      d: 'red',
      e: 'green',
    });
    // e: nothing due yet, waived aside.
    expect(by('e')).toMatchObject({ due: 0, open: 3, waived: 1 });
    expect(by('d')).toMatchObject({ due: 4, unmet: 2, escalated: 1 });
    expect(paceOf({ overdue: 1, unmet: 0, due: 3, openLevel: 0 })).toBe('red');
    expect(paceOf({ overdue: 1, unmet: 0, due: 4, openLevel: 1 })).toBe('yellow');
  });

  test('the totals are the sums of the rows', () => {
    const t = totals(board);
    for (const k of ['total', 'metOnTime', 'metLate', 'open', 'overdue', 'unmet', 'waived', 'escalated'] as const)
      expect(t[k]).toBe(board.reduce((s, r) => s + r[k], 0));
    expect(t).toMatchObject({ total: rows.length, highestLevel: 4, name: '合计' });
  });

  test('who is behind first, then any column either way', () => {
    expect(sortBoard(board).map((r) => r.org)).toEqual(['d', 'c', 'b', 'a', 'e']);
    expect(sortBoard(board, { sort: 'total', dir: 'asc' }).map((r) => r.total)).toEqual([4, 4, 10, 10, 10]);
    expect(sortBoard(board, { sort: 'name' }).map((r) => r.name)).toEqual(
      [...board.map((r) => r.name)].sort((x, y) => x.localeCompare(y, 'zh-CN')),
    );
    expect(sortBoard(board, { sort: 'overdue', dir: 'desc' })[0].overdue).toBe(1);
  });

  test('the chart has one bar per organisation with obligations overdue or closed unmet', () => {
    const svg = overdueChart(board, { season: 2030 }).value;
    expect([...svg.matchAll(/<g class="bar" data-org="(\w+)"/g)].map((m) => m[1])).toEqual(['d', 'b', 'c']);
    expect(svg).toContain('href="/obligations?season=2030&amp;assignee=d&amp;status=unmet"');
    expect(
      overdueChart(
        boardRows([row('a', 'met')], (c) => names[c], now),
        {},
      ).value,
    ).not.toContain('<svg');
  });

  test('each city’s problems open and overdue: counted, summed, sorted, and linked to its ledger', () => {
    const problems = [
      { org: 'b', name: '乙市', open: 5, overdue: 2 },
      { org: 'e', name: '戊市', open: 1, overdue: 0 },
      // A city with problems and none of the obligations in view.
      { org: 'f', name: '己市', province: 'p', open: 3, overdue: 3 },
    ];
    const withProblems = boardRows(rows, (c) => names[c], now, problems);
    const of = (org: string) => withProblems.find((r) => r.org === org)!;
    expect(of('b')).toMatchObject({ problemsOpen: 5, problemsOverdue: 2, total: 10, pace: 'yellow' });
    expect(of('a')).toMatchObject({ problemsOpen: 0, problemsOverdue: 0 });
    expect(of('f')).toMatchObject({ name: '己市', province: 'p', total: 0, problemsOpen: 3, pace: 'green' });
    // A view narrowed to some obligations shows no organisation without them.
    expect(boardRows(rows, (c) => names[c], now, problems, false).map((r) => r.org)).not.toContain('f');
    expect(totals(withProblems)).toMatchObject({ problemsOpen: 9, problemsOverdue: 5, total: rows.length });
    expect(sortBoard(withProblems, { sort: 'problemsOpen' }).map((r) => r.org)).toEqual(['b', 'f', 'e', 'd', 'c', 'a']);
    expect(sortBoard(withProblems, { sort: 'problemsOverdue', dir: 'asc' }).map((r) => r.problemsOverdue)).toEqual([
      0, 0, 0, 0, 2, 3,
    ]);
    const table = boardTable(sortBoard(withProblems), { campaign: 'drill', season: 2030 }, {}, '/scoreboard').value;
    expect(table).toContain(
      '问题（在办）</a></th><th><a href="/scoreboard?campaign=drill&amp;season=2030&amp;sort=problemsOverdue&amp;dir=desc">问题逾期</a></th>',
    );
    const row = /<tr class="board-\w+" data-org="b"[^>]*>(.*?)<\/tr>/s.exec(table)![1];
    // 问题（在办） opens the city's problems not yet closed (未销号).
    expect(row).toContain(
      `<a href="/problems?campaign=drill&amp;season=2030&amp;assignee=b&amp;state=${encodeURIComponent('未销号')}">5</a>`,
    );
    expect(row).toContain(
      '<a href="/problems?campaign=drill&amp;season=2030&amp;assignee=b&amp;state=%E9%80%BE%E6%9C%9F">2</a>',
    );
    // The totals open the whole region's problems not yet closed; a zero links nowhere.
    const foot = /<tfoot>(.*?)<\/tfoot>/s.exec(table)![1];
    expect(foot).toContain(
      `<a href="/problems?campaign=drill&amp;season=2030&amp;state=${encodeURIComponent('未销号')}">9</a>`,
    );
    expect(/<tr class="board-\w+" data-org="a"[^>]*>(.*?)<\/tr>/s.exec(table)![1]).not.toContain('/problems?');
  });
});

describe('on a real server', () => {
  let w: WebEnv;
  const api = (p: string) => `${w.url}/api${p}`;
  const ended = 'campaign=drill&season=2025';

  beforeAll(async () => {
    w = await startWebEnv();
    const launch = (json: object) =>
      call(api('/campaigns/drill/launch'), { method: 'POST', token: w.tokens.office1, json });
    expect((await launch({ season: 2030 })).status).toBe(200);
    // Season 2025 has long ended: its obligations escalate through the ladder and close unmet.
    expect((await launch({ season: 2025, allowPast: true, provisionalCalendar: true })).status).toBe(200);
    for (const until = Date.now() + 150_000; ;) {
      await w.web.deps.index.refresh();
      const rows = await w.web.deps.index.list({ season: 2025 });
      if (rows.length === 15 && rows.every((r) => r.status === 'unmet')) break;
      if (Date.now() > until) throw new Error(`season 2025 not closed: ${rows.map((r) => r.status).join(',')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 200_000);
  afterAll(async () => {
    await w?.teardown();
  });

  const cells = (tr: string) =>
    [...tr.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/g)].map((m) => m[1].replace(/<[^>]+>/g, '').trim());

  test('the scoreboard page: totals equal the sum of the rows, colours, sort order, chart and drill-down', async () => {
    const s = await login(w.url, 'super1', w.passwords.super1);
    const get = async (q: string) => (await call(`${w.url}/scoreboard?${q}`, { headers: { cookie: s.cookie } })).text;
    const page = await get('');
    const body = page.slice(page.indexOf('<tbody>', page.indexOf('id="scoreboard"')), page.indexOf('</tbody>'));
    const trs = [...body.matchAll(/<tr class="board-(\w+)" data-org="(\w+)" data-pace="\w+">(.*?)<\/tr>/gs)];
    expect(trs.length).toBeGreaterThan(1);
    const numbers = trs.map((m) => cells(m[3]).slice(2, 10).map(Number));
    const foot = /<tfoot><tr class="totals"[^>]*>(.*?)<\/tr><\/tfoot>/s.exec(page)![1];
    expect(cells(foot).slice(2, 10).map(Number)).toEqual(
      numbers[0].map((_, i) => numbers.reduce((sum, r) => sum + r[i], 0)),
    );
    // Every organisation has its 2025 obligations closed unmet and escalated: red, first. None is pink throughout.
    const paces = trs.map((m) => m[1]);
    const rank = { red: 2, yellow: 1, green: 0 } as Record<string, number>;
    expect(paces.map((p) => rank[p])).toEqual([...paces.map((p) => rank[p])].sort((a, b) => b - a));
    expect(paces).toContain('red');
    // The API answers the page's rows in the page's order, with its totals; no problems policy here: no problems.
    const fromApi = (await call(api('/scoreboard'), { token: w.tokens.super1 })).body;
    expect(fromApi.rows.map((r: { org: string }) => r.org)).toEqual(trs.map((m) => m[2]));
    expect(fromApi.rows.map((r: { pace: string }) => r.pace)).toEqual(paces);
    expect(fromApi.totals).toMatchObject({ org: '', name: '合计', total: numbers.reduce((n, r) => n + r[0], 0) });
    expect(fromApi.rows.every((r: { problemsOpen: number }) => r.problemsOpen === 0)).toBe(true);
    expect(trs.map((m) => cells(m[3]).slice(11, 13))).toEqual(trs.map(() => ['0', '0']));
    const only2030 = await get('campaign=drill&season=2030');
    expect([...only2030.matchAll(/data-pace="(\w+)"/g)].every((m) => m[1] === 'green')).toBe(true);
    expect(only2030).toContain('id="overdue-chart-empty"');

    // Sorting by a column, both ways.
    const totalsOf = (p: string) =>
      [...p.matchAll(/<tr class="board-\w+"[^>]*>(.*?)<\/tr>/gs)].map((m) => Number(cells(m[1])[2]));
    const asc = totalsOf(await get('sort=total&dir=asc'));
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    const desc = await get('sort=total&dir=desc');
    expect(totalsOf(desc)).toEqual([...asc].sort((a, b) => b - a));
    expect(desc).toMatch(/<th aria-sort="descending"><a href="\/scoreboard\?sort=total&amp;dir=asc">任务数/);

    // The chart: one bar per organisation behind, each segment opening that organisation's list of that status.
    const api2025 = (await call(api(`/scoreboard?${ended}`), { token: w.tokens.super1 })).body.rows as {
      org: string;
      overdue: number;
      unmet: number;
    }[];
    const chartPage = await get(ended);
    const bars = [...chartPage.matchAll(/<g class="bar" data-org="(\w+)" data-overdue="(\d+)" data-unmet="(\d+)"/g)];
    expect(bars.map((m) => m[1]).sort()).toEqual(
      api2025
        .filter((r) => r.overdue + r.unmet > 0)
        .map((r) => r.org)
        .sort(),
    );
    const sjz = bars.find((m) => m[1] === '130100')!;
    const link = /<a href="([^"]+)"[^>]*><rect class="bar-unmet"/
      .exec(chartPage.slice(chartPage.indexOf('data-org="130100" data-overdue')))![1]
      .replace(/&amp;/g, '&');
    expect(Object.fromEntries(new URL(link, w.url).searchParams)).toEqual({
      campaign: 'drill',
      season: '2025',
      assignee: '130100',
      status: 'unmet',
    });
    const list = (await call(`${w.url}${link}`, { headers: { cookie: s.cookie } })).text;
    expect([...list.matchAll(/<tr class="(\w[\w-]*)"><td>/g)].map((m) => m[1])).toEqual(
      Array.from({ length: Number(sjz[3]) }, () => 'unmet'),
    );
    // The organisation's name drills down to its list with the same filters.
    expect(chartPage).toContain(
      '<a href="/obligations?campaign=drill&amp;season=2025&amp;assignee=130100">石家庄市</a>',
    );
  });

  const workbook = async (r: Response) => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await r.arrayBuffer());
    const values: string[][] = [];
    wb.worksheets[0].eachRow((row) =>
      values.push((row.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : String(v)))),
    );
    return values;
  };
  const fetchAs = (path: string, token: string) =>
    fetch(`${w.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  test('obligations.xlsx: a title, Chinese headings, names, Beijing dates, the same rows as the CSV', async () => {
    const filters = `${ended}&assignee=130100`;
    const r = await fetchAs(`/api/obligations.xlsx?${filters}`, w.tokens.super1);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(XLSX);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="obligations.xlsx"/);
    const values = await workbook(r);
    expect(values[0][0]).toMatch(/^任务清单（\d+ 项）$/);
    expect(values[1][0]).toMatch(/责任单位 石家庄市/);
    expect(values[1][0]).toMatch(/导出时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）/);
    const head = values[2];
    expect(head).toEqual(
      expect.arrayContaining(['截止时间（北京时间）', '任务', '责任单位', '状态', '督办级别', '任务编号']),
    );
    const data = values.slice(3);
    const col = (name: string) => data.map((row) => row[head.indexOf(name)]);
    expect(new Set(col('责任单位'))).toEqual(new Set(['石家庄市']));
    expect(new Set(col('状态'))).toEqual(new Set([statusLabel.unmet]));
    // The city's boilers were due by the end of December 2025, Beijing time.
    const boilers = data.find((row) => row[head.indexOf('任务编号')] === oid('coal-boilers', '130100', 2025))!;
    expect(boilers[head.indexOf('截止时间（北京时间）')]).toBe('2025-12-31 23:59');
    expect(boilers[head.indexOf('任务')]).toBe('淘汰35蒸吨/小时以下燃煤锅炉');
    // The CSV of the same filters has the same rows in the same order.
    const csv = await (await fetchAs(`/api/obligations.csv?${filters}`, w.tokens.super1)).text();
    const ids = [...csv.matchAll(/lantian:drill:2025:[\w-]+:\d+(:[\d-]+)?/g)].map((m) => m[0]);
    expect(col('任务编号')).toEqual(ids);
    expect(ids.length).toBeGreaterThan(0);
  });

  test('scoreboard.xlsx: the rows of the page in its order, the totals row, the pace colours', async () => {
    const office = await login(w.url, 'office1', w.passwords.office1);
    const page = (await call(`${w.url}/scoreboard?${ended}&sort=name`, { headers: { cookie: office.cookie } })).text;
    const orgs = [...page.matchAll(/<tr class="board-\w+" data-org="(\w+)"/g)].map((m) => m[1]);
    for (const r of [
      await fetchAs(`/api/scoreboard.xlsx?${ended}&sort=name`, w.tokens.office1),
      await fetch(`${w.url}/scoreboard.xlsx?${ended}&sort=name`, { headers: { cookie: office.cookie } }),
    ]) {
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(XLSX);
      const values = await workbook(r);
      expect(values[0][0]).toBe('记分板：各责任单位完成情况');
      const head = values[2];
      expect(head.slice(0, 5)).toEqual(['责任单位', '单位代码', '所属省份', '进度', '任务数']);
      const data = values.slice(3, -1);
      expect(data.map((row) => row[1])).toEqual(orgs);
      expect(data.find((row) => row[1] === '130100')![0]).toBe('石家庄市');
      const last = values[values.length - 1];
      expect(last[0]).toBe(`合计（${orgs.length} 个单位）`);
      const t = head.indexOf('任务数');
      expect(Number(last[t])).toBe(data.reduce((s, row) => s + Number(row[t]), 0));
      expect(new Set(data.map((row) => row[3]))).toEqual(new Set(['红']));
    }
  });

  test('who may export what: an assignee gets its own rows and no scoreboard', async () => {
    const refused = await fetchAs(`/api/scoreboard.xlsx`, w.tokens.sjz);
    expect(refused.status).toBe(403);
    expect(typeof ((await refused.json()) as { error: string }).error).toBe('string');
    const city = await login(w.url, 'sjz', w.passwords.sjz);
    const page = await fetch(`${w.url}/scoreboard.xlsx`, { headers: { cookie: city.cookie }, redirect: 'manual' });
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await fetch(`${w.url}/api/scoreboard.xlsx`)).status).toBe(401);
    expect((await fetchAs(`/api/scoreboard.xlsx`, w.tokens.super1)).status).toBe(200);
    // Another city's rows are not in its list, whatever it asks for.
    for (const q of ['', 'assignee=130200']) {
      const values = await workbook(await fetchAs(`/api/obligations.xlsx?${q}`, w.tokens.sjz));
      const head = values[2];
      const codes = new Set(values.slice(3).map((r) => r[head.indexOf('责任单位代码')]));
      expect(codes.size <= 1 && [...codes].every((c) => c === '130100')).toBe(true);
      if (!q) expect(values.length).toBeGreaterThan(3);
    }
    const own = await fetch(`${w.url}/obligations.xlsx`, { headers: { cookie: city.cookie } });
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe(XLSX);
  });

  test('the OpenAPI document has both exports with the .xlsx content type', async () => {
    const doc = (await call(`${w.url}/docs/json`)).body;
    for (const p of ['/api/obligations.xlsx', '/api/scoreboard.xlsx']) {
      expect(Object.keys(doc.paths[p].get.responses['200'].content)).toEqual([XLSX]);
      expect(doc.paths[p].get.responses['400'].content['application/json']).toBeDefined();
    }
    expect(doc.paths['/api/scoreboard.xlsx'].get.responses['403']).toBeDefined();
    const sort = doc.paths['/api/scoreboard.xlsx'].get.parameters.find((x: { name: string }) => x.name === 'sort');
    expect(sort.schema.enum).toContain('pace');
  });

  const formPost = (path: string, cookie: string, body: Record<string, string>) =>
    call(`${w.url}${path}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });

  test('Post/Redirect/Get: the launch form redirects to its report, which only its author reads', async () => {
    const s = await login(w.url, 'office1', w.passwords.office1);
    const r = await formPost('/campaigns/launch', s.cookie, { campaignId: 'drill', season: '2030', _csrf: s.csrf });
    expect(r.status).toBe(303);
    const at = r.headers.get('location')!;
    expect(at).toMatch(/^\/campaigns\/launched\/[\w-]+$/);
    const report = await call(`${w.url}${at}`, { headers: { cookie: s.cookie } });
    expect(report.status).toBe(200);
    expect(report.text).toContain('<p class="ok" id="launch-report">');
    // A reload reads the report again and launches nothing.
    expect((await call(`${w.url}${at}`, { headers: { cookie: s.cookie } })).status).toBe(200);
    const sup = await login(w.url, 'super1', w.passwords.super1);
    expect((await call(`${w.url}${at}`, { headers: { cookie: sup.cookie } })).status).toBe(403);
    expect((await call(`${w.url}/campaigns/launched/nothing`, { headers: { cookie: s.cookie } })).status).toBe(404);
  });

  test('every other form that changes something answers 303 to a page to read; a refusal is an HTML page', async () => {
    const city = await login(w.url, 'sjz', w.passwords.sjz);
    const id = oid('voc-bypass', '130100');
    const body = new FormData();
    body.append('_csrf', city.csrf);
    body.append('file', new Blob([Buffer.from('%PDF-1.7\nsealed\n%%EOF\n')]), '封堵.pdf');
    const sent = await call(`${w.url}/obligations/${enc(id)}/evidence`, {
      method: 'POST',
      headers: { cookie: city.cookie },
      body,
    });
    expect(sent.status).toBe(303);
    const office = await login(w.url, 'office1', w.passwords.office1);
    const reviewed = await formPost(`/obligations/${enc(id)}/review`, office.cookie, {
      evidenceId: 'E1',
      decision: 'reject',
      reason: '照片不清晰',
      _csrf: office.csrf,
    });
    expect(reviewed.status).toBe(303);
    expect(reviewed.headers.get('location')).toMatch(new RegExp(`^/obligations/${enc(id)}\\?done=`));
    const report = `/obligations/${enc(oid('monthly-report', '110000') + ':2030-11')}/waive`;
    const waived = await formPost(report, office.cookie, { reason: '已合并报送', _csrf: office.csrf });
    expect(waived.status).toBe(303);
    const again = await formPost(report, office.cookie, { reason: '已合并报送', _csrf: office.csrf });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  test('a due date past the next season is asked about, in Chinese, and goes through once confirmed', async () => {
    const s = await login(w.url, 'office1', w.passwords.office1);
    const id = oid('voc-bypass', '130100');
    // The drill's 2030 season ends 2031-03-31: the next one on 2032-03-31.
    const far = await formPost(`/obligations/${enc(id)}/extend`, s.cookie, {
      dueDate: '2032-06-30',
      reason: '整体搬迁',
      _csrf: s.csrf,
    });
    expect(far.status).toBe(303);
    const ask = far.headers.get('location')!;
    expect(ask).toBe(`/obligations/${enc(id)}/extend?dueDate=2032-06-30&reason=${encodeURIComponent('整体搬迁')}`);
    const question = await call(`${w.url}${ask}`, { headers: { cookie: s.cookie } });
    expect(question.status).toBe(200);
    expect(question.text).toContain('id="confirm-horizon"');
    expect(question.text).toContain('2032-03-31');
    expect(question.text).toMatch(/<input type="hidden" name="confirmed" value="true">/);
    // Nothing has changed yet.
    expect((await call(api(`/obligations/${enc(id)}`), { token: w.tokens.office1 })).body.dueDate).toBe('2031-03-31');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(question.text.slice(question.text.indexOf('confirm-horizon')))![1];
    const confirmed = await formPost(`/obligations/${enc(id)}/extend`, s.cookie, {
      dueDate: '2032-06-30',
      reason: '整体搬迁',
      confirmed: 'true',
      _csrf: csrf,
    });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toMatch(new RegExp(`^/obligations/${enc(id)}\\?done=`));
    expect((await call(api(`/obligations/${enc(id)}`), { token: w.tokens.office1 })).body.dueDate).toBe('2032-06-30');
    // Within the next season: no question.
    const near = await formPost(`/obligations/${enc(oid('coal-boilers', '130100'))}/extend`, s.cookie, {
      dueDate: '2031-01-15',
      reason: '设备采购延迟',
      _csrf: s.csrf,
    });
    expect(near.status).toBe(303);
    expect(near.headers.get('location')).toMatch(/\?done=/);
    // The question is the office's: a supervisor is refused; the API refuses an unconfirmed date (the workflow's rule).
    const sup = await login(w.url, 'super1', w.passwords.super1);
    expect((await call(`${w.url}${ask}`, { headers: { cookie: sup.cookie } })).status).toBe(403);
    const apiFar = await call(api(`/obligations/${enc(oid('coal-boilers', '130200'))}/extend`), {
      method: 'POST',
      token: w.tokens.office1,
      json: { dueDate: '2032-06-30', reason: '整体搬迁' },
    });
    expect(apiFar.status).toBe(409);
  });

  test('every page route answers a missing thing or a bad filter with an HTML page', async () => {
    const s = await login(w.url, 'office1', w.passwords.office1);
    const missing = enc(oid('nothing', '130100'));
    for (const [path, status] of [
      [`/obligations/${missing}`, 404],
      [`/obligations/${missing}/extend?dueDate=2032-01-01&reason=x`, 404],
      [`/obligations/${missing}/correct?dueDate=2032-01-01&reason=x`, 404],
      [`/obligations/${enc(oid('voc-bypass', '130100'))}/evidence/E99`, 404],
      [`/letters/${missing}%23escalation`, 404],
      ['/campaigns/launched/none', 404],
      ['/no/such/page', 404],
      ['/scoreboard?season=abc', 400],
      ['/scoreboard?sort=colour', 400],
      ['/overview?level=x', 400],
      ['/obligations?status=lost', 400],
      ['/obligations.xlsx?season=1', 400],
    ] as const) {
      const r = await call(`${w.url}${path}`, { headers: { cookie: s.cookie } });
      expect({ path, status: r.status, type: r.headers.get('content-type') }).toEqual({
        path,
        status,
        type: 'text/html; charset=utf-8',
      });
      expect(r.text).toMatch(/^<!doctype html>/);
    }
  });

  test('filters offer only what exists', async () => {
    const s = await login(w.url, 'office1', w.passwords.office1);
    const page = (await call(`${w.url}/obligations`, { headers: { cookie: s.cookie } })).text;
    const options = (name: string) => {
      const sel = page.slice(
        page.indexOf(`<select name="${name}">`),
        page.indexOf('</select>', page.indexOf(`name="${name}"`)),
      );
      return [...sel.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    };
    const rows = (await call(api('/obligations'), { token: w.tokens.office1 })).body.items as ObligationSummary[];
    const present = (k: keyof ObligationSummary) => new Set(rows.map((r) => String(r[k])));
    expect(options('campaign')).toEqual(['drill']);
    expect(options('season').sort()).toEqual(['2025', '2030']);
    expect(new Set(options('status'))).toEqual(present('status'));
    expect(options('status')).not.toContain('met');
    for (const p of options('province')) expect([...present('province')]).toContain(p);
    const max = Math.max(...rows.map((r) => r.level ?? 0));
    expect(options('level')).toEqual(Array.from({ length: max }, (_, i) => String(i + 1)));
  });

  test('the office sees how many letters the coming week sends', async () => {
    const s = await login(w.url, 'office1', w.passwords.office1);
    const id = oid('coal-boilers', '130200');
    // Due in two days (Beijing): its urging (P1D after, on a working day) falls within the week, its warning letter (P15D) after it.
    const soon = DateTime.now().setZone('Asia/Shanghai').plus({ days: 2 }).toISODate()!;
    const r = await formPost(`/obligations/${enc(id)}/correct`, s.cookie, {
      dueDate: soon,
      reason: '日期录入错误',
      _csrf: s.csrf,
    });
    expect(r.status).toBe(303);
    // On the office's overview and its review queue alike.
    for (const at of ['/overview', '/review']) {
      const page = (await call(`${w.url}${at}`, { headers: { cookie: s.cookie } })).text;
      expect({ at, card: /<p class="card" id="letters-ahead">[^<]*<b>1<\/b> 件：督办通知 1 件/.test(page) }).toEqual({
        at,
        card: true,
      });
    }
    // The supervisor's scoreboard does not carry it.
    const sup = await login(w.url, 'super1', w.passwords.super1);
    expect((await call(`${w.url}/scoreboard`, { headers: { cookie: sup.cookie } })).text).not.toContain(
      'letters-ahead',
    );
  });

  test('npm start lists launched seasons as running, and only the others as ready', async () => {
    const launched = await launchedSeasons(w.env.client, ['drill'], [2031, 2030, 2025, 2030]);
    expect(launched).toEqual([
      { campaign: 'drill', season: 2030, obligations: 15 },
      { campaign: 'drill', season: 2025, obligations: 15 },
    ]);
    const drill = { id: 'drill', title: '演练秋冬季攻坚行动方案', detail: 'season 2030–2031: 15 obligations' };
    const shown = campaignListing([drill], launched, 2030);
    const ready = shown.lines.indexOf('Campaigns ready to launch:');
    expect(shown.lines.slice(0, ready)).toEqual([
      'Campaigns running:',
      `  ${'drill'.padEnd(24)} season 2030–2031: 15 obligations launched  (演练秋冬季攻坚行动方案)`,
      `  ${'drill'.padEnd(24)} season 2025–2026: 15 obligations launched  (演练秋冬季攻坚行动方案)`,
      '',
    ]);
    expect(shown.ready).toEqual([]);
    expect(shown.lines.slice(ready + 1).join('\n')).not.toMatch(/^ {2}drill/m);
    const next = campaignListing([{ ...drill, detail: 'season 2031–2032: 15 obligations' }], launched, 2031);
    expect(next.ready.map((c) => c.id)).toEqual(['drill']);
    expect(next.lines.slice(next.lines.indexOf('Campaigns ready to launch:') + 1)[0]).toMatch(
      /^ {2}drill +season 2031/,
    );
  });
});

describe('problems on the scoreboard, with a problems policy', () => {
  const TQ = 'lantian-scoreboard-problems';
  let env: TestWorkflowEnvironment;
  let worker: LantianWorker;
  let running: Promise<void>;
  let web: RunningWeb;
  const tokens: Record<string, string> = {};
  const passwords: Record<string, string> = {};

  beforeAll(async () => {
    const dir = problemPolicies('scoreboard-problems');
    env = await devServerEnv();
    const deps = testDeps(calendar, loadPolicies(dir, undefined, templatesDir));
    worker = await testWorker(env, deps, TQ);
    running = worker.run();
    const config = readEnv({
      LANTIAN_DATA_DIR: deps.dir,
      LANTIAN_POLICIES_DIR: dir,
      LANTIAN_TASK_QUEUE: TQ,
      LANTIAN_WEB_CACHE_SECONDS: '0',
      LANTIAN_SEASON_WINDOW: drillWindow(),
    });
    web = await startWeb(config, env.client, loadPolicies(dir, undefined, templatesDir), calendar, 0);
    for (const [name, role] of [
      ['office1', 'office'],
      ['super1', 'supervisor'],
    ] as const) {
      const u = await web.deps.users.add(name, role);
      tokens[name] = u.token;
      passwords[name] = u.password;
    }
  }, 120_000);
  afterAll(async () => {
    await web?.close();
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  test('which city has the most problems open and overdue: the columns, their order, links, API and .xlsx', async () => {
    const post = (p: string, json: unknown) => call(`${web.url}${p}`, { method: 'POST', token: tokens.office1, json });
    expect((await post('/api/campaigns/drill/launch', { season: 2030 })).status).toBe(200);
    const problem = (number: string, assignee: string) => ({
      campaign: 'drill',
      season: 2026,
      number,
      assignee,
      site: `${number} 建材有限公司`,
      category: '扬尘',
      description: '料场未苫盖',
      foundDate: '2026-11-02',
    });
    for (const [n, org] of [
      ['SB-1', '130100'],
      ['SB-2', '130100'],
      ['SB-3', '130200'],
    ])
      expect((await post('/api/problems', problem(n, org))).status).toBe(201);
    // SB-1's deadline has long passed: overdue at once; SB-2 and SB-3 are open, not yet assigned.
    const id = (n: string) => `lantian-problem:drill:2026:${n}`;
    const assigned = await post(`/api/problems/${enc(id('SB-1'))}/assign`, { dueDate: '2026-11-10' });
    expect([assigned.status, assigned.body]).toEqual([200, { dueDate: '2026-11-10' }]);
    const sb1 = env.client.workflow.getHandle(id('SB-1'));
    for (const until = Date.now() + 60_000; !(await sb1.query(problemRecordQuery)).overdue;) {
      if (Date.now() > until) throw new Error('SB-1 not overdue');
      await new Promise((r) => setTimeout(r, 250));
    }
    // The ladder's own change reaches the app's copy with its next refresh; here at once.
    await problemService(web.deps).refreshed(id('SB-1'));

    const s = await login(web.url, 'super1', passwords.super1);
    const cells = (tr: string) =>
      [...tr.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/g)].map((m) => m[1].replace(/<[^>]+>/g, '').trim());
    const get = async (q: string) => (await call(`${web.url}/scoreboard?${q}`, { headers: { cookie: s.cookie } })).text;
    const rowOf = (page: string, org: string) =>
      cells(new RegExp(`<tr class="board-\\w+" data-org="${org}"[^>]*>(.*?)</tr>`, 's').exec(page)![1]);
    const page = await get('campaign=drill&season=2030');
    const head = [...page.matchAll(/<th[^>]*><a href="[^"]*">([^<]+)<\/a><\/th>/g)].map((m) =>
      m[1].replace(/ [▲▼]$/, ''),
    );
    const col = (label: string) => head.indexOf(label);
    expect(col('问题（在办）')).toBeGreaterThan(0);
    // Season 2030's view holds 2026's problems still open (遗留), as the ledger does.
    expect([rowOf(page, '130100')[col('问题（在办）')], rowOf(page, '130100')[col('问题逾期')]]).toEqual(['2', '1']);
    expect([rowOf(page, '130200')[col('问题（在办）')], rowOf(page, '130200')[col('问题逾期')]]).toEqual(['1', '0']);
    const foot = cells(/<tfoot><tr class="totals"[^>]*>(.*?)<\/tr><\/tfoot>/s.exec(page)![1]);
    expect([foot[col('问题（在办）')], foot[col('问题逾期')]]).toEqual(['3', '1']);
    // Sorted by either column, who has most first.
    const orgsOf = (p: string) => [...p.matchAll(/<tr class="board-\w+" data-org="(\w+)"/g)].map((m) => m[1]);
    expect(orgsOf(await get('campaign=drill&season=2030&sort=problemsOpen')).slice(0, 2)).toEqual(['130100', '130200']);
    const byOverdue = orgsOf(await get('campaign=drill&season=2030&sort=problemsOverdue&dir=asc'));
    expect(byOverdue[byOverdue.length - 1]).toBe('130100');

    // Each figure opens the problem ledger of that city (and state), which lists those problems.
    const link = /<a href="(\/problems\?[^"]+)">1<\/a>/
      .exec(page.slice(page.indexOf('data-org="130100"')))![1]
      .replace(/&amp;/g, '&');
    expect(Object.fromEntries(new URL(link, web.url).searchParams)).toEqual({
      campaign: 'drill',
      season: '2030',
      assignee: '130100',
      state: '逾期',
    });
    const ledger = (await call(`${web.url}${link}`, { headers: { cookie: s.cookie } })).text;
    const listed = ledger.slice(ledger.indexOf('<table class="problems">'));
    expect([...listed.matchAll(/>(SB-\d)<\/a>/g)].map((m) => m[1])).toEqual(['SB-1']);
    // 问题（在办）: the city's problems not yet closed, as many as the board counts.
    const openLink = /<a href="(\/problems\?[^"]+)">2<\/a>/
      .exec(page.slice(page.indexOf('data-org="130100"')))![1]
      .replace(/&amp;/g, '&');
    expect(new URL(openLink, web.url).searchParams.get('state')).toBe('未销号');
    const open = (await call(`${web.url}${openLink}`, { headers: { cookie: s.cookie } })).text;
    const openRows = open.slice(open.indexOf('<table class="problems">'));
    expect([...openRows.matchAll(/<tr><td><a href="\/problems\/[^"]+">([^<]+)<\/a>/g)]).toHaveLength(2);
    expect(openRows).not.toContain('已销号');

    // The API: the same rows in the page's order, the totals; the .xlsx: the same columns.
    const board = (await call(`${web.url}/api/scoreboard?campaign=drill&season=2030`, { token: tokens.super1 })).body;
    expect(board.rows.map((r: { org: string }) => r.org)).toEqual(orgsOf(page));
    expect(board.rows.find((r: { org: string }) => r.org === '130100')).toMatchObject({
      problemsOpen: 2,
      problemsOverdue: 1,
    });
    expect(board.totals).toMatchObject({ problemsOpen: 3, problemsOverdue: 1 });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(
      await (
        await fetch(`${web.url}/api/scoreboard.xlsx?campaign=drill&season=2030&sort=problemsOpen`, {
          headers: { authorization: `Bearer ${tokens.super1}` },
        })
      ).arrayBuffer(),
    );
    const values: string[][] = [];
    wb.worksheets[0].eachRow((r) => values.push((r.values as unknown[]).slice(1).map((v) => String(v ?? ''))));
    const xHead = values[2];
    expect(xHead.slice(-2)).toEqual(['问题（在办）', '问题逾期']);
    expect(values[3].slice(1, 2).concat(values[3].slice(-2))).toEqual(['130100', '2', '1']);
    expect(values[values.length - 1].slice(-2)).toEqual(['3', '1']);
  }, 120_000);
});
