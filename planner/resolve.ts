// Turns a campaign into its plan: one row per obligation × assignee × period, with the due
// date for the chosen season (calendar-rolled where the policy says so), the quantity owed and
// the escalation ladder. The launcher starts one workflow per row; `policy show` prints them.
import crypto from 'node:crypto';
import type { PolicySet, LoadedCampaign } from './load';
import type { Obligation, Organisation, AssigneeSelector } from '../domain/policy-schema';
import { ladderNamed } from '../domain/policy-schema';
import { assumingWeekends, type WorkingCalendar } from '../domain/calendar';
import { shiftDate, shiftMonth, monthEnd, addMonths, dayOfMonth } from '../domain/season';
import { computeSchedule, deadlineOf, localIso } from '../domain/schedule';
import type { AssigneeRef, ObligationInput } from '../domain/obligation';
import { obligationWorkflowId } from '../domain/ids';

export interface PlanRow {
  workflowId: string;
  obligationId: string;
  clause: ObligationInput['clause'];
  assignee: string;
  assigneeName: string;
  period?: string;
  /** Local date the obligation is due (after rolling off a day off, if the policy says so). */
  dueDate: string;
  /** The date as written, before rolling. */
  statedDueDate: string;
  /** End of the due date, as an instant with the campaign's offset. */
  deadline: string;
  quantity?: { value: number; unit: string };
  ladder: ObligationInput['ladder'];
  input: ObligationInput;
}

export class UnknownCampaignError extends Error {
  constructor(
    readonly campaignId: string,
    known: string[],
  ) {
    super(`unknown campaign ${campaignId}; known: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownCampaignError';
  }
}

export function getCampaign(set: PolicySet, campaignId: string): LoadedCampaign {
  const c = set.campaigns.get(campaignId);
  if (!c) throw new UnknownCampaignError(campaignId, [...set.campaigns.keys()]);
  return c;
}

export function selectAssignees(
  sel: AssigneeSelector,
  c: LoadedCampaign,
  orgs: Map<string, Organisation>,
): Organisation[] {
  if (Array.isArray(sel)) return sel.map((code) => orgs.get(code)!);
  const kinds = sel.every === 'city-or-special-unit' ? ['city', 'special-unit'] : [sel.every];
  return c.scope
    .map((code) => orgs.get(code)!)
    .filter((o) => kinds.includes(o.kind))
    .filter((o) => !sel.in || sel.in.includes(o.parent ?? o.code))
    .filter((o) => !sel.except?.includes(o.code));
}

export function assigneeRef(o: Organisation): AssigneeRef {
  const province = o.kind === 'province' ? o.code : (o.parent ?? 'national');
  return { code: o.code, name: o.name, kind: o.kind, province };
}

interface Occurrence {
  period?: string;
  date: string;
}

/** The stated due dates of an obligation in the target season (before rolling). */
export function occurrences(o: Obligation, c: LoadedCampaign, season: number): Occurrence[] {
  const years = season - c.season;
  const d = o.deadline;
  if ('date' in d) return [{ date: shiftDate(d.date, years) }];
  if ('monthEnd' in d) return [{ date: monthEnd(shiftMonth(d.monthEnd, years)) }];
  if ('rule' in d) {
    const rule = c.dateRules[d.rule];
    const year = season + (rule.year === 'second' ? 1 : 0);
    return [{ date: `${year}-${rule.monthDay}` }];
  }
  const r = d.recurring;
  const out: Occurrence[] = [];
  const step = r.every === 'month' ? 1 : 3;
  const until = shiftMonth(r.until, years);
  for (let m = shiftMonth(r.from, years); m <= until; m = addMonths(m, step)) {
    const [y, mm] = m.split('-').map(Number);
    const period = r.every === 'month' ? m : `${y}-Q${Math.floor((mm - 1) / 3) + 1}`;
    const dueMonth = r.covers === 'current-month' ? m : addMonths(m, step);
    out.push({ period, date: dayOfMonth(dueMonth, r.day) });
  }
  return out;
}

/**
 * `provisional`: plan a year the calendar has no holiday notice for as Monday to Friday (see
 * assumingWeekends), and mark the rows that needed it so their workflows plan again once the
 * notice is in; a Set given here also collects the years assumed.
 */
export function resolveCampaign(
  set: PolicySet,
  campaignId: string,
  calendar: WorkingCalendar,
  season?: number,
  provisional: boolean | Set<number> = false,
): PlanRow[] {
  const assumedYears = provisional instanceof Set ? provisional : new Set<number>();
  const rolling = provisional ? assumingWeekends(calendar) : undefined;
  const cal = rolling?.calendar ?? calendar;
  const c = getCampaign(set, campaignId);
  const s = season ?? c.season;
  const years = s - c.season;
  const periodEnd = shiftDate(c.period.end, years);
  const rows: PlanRow[] = [];
  // Every instant the obligation will wait for — reminders, escalation steps, the close — must
  // fall in years the calendar covers, or a workflow would retry its planning forever: refuse
  // here, once per obligation and due date (the assignees share the schedule).
  // Per obligation and due date: whether its plan had to assume a year (provisional calendar).
  const planned = new Map<string, boolean>();
  for (const o of c.obligations) {
    // Step notes document the policy; workflows need none of them in every input payload.
    const ladder = (Array.isArray(o.ladder) ? o.ladder : ladderNamed(c.ladders, o.ladder ?? c.defaults.ladder)!).map(
      ({ note: _note, ...step }) => step,
    );
    const roll = o.roll ?? c.defaults.roll;
    for (const org of selectAssignees(o.assignees, c, set.organisations)) {
      const value = o.quantity?.perAssignee?.[org.code] ?? o.quantity?.default;
      const quantity =
        o.quantity && value !== undefined
          ? { value, unit: o.quantity.unit, comparison: o.quantity.comparison }
          : undefined;
      for (const occ of occurrences(o, c, s)) {
        // Asking the calendar about every due date makes an uncovered year fail here, at planning time.
        const working = cal.isWorkingDay(occ.date);
        const dueDate = roll === 'next-working-day' && !working ? cal.nextWorkingDay(occ.date) : occ.date;
        const ref = { campaignId: c.id, season: s, obligationId: o.id, assigneeCode: org.code, period: occ.period };
        const body = {
          campaignId: c.id,
          season: s,
          obligationId: o.id,
          period: occ.period,
          title: o.title,
          clause: o.clause,
          assignee: assigneeRef(org),
          dueDate,
          quantity,
          evidenceDescription: o.evidence?.description,
          review: o.review ?? c.defaults.review,
          reminders: o.reminders ?? c.defaults.reminders,
          ladder,
          roll,
          timezone: c.timezone,
          sending: c.sending,
          periodEnd,
          closeAfter: c.defaults.closeAfter,
          acknowledgeWithin: c.defaults.acknowledgeWithin,
          office: c.office,
        };
        const key = `${o.id}|${dueDate}`;
        if (!planned.has(key)) {
          const years = computeSchedule({ ...body, provisionalCalendar: !!provisional }, calendar).assumedYears ?? [];
          // A due date rolled off a day off of an assumed year counts too.
          if (provisional && !calendar.covers(Number(occ.date.slice(0, 4)))) years.push(Number(occ.date.slice(0, 4)));
          years.forEach((y) => assumedYears.add(y));
          planned.set(key, years.length > 0);
        }
        const planHash = crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
        rows.push({
          workflowId: obligationWorkflowId(ref),
          obligationId: o.id,
          clause: o.clause,
          assignee: org.code,
          assigneeName: org.name,
          period: occ.period,
          dueDate,
          statedDueDate: occ.date,
          deadline: localIso(deadlineOf(dueDate, c.timezone), c.timezone),
          quantity: quantity && { value: quantity.value, unit: quantity.unit },
          ladder,
          // Only where a year had to be assumed; not in the hash, so relaunching once the notice
          // is in changes nothing that runs.
          input: { ...body, planHash, ...(planned.get(key) ? { provisionalCalendar: true } : {}) },
        });
      }
    }
  }
  return rows;
}
