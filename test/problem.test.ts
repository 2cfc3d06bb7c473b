// Problems found on inspection on the time-skipping server, with real workers. The drill campaign
// (test/fixtures) and policies/problems.yaml; a calendar of weekends plus Wed 2030-11-06 as a
// holiday, so every instant below can be read off it:
//   交办 Mon 2030-11-04 10:00; 扬尘 is 立行立改 within 3 working days → Tue 05, Thu 07, Fri 08: due Fri 11-08;
//   催办 1 working day after → Mon 11-11, 预警 5 → Fri 11-15, 约谈 10 → Fri 11-22, 专项督察 20 → Fri 12-06,
//   each at 09:00 Shanghai time.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { recordHistory } from './support/histories';
import { readLetter } from '../storage/letters';
import type { LantianWorker } from '../worker/registry';
import { importProblems, listProblems, problemLedgerItems, problemRecord } from '../client/problems';
import {
  LEDGER_MEMO_KEY,
  ledgerFactsOf,
  ledgerItemOf,
  startingLedgerFacts,
  type LedgerItem,
} from '../domain/problem-memo';
import { loadProblemPolicy, parseCsv, readProblemCsv } from '../planner/problems';
import type { Actor, ProblemInput } from '../domain/problem';
import {
  assignProblem,
  problemRecordQuery,
  submitProblemEvidence,
  submitProblemPlan,
  verifyProblem,
} from '../workflows/problem-api';
import {
  fixturePolicies,
  outboxMessages,
  repo,
  testCalendar,
  testDeps,
  devServerEnv,
  tempDir,
  testWorker,
  timeSkippingEnv,
  type TestDeps,
} from './support/temporal';

const SEASON = 2030;
const calendar = testCalendar(2026, 2032, ['2030-11-06']);
const policies = fixturePolicies();
const policy = loadProblemPolicy(path.join(repo, 'policies', 'problems.yaml'));
const context = {
  campaign: policies.campaigns.get('drill')!,
  season: SEASON,
  policy,
  organisations: policies.organisations,
};

const HEADER = '问题编号,责任单位,点位或企业,统一社会信用代码,类别,问题描述,发现日期,检查组';
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n') + '\n';
const GOOD = csv(
  'DC-001,130100,"石家庄某建材有限公司",91130100MA0A1B2C3D,扬尘,"料场未苫盖，道路积尘",2030-11-01,第一检查组',
  'DC-002,石家庄市,某村散乱污作坊,,散乱污,"无手续小作坊仍在生产",2030-11-01,第一检查组',
  'DC-003,唐山市,"某钢铁有限公司",,VOCs,"废气收集设施未运行, 无组织排放",2030-11-02,第二检查组',
);

const office: Actor = { role: 'office', id: 'team-leader' };
const sjz: Actor = { role: 'assignee', id: 'sjz-user', org: '130100' };
const ts: Actor = { role: 'assignee', id: 'ts-user', org: '130200' };
const evidence = (sha = 'a') => ({
  actor: sjz,
  sha256: sha.repeat(64),
  size: 4096,
  fileName: '整改照片.pdf',
  mediaType: 'application/pdf',
});

let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;
const deps: TestDeps = testDeps(calendar, policies);
const recorded = new Map<string, WorkflowHandle>();

beforeAll(() => {
  if (Date.now() > Date.parse('2030-09-01')) throw new Error('the season 2030 fixture is in the past: move it forward');
});

beforeEach(async () => {
  env = await timeSkippingEnv();
  worker = await testWorker(env, deps);
  running = worker.run();
});

afterEach(async () => {
  // LANTIAN_RECORD_HISTORIES=1 npx jest test/problem.test.ts stores each scenario's history for the replay test.
  if (process.env.LANTIAN_RECORD_HISTORIES)
    for (const [name, h] of recorded) recordHistory(name, await h.fetchHistory());
  recorded.clear();
  worker.shutdown();
  await running;
  await env.teardown();
});

async function skipTo(localIso: string) {
  const target = Date.parse(localIso);
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

/** The file's problems started; the handle of `number`, recorded under `name` for the replay test. */
async function imported(number: string, name: string): Promise<WorkflowHandle> {
  const report = await importProblems(env.client, readProblemCsv('team.csv', GOOD, context), {
    taskQueue: 'lantian-test',
  });
  expect(report.failed).toEqual([]);
  const h = env.client.workflow.getHandle(`lantian-problem:drill:${SEASON}:${number}`);
  recorded.set(name, h);
  return h;
}

const shanghai = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 16);

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  return String((e as WorkflowUpdateFailedError).cause?.message);
}

test('imported, assigned, rectified on time and verified → 已销号 with no escalation', async () => {
  const h = await imported('DC-001', 'problem-verified-on-time');
  await skipTo('2030-11-04T10:00:00+08:00');
  // Nothing but 交办 is possible before it is assigned.
  expect(
    await refusal(
      h.executeUpdate(submitProblemPlan, { args: [{ actor: sjz, plan: '苫盖', completeBy: '2030-11-07' }] }),
    ),
  ).toMatch(/not assigned yet/);
  // An Update that Lantian did not sign (a client reaching Temporal directly) is refused.
  const unsigned = new Client({ connection: env.connection, namespace: env.namespace });
  expect(
    await refusal(
      unsigned.workflow.getHandle(h.workflowId).executeUpdate(assignProblem, { args: [{ actor: office }] }),
    ),
  ).toMatch(/not signed by Lantian/);
  expect(await h.executeUpdate(assignProblem, { args: [{ actor: office }] })).toEqual({ dueDate: '2030-11-08' });
  expect(await refusal(h.executeUpdate(assignProblem, { args: [{ actor: office }] }))).toMatch(/already assigned/);
  expect(await refusal(h.executeUpdate(submitProblemEvidence, { args: [evidence()] }))).toMatch(/整改方案 first/);
  expect(
    await refusal(
      h.executeUpdate(submitProblemPlan, { args: [{ actor: ts, plan: '苫盖', completeBy: '2030-11-07' }] }),
    ),
  ).toMatch(/only 石家庄市 \(130100\)/);
  expect(
    await refusal(
      h.executeUpdate(submitProblemPlan, { args: [{ actor: sjz, plan: '苫盖', completeBy: '2030-11-20' }] }),
    ),
  ).toMatch(/after the deadline 2030-11-08/);
  await h.executeUpdate(submitProblemPlan, {
    args: [{ actor: sjz, plan: '料场全部苫盖，道路每日清扫', completeBy: '2030-11-07' }],
  });
  await skipTo('2030-11-07T15:00:00+08:00');
  expect(await refusal(h.executeUpdate(verifyProblem, { args: [{ actor: office, decision: 'accept' }] }))).toMatch(
    /nothing awaits 核查/,
  );
  await h.executeUpdate(submitProblemEvidence, { args: [evidence()] });
  expect(await refusal(h.executeUpdate(verifyProblem, { args: [{ actor: sjz, decision: 'accept' }] }))).toMatch(
    /only the office or an inspection team/,
  );
  await skipTo('2030-11-08T11:00:00+08:00');
  expect(await h.executeUpdate(verifyProblem, { args: [{ actor: office, decision: 'accept' }] })).toMatchObject({
    state: '已销号',
  });
  expect(await h.result()).toMatchObject({ state: '已销号', level: 0, dueDate: '2030-11-08' });

  const rec = await h.query(problemRecordQuery);
  expect(rec.timeline.map((e) => e.type)).toEqual([
    'found',
    'assigned',
    'plan-submitted',
    'evidence-submitted',
    'verified',
  ]);
  expect(rec.overdue).toBe(false);
  expect(rec.evidence.map((e) => e.state)).toEqual(['accepted']);
  // One notice: the 交办 letter, with its 文号.
  expect(rec.notices).toEqual([
    expect.objectContaining({
      kind: '交办',
      documentNumber: '测试大气办〔2030〕1号',
      subject: expect.stringContaining('问题交办'),
    }),
  ]);
  // A closed problem's workflow has ended: nothing more reaches it.
  await expect(h.executeUpdate(submitProblemEvidence, { args: [evidence('b')] })).rejects.toThrow();
});

test('ignored → 催办, 预警, 约谈, 专项督察 each on its working day at 09:00 Shanghai time', async () => {
  const h = await imported('DC-001', 'problem-ignored-ladder');
  await skipTo('2030-11-04T10:00:00+08:00');
  await h.executeUpdate(assignProblem, { args: [{ actor: office, note: '请立行立改' }] });
  await skipTo('2030-12-08T12:00:00+08:00');
  const rec = await h.query(problemRecordQuery);
  expect(rec).toMatchObject({ state: '交办', overdue: true, level: 4, dueDate: '2030-11-08' });
  const at = (type: string) =>
    rec.timeline.filter((e) => e.type === type).map((e) => `${shanghai(e.at)}${e.step ? ` ${e.step}` : ''}`);
  expect(at('deadline-passed')).toEqual(['2030-11-09T00:00']);
  expect(at('escalated')).toEqual([
    '2030-11-11T09:00 催办',
    '2030-11-15T09:00 预警',
    '2030-11-22T09:00 约谈',
    '2030-12-06T09:00 专项督察',
  ]);
  // Each step a numbered letter, once: 交办 is No. 1, the ladder 2–5.
  expect(rec.notices.map((n) => `${n.kind} ${n.documentNumber}`)).toEqual([
    '交办 测试大气办〔2030〕1号',
    '催办 测试大气办〔2030〕2号',
    '预警 测试大气办〔2030〕3号',
    '约谈 测试大气办〔2030〕4号',
    '专项督察 测试大气办〔2030〕5号',
  ]);
  const mails = outboxMessages(deps).filter((m) => m.raw.includes('DC-001'));
  expect(mails.filter((m) => m.subject.includes('专项督察'))).toHaveLength(1);
  // Each letter cites the steps taken before it, by 文号.
  const text = (kind: string) => readLetter(deps.lettersDir, rec.notices.find((n) => n.kind === kind)!.key)!.text;
  expect(text('催办')).not.toContain('经');
  expect(text('预警')).toContain('经催办（测试大气办〔2030〕2号），截至');
  expect(text('专项督察')).toContain(
    '经催办（测试大气办〔2030〕2号）、预警（测试大气办〔2030〕3号）、约谈（测试大气办〔2030〕4号），截至',
  );
  // The ledger's facts in the memo followed the ladder: overdue, at its fourth step.
  expect((await h.describe()).memo?.[LEDGER_MEMO_KEY]).toEqual(ledgerFactsOf(rec));
  expect(ledgerFactsOf(rec)).toMatchObject({ state: '交办', overdue: true, level: 4, dueDate: '2030-11-08' });
});

test('rejected at 核查 → back to rectification with the reason, then verified', async () => {
  const h = await imported('DC-001', 'problem-rejected-at-verification');
  await skipTo('2030-11-04T10:00:00+08:00');
  await h.executeUpdate(assignProblem, { args: [{ actor: office }] });
  await h.executeUpdate(submitProblemPlan, { args: [{ actor: sjz, plan: '苫盖', completeBy: '2030-11-07' }] });
  await h.executeUpdate(submitProblemEvidence, { args: [evidence('a')] });
  expect(await refusal(h.executeUpdate(verifyProblem, { args: [{ actor: office, decision: 'reject' }] }))).toMatch(
    /rejection needs a reason/,
  );
  // While evidence awaits 核查 the ladder holds; the office moves the date as it rejects.
  await skipTo('2030-11-12T10:00:00+08:00');
  expect((await h.query(problemRecordQuery)).timeline.filter((e) => e.type === 'escalation-held')).toHaveLength(1);
  expect(
    await h.executeUpdate(verifyProblem, {
      args: [{ actor: office, decision: 'reject', reason: '现场复核仍有裸露土方', dueDate: '2030-11-15' }],
    }),
  ).toEqual({ state: '整改中', dueDate: '2030-11-15' });
  let rec = await h.query(problemRecordQuery);
  expect(rec).toMatchObject({ state: '整改中', overdue: false, level: 0 });
  expect(rec.timeline.at(-1)).toMatchObject({
    type: 'rejected',
    reason: '现场复核仍有裸露土方',
    dueDate: '2030-11-15',
  });
  await h.executeUpdate(submitProblemEvidence, { args: [evidence('b')] });
  await h.executeUpdate(verifyProblem, { args: [{ actor: office, decision: 'accept' }] });
  expect(await h.result()).toMatchObject({ state: '已销号', level: 0, dueDate: '2030-11-15' });
  rec = await h.query(problemRecordQuery);
  expect(rec.evidence.map((e) => e.state)).toEqual(['rejected', 'accepted']);
  expect(rec.timeline.filter((e) => e.type === 'escalated')).toEqual([]);
});

test('import: a file with one bad row is refused whole naming it; the same file twice starts nothing twice', async () => {
  const bad = csv(
    'DC-001,130100,某建材有限公司,,扬尘,料场未苫盖,2030-11-01,第一检查组',
    'DC-002,130100,某作坊,,烧烤,油烟,2030-11-01,第一检查组',
    'DC-003,130100,某企业,,VOCs,无组织排放,2030-11-01,第二检查组',
  );
  expect(() => readProblemCsv('team.csv', bad, context)).toThrow(/^team\.csv:3 类别: 烧烤 is not a category/);
  expect(() =>
    readProblemCsv('team.csv', csv('DC-9,999999,某企业,,VOCs,无组织排放,2030-02-30,第二检查组'), context),
  ).toThrow(/team\.csv:2 责任单位: 999999 is not in the organisations registry[\s\S]*team\.csv:2 发现日期/);
  const english = readProblemCsv(
    'team.csv',
    'number,assignee,site,category,description,found date,team\nEN-1,130200,Some works,扬尘,dust,2030-11-01,team 2\n',
    context,
  );
  expect(english[0]).toMatchObject({
    number: 'EN-1',
    assignee: { code: '130200', name: '唐山市' },
    rule: { type: '立行立改' },
  });

  const inputs: ProblemInput[] = readProblemCsv('team.csv', GOOD, context);
  const first = await importProblems(env.client, inputs, { taskQueue: 'lantian-test' });
  expect(first).toMatchObject({ total: 3, existing: [], failed: [] });
  expect(first.started).toEqual([
    'lantian-problem:drill:2030:DC-001',
    'lantian-problem:drill:2030:DC-002',
    'lantian-problem:drill:2030:DC-003',
  ]);
  const again = await importProblems(env.client, inputs, { taskQueue: 'lantian-test' });
  expect(again).toMatchObject({ total: 3, started: [], failed: [] });
  expect(again.existing).toHaveLength(3);
});

test('the problems policy is checked with file, path and reason; CSV cells may hold commas, quotes and line breaks', () => {
  const dir = tempDir('problems-policy');
  fs.mkdirSync(path.join(dir, 'templates', 'problems'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'templates', 'problems', 'assignment.hbs'), 'subject: x\n---\nx');
  fs.writeFileSync(
    path.join(dir, 'problems.yaml'),
    [
      'ladder:',
      '  - { kind: 催办, workingDays: 5, template: urging }',
      '  - { kind: 预警, workingDays: 3, template: warning }',
      'categories:',
      '  - { name: 扬尘, rule: { type: 立行立改, workingDays: 0 } }',
    ].join('\n'),
  );
  expect(() => loadProblemPolicy(path.join(dir, 'problems.yaml'))).toThrow(
    /problems\.yaml categories\.0\.rule\.workingDays: [\s\S]*problems\.yaml ladder\.1\.workingDays: must come after the step before/,
  );
  fs.writeFileSync(
    path.join(dir, 'problems.yaml'),
    'ladder: [{ kind: 催办, workingDays: 1, template: urging }]\ncategories: [{ name: 扬尘, rule: { type: 立行立改, workingDays: 3 } }]\n',
  );
  expect(() => loadProblemPolicy(path.join(dir, 'problems.yaml'))).toThrow(
    'problems.yaml ladder.0.template: problems/urging.hbs is missing',
  );
  expect(parseCsv('\uFEFFa,"b, ""c""\nd"\r\n\r\nx,y\n')).toEqual([
    { line: 1, cells: ['a', 'b, "c"\nd'] },
    { line: 4, cells: ['x', 'y'] },
  ]);
});

test('list and show on a dev server: the imported problems by campaign and season, each with its record', async () => {
  const dev = await devServerEnv();
  const w = await testWorker(dev, deps, 'lantian-problems-dev');
  const run = w.run();
  try {
    await importProblems(dev.client, readProblemCsv('team.csv', GOOD, context), { taskQueue: 'lantian-problems-dev' });
    let ids: string[] = [];
    for (let i = 0; i < 50 && ids.length < 3; i++) {
      ids = await listProblems(dev.client, 'drill', SEASON);
      if (ids.length < 3) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ids.sort()).toEqual([
      'lantian-problem:drill:2030:DC-001',
      'lantian-problem:drill:2030:DC-002',
      'lantian-problem:drill:2030:DC-003',
    ]);
    expect(await listProblems(dev.client, 'drill', 2031)).toEqual([]);
    // Assigned, one of them: the ledger's listing reads each problem's facts from its memo, the
    // same as its record says, with no query.
    await dev.client.workflow.getHandle(ids[0]).executeUpdate(assignProblem, { args: [{ actor: office }] });
    const records = await Promise.all(ids.map((id) => problemRecord(dev.client, id)));
    for (const r of records)
      expect((await dev.client.workflow.getHandle(r.workflowId).describe()).memo?.[LEDGER_MEMO_KEY]).toEqual(
        ledgerFactsOf(r),
      );
    // The facts a problem is started with are the ones its workflow holds before anything happens.
    const inputs = readProblemCsv('team.csv', GOOD, context);
    expect(records.slice(1).map(ledgerFactsOf)).toEqual(inputs.slice(1).map(startingLedgerFacts));
    let items: LedgerItem[] = [];
    for (let i = 0; i < 50; i++) {
      items = (await problemLedgerItems(dev.client, 'drill')).sort((a, b) => a.number.localeCompare(b.number));
      if (items[0]?.state === '交办') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(items).toEqual(records.map(ledgerItemOf));
    expect(items.map((i) => `${i.number} ${i.state}`)).toEqual(['DC-001 交办', 'DC-002 排查', 'DC-003 排查']);
    expect(await problemRecord(dev.client, ids[2])).toMatchObject({
      number: 'DC-003',
      state: '排查',
      assignee: { code: '130200', name: '唐山市' },
      site: { name: '某钢铁有限公司' },
      category: 'VOCs',
      rule: { type: '限期整改', defaultDays: 30 },
    });
  } finally {
    w.shutdown();
    await run;
    await dev.teardown();
  }
});
