// The problems' API on a real web server, dev server and worker, one role after another: an
// inspection team records and assigns a problem in its city (not another's), the city submits its
// plan, a photo and 举一反三, the team rejects and then verifies, and the ledger and its exports
// change; another city's problem is 404 to a city and refused to a team outside its cities.
import ExcelJS from 'exceljs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import { readEnv } from '../config/env';
import { startWeb, type RunningWeb } from '../web/start';
import { loadPolicies } from '../planner/load';
import { call, enc, upload } from './support/web';
import { ObjectStoreUnavailable } from '../storage/object-store';
import { devServerEnv, templatesDir, testCalendar, testDeps, testWorker, type TestDeps } from './support/temporal';
import { firstTeam, problemPolicies } from './support/problems';

const secondTeam = { id: 'team-2', name: '第二检查组', orgs: ['130200'] };

const TQ = 'lantian-problem-api';
const calendar = testCalendar(2026, 2032);
let env: TestWorkflowEnvironment;
let deps: TestDeps;
let worker: LantianWorker;
let running: Promise<void>;
let web: RunningWeb;
let url: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const dir = problemPolicies('problem-api-policies', [firstTeam, secondTeam]);
  env = await devServerEnv();
  deps = testDeps(calendar, loadPolicies(dir, undefined, templatesDir));
  worker = await testWorker(env, deps, TQ);
  running = worker.run();
  const config = readEnv({
    LANTIAN_DATA_DIR: deps.dir,
    LANTIAN_POLICIES_DIR: dir,
    LANTIAN_TASK_QUEUE: TQ,
    LANTIAN_WEB_CACHE_SECONDS: '0',
  });
  web = await startWeb(config, env.client, loadPolicies(dir, undefined, templatesDir), calendar, 0);
  url = web.url;
  for (const [name, role, org] of [
    ['office1', 'office'],
    ['team1', 'team', firstTeam.id],
    ['team2', 'team', secondTeam.id],
    ['super1', 'supervisor'],
    ['sjz', 'assignee', '130100'],
    ['tangshan', 'assignee', '130200'],
  ] as const)
    tokens[name] = (await web.deps.users.add(name, role, org)).token;
});

afterAll(async () => {
  await web?.close();
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const as = (who: string, p: string, init: Parameters<typeof call>[1] = {}) =>
  call(`${url}${p}`, { ...init, token: tokens[who] });
const post = (who: string, p: string, json: unknown) => as(who, p, { method: 'POST', json });

const problem = (number: string, assignee = '130100') => ({
  campaign: 'drill',
  season: 2026,
  number,
  assignee,
  site: '某建材有限公司',
  creditCode: '91130100MA0A1B2C3D',
  category: '扬尘',
  description: '料场未苫盖，道路积尘',
  foundDate: '2026-11-20',
});

test('a team records and verifies in its cities, a city acts on its own only, the ledger and exports follow', async () => {
  // Record: a team in its city; not in another; not a city or a supervisor.
  const recorded = await post('team1', '/api/problems', problem('API-1'));
  expect(recorded.status).toBe(201);
  const id = recorded.body.workflowId as string;
  expect(id).toBe('lantian-problem:drill:2026:API-1');
  expect((await post('team1', '/api/problems', problem('API-2', '130200'))).body.error).toBe('forbidden_scope');
  expect((await post('sjz', '/api/problems', problem('API-3'))).status).toBe(403);
  expect((await post('super1', '/api/problems', problem('API-3'))).status).toBe(403);
  expect((await post('office1', '/api/problems', problem('API-1'))).body.error).toBe('problem_exists');
  const bad = await post('office1', '/api/problems', { ...problem('API-4'), category: '烧烤' });
  expect([bad.status, bad.body.error]).toEqual([422, 'problem_invalid']);
  // The office records in any city.
  expect((await post('office1', '/api/problems', problem('TS-1', '130200'))).status).toBe(201);
  const ts = 'lantian-problem:drill:2026:TS-1';

  // Scope: another city's problem is not found; the team sees only its cities.
  expect((await as('tangshan', `/api/problems/${enc(id)}`)).status).toBe(404);
  expect((await as('team1', `/api/problems/${enc(ts)}`)).status).toBe(404);
  // A team of 唐山: 石家庄's problem is not found to it, and not to be changed either; its own city's is.
  expect((await as('team2', `/api/problems/${enc(id)}`)).status).toBe(404);
  expect((await post('team2', `/api/problems/${enc(id)}/assign`, {})).status).toBe(404);
  expect((await as('team2', `/api/problems/${enc(ts)}`)).status).toBe(200);
  expect((await as('sjz', `/api/problems/${enc(id)}`)).status).toBe(200);
  expect((await as('super1', `/api/problems/${enc(ts)}`)).status).toBe(200);
  expect((await as('sjz', `/api/problems/${enc('lantian-problem:drill:2026:NOPE')}`)).status).toBe(404);

  // 交办: the team, not the city or a supervisor.
  expect((await post('sjz', `/api/problems/${enc(id)}/assign`, {})).status).toBe(403);
  expect((await post('super1', `/api/problems/${enc(id)}/assign`, {})).status).toBe(403);
  const assigned = await post('team1', `/api/problems/${enc(id)}/assign`, { note: '请立行立改' });
  expect(assigned.status).toBe(200);
  const dueDate = assigned.body.dueDate as string;
  expect((await post('team1', `/api/problems/${enc(id)}/assign`, {})).body.error).toBe('problem_already_assigned');

  // The city's plan; another city's attempt is 404; a plan past the deadline is refused.
  expect((await post('tangshan', `/api/problems/${enc(id)}/plan`, { plan: '苫盖', completeBy: dueDate })).status).toBe(
    404,
  );
  const late = await post('sjz', `/api/problems/${enc(id)}/plan`, { plan: '苫盖', completeBy: '2031-01-01' });
  expect([late.status, late.body.error]).toEqual([409, 'problem_plan_too_late']);
  expect(
    (await post('sjz', `/api/problems/${enc(id)}/plan`, { plan: '料场全部苫盖', completeBy: dueDate })).body,
  ).toEqual({ state: '整改中' });

  // Evidence: a photo, by the city only; a file that is no photo or document is refused.
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]);
  const other = await as('tangshan', `/api/problems/${enc(id)}/evidence`, {
    method: 'POST',
    body: upload({}, { name: '整改后.jpg', content: jpeg }),
  });
  expect(other.status).toBe(404);
  const exe = await as('sjz', `/api/problems/${enc(id)}/evidence`, {
    method: 'POST',
    body: upload({}, { name: 'x.jpg', content: 'MZ not a photo' }),
  });
  expect(exe.status).toBe(422);
  const ev = await as('sjz', `/api/problems/${enc(id)}/evidence`, {
    method: 'POST',
    body: upload({ note: '整改后照片' }, { name: '整改后.jpg', content: jpeg }),
  });
  expect(ev.status).toBe(200);
  expect(ev.body).toMatchObject({ evidenceId: 'e1', mediaType: 'image/jpeg', fileName: '整改后.jpg' });

  // 举一反三: the city reports what it fixed on its own.
  expect(
    (
      await post('sjz', `/api/problems/${enc(id)}/similar`, {
        items: [{ site: '某建材二厂', description: '同类料场苫盖不全', fixedOn: '2026-11-25' }],
      })
    ).body,
  ).toEqual({ similar: 1 });
  expect(
    (
      await post('team1', `/api/problems/${enc(id)}/similar`, {
        items: [{ site: 'x', description: 'y', fixedOn: '2026-11-25' }],
      })
    ).status,
  ).toBe(403);

  // 核查: a rejection needs a reason; a supervisor reads but cannot verify; the team rejects, then accepts.
  expect((await post('team1', `/api/problems/${enc(id)}/verify`, { decision: 'reject' })).status).toBe(400);
  const bySupervisor = await post('super1', `/api/problems/${enc(id)}/verify`, { decision: 'accept' });
  expect([bySupervisor.status, bySupervisor.body.error]).toEqual([403, 'forbidden_role']);
  expect((await as('super1', `/api/problems/${enc(id)}`)).body.state).toBe('待核查');
  const rejected = await post('team1', `/api/problems/${enc(id)}/verify`, {
    decision: 'reject',
    reason: '现场复核仍有裸露土方',
  });
  expect(rejected.body).toMatchObject({ state: '整改中' });
  const ledgerBefore = (await as('super1', '/api/problems?campaign=drill&season=2026')).body;
  expect(ledgerBefore.region.byState).toMatchObject({ 整改中: 1, 排查: 1, 已销号: 0 });
  const ev2 = await as('sjz', `/api/problems/${enc(id)}/evidence`, {
    method: 'POST',
    body: upload({}, { name: '复核后.jpg', content: Buffer.concat([jpeg, Buffer.from('2')]) }),
  });
  expect(ev2.body.evidenceId).toBe('e2');
  expect((await post('team1', `/api/problems/${enc(id)}/verify`, { decision: 'accept' })).body).toMatchObject({
    state: '已销号',
  });
  const closed = await post('team1', `/api/problems/${enc(id)}/verify`, { decision: 'accept' });
  expect([closed.status, closed.body.error]).toEqual([409, 'problem_closed']);

  // The timeline: who, when, why.
  const rec = (await as('sjz', `/api/problems/${enc(id)}`)).body;
  expect(rec.timeline.map((e: { type: string; actor: { id: string } }) => `${e.type} ${e.actor.id}`)).toEqual([
    'found lantian',
    'assigned team1',
    'plan-submitted sjz',
    'evidence-submitted sjz',
    'similar-reported sjz',
    'rejected team1',
    'evidence-submitted sjz',
    'verified team1',
  ]);

  // The ledger, scoped: the supervisor sees both cities, the team and 石家庄 one, 唐山 its own.
  const all = (await as('super1', '/api/problems?campaign=drill&season=2026')).body;
  expect(all.region).toMatchObject({ total: 2, open: 1, similar: 1 });
  expect(all.region.byState).toMatchObject({ 已销号: 1, 排查: 1 });
  expect(all.problems.map((p: { number: string }) => p.number)).toEqual(['TS-1', 'API-1']);
  expect((await as('team1', '/api/problems?season=2026')).body.cities.map((c: { org: string }) => c.org)).toEqual([
    '130100',
  ]);
  const own = (await as('tangshan', '/api/problems?season=2026')).body;
  expect(own.problems.map((p: { number: string }) => p.number)).toEqual(['TS-1']);
  // 遗留: the next season's view carries the open problem over, not the closed one.
  const next = (await as('super1', '/api/problems?season=2027')).body;
  expect(next.problems.map((p: { number: string; carriedOver: boolean }) => [p.number, p.carriedOver])).toEqual([
    ['TS-1', true],
  ]);

  // Exports: .xlsx with its two sheets, CSV with a BOM.
  const x = await fetch(`${url}/api/problems?season=2026&format=xlsx`, {
    headers: { authorization: `Bearer ${tokens.super1}` },
  });
  expect(x.headers.get('content-type')).toMatch(/spreadsheetml/);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(Buffer.from(await x.arrayBuffer()) as unknown as ArrayBuffer);
  expect(book.worksheets.map((w) => w.name)).toEqual(['汇总', '问题清单']);
  expect(book.getWorksheet('问题清单')!.rowCount).toBe(3);
  const c = await fetch(`${url}/api/problems?season=2026&format=csv`, {
    headers: { authorization: `Bearer ${tokens.super1}` },
  });
  expect(c.headers.get('content-type')).toMatch(/text\/csv/);
  const bytes = Buffer.from(await c.arrayBuffer());
  // A byte-order mark first: Excel reads the Chinese as UTF-8 only with it.
  expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  expect(bytes.subarray(3).toString('utf8').split('\r\n')[0]).toMatch(/^问题编号,责任单位,/);

  // A team has no business with obligations: refused (403, in Chinese), pages and API alike, by
  // default; its header names its team.
  for (const p of [
    '/api/obligations?campaign=drill',
    '/api/scoreboard',
    '/api/campaigns',
    '/obligations',
    '/scoreboard',
  ]) {
    const r = await as('team1', p);
    expect([p, r.status]).toEqual([p, 403]);
  }
  expect((await as('team1', '/api/obligations')).body).toEqual({
    error: 'forbidden_role',
    message: '检查组用户无权查看任务。',
  });
  const page = await as('team1', '/problems?season=2026');
  expect(page.status).toBe(200);
  expect(page.text).toMatch(/<span class="me">第一检查组 · 检查组 <span class="who">team1<\/span>/);

  // The OpenAPI document lists every route.
  const doc = (await as('super1', '/docs/json')).body;
  for (const p of [
    '/api/problems',
    '/api/problems/{id}',
    '/api/problems/{id}/assign',
    '/api/problems/{id}/plan',
    '/api/problems/{id}/evidence',
    '/api/problems/{id}/verify',
    '/api/problems/{id}/similar',
  ])
    expect(Object.keys(doc.paths)).toContain(p);
}, 600_000);

test('a problem’s photos and evidence open for those who see the problem: listed with their file ids, scoped, recorded, 503 when the store is down', async () => {
  // A team records a problem with its photo (the page's form, multipart).
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(80, 3)]);
  const { season, ...fields } = problem('PH-1');
  const form = upload({ ...fields, season: String(season) }, { name: '现场照片.jpg', content: jpeg });
  const made = await as('team1', '/problems', { method: 'POST', body: form });
  expect(made.status).toBe(303);
  const id = 'lantian-problem:drill:2026:PH-1';

  // The record lists the photo with its file id, name, type and size.
  const rec = (await as('sjz', `/api/problems/${enc(id)}`)).body;
  expect(rec.photos).toEqual([
    { id: 'p1', fileName: '现场照片.jpg', mediaType: 'image/jpeg', size: jpeg.length, sha256: expect.any(String) },
  ]);

  // Whoever sees the problem opens it: the team of its city, the city, the office and a supervisor;
  // another city and another team are told there is no such problem.
  const file = `/api/problems/${enc(id)}/files/p1`;
  for (const who of ['team1', 'sjz', 'office1', 'super1']) {
    const r = await fetch(`${url}${file}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
    expect([who, r.status, r.headers.get('content-type')]).toEqual([who, 200, 'image/jpeg']);
    expect(r.headers.get('content-disposition')).toMatch(/^inline; filename=.*filename\*=UTF-8''%E7%8E%B0/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await r.arrayBuffer())).toEqual(jpeg);
  }
  for (const who of ['tangshan', 'team2']) {
    const r = await as(who, file);
    expect([who, r.status, r.body.error]).toEqual([who, 404, 'problem_not_found']);
  }
  const none = await as('sjz', `/api/problems/${enc(id)}/files/p9`);
  expect([none.status, none.body.error]).toEqual([404, 'problem_file_not_found']);

  // Evidence by its id, and from the page's link.
  const assigned = await post('team1', `/api/problems/${enc(id)}/assign`, {});
  await post('sjz', `/api/problems/${enc(id)}/plan`, { plan: '苫盖', completeBy: assigned.body.dueDate });
  const pdf = Buffer.from('%PDF-1.7\n整改报告\n%%EOF\n');
  const ev = await as('sjz', `/api/problems/${enc(id)}/evidence`, {
    method: 'POST',
    body: upload({}, { name: '整改报告.pdf', content: pdf }),
  });
  expect(ev.body.evidenceId).toBe('e1');
  const page = await as('team1', `/problems/${enc(id)}`);
  expect(page.text).toContain(`href="/problems/${enc(id)}/files/p1"`);
  expect(page.text).toContain(`href="/problems/${enc(id)}/files/e1"`);
  const fromPage = await fetch(`${url}/problems/${enc(id)}/files/e1`, {
    headers: { authorization: `Bearer ${tokens.super1}` },
  });
  expect([fromPage.status, fromPage.headers.get('content-type')]).toEqual([200, 'application/pdf']);
  expect(Buffer.from(await fromPage.arrayBuffer())).toEqual(pdf);
  expect((await as('tangshan', `/problems/${enc(id)}/files/e1`)).status).toBe(404);

  // Each opening is recorded (who, which file), a refused one is not.
  const downloads = await web.deps.users.downloads(id);
  expect(downloads.map((x) => `${x.evidenceId} ${x.user} ${x.role}`).reverse()).toEqual([
    'p1 team1 team',
    'p1 sjz assignee',
    'p1 office1 office',
    'p1 super1 supervisor',
    'e1 super1 supervisor',
  ]);

  // The store down: "not now" in Chinese, nothing recorded.
  const outage = jest
    .spyOn(web.deps.stores.evidence, 'head')
    .mockRejectedValue(new ObjectStoreUnavailable(new Error('connect ECONNREFUSED')));
  try {
    const down = await as('super1', file);
    expect([down.status, down.body.error]).toEqual([503, 'unavailable_storage']);
  } finally {
    outage.mockRestore();
  }
  expect(await web.deps.users.downloads(id)).toHaveLength(5);

  // The OpenAPI document lists the route.
  expect(Object.keys((await as('super1', '/docs/json')).body.paths)).toContain('/api/problems/{id}/files/{file}');
}, 600_000);
