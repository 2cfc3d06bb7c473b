// When an obligation's reminders, deadline, escalation steps, close and pace checks fall: a pure
// computation on the worker's holiday calendar, run as a local activity because the calendar is
// data the worker reads (and rereads when its file changes), not something workflow code may touch.
import { DateTime } from 'luxon';
import { assumingWeekends } from '../domain/calendar';
import { applyDelay, computeSchedule, localIso, type ScheduleInput } from '../domain/schedule';
import { DEFAULT_PACE, paceCheckTimes, type PaceSettings } from '../domain/pace';
import type { ObligationInput, Schedule, ScheduleEntry } from '../domain/obligation';
import type { ActivityDeps } from './deps';

export interface AcknowledgementRequest extends Pick<ObligationInput, 'timezone' | 'sending' | 'provisionalCalendar'> {
  /** The schedule entry whose letter awaits its 签收, and the letter's notice key. */
  entry: string;
  notice: string;
  sentAt: number;
  workingDays: number;
}

export type PlanRequest = ScheduleInput & Pick<ObligationInput, 'campaignId' | 'quantity'> & { launchedAt: number };
/** The schedule, and the campaign's pace settings when the obligation checks its pace. */
export type ObligationPlan = Schedule & { pace?: PaceSettings };

export function createPlanningActivities(deps: ActivityDeps) {
  return {
    async planObligation(req: PlanRequest): Promise<ObligationPlan> {
      const schedule = computeSchedule(req, deps.calendar);
      const pace = deps.policies?.targets.get(req.campaignId)?.pace ?? DEFAULT_PACE;
      if (req.quantity?.comparison !== 'at-least' || !pace.checks.length) return schedule;
      const checks = paceChecks(req, Date.parse(schedule.deadline), pace.checks, deps);
      return { ...schedule, entries: [...schedule.entries, ...checks].sort((a, b) => a.at.localeCompare(b.at)), pace };
    },

    /** When a letter sent at `sentAt` must be acknowledged by: `workingDays` later, at the sending time. */
    async planAcknowledgement(req: AcknowledgementRequest): Promise<ScheduleEntry> {
      const calendar = req.provisionalCalendar ? assumingWeekends(deps.calendar).calendar : deps.calendar;
      const sent = DateTime.fromMillis(req.sentAt, { zone: req.timezone }).toISODate()!;
      const date = applyDelay(sent, { workingDays: req.workingDays }, calendar);
      const [h, m] = req.sending.at.split(':').map(Number);
      const t = DateTime.fromISO(date, { zone: req.timezone })
        .set({ hour: h, minute: m, second: 0, millisecond: 0 })
        .toMillis();
      return {
        key: `acknowledgement:${req.entry}`,
        kind: 'acknowledgement',
        notice: req.notice,
        at: new Date(t).toISOString(),
        atLocal: localIso(t, req.timezone),
      };
    },
  };
}

/** The campaign's shares of launch → deadline, at the sending time on a working day (the one before, if it falls on a day off). */
function paceChecks(req: PlanRequest, deadline: number, shares: number[], deps: ActivityDeps): ScheduleEntry[] {
  const [h, m] = req.sending.at.split(':').map(Number);
  const calendar = req.provisionalCalendar ? assumingWeekends(deps.calendar).calendar : deps.calendar;
  const times = new Set<number>();
  for (const raw of paceCheckTimes(req.launchedAt, deadline, shares)) {
    let date = DateTime.fromMillis(raw, { zone: req.timezone }).toISODate()!;
    if (req.sending.workingDaysOnly) date = calendar.previousWorkingDay(date);
    const t = DateTime.fromISO(date, { zone: req.timezone })
      .set({ hour: h, minute: m, second: 0, millisecond: 0 })
      .toMillis();
    if (t > req.launchedAt && t < deadline) times.add(t);
  }
  return [...times]
    .sort((a, b) => a - b)
    .map((t, i) => ({
      key: `pace:${i + 1}@${req.dueDate}`,
      kind: 'pace',
      at: new Date(t).toISOString(),
      atLocal: localIso(t, req.timezone),
    }));
}
