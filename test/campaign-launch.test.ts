// Launching campaigns on the dev server (SQLite, search attributes): idempotent launches, a
// relaunch after a policy change, listing through visibility, the CLI against a live server,
// and state that survives a restart of the server.
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import { launchCampaign } from '../client/launch';
import { listObligations, type ObligationFilter } from '../client/obligations';
import { resolveCampaign } from '../planner/resolve';
import { loadPolicies } from '../planner/load';
import { recordQuery } from '../workflows/api';
import { documentNumberAllocator } from '../client/document-numbers';
import { documentNumbersWorkflowId } from '../workflows/document-numbers';
import { registryTaskQueue } from '../domain/ids';
import { recordHistory } from './support/histories';
import { runCli } from './support/cli';
import {
  devServerEnv,
  fixturePolicies,
  fixturePoliciesDir,
  skipOnCluster,
  tempDir,
  templatesDir,
  testCalendar,
  testDeps,
  testWorker,
  type TestDeps,
} from './support/temporal';

const calendar = testCalendar(2026, 2032, ['2031-01-01']);
const SEASON = 2030;
const TQ = 'lantian-test';

let dbDir: string;
let env: TestWorkflowEnvironment;
let deps: TestDeps;
let worker: LantianWorker;
let running: Promise<void>;

async function up() {
  env = await devServerEnv(path.join(dbDir, 'temporal.db'));
  worker = await testWorker(env, deps, TQ);
  running = worker.run();
}
async function down() {
  worker.shutdown();
  await running;
  await env.teardown();
}

beforeAll(async () => {
  dbDir = tempDir('devserver');
  deps = testDeps(calendar);
  await up();
});
afterAll(async () => {
  await down();
});

/** Visibility is eventually consistent: ask again until the expected count shows (bounded). */
async function listUntil(filter: ObligationFilter, count: number) {
  for (let i = 0; i < 100; i++) {
    const rows = await listObligations(env.client, filter);
    if (rows.length === count) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return listObligations(env.client, filter);
}

const rows = () => resolveCampaign(fixturePolicies(), 'drill', calendar, SEASON);

test('launching a campaign twice starts nothing twice', async () => {
  const plan = rows();
  // 2 cities × boilers + 1 VOC + 2 provinces × 6 months of reports
  expect(plan).toHaveLength(2 + 1 + 12);
  const first = await launchCampaign(env.client, plan, { taskQueue: TQ });
  expect(first).toMatchObject({ total: 15, existing: [], changed: [], failed: [] });
  expect(first.started).toHaveLength(15);

  const again = await launchCampaign(env.client, plan, { taskQueue: TQ });
  expect(again.started).toEqual([]);
  expect(again.existing).toHaveLength(15);
  expect(again.changed).toEqual([]);
});

test('a relaunch after a policy change reports what it added and what the change would alter', async () => {
  const dir = tempDir('policy-change');
  fs.cpSync(fixturePoliciesDir, dir, { recursive: true });
  const file = path.join(dir, 'campaigns', 'drill.yaml');
  const yaml = fs
    .readFileSync(file, 'utf8')
    .replace('assignees: ["130100"]', 'assignees: ["130100", "130200"]')
    .replace('{ monthEnd: 2030-12 }', '{ monthEnd: 2031-01 }');
  fs.writeFileSync(file, yaml);
  const changed = resolveCampaign(loadPolicies(dir, undefined, templatesDir), 'drill', calendar, SEASON);

  const report = await launchCampaign(env.client, changed, { taskQueue: TQ });
  expect(report.started).toEqual(['lantian:drill:2030:voc-bypass:130200']);
  expect(report.changed.map((c) => c.workflowId).sort()).toEqual([
    'lantian:drill:2030:coal-boilers:130100',
    'lantian:drill:2030:coal-boilers:130200',
  ]);
});

test('a supervisor lists by campaign, assignee, province and status through visibility', async () => {
  expect(await listUntil({ campaign: 'drill' }, 16)).toHaveLength(16);
  const sjz = await listUntil({ campaign: 'drill', assignee: '130100' }, 2);
  expect(sjz.map((r) => r.obligation).sort()).toEqual(['coal-boilers', 'voc-bypass']);
  expect(sjz.every((r) => r.status === 'open' && r.level === 0 && r.province === '130000')).toBe(true);
  // Hebei: the province's 6 monthly reports, 2 cities' boilers, and the VOC work of both cities.
  const hebei = await listUntil({ campaign: 'drill', province: '130000' }, 6 + 2 + 2);
  expect(hebei).toHaveLength(10);
  expect((await listUntil({ campaign: 'drill', status: 'overdue' }, 0)).length).toBe(0);
});

function cli(args: string[], policiesDir = fixturePoliciesDir) {
  return runCli(args, {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace,
    LANTIAN_POLICIES_DIR: policiesDir,
    LANTIAN_DATA_DIR: deps.dir,
    LANTIAN_USER: 'tester',
  });
}

test('the CLI submits evidence with a receipt, refuses another city, and the status shows in the listing', async () => {
  const id = 'lantian:drill:2030:coal-boilers:130200';
  const file = path.join(deps.dir, 'boilers.pdf');
  fs.writeFileSync(file, '%PDF-1.4 boiler removal list');

  const refused = await cli(['evidence', 'submit', id, file, '--as', '130100', '--quantity', '8']);
  expect(refused.code).not.toBe(0);
  expect(refused.err).toMatch(/不接受此次提交：唐山市的材料只能由该单位提交（操作人：责任单位 130100）。/);
  // Refused before the file was stored: nothing of it is kept.
  const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  expect(fs.existsSync(path.join(deps.dir, 'evidence', sha.slice(0, 2), sha))).toBe(false);

  const ok = await cli([
    'evidence',
    'submit',
    id,
    file,
    '--as',
    '130200',
    '--quantity',
    '8',
    '--note',
    '8台全部拆除',
    '--json',
  ]);
  expect(ok.err).toBe('');
  const receipt = JSON.parse(ok.out);
  expect(receipt).toMatchObject({ evidenceId: 'E1', state: 'pending', size: fs.statSync(file).size });
  expect(fs.existsSync(path.join(deps.dir, 'evidence', receipt.sha256.slice(0, 2), receipt.sha256))).toBe(true);

  // Visibility may lag a moment behind the Update: wait for it, then the CLI must list the same.
  expect((await listUntil({ campaign: 'drill', status: 'submitted' }, 1)).map((r) => r.workflowId)).toEqual([id]);
  const listed = await cli(['obligation', 'list', '--campaign', 'drill', '--status', 'submitted', '--json']);
  expect((JSON.parse(listed.out) as { workflowId: string }[]).map((r) => r.workflowId)).toEqual([id]);

  const reject = await cli(['evidence', 'review', id, 'E1', '--reject']);
  expect(reject.code).not.toBe(0);
  expect(reject.err).toMatch(/a rejection needs a reason/);
  const accept = await cli(['evidence', 'review', id, 'E1', '--accept', '--reason', '核实无误']);
  expect(accept.code).toBe(0);
  expect((await listUntil({ campaign: 'drill', status: 'met' }, 1)).map((r) => r.workflowId)).toEqual([id]);

  const closed = await cli(['obligation', 'waive', id, '--reason', 'too late']);
  expect(closed.code).not.toBe(0);
  expect(closed.err).toMatch(/closed/);

  const show = await cli(['obligation', 'show', id]);
  expect(show.out).toContain('evidence-accepted');
  expect(show.out).toContain('by office tester: 核实无误');

  // A broken policy file elsewhere does not stop anyone reading a timeline or handing in evidence.
  const broken = path.join(deps.dir, 'broken-policies');
  fs.cpSync(fixturePoliciesDir, broken, { recursive: true });
  const drillFile = path.join(broken, 'campaigns', 'drill.yaml');
  fs.writeFileSync(
    drillFile,
    fs.readFileSync(drillFile, 'utf8').replace('{ date: 2031-03-31 }', '{ date: "2031-13-31" }'),
  );
  const readable = await cli(['obligation', 'show', id], broken);
  expect(readable).toMatchObject({ code: 0, err: expect.stringMatching(/pace not shown: the policies do not load/) });
  expect(readable.out).toContain('evidence-accepted');
  const other = 'lantian:drill:2030:coal-boilers:130100';
  const handedIn = await cli(['evidence', 'submit', other, file, '--as', '130100', '--quantity', '3'], broken);
  expect(handedIn).toMatchObject({ code: 0, err: '' });
  expect(handedIn.out).toMatch(/receipt E1 for/);

  const missing = await cli(['obligation', 'show', 'lantian:drill:2030:nothing:000000']);
  expect(missing.code).not.toBe(0);
  expect(missing.err).toMatch(/no obligation lantian:drill:2030:nothing:000000/);
});

test('state survives a restart of the server: the same obligations, with their timelines', async () => {
  const id = 'lantian:drill:2030:voc-bypass:130100';
  await env.client.workflow.getHandle(id).executeUpdate('extendDeadline', {
    args: [{ actor: { role: 'office', id: 'tester' }, dueDate: '2031-04-30', reason: '汛期施工受限' }],
  });
  // On the dev server, down() and up() stop and start the server on the same SQLite file. On the
  // cluster they restart the worker and the connections only (the same namespace again).
  skipOnCluster(
    'restarting the Temporal server',
    "the cluster's server is shared and scripts/cluster.sh owns it; the worker and the connections restart, and the state is read back from it",
  );
  await down();
  await up();
  const rec = await env.client.workflow.getHandle(id).query(recordQuery);
  expect(rec.dueDate).toBe('2031-04-30');
  expect(rec.timeline.map((e) => e.type)).toEqual(['launched', 'extended']);
  expect(await listUntil({ campaign: 'drill' }, 16)).toHaveLength(16);
});

test('a closed obligation stays readable from the archive', async () => {
  const id = 'lantian:drill:2030:coal-boilers:130200';
  const archived = path.join(deps.archiveDir, `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  expect(JSON.parse(fs.readFileSync(archived, 'utf8'))).toMatchObject({ workflowId: id, status: 'met' });
});

test('document numbers: in sequence per office and year, and the same notice key always gets its own number back', async () => {
  const allocate = documentNumberAllocator(async () => env.client, TQ);
  expect(await allocate('测试大气办', 2031, 'a#escalation:1-urging')).toBe(1);
  expect(await allocate('测试大气办', 2031, 'b#escalation:1-urging')).toBe(2);
  expect(await allocate('测试大气办', 2031, 'a#escalation:1-urging')).toBe(1);
  expect(await allocate('测试大气办', 2032, 'c#escalation:2-warning-letter')).toBe(1);
  expect(await allocate('其他办', 2031, 'd#escalation:1-urging')).toBe(1);
});

test('document numbers: a burst of 300 letters at once gets 300 distinct numbers in a few batched Updates', async () => {
  const allocate = documentNumberAllocator(async () => env.client, TQ);
  const keys = Array.from({ length: 300 }, (_, i) => `burst-${i}#escalation:2-warning-letter`);
  const numbers = await Promise.all([...keys, ...keys.slice(0, 50)].map((k) => allocate('突发大气办', 2031, k)));
  expect(new Set(numbers.slice(0, 300)).size).toBe(300);
  expect([...numbers.slice(0, 300)].sort((a, b) => a - b)).toEqual(keys.map((_, i) => i + 1));
  expect(numbers.slice(300)).toEqual(numbers.slice(0, 50));
  const history = await env.client.workflow.getHandle(documentNumbersWorkflowId('突发大气办', 2031)).fetchHistory();
  const updates = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
  expect(updates).toBeLessThan(20);
});

test("document numbers: each registry runs on the registry queue, beside the obligations' queue", async () => {
  const allocate = documentNumberAllocator(async () => env.client, TQ);
  expect(await allocate('队列办', 2031, 'q#escalation:1-urging')).toBe(1);
  const registry = env.client.workflow.getHandle(documentNumbersWorkflowId('队列办', 2031));
  expect((await registry.describe()).taskQueue).toBe(registryTaskQueue(TQ));
  recordHistory('document-number-registry', await registry.fetchHistory());
});
