// Re-running a plan in another season: dates move by whole years, end of month stays end of
// month (leap years included), and the working-day calendar of the new years applies.
import { shiftDate, monthEnd, addMonths } from '../domain/season';
import { resolveCampaign } from '../planner/resolve';
import { fixturePolicies, testCalendar } from './support/temporal';
import { CalendarCoverageError } from '../domain/calendar';

test('end of February stays end of February across leap years', () => {
  expect(shiftDate('2020-02-29', 1)).toBe('2021-02-28');
  expect(shiftDate('2019-02-28', 1)).toBe('2020-02-29');
  expect(shiftDate('2019-12-31', 7)).toBe('2026-12-31');
  expect(shiftDate('2020-02-28', 4)).toBe('2024-02-28');
  expect(monthEnd('2024-02')).toBe('2024-02-29');
  expect(addMonths('2030-11', 3)).toBe('2031-02');
});

test('the drill campaign re-run for season 2032: month-end and monthly report dates follow, a report on a holiday rolls', () => {
  // 2032-11-10 is a Wednesday; make it a holiday to see the report roll to Thursday 11-11.
  const cal = testCalendar(2026, 2034, ['2032-11-10']);
  const rows = resolveCampaign(fixturePolicies(), 'drill', cal, 2032);
  const get = (o: string, a: string, p?: string) =>
    rows.find((r) => r.obligationId === o && r.assignee === a && r.period === p)!;
  expect(get('coal-boilers', '130100').dueDate).toBe('2032-12-31');
  expect(get('coal-boilers', '130100').deadline).toBe('2032-12-31T23:59:59.999+08:00');
  expect(get('monthly-report', '110000', '2032-10')).toMatchObject({
    statedDueDate: '2032-11-10',
    dueDate: '2032-11-11',
  });
  expect(get('monthly-report', '110000', '2033-01').dueDate).toBe('2033-02-10');
  expect(get('voc-bypass', '130100').workflowId).toBe('lantian:drill:2032:voc-bypass:130100');
  expect(get('coal-boilers', '130200').quantity).toEqual({ value: 8, unit: '台' });
});

test('a season in years the calendar does not cover fails loudly, naming the year', () => {
  const cal = testCalendar(2026, 2031);
  expect(() => resolveCampaign(fixturePolicies(), 'drill', cal, 2031)).toThrow(CalendarCoverageError);
  expect(() => resolveCampaign(fixturePolicies(), 'drill', cal, 2031)).toThrow(/does not cover 2032/);
});

test('a season whose escalation steps reach a year the calendar does not cover is refused at planning, not left to retry in a workflow', () => {
  // Every due date of the drill (season 2030) lies in 2030, but its ladder runs into 2031.
  const through2030 = testCalendar(2026, 2030);
  expect(() => resolveCampaign(fixturePolicies(), 'drill', through2030, 2030)).toThrow(CalendarCoverageError);
  expect(() => resolveCampaign(fixturePolicies(), 'drill', through2030, 2030)).toThrow(/does not cover 2031/);
  expect(resolveCampaign(fixturePolicies(), 'drill', testCalendar(2026, 2032), 2030).length).toBeGreaterThan(0);
});
