// 签收: every letter waits for its addressee to acknowledge it. Not acknowledged within the
// campaign's working days (2 by default), the addressee is urged once (催签) at the sending time;
// a 签收 neither stops nor delays the ladder. On the time-skipping server, with the drill campaign
// (see test/obligation-timers.test.ts): the urging to 130100 goes out Thu 2031-01-02 09:00, so
// its 签收 is due Mon 01-06 09:00 (01-03 is a Friday, then a weekend).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { obligationWorkflow } from '../workflows/obligation';
import { acknowledgeNotice, recordQuery, waiveObligation } from '../workflows/api';
import { resolveCampaign } from '../planner/resolve';
import { systemReasonCn } from '../web/html';
import type { Actor } from '../domain/obligation';
import type { LantianWorker } from '../worker/registry';
import { recordHistory } from './support/histories';
import {
  fixturePolicies,
  outboxMessages,
  testCalendar,
  testDeps,
  testWorker,
  timeSkippingEnv,
  type TestDeps,
} from './support/temporal';

const calendar = testCalendar(2026, 2032, ['2031-01-01']);
const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
  (r) => r.obligationId === 'coal-boilers' && r.assignee === '130100',
)!;
const city: Actor = { role: 'assignee', id: 'sjz', org: '130100' };
const office: Actor = { role: 'office', id: 'office-a' };

let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;
let deps: TestDeps;
beforeEach(async () => {
  deps = testDeps(calendar);
  env = await timeSkippingEnv();
  worker = await testWorker(env, deps);
  running = worker.run();
});
afterEach(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

let seq = 0;
const start = () =>
  env.client.workflow.start(obligationWorkflow, {
    taskQueue: 'lantian-test',
    workflowId: `${row.workflowId}#ack${++seq}`,
    args: [row.input],
  });
async function skipTo(localIso: string) {
  const ms = Date.parse(localIso) - (await env.currentTimeMs());
  if (ms > 0) await env.sleep(ms);
}
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? String(e.cause?.message) : String(e)),
  );
const urgings = () => outboxMessages(deps).filter((m) => m.subject.startsWith('【催签】'));

test('a letter not acknowledged in time is urged once, at 09:00 on the second working day', async () => {
  const h = await start();
  await skipTo('2031-01-02T10:00:00+08:00');
  const letter = (await h.query(recordQuery)).notices.find((n) => n.kind === 'urging')!;
  expect(letter.documentNumber).toMatch(/〔2031〕\d+号$/);
  expect(letter.acknowledgeBy).toBe('2031-01-06T01:00:00.000Z');
  await skipTo('2031-01-06T08:59:00+08:00');
  expect(urgings()).toHaveLength(0);
  await skipTo('2031-01-07T10:00:00+08:00');
  const rec = await h.query(recordQuery);
  const urged = rec.timeline.filter((e) => e.type === 'acknowledgement-urged');
  expect(urged).toHaveLength(1);
  expect(urged[0].atLocal.slice(0, 16)).toBe('2031-01-06T09:00');
  expect(systemReasonCn(urged[0].reason!)).toBe(`${letter.documentNumber}未在2031-01-06 09:00前签收，已催签`);
  expect(urgings()).toHaveLength(1);
  expect(urgings()[0].subject).toBe(`【催签】石家庄市：请签收${letter.documentNumber}`);
  // The ladder went on regardless: the warning letter on 01-15 is due as planned.
  await skipTo('2031-01-15T10:00:00+08:00');
  expect((await h.query(recordQuery)).level).toBe(2);
  if (process.env.LANTIAN_RECORD_HISTORIES) recordHistory('acknowledgement-urged-once', await h.fetchHistory());
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: '测试结束' }] });
});

test('a letter acknowledged on time is not urged, and only its addressee may acknowledge it', async () => {
  const h = await start();
  await skipTo('2031-01-02T10:00:00+08:00');
  const letter = (await h.query(recordQuery)).notices.find((n) => n.kind === 'urging')!;
  const ack = (actor: Actor, notice = letter.key) =>
    refusal(h.executeUpdate(acknowledgeNotice, { args: [{ actor, notice }] }));
  expect(await ack({ role: 'assignee', id: 'ts', org: '130200' })).toMatch(/only 石家庄市 may acknowledge/);
  expect(await ack(office)).toMatch(/only 石家庄市 may acknowledge/);
  expect(await ack(city, `${h.workflowId}#reminder:P7D@2030-12-31`)).toMatch(/no letter/);
  expect(await ack(city)).toBe('accepted');
  expect(await ack(city)).toMatch(/was acknowledged on/);
  await skipTo('2031-01-08T10:00:00+08:00');
  const rec = await h.query(recordQuery);
  expect(rec.notices.find((n) => n.key === letter.key)?.acknowledged).toMatchObject({ by: city });
  expect(rec.timeline.filter((e) => e.type === 'notice-acknowledged')).toMatchObject([
    { actor: city, reason: `签收 ${letter.documentNumber}` },
  ]);
  expect(rec.timeline.some((e) => e.type === 'acknowledgement-urged')).toBe(false);
  expect(urgings()).toHaveLength(0);
  if (process.env.LANTIAN_RECORD_HISTORIES) recordHistory('acknowledgement-on-time', await h.fetchHistory());
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: '测试结束' }] });
});
