// When each reminder, the deadline, each escalation step and the close of an obligation fall,
// as instants. Pure: the same input and calendar give the same schedule, so the workflow can
// ask for it again (through an activity) whenever the due date moves.
import { DateTime, Duration } from 'luxon';
import type { Delay } from './policy-schema';
import { assumingWeekends, type WorkingCalendar } from './calendar';
import type { ObligationInput, Schedule, ScheduleEntry } from './obligation';

export type ScheduleInput = Pick<
  ObligationInput,
  'dueDate' | 'reminders' | 'ladder' | 'timezone' | 'sending' | 'periodEnd' | 'closeAfter' | 'provisionalCalendar'
>;

export function deadlineOf(dueDate: string, timezone: string): DateTime {
  return DateTime.fromISO(dueDate, { zone: timezone }).endOf('day');
}

/** YYYY-MM-DDTHH:mm:ss.SSS+08:00 in the campaign's zone. */
export function localIso(instant: DateTime | string | number, timezone: string): string {
  const dt =
    typeof instant === 'string'
      ? DateTime.fromISO(instant)
      : typeof instant === 'number'
        ? DateTime.fromMillis(instant)
        : instant;
  return dt.setZone(timezone).toISO({ suppressMilliseconds: false })!;
}

export function addIsoDuration(date: string, iso: string, sign: 1 | -1): string {
  const d = DateTime.fromISO(date, { zone: 'UTC' });
  const dur = Duration.fromISO(iso);
  return (sign === 1 ? d.plus(dur) : d.minus(dur)).toISODate()!;
}

export function applyDelay(date: string, delay: Delay, cal: WorkingCalendar): string {
  return typeof delay === 'string' ? addIsoDuration(date, delay, 1) : cal.addWorkingDays(date, delay.workingDays);
}

function sendingInstant(date: string, input: ScheduleInput): DateTime {
  const [h, m] = input.sending.at.split(':').map(Number);
  return DateTime.fromISO(date, { zone: input.timezone }).set({ hour: h, minute: m, second: 0, millisecond: 0 });
}

export function computeSchedule(input: ScheduleInput, calendar: WorkingCalendar): Schedule {
  const provisional = input.provisionalCalendar ? assumingWeekends(calendar) : undefined;
  const cal = provisional?.calendar ?? calendar;
  const deadline = deadlineOf(input.dueDate, input.timezone);
  const entries: ScheduleEntry[] = [];
  const entry = (e: Omit<ScheduleEntry, 'at' | 'atLocal'>, at: DateTime) =>
    entries.push({ ...e, at: at.toUTC().toISO()!, atLocal: localIso(at, input.timezone) });

  for (const offset of input.reminders) {
    let date = addIsoDuration(input.dueDate, offset, -1);
    // A reminder on a day off goes out on the working day before, never after.
    if (input.sending.workingDaysOnly) date = cal.previousWorkingDay(date);
    entry({ key: `reminder:${offset}@${input.dueDate}`, kind: 'reminder', offset }, sendingInstant(date, input));
  }
  entry({ key: `deadline@${input.dueDate}`, kind: 'deadline' }, deadline);

  let last = input.dueDate;
  for (const step of input.ladder) {
    let date = applyDelay(input.dueDate, step.after, cal);
    // An escalation on a day off goes out on the next working day.
    if (input.sending.workingDaysOnly) date = cal.nextWorkingDay(date);
    if (date > last) last = date;
    entry({ key: `escalation:${step.level}-${step.kind}`, kind: 'escalation', step }, sendingInstant(date, input));
  }

  const closeDate = addIsoDuration(last > input.periodEnd ? last : input.periodEnd, input.closeAfter, 1);
  entry({ key: 'close', kind: 'close' }, DateTime.fromISO(closeDate, { zone: input.timezone }).endOf('day'));

  entries.sort((a, b) => a.at.localeCompare(b.at));
  const assumedYears = [...(provisional?.assumed ?? [])].sort();
  return {
    deadline: deadline.toUTC().toISO()!,
    deadlineLocal: localIso(deadline, input.timezone),
    entries,
    ...(assumedYears.length ? { assumedYears } : {}),
  };
}
