// The obligation workflow's timers on the time-skipping server: a whole campaign season runs
// in seconds. The drill campaign (test/fixtures) is planned for season 2030 with a calendar of
// weekends plus 2031-01-01 as a holiday, so every expected instant below can be read off it:
//   coal-boilers due Tue 2030-12-31 → reminders Tue 12-24 and Mon 12-30 09:00,
//   urging P1D → Wed 2031-01-01 is a holiday → Thu 01-02 09:00, warning letter P15D → Wed 01-15,
//   public interview P1M → Fri 01-31, accountability P2M → Fri 02-28, all at 09:00 +08:00.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { recordHistory } from './support/histories';
import { readLetter } from '../storage/letters';
import { systemReasonCn } from '../web/html';
import type { LantianWorker } from '../worker/registry';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { obligationWorkflow } from '../workflows/obligation';
import { submitEvidence, reviewEvidence, extendDeadline, waiveObligation, recordQuery } from '../workflows/api';
import { resolveCampaign, type PlanRow } from '../planner/resolve';
import type { Actor, ObligationRecord } from '../domain/obligation';
import {
  fixturePolicies,
  testCalendar,
  testDeps,
  testWorker,
  timeSkippingEnv,
  outboxMessages,
  type TestDeps,
} from './support/temporal';

const SEASON = 2030;
const calendar = testCalendar(2026, 2032, ['2031-01-01']);
const rows = resolveCampaign(fixturePolicies(), 'drill', calendar, SEASON);
const row = (obligation: string, assignee: string, period?: string): PlanRow => {
  const r = rows.find((x) => x.obligationId === obligation && x.assignee === assignee && x.period === period);
  if (!r) throw new Error(`no plan row ${obligation} ${assignee} ${period ?? ''}`);
  return r;
};

const office: Actor = { role: 'office', id: 'reviewer' };
const sjz: Actor = { role: 'assignee', id: 'sjz-user', org: '130100' };
const evidence = (quantity?: number, sha = 'a') => ({
  actor: sjz,
  sha256: sha.repeat(64),
  size: 2048,
  fileName: 'boilers.pdf',
  mediaType: 'application/pdf',
  quantity,
});

let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;
// One outbox for the whole file, so the last test can check that no notice was written twice.
const deps: TestDeps = testDeps(calendar);

beforeAll(() => {
  if (Date.now() > Date.parse('2030-09-01'))
    throw new Error('the drill fixture season 2030 is in the past: move it (and these expectations) forward');
});

// The time-skipping server's clock is global: each scenario gets a server of its own, so one
// scenario skipping to 2031 does not put the next one's deadlines in the past.
beforeEach(async () => {
  env = await timeSkippingEnv();
  worker = await testWorker(env, deps);
  running = worker.run();
});

afterEach(async () => {
  // LANTIAN_RECORD_HISTORIES=1 npx jest test/obligation-timers.test.ts stores each scenario's
  // history for the replay test; commit new fixtures when behaviour grows (never overwrite old ones).
  if (process.env.LANTIAN_RECORD_HISTORIES)
    for (const [name, h] of recorded) recordHistory(name, await h.fetchHistory());
  recorded.clear();
  worker.shutdown();
  await running;
  await env.teardown();
});

let seq = 0;
const recorded = new Map<string, WorkflowHandle>();
async function start(r: PlanRow) {
  const h = await env.client.workflow.start(obligationWorkflow, {
    taskQueue: 'lantian-test',
    workflowId: `${r.workflowId}#t${++seq}`,
    args: [r.input],
  });
  const name = expect
    .getState()
    .currentTestName!.split(' ')
    .slice(0, 6)
    .join('-')
    .replace(/[^a-z0-9-]/gi, '')
    .toLowerCase();
  recorded.set(`${name}-${r.obligationId}${r.period ? `-${r.period}` : ''}`, h);
  return h;
}

/** Skips the server's clock forward to a local Shanghai instant. */
async function skipTo(localIso: string) {
  const target = Date.parse(localIso);
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

const local = (rec: ObligationRecord, type: string) =>
  rec.timeline.filter((e) => e.type === type).map((e) => `${e.atLocal.slice(0, 16)}${e.level ? ` L${e.level}` : ''}`);

test('city ignores its deadline → urging, warning letter, public interview, accountability, each on its day at 09:00 Shanghai time', async () => {
  const h = await start(row('coal-boilers', '130100'));
  const outcome = await h.result();
  expect(outcome).toMatchObject({ status: 'unmet', level: 4, dueDate: '2030-12-31' });

  const rec = await h.query(recordQuery);
  expect(local(rec, 'reminder-sent')).toEqual(['2030-12-24T09:00', '2030-12-30T09:00']);
  // The due day ends at midnight: that is when the obligation turns overdue.
  expect(local(rec, 'deadline-passed')).toEqual(['2031-01-01T00:00']);
  expect(local(rec, 'escalated')).toEqual([
    '2031-01-02T09:00 L1',
    '2031-01-15T09:00 L2',
    '2031-01-31T09:00 L3',
    '2031-02-28T09:00 L4',
  ]);
  expect(rec.timeline.at(-1)).toMatchObject({ type: 'closed-unmet' });
  // Period end 2031-03-31 + closeAfter P30D: closes when 2031-04-30 ends.
  expect(rec.timeline.at(-1)!.atLocal.slice(0, 16)).toBe('2031-05-01T00:00');
  // Every event says why, the system's own included.
  expect(rec.timeline.filter((e) => !e.reason).map((e) => e.type)).toEqual([]);
  expect(rec.timeline.find((e) => e.type === 'escalated' && e.level === 2)?.reason).toBe(
    'still unmet P15D after the due date 2030-12-31: warning-letter',
  );
  // The zh-CN pages show every one of the system's reasons in Chinese.
  expect(
    rec.timeline
      .filter((e) => e.actor.role === 'system' && systemReasonCn(e.reason!) === e.reason)
      .map((e) => e.reason),
  ).toEqual([]);
  expect(systemReasonCn(rec.timeline.find((e) => e.type === 'escalated' && e.level === 2)!.reason!)).toBe(
    '截止日期 2030-12-31 后 15日 仍未完成：预警通知函',
  );

  // Escalation letters are numbered in sequence for the office and year; reminders are not.
  // (Each letter nobody acknowledged was also urged once: test/acknowledgement.test.ts.)
  expect(rec.notices.filter((n) => n.kind !== 'acknowledgement-urging').map((n) => n.documentNumber)).toEqual([
    undefined,
    undefined,
    '测试大气办〔2031〕1号',
    '测试大气办〔2031〕2号',
    '测试大气办〔2031〕3号',
    '测试大气办〔2031〕4号',
  ]);
  const kinds = rec.notices.map((n) => n.kind);
  expect(kinds).toEqual([
    'reminder',
    'reminder',
    'urging',
    'acknowledgement-urging',
    'warning-letter',
    'acknowledgement-urging',
    'public-interview',
    'acknowledgement-urging',
    'accountability',
    'acknowledgement-urging',
  ]);
  // The warning letter goes to the city government, copied to the leading-group office.
  const letter = rec.notices.find((n) => n.kind === 'warning-letter')!;
  expect(letter.to).toEqual(['zfb@sjz.example.gov.cn']);
  expect(letter.cc).toContain('office@drill.lantian.local');
  expect(letter.subject).toContain('预警通知函');
  // Each later letter cites the ones before it, by 文号.
  const text = (kind: string) => readLetter(deps.lettersDir, rec.notices.find((n) => n.kind === kind)!.key)!.text;
  expect(text('public-interview')).toContain(
    '经督办（测试大气办〔2031〕1号）、预警（测试大气办〔2031〕2号）后整改不到位',
  );
  expect(text('accountability')).toContain(
    '经督办（测试大气办〔2031〕1号）、预警（测试大气办〔2031〕2号）、约谈（测试大气办〔2031〕3号）后仍未整改到位',
  );
});

test('city submits on time and the office accepts → met, no escalation', async () => {
  const h = await start(row('coal-boilers', '130100'));
  await skipTo('2030-12-20T10:00:00+08:00');
  const receipt = await h.executeUpdate(submitEvidence, { args: [evidence(12)] });
  expect(receipt).toMatchObject({ evidenceId: 'E1', state: 'pending', size: 2048 });
  expect(receipt.receivedAtLocal).toMatch(/^2030-12-20T10:00/);
  await h.executeUpdate(reviewEvidence, { args: [{ actor: office, evidenceId: 'E1', decision: 'accept' }] });

  expect(await h.result()).toMatchObject({ status: 'met', level: 0 });
  const rec = await h.query(recordQuery);
  expect(local(rec, 'reminder-sent')).toEqual([]);
  expect(local(rec, 'escalated')).toEqual([]);
});

test('quantities add up: 7 of 12 boilers accepted is not enough, the next 5 meet the target', async () => {
  const h = await start(row('coal-boilers', '130100'));
  await skipTo('2030-12-01T10:00:00+08:00');
  await h.executeUpdate(submitEvidence, { args: [evidence(7, 'b')] });
  await h.executeUpdate(reviewEvidence, { args: [{ actor: office, evidenceId: 'E1', decision: 'accept' }] });
  expect((await h.query(recordQuery)).status).toBe('open');
  await h.executeUpdate(submitEvidence, { args: [evidence(5, 'c')] });
  await h.executeUpdate(reviewEvidence, { args: [{ actor: office, evidenceId: 'E2', decision: 'accept' }] });
  expect(await h.result()).toMatchObject({ status: 'met', level: 0 });
});

test('office extends the deadline after the urging → every later reminder and step moves to the new date', async () => {
  const h = await start(row('coal-boilers', '130100'));
  await skipTo('2031-01-03T10:00:00+08:00');
  await h.executeUpdate(extendDeadline, { args: [{ actor: office, dueDate: '2031-02-28', reason: '设备采购延迟' }] });
  const outcome = await h.result();
  expect(outcome).toMatchObject({ status: 'unmet', level: 4, dueDate: '2031-02-28' });

  const rec = await h.query(recordQuery);
  // Reminders for the new deadline: P7D Fri 02-21, P1D Fri 02-27.
  expect(local(rec, 'reminder-sent')).toEqual([
    '2030-12-24T09:00',
    '2030-12-30T09:00',
    '2031-02-21T09:00',
    '2031-02-27T09:00',
  ]);
  // The urging already sent is not repeated; the warning letter (P15D = Sat 03-15) moves to Mon 03-17.
  expect(local(rec, 'escalated')).toEqual([
    '2031-01-02T09:00 L1',
    '2031-03-17T09:00 L2',
    '2031-03-28T09:00 L3',
    '2031-04-28T09:00 L4',
  ]);
  expect(rec.timeline.find((e) => e.type === 'extended')).toMatchObject({
    actor: office,
    reason: '设备采购延迟',
    dueDate: '2031-02-28',
    previousDueDate: '2030-12-31',
  });
});

test('office extends into a year the calendar has no holiday notice for → refused with that reason, the old schedule stands', async () => {
  const h = await start(row('coal-boilers', '130100'));
  await skipTo('2031-01-03T10:00:00+08:00');
  // Due 2032-12-20 (past the next season, so confirmed): the ladder runs into 2033, which the
  // test calendar (2026–2032) does not cover.
  const e = await h
    .executeUpdate(extendDeadline, {
      args: [{ actor: office, dueDate: '2032-12-20', reason: '延期', confirmed: true }],
    })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((e as WorkflowUpdateFailedError).cause as Error).message).toMatch(
    /cannot move the due date to 2032-12-20: .*does not cover 2033/,
  );
  const before = await h.query(recordQuery);
  expect(before.dueDate).toBe('2030-12-31');
  expect(before.timeline.map((x) => x.type)).not.toContain('extended');
  // The obligation goes on escalating on its own dates: the warning letter on 01-15.
  await skipTo('2031-01-16T10:00:00+08:00');
  expect(local(await h.query(recordQuery), 'escalated')).toEqual(['2031-01-02T09:00 L1', '2031-01-15T09:00 L2']);
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: 'end of test' }] });
  await h.result();
});

test('office waives after the urging → escalation stops there', async () => {
  const h = await start(row('coal-boilers', '130100'));
  await skipTo('2031-01-10T10:00:00+08:00');
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: '企业已关停' }] });
  expect(await h.result()).toMatchObject({ status: 'waived', level: 1 });
  const rec = await h.query(recordQuery);
  expect(local(rec, 'escalated')).toEqual(['2031-01-02T09:00 L1']);
  expect(rec.timeline.at(-1)).toMatchObject({ type: 'waived', reason: '企业已关停', actor: office });
});

test('rejected evidence re-opens the obligation: reminders resume and the deadline escalates', async () => {
  const h = await start(row('coal-boilers', '130100'));
  await skipTo('2030-12-20T10:00:00+08:00');
  await h.executeUpdate(submitEvidence, { args: [evidence(12, 'd')] });
  await h.executeUpdate(reviewEvidence, {
    args: [{ actor: office, evidenceId: 'E1', decision: 'reject', reason: '照片无法证明拆除' }],
  });
  await skipTo('2031-01-03T10:00:00+08:00');
  const rec = await h.query(recordQuery);
  expect(rec.status).toBe('overdue');
  expect(local(rec, 'reminder-sent')).toEqual(['2030-12-24T09:00', '2030-12-30T09:00']);
  expect(local(rec, 'escalated')).toEqual(['2031-01-02T09:00 L1']);
  expect(rec.evidence[0]).toMatchObject({ state: 'rejected', reviewReason: '照片无法证明拆除' });
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: 'end of test' }] });
  await h.result();
});

test('completion after the warning letter is recorded as late and halts the remaining steps', async () => {
  const h = await start(row('coal-boilers', '130100'));
  await skipTo('2031-01-20T10:00:00+08:00');
  await h.executeUpdate(submitEvidence, { args: [evidence(12, 'e')] });
  await h.executeUpdate(reviewEvidence, { args: [{ actor: office, evidenceId: 'E1', decision: 'accept' }] });
  expect(await h.result()).toMatchObject({ status: 'met-late', level: 2 });
  const rec = await h.query(recordQuery);
  expect(local(rec, 'escalated')).toEqual(['2031-01-02T09:00 L1', '2031-01-15T09:00 L2']);
  expect(rec.timeline.find((e) => e.type === 'met')?.reason).toContain('after the deadline');
});

test('evidence awaiting review holds the escalation until the office decides', async () => {
  const h = await start(row('coal-boilers', '130100'));
  await skipTo('2030-12-29T10:00:00+08:00');
  await h.executeUpdate(submitEvidence, { args: [evidence(12, 'f')] });
  await skipTo('2031-01-05T10:00:00+08:00');
  let rec = await h.query(recordQuery);
  expect(local(rec, 'escalated')).toEqual([]);
  expect(rec.timeline.some((e) => e.type === 'escalation-held')).toBe(true);
  // Submitted before the deadline, accepted after it: on time.
  await h.executeUpdate(reviewEvidence, { args: [{ actor: office, evidenceId: 'E1', decision: 'accept' }] });
  expect(await h.result()).toMatchObject({ status: 'met', level: 0 });
  rec = await h.query(recordQuery);
  expect(local(rec, 'escalated')).toEqual([]);
});

test('a missed month of the recurring report escalates while the next month, reported on time, is met', async () => {
  const october = row('monthly-report', '110000', '2030-10');
  const november = row('monthly-report', '110000', '2030-11');
  // 2030-11-10 is a Sunday: the policy rolls the report to Monday 11-11.
  expect(october.dueDate).toBe('2030-11-11');
  expect(november.dueDate).toBe('2030-12-10');
  const [oct, nov] = [await start(october), await start(november)];
  await skipTo('2030-12-05T10:00:00+08:00');
  const beijing: Actor = { role: 'assignee', id: 'bj', org: '110000' };
  // Review is not required for this report: the receipt comes back accepted.
  const receipt = await nov.executeUpdate(submitEvidence, {
    args: [{ actor: beijing, sha256: '9'.repeat(64), size: 10, fileName: 'aq-2030-11.csv', mediaType: 'text/csv' }],
  });
  expect(receipt.state).toBe('accepted');
  expect(await nov.result()).toMatchObject({ status: 'met', level: 0 });
  const octRec = await oct.query(recordQuery);
  expect(octRec.status).toBe('overdue');
  expect(local(octRec, 'escalated')[0]).toBe('2030-11-12T09:00 L1');
  await oct.executeUpdate(waiveObligation, { args: [{ actor: office, reason: 'end of test' }] });
});

test('refusals are decided before anything enters history: wrong assignee, office-only actions, empty file', async () => {
  const h = await start(row('coal-boilers', '130200'));
  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((e as WorkflowUpdateFailedError).cause as Error).message;
  };
  expect(await refusal(h.executeUpdate(submitEvidence, { args: [evidence(8)] }))).toMatch(
    /cannot come from assignee 130100/,
  );
  const ts: Actor = { role: 'assignee', id: 'ts', org: '130200' };
  expect(await refusal(h.executeUpdate(submitEvidence, { args: [{ ...evidence(8), actor: ts, size: 0 }] }))).toMatch(
    /empty/,
  );
  expect(await refusal(h.executeUpdate(submitEvidence, { args: [{ ...evidence(), actor: ts }] }))).toMatch(
    /must state the quantity/,
  );
  expect(await refusal(h.executeUpdate(waiveObligation, { args: [{ actor: ts, reason: 'x' }] }))).toMatch(
    /only an office may waive/,
  );
  expect(
    await refusal(h.executeUpdate(extendDeadline, { args: [{ actor: office, dueDate: '2030-12-01', reason: 'x' }] })),
  ).toMatch(/not after the current one/);
  expect(
    await refusal(h.executeUpdate(extendDeadline, { args: [{ actor: office, dueDate: '2031-02-30', reason: 'x' }] })),
  ).toMatch(/dueDate is not a date/);
  expect(
    await refusal(h.executeUpdate(reviewEvidence, { args: [{ actor: office, evidenceId: 'E9', decision: 'accept' }] })),
  ).toMatch(/no evidence E9/);
  const rec = await h.query(recordQuery);
  expect(rec.timeline.map((e) => e.type)).toEqual(['launched']);
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: 'end of test' }] });
  await h.result();
});

test('every notice the workflows sent is one .eml file in the outbox, none twice', () => {
  const messages = outboxMessages(deps);
  expect(messages.length).toBeGreaterThan(10);
  expect(new Set(messages.map((m) => m.file)).size).toBe(messages.length);
  expect(messages.some((m) => m.subject.includes('【预警通知函】') && m.subject.includes('石家庄市'))).toBe(true);
});

test('launched after its urging and warning letter fell due → the missed reminders and urging are skipped with the reason, the warning letter goes at launch, the interview on its day', async () => {
  await skipTo('2031-01-20T10:00:00+08:00');
  const h = await start(row('coal-boilers', '130100'));
  await skipTo('2031-01-20T10:05:00+08:00');
  let rec = await h.query(recordQuery);
  expect(rec.timeline.filter((e) => e.type === 'reminder-skipped').map((e) => [e.entry, e.reason])).toEqual([
    ['reminder:P7D@2030-12-31', 'its time had passed when the obligation was launched'],
    ['reminder:P1D@2030-12-31', 'its time had passed when the obligation was launched'],
  ]);
  expect(rec.timeline.find((e) => e.type === 'escalation-skipped')).toMatchObject({
    entry: 'escalation:1-urging',
    level: 1,
    reason: 'launched after it fell due; a later step supersedes it',
  });
  // The latest step already due is issued when the obligation is launched, whatever the hour.
  expect(local(rec, 'escalated')).toEqual(['2031-01-20T10:00 L2']);
  await skipTo('2031-02-01T10:00:00+08:00');
  rec = await h.query(recordQuery);
  expect(local(rec, 'escalated')).toEqual(['2031-01-20T10:00 L2', '2031-01-31T09:00 L3']);
  // The interview cites the warning letter it followed, not the urging that was never sent.
  const [warning, interview] = rec.notices.filter((n) => n.kind === 'warning-letter' || n.kind === 'public-interview');
  const said = readLetter(deps.lettersDir, interview.key)!.text;
  expect(said).toContain(`经预警（${warning.documentNumber}）后整改不到位`);
  expect(said).not.toContain('督办（');
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: 'end of test' }] });
  await h.result();
});
