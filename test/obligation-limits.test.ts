// One assignee must not be able to make its own obligation unreadable: every piece of evidence,
// note and reason is bounded in bytes before it enters history, so the record the office and the
// supervisor read stays far below Temporal's 2 MB payload limit, and the office can still act.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import path from 'node:path';
import { obligationWorkflow } from '../workflows/obligation';
import {
  correctDueDate,
  extendDeadline,
  recordQuery,
  reviewEvidence,
  submitEvidence,
  waiveObligation,
} from '../workflows/api';
import { resolveCampaign } from '../planner/resolve';
import { LIMITS, utf8Bytes } from '../domain/limits';
import type { Actor } from '../domain/obligation';
import type { LantianWorker } from '../worker/registry';
import { recordHistory } from './support/histories';
import { devServerEnv, fixturePolicies, tempDir, testCalendar, testDeps, testWorker } from './support/temporal';

const calendar = testCalendar(2026, 2032, ['2031-01-01']);
const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
  (r) => r.obligationId === 'coal-boilers' && r.assignee === '130100',
)!;
const city: Actor = { role: 'assignee', id: 'sjz', org: '130100' };
const office: Actor = { role: 'office', id: 'office-a' };
const TQ = 'limits';

let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;

beforeAll(async () => {
  env = await devServerEnv(path.join(tempDir('limits'), 'temporal.db'));
  worker = await testWorker(env, testDeps(calendar), TQ);
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

let seq = 0;
const start = () =>
  env.client.workflow.start(obligationWorkflow, {
    taskQueue: TQ,
    workflowId: `${row.workflowId}#limits${++seq}`,
    args: [row.input],
  });
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? String(e.cause?.message) : String(e)),
  );
const sha = (i: number) => i.toString(16).padStart(64, '0');
/** The longest note allowed, in Chinese: a third as many characters as bytes. */
const longNote = '整改'.repeat(Math.floor(LIMITS.noteBytes / 6)) + 'ok';

test('the note, reason and file name are bounded in bytes, so Chinese text cannot slip past a character count', async () => {
  expect(utf8Bytes(longNote)).toBe(LIMITS.noteBytes);
  const h = await start();
  const submit = (note: string, fileName = 'report.pdf') =>
    h.executeUpdate(submitEvidence, {
      args: [{ actor: city, sha256: sha(1), size: 10, fileName, mediaType: 'application/pdf', note, quantity: 1 }],
    });
  expect(await refusal(submit(longNote + '改'))).toMatch(/note is longer than 2000 bytes/);
  expect(await refusal(submit('好', '文'.repeat(86) + '.pdf'))).toMatch(/fileName is longer than 255 bytes/);
  expect(await refusal(h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: '   ' }] }))).toMatch(
    /a reason is required/,
  );
  expect(
    await refusal(h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: '豁'.repeat(334) }] })),
  ).toMatch(/reason is longer than 1000 bytes/);
  // Nothing refused entered the record.
  const rec = await h.query(recordQuery);
  expect(rec.evidence).toEqual([]);
  expect(rec.timeline.map((e) => e.type)).toEqual(['launched']);
});

test('an assignee filling its obligation to every bound leaves a record the office can read and act on', async () => {
  const h = await start();
  for (let i = 1; i <= LIMITS.evidence; i++) {
    await h.executeUpdate(submitEvidence, {
      args: [
        {
          actor: city,
          sha256: sha(i),
          size: 10,
          fileName: `第${i}份.pdf`,
          mediaType: 'application/pdf',
          note: longNote,
          quantity: 0,
        },
      ],
    });
  }
  const more = h.executeUpdate(submitEvidence, {
    args: [{ actor: city, sha256: sha(999), size: 10, fileName: 'x.pdf', mediaType: 'application/pdf', quantity: 0 }],
  });
  expect(await refusal(more)).toMatch(/already holds 50 pieces/);

  // The office extends until the timeline is full; then extensions stop, reviews and the waiver do not.
  let due = row.input.dueDate;
  for (let i = 0; ; i++) {
    due = new Date(Date.parse(due) + 86_400_000).toISOString().slice(0, 10);
    const r = await refusal(
      h.executeUpdate(extendDeadline, { args: [{ actor: office, dueDate: due, reason: '延'.repeat(333) }] }),
    );
    if (r !== 'accepted') {
      expect(r).toMatch(/timeline holds 400 events/);
      break;
    }
    expect(i).toBeLessThan(LIMITS.timeline);
  }
  const full = await h.query(recordQuery);
  expect(Buffer.byteLength(JSON.stringify(full))).toBeLessThan(1.5 * 2 ** 20);
  await h.executeUpdate(reviewEvidence, {
    args: [{ actor: office, evidenceId: 'E1', decision: 'reject', reason: '材料不全'.repeat(80) }],
  });
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: '经核实，该企业已关停' }] });
  const closed = await h.query(recordQuery);
  expect(closed.status).toBe('waived');
  expect(Buffer.byteLength(JSON.stringify(closed))).toBeLessThan(1.5 * 2 ** 20);
});

test('a typo in a date can be undone: past the next season needs confirming, and the office corrects a date either way', async () => {
  const h = await start();
  const horizon = `${Number(row.input.periodEnd.slice(0, 4)) + 1}${row.input.periodEnd.slice(4)}`;
  const extend = (dueDate: string, confirmed?: boolean) =>
    refusal(h.executeUpdate(extendDeadline, { args: [{ actor: office, dueDate, reason: '设备采购延迟', confirmed }] }));
  expect(await extend('2032-06-30')).toMatch(new RegExp(`after ${horizon}, the end of the campaign's next season`));
  expect(await extend('2032-06-30', true)).toBe('accepted');
  // The typo is corrected back, earlier than the date it replaced.
  const corrected = await h.executeUpdate(correctDueDate, {
    args: [{ actor: office, dueDate: '2031-02-28', reason: '年份录入错误，应为2031年' }],
  });
  expect(corrected).toEqual({ dueDate: '2031-02-28' });
  expect(
    await refusal(
      h.executeUpdate(correctDueDate, { args: [{ actor: office, dueDate: '2031-02-28', reason: '重复' }] }),
    ),
  ).toMatch(/the due date is 2031-02-28 already/);
  expect(
    await refusal(
      h.executeUpdate(correctDueDate, {
        args: [{ actor: { role: 'assignee', id: 'sjz', org: '130100' }, dueDate: '2031-03-31', reason: '想晚点' }],
      }),
    ),
  ).toMatch(/only an office may correct a due date/);
  const rec = await h.query(recordQuery);
  expect(rec.dueDate).toBe('2031-02-28');
  expect(rec.timeline.slice(-2)).toMatchObject([
    { type: 'extended', dueDate: '2032-06-30' },
    {
      type: 'due-date-corrected',
      dueDate: '2031-02-28',
      previousDueDate: '2032-06-30',
      reason: '年份录入错误，应为2031年',
      actor: office,
    },
  ]);
  expect(rec.schedule.find((e) => e.kind === 'deadline')?.atLocal.slice(0, 10)).toBe('2031-02-28');
  recordHistory('due-date-extended-past-the-horizon-then-corrected', await h.fetchHistory());
});
