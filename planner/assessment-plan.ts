// When each assessment of a campaign is made in a season: the point's window shifted to the
// season, its date (window end + `after`, rolled to a working day) and the local sending time.
import { DateTime } from 'luxon';
import { shiftDate } from '../domain/season';
import { addIsoDuration, localIso } from '../domain/schedule';
import type { WorkingCalendar } from '../domain/calendar';
import type { LoadedCampaign } from './load';
import type { AssessmentPoint, CampaignTargets } from '../domain/targets';

export interface PlannedPoint {
  point: AssessmentPoint;
  /** Local date the assessment is made. */
  date: string;
  /** UTC instant and its Asia/Shanghai form. */
  at: string;
  atLocal: string;
}

export function shiftPoint(p: AssessmentPoint, years: number): AssessmentPoint {
  return { ...p, window: { start: shiftDate(p.window.start, years), end: shiftDate(p.window.end, years) } };
}

export function planAssessments(
  c: LoadedCampaign,
  t: CampaignTargets,
  season: number,
  cal: WorkingCalendar,
): PlannedPoint[] {
  const years = season - c.season;
  const [h, m] = c.sending.at.split(':').map(Number);
  return t.assessments
    .map((raw) => {
      const point = shiftPoint(raw, years);
      let date = addIsoDuration(point.window.end, point.after, 1);
      if (c.sending.workingDaysOnly) date = cal.nextWorkingDay(date);
      const at = DateTime.fromISO(date, { zone: c.timezone }).set({ hour: h, minute: m, second: 0, millisecond: 0 });
      return { point, date, at: at.toUTC().toISO()!, atLocal: localIso(at, c.timezone) };
    })
    .sort((a, b) => a.at.localeCompare(b.at));
}

/** The campaign period of a season (observed data must fall inside it). */
export function seasonPeriod(c: LoadedCampaign, season: number): { start: string; end: string } {
  const years = season - c.season;
  return { start: shiftDate(c.period.start, years), end: shiftDate(c.period.end, years) };
}
