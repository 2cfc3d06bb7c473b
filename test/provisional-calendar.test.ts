// A season launched before the State Council's holiday notice for one of its years is out:
// that year counts Monday to Friday (a provisional calendar), and each obligation plans its
// dates again before every step, so a step moves once the notice is in the worker's calendar.
// On the time-skipping server; the drill's coal-boilers obligation is due Tue 2030-12-31, its
// urging P1D falls on 2031-01-01, which the notice (here) makes a holiday.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery, waiveObligation } from '../workflows/api';
import { resolveCampaign } from '../planner/resolve';
import { assumingWeekends, CalendarCoverageError, type WorkingCalendar } from '../domain/calendar';
import { computeSchedule } from '../domain/schedule';
import { recordHistory } from './support/histories';
import { systemReasonCn } from '../web/html';
import { fixturePolicies, testCalendar, testDeps, testWorker, timeSkippingEnv } from './support/temporal';
import type { ObligationRecord } from '../domain/obligation';

const beforeNotice = testCalendar(2026, 2030);
const afterNotice = testCalendar(2026, 2032, ['2031-01-01']);

test('a provisional calendar counts a missing year Monday to Friday and says which years it assumed', () => {
  const { calendar, assumed } = assumingWeekends(beforeNotice);
  expect(calendar.nextWorkingDay('2031-01-01')).toBe('2031-01-01');
  expect(calendar.nextWorkingDay('2031-01-04')).toBe('2031-01-06'); // Sat → Mon
  expect(calendar.addWorkingDays('2030-12-31', 3)).toBe('2031-01-03');
  expect([...assumed]).toEqual([2031]);
  // The strict calendar refuses the same question; the plan with the flag says what it assumed.
  expect(() => beforeNotice.nextWorkingDay('2031-01-01')).toThrow(CalendarCoverageError);
  expect(() => resolveCampaign(fixturePolicies(), 'drill', beforeNotice, 2030)).toThrow(CalendarCoverageError);
  const row = resolveCampaign(fixturePolicies(), 'drill', beforeNotice, 2030, true).find(
    (r) => r.obligationId === 'coal-boilers',
  )!;
  expect(row.input.provisionalCalendar).toBe(true);
  expect(computeSchedule(row.input, beforeNotice).assumedYears).toEqual([2031]);
  expect(computeSchedule(row.input, afterNotice).assumedYears).toBeUndefined();
  // The plan hash leaves the flag out: relaunching once the notice is in changes nothing.
  expect(row.input.planHash).toBe(
    resolveCampaign(fixturePolicies(), 'drill', afterNotice, 2030).find((r) => r.obligationId === 'coal-boilers')!.input
      .planHash,
  );
});

/** A worker calendar that changes when told to: before the notice, then after it (as liveCalendar does when the file changes). */
function calendarSwitch(before: WorkingCalendar, after: WorkingCalendar) {
  let calendar = before;
  const switchable: WorkingCalendar = {
    get years() {
      return calendar.years;
    },
    covers: (y) => calendar.covers(y),
    isWorkingDay: (d) => calendar.isWorkingDay(d),
    nextWorkingDay: (d) => calendar.nextWorkingDay(d),
    previousWorkingDay: (d) => calendar.previousWorkingDay(d),
    addWorkingDays: (d, n) => calendar.addWorkingDays(d, n),
  };
  return { switchable, addNotice: () => void (calendar = after) };
}

const localTimes = (rec: ObligationRecord, type: string) =>
  rec.timeline.filter((e) => e.type === type).map((e) => `${e.atLocal.slice(0, 16)}${e.level ? ` L${e.level}` : ''}`);

describe('on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  afterEach(async () => env?.teardown());

  test('launched on a provisional calendar, the notice added before the urging → the urging moves off the new holiday, and the timeline says why', async () => {
    env = await timeSkippingEnv();
    const row = resolveCampaign(fixturePolicies(), 'drill', beforeNotice, 2030, true).find(
      (r) => r.obligationId === 'coal-boilers' && r.assignee === '130100',
    )!;
    const local = localTimes;

    // The worker's calendar as it was at launch: no notice for 2031; the switch stands for the
    // office adding the notice to the file, which the worker's live calendar then reads
    // (liveCalendar, tested in test/calendar.test.ts).
    const { switchable, addNotice } = calendarSwitch(beforeNotice, afterNotice);
    const worker = await testWorker(env, testDeps(switchable));
    const running = worker.run();
    const h = await env.client.workflow.start(obligationWorkflow, {
      taskQueue: 'lantian-test',
      workflowId: `${row.workflowId}#provisional`,
      args: [row.input],
    });
    let rec = await h.query(recordQuery);
    expect(rec.assumedYears).toEqual([2031]);
    expect(rec.timeline[0].reason).toMatch(/planned on a provisional calendar: 2031 counted Monday to Friday/);
    expect(rec.schedule.find((e) => e.key === 'escalation:1-urging')!.atLocal).toBe('2031-01-01T09:00:00.000+08:00');
    await env.sleep(Date.parse('2030-12-31T12:00:00+08:00') - (await env.currentTimeMs()));

    // The office adds the 2031 notice: 2031-01-01 is a holiday.
    addNotice();
    await env.sleep(Date.parse('2031-01-03T10:00:00+08:00') - (await env.currentTimeMs()));
    rec = await h.query(recordQuery);
    expect(local(rec, 'escalated')).toEqual(['2031-01-02T09:00 L1']);
    // Planned again before the next step, the deadline (end of 2030-12-31).
    expect(rec.timeline.find((e) => e.type === 'replanned')).toMatchObject({
      atLocal: expect.stringMatching(/^2031-01-01T00:00/),
      reason:
        'the holiday notice for 2031 is in the calendar now: the dates were planned again; moved: escalation:1-urging to 2031-01-02T09:00',
    });
    expect(rec.assumedYears).toBeUndefined();
    // Once the plan is whole, later steps are not planned again: one `replanned` only.
    await env.sleep(Date.parse('2031-01-16T10:00:00+08:00') - (await env.currentTimeMs()));
    rec = await h.query(recordQuery);
    expect(local(rec, 'escalated')).toEqual(['2031-01-02T09:00 L1', '2031-01-15T09:00 L2']);
    expect(local(rec, 'replanned')).toHaveLength(1);
    expect(
      rec.timeline
        .filter((e) => e.actor.role === 'system' && systemReasonCn(e.reason!) === e.reason)
        .map((e) => e.reason),
    ).toEqual([]);
    expect(systemReasonCn(rec.timeline.find((e) => e.type === 'replanned')!.reason!)).toBe(
      '2031 年节假日安排已补入日历，日期已重新规划；调整：escalation:1-urging 改为 2031-01-02T09:00',
    );
    await h.executeUpdate(waiveObligation, {
      args: [{ actor: { role: 'office', id: 'tester' }, reason: 'end of test' }],
    });
    await h.result();
    recordHistory('provisional-calendar-notice-added-before-the-urging-coal-boilers', await h.fetchHistory());
    worker.shutdown();
    await running;
  });

  test('the notice makes the day of a reminder a holiday after the working day before it passed → that reminder is skipped, not sent on the holiday', async () => {
    env = await timeSkippingEnv();
    // Season 2031 of the drill: due Wed 2031-12-31, reminders P7D Wed 12-24 and P1D Tue 12-30.
    const later = testCalendar(2026, 2032, ['2031-12-30']);
    const row = resolveCampaign(fixturePolicies(), 'drill', beforeNotice, 2031, true).find(
      (r) => r.obligationId === 'coal-boilers' && r.assignee === '130100',
    )!;
    const { switchable, addNotice } = calendarSwitch(beforeNotice, later);
    const worker = await testWorker(env, testDeps(switchable));
    const running = worker.run();
    const h = await env.client.workflow.start(obligationWorkflow, {
      taskQueue: 'lantian-test',
      workflowId: `${row.workflowId}#provisional-reminder`,
      args: [row.input],
    });
    // The notice comes in on 12-29 at noon: 12-30 is a holiday, so P1D belongs on 12-29 09:00, gone by.
    await env.sleep(Date.parse('2031-12-29T12:00:00+08:00') - (await env.currentTimeMs()));
    addNotice();
    await env.sleep(Date.parse('2031-12-31T10:00:00+08:00') - (await env.currentTimeMs()));
    const rec = await h.query(recordQuery);
    expect(localTimes(rec, 'reminder-sent')).toEqual(['2031-12-24T09:00']);
    expect(rec.timeline.find((e) => e.type === 'reminder-skipped')).toMatchObject({
      entry: 'reminder:P1D@2031-12-31',
      atLocal: expect.stringMatching(/^2031-12-30T09:00/),
      reason: 'planned again for 2031-12-29, a working day already past, instead of a day off',
    });
    expect(
      rec.timeline
        .filter((e) => e.actor.role === 'system' && systemReasonCn(e.reason!) === e.reason)
        .map((e) => e.reason),
    ).toEqual([]);
    await h.executeUpdate(waiveObligation, {
      args: [{ actor: { role: 'office', id: 'tester' }, reason: 'end of test' }],
    });
    await h.result();
    recordHistory('provisional-calendar-reminder-day-becomes-a-holiday-coal-boilers', await h.fetchHistory());
    worker.shutdown();
    await running;
  });
});
