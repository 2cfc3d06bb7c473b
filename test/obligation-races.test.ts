// Updates that overlap on one obligation, on the dev server. An extension is planned (a local
// activity) before it applies, so another Update can land while the new date is being planned.
// The worker here is the product's workflow bundle and activities, except that planning the
// date a scenario names waits until the scenario lets it go: that fixes the order of the race.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createActivities } from '../activities';
import { obligationWorkflow } from '../workflows/obligation';
import { extendDeadline, recordQuery, waiveObligation } from '../workflows/api';
import { resolveCampaign } from '../planner/resolve';
import type { PlanRequest } from '../activities';
import type { Actor } from '../domain/obligation';
import { recordHistory } from './support/histories';
import { devServerEnv, fixturePolicies, tempDir, testCalendar, testDeps, workflowBundle } from './support/temporal';
import path from 'node:path';
import fs from 'node:fs';

const calendar = testCalendar(2026, 2032, ['2031-01-01']);
const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
  (r) => r.obligationId === 'coal-boilers' && r.assignee === '130100',
)!;
const office: Actor = { role: 'office', id: 'office-a' };
const otherOffice: Actor = { role: 'office', id: 'office-b' };
const TQ = 'races';

/** Planning of one due date held until released; resolves `started` when planning begins. */
function gate() {
  let release!: () => void;
  let started!: () => void;
  return {
    dueDate: '',
    released: new Promise<void>((r) => (release = r)),
    started: new Promise<void>((r) => (started = r)),
    release: () => release(),
    begin: () => started(),
  };
}
let held = gate();

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const deps = testDeps(calendar);

beforeAll(async () => {
  env = await devServerEnv(path.join(tempDir('races'), 'temporal.db'));
  const activities = createActivities(deps);
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue: TQ,
    workflowBundle: workflowBundle(),
    activities: {
      ...activities,
      async planObligation(input: PlanRequest) {
        if (input.dueDate === held.dueDate) {
          held.begin();
          await held.released;
        }
        return activities.planObligation(input);
      },
    },
  });
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

// LANTIAN_RECORD_HISTORIES=1 stores each scenario's history for the replay test.
const recorded: { name: string; id: string }[] = [];
afterEach(async () => {
  for (const r of recorded.splice(0)) recordHistory(r.name, await env.client.workflow.getHandle(r.id).fetchHistory());
});

let seq = 0;
async function start() {
  // A short workflow task timeout: while the extension's planning is held, the worker hands the
  // task back (at 80 % of it) so the other Update can be delivered.
  const h = await env.client.workflow.start(obligationWorkflow, {
    taskQueue: TQ,
    workflowId: `${row.workflowId}#race${++seq}`,
    args: [row.input],
    workflowTaskTimeout: '2s',
  });
  recorded.push({
    name: `race-${expect
      .getState()
      .currentTestName!.split(' ')
      .slice(0, 10)
      .join('-')
      .replace(/[^a-z0-9-]/gi, '')
      .toLowerCase()}`,
    id: h.workflowId,
  });
  return h;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

test('office extends while another office waives: the waiver lands during planning → the extension is refused, the obligation closes waived', async () => {
  const h = await start();
  held = gate();
  held.dueDate = '2031-02-28';
  const extension = failure(
    h.executeUpdate(extendDeadline, { args: [{ actor: office, dueDate: '2031-02-28', reason: '设备采购延迟' }] }),
  );
  await held.started;
  expect(await h.executeUpdate(waiveObligation, { args: [{ actor: otherOffice, reason: '企业已关停' }] })).toEqual({
    status: 'waived',
  });
  held.release();

  const e = await extension;
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((e as WorkflowUpdateFailedError).cause as Error).message).toMatch(
    /cannot extend the deadline: the obligation is closed \(waived\)/,
  );
  expect(await h.result()).toMatchObject({ status: 'waived', dueDate: '2030-12-31' });
  const rec = await h.query(recordQuery);
  expect(rec.timeline.map((x) => x.type)).toEqual(['launched', 'waived']);
  // The closed record is archived as it closed, after the extension's handler finished.
  const archived = JSON.parse(
    fs.readFileSync(path.join(deps.archiveDir, `${h.workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`), 'utf8'),
  );
  expect(archived).toMatchObject({ status: 'waived', dueDate: '2030-12-31' });
});

test('two offices extend at once and the later date is planned last → both apply in order, every timer on the later date', async () => {
  const h = await start();
  held = gate();
  held.dueDate = '2031-02-28';
  const later = h.executeUpdate(extendDeadline, {
    args: [{ actor: office, dueDate: '2031-02-28', reason: '设备采购延迟' }],
  });
  await held.started;
  expect(
    await h.executeUpdate(extendDeadline, {
      args: [{ actor: otherOffice, dueDate: '2031-01-31', reason: '春节前完成' }],
    }),
  ).toEqual({ dueDate: '2031-01-31' });
  held.release();
  expect(await later).toEqual({ dueDate: '2031-02-28' });

  const rec = await h.query(recordQuery);
  expect(rec.timeline.filter((x) => x.type === 'extended')).toMatchObject([
    { dueDate: '2031-01-31', previousDueDate: '2030-12-31', actor: otherOffice },
    { dueDate: '2031-02-28', previousDueDate: '2031-01-31', actor: office },
  ]);
  expect(rec.dueDate).toBe('2031-02-28');
  // The schedule was planned again for the date that stands: the last reminder on Thu 02-27 is
  // P1D before it (02-28 is a Friday).
  const reminders = rec.schedule.filter((x) => x.kind === 'reminder').map((x) => x.atLocal.slice(0, 10));
  expect(reminders).toEqual(['2031-02-21', '2031-02-27']);
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: 'end of test' }] });
  await h.result();
});

test('two offices extend at once and the earlier date is planned last → it is refused, the later date stands', async () => {
  const h = await start();
  held = gate();
  held.dueDate = '2031-01-31';
  const earlier = failure(
    h.executeUpdate(extendDeadline, { args: [{ actor: office, dueDate: '2031-01-31', reason: '春节前完成' }] }),
  );
  await held.started;
  expect(
    await h.executeUpdate(extendDeadline, {
      args: [{ actor: otherOffice, dueDate: '2031-02-28', reason: '设备采购延迟' }],
    }),
  ).toEqual({ dueDate: '2031-02-28' });
  held.release();

  const e = await earlier;
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((e as WorkflowUpdateFailedError).cause as Error).message).toMatch(
    /new due date 2031-01-31 is not after the current one 2031-02-28/,
  );
  const rec = await h.query(recordQuery);
  expect(rec.dueDate).toBe('2031-02-28');
  expect(rec.timeline.filter((x) => x.type === 'extended')).toHaveLength(1);
  await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: 'end of test' }] });
  await h.result();
});

test('an office waives while the launch is still being planned → the timeline reads launched, then waived; the archive keeps what a replay reads', async () => {
  held = gate();
  held.dueDate = row.input.dueDate;
  const h = await start();
  await held.started;
  expect(await h.executeUpdate(waiveObligation, { args: [{ actor: office, reason: '企业已关停' }] })).toEqual({
    status: 'waived',
  });
  held.release();
  await h.result();

  // A closed workflow is no longer cached: the query replays its history.
  const replayed = await h.query(recordQuery);
  const [launched, waived] = replayed.timeline;
  expect(replayed.timeline.map((x) => x.type)).toEqual(['launched', 'waived']);
  expect(Date.parse(launched.at)).toBeLessThan(Date.parse(waived.at));
  const archived = JSON.parse(
    fs.readFileSync(path.join(deps.archiveDir, `${h.workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`), 'utf8'),
  );
  expect(archived.timeline).toEqual(replayed.timeline);
});
