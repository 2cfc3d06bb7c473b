// The problems' API on a real web server, dev server and worker, one role after another: an
// inspection team records and assigns a problem in its city (not another's), the city submits its
// plan, a photo and 举一反三, the team rejects and then verifies, and the ledger and its exports
// change; another city's problem is 404 to a city and refused to a team outside its cities.
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import { readEnv } from '../config/env';
import { startWeb, type RunningWeb } from '../web/start';
import { loadPolicies } from '../planner/load';
import { call, enc, upload } from './support/web';
import {
  devServerEnv,
  fixturePoliciesDir,
  repo,
  tempDir,
  templatesDir,
  testCalendar,
  testDeps,
  testWorker,
  type TestDeps,
} from './support/temporal';

const TQ = 'lantian-problem-api';
const calendar = testCalendar(2026, 2032);
let env: TestWorkflowEnvironment;
let deps: TestDeps;
let worker: LantianWorker;
let running: Promise<void>;
let web: RunningWeb;
let url: string;
const tokens: Record<string, string> = {};

/** The drill fixtures, the shipped problems policy, and one inspection team working in 石家庄. */
function problemPolicies(): string {
  const dir = path.join(tempDir('problem-api-policies'), 'policies');
  fs.cpSync(fixturePoliciesDir, dir, { recursive: true, filter: (src) => path.basename(src) !== 'templates' });
  fs.symlinkSync(templatesDir, path.join(dir, 'templates'));
  fs.writeFileSync(
    path.join(dir, 'problems.yaml'),
    fs
      .readFileSync(path.join(repo, 'policies', 'problems.yaml'), 'utf8')
      .replace(/^teams: \[\]$/m, 'teams:\n  - { name: 第一检查组, users: [team1], orgs: ["130100"] }'),
  );
  return dir;
}

beforeAll(async () => {
  const dir = problemPolicies();
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
    ['team1', 'supervisor'],
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
  // Record: a team in its city; not in another; not a city or a supervisor outside any team.
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
  expect((await as('sjz', `/api/problems/${enc(id)}`)).status).toBe(200);
  expect((await as('super1', `/api/problems/${enc(ts)}`)).status).toBe(200);
  expect((await as('sjz', `/api/problems/${enc('lantian-problem:drill:2026:NOPE')}`)).status).toBe(404);

  // 交办: the team, not the city or a supervisor outside any team.
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

  // 核查: a rejection needs a reason; a supervisor outside any team cannot; the team rejects, then accepts.
  expect((await post('team1', `/api/problems/${enc(id)}/verify`, { decision: 'reject' })).status).toBe(400);
  expect((await post('super1', `/api/problems/${enc(id)}/verify`, { decision: 'accept' })).status).toBe(403);
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
