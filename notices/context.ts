// What a notice template can use: one context object per notice, built from the obligation
// and the schedule entry that fell due. The loader renders every template against a sample of
// it, so a misspelt variable is a load error rather than a blank in a sent letter.
import { DateTime } from 'luxon';
import type { EarlierLetter, ObligationInput, ScheduleEntry } from '../domain/obligation';
import { chineseDate } from './render';
import { applyDelay, computeSchedule } from '../domain/schedule';
import { CalendarCoverageError, type WorkingCalendar } from '../domain/calendar';
import { builtInLadder, type Delay } from '../domain/policy-schema';
import type { ProblemInput } from '../domain/problem';

export interface NoticeRequest {
  key: string;
  workflowId: string;
  entry: ScheduleEntry;
  obligation: ObligationInput;
  dueDate: string;
  originalDueDate: string;
  deadlineLocal: string;
  daysOverdue: number;
  issuedAt: number;
  evidence: number;
  /** 文号 of an escalation letter, given by the registry as the letter is issued; reminders have none. */
  documentNumber?: string;
  /** A pace warning's figures (entry kind 'pace'). */
  pace?: { colour: string; reported: number; expected: number; target: number };
  /** The letter a 催签 urges the addressee to acknowledge (entry kind 'acknowledgement'). */
  letter?: { documentNumber: string; subject: string; sentAt: string };
  /** The ladder's letters already issued for this obligation, oldest first: what a letter may cite. */
  earlier?: EarlierLetter[];
}

/** A ladder step as a letter names it among the steps taken (经督办、预警后). */
const stepShortNames: Record<string, string> = {
  urging: '督办',
  'warning-letter': '预警',
  'public-interview': '约谈',
  accountability: '问责',
};

/**
 * The steps already taken, as a letter cites them: 督办（冀气办〔2030〕3号）、预警（…）. Empty when
 * none was: a letter must not claim a step its assignee's ladder skipped or never had.
 */
export function earlierStepsCn(earlier: EarlierLetter[] = []): string {
  return earlier
    .map((e) => `${stepShortNames[e.kind] ?? e.kind}${e.documentNumber ? `（${e.documentNumber}）` : ''}`)
    .join('、');
}

export const stepLabels: Record<string, string> = {
  reminder: '到期提醒',
  'acknowledgement-urging': '催签通知',
  urging: '督办通知',
  'warning-letter': '预警通知函',
  'public-interview': '公开约谈通知',
  accountability: '问责及区域环评限批通知',
};

/** What a letter says the next step will do, after "逾期仍未完成的，将于……按程序". */
const stepActions: Record<string, string> = {
  urging: '发出督办通知',
  'warning-letter': '发出预警通知函',
  'public-interview': '公开约谈主要负责同志',
  accountability: '移交问责并实施区域环评限批',
};

/**
 * The step a letter may announce: the next one on this assignee's own ladder, with the date it
 * would be issued (Beijing time), or null when the ladder holds none, so a letter never threatens
 * a step the obligation will not take. The date is empty where the calendar cannot date it.
 */
export interface NextStep {
  kind: string;
  name: string;
  action: string;
  date: string;
  dateCn: string;
}

/**
 * The 督办事项编号 a person quotes on the phone: the campaign's `code`, the season, the
 * obligation's position in the campaign file and the assignee's code, then the period of a
 * recurring obligation (JJJ2019-07-130100, JFW2020-12-110000-202011). Without the campaign's
 * policy the obligation's ID stands in for its position.
 */
export function supervisionNumber(
  o: Pick<ObligationInput, 'campaignId' | 'season' | 'obligationId' | 'period'> & { assignee: { code: string } },
  campaign?: { code?: string; obligations: { id: string }[] },
): string {
  const code =
    campaign?.code ??
    o.campaignId
      .split('-')
      .filter((part) => /^[a-z]+$/.test(part))
      .join('')
      .toUpperCase();
  const at = campaign ? campaign.obligations.findIndex((x) => x.id === o.obligationId) : -1;
  const position = at >= 0 ? String(at + 1).padStart(2, '0') : o.obligationId;
  return [`${code}${o.season}`, position, o.assignee.code, ...(o.period ? [o.period.replace(/-/g, '')] : [])].join('-');
}

/** Campaigns by ID, as the loaded policies give them (PolicySet.campaigns). */
export interface CampaignLookup {
  campaigns: Map<string, { code?: string; obligations: { id: string }[] }>;
}

/**
 * The step after this notice's on the ladder (after a reminder, the first), dated as the plan
 * dates it (domain/schedule.ts on the worker's calendar, for the due date in force).
 */
function nextStepOf(req: NoticeRequest, calendar?: WorkingCalendar): NextStep | null {
  const o = req.obligation;
  const kind = req.entry.kind;
  if (kind !== 'reminder' && kind !== 'escalation') return null;
  const ladder = o.ladder;
  const at =
    kind === 'reminder'
      ? -1
      : ladder.findIndex((s) => s.level === req.entry.step?.level && s.kind === req.entry.step?.kind);
  if (kind === 'escalation' && at < 0) return null;
  const step = ladder[at + 1];
  if (!step) return null;
  let date = '';
  if (calendar)
    try {
      // Only the ladder is dated: reminders and the close may fall in years the calendar lacks.
      const plan = computeSchedule(
        { ...o, dueDate: req.dueDate, reminders: [], periodEnd: req.dueDate, closeAfter: 'P1D' },
        calendar,
      );
      const entry = plan.entries.find(
        (e) => e.kind === 'escalation' && e.step?.level === step.level && e.step.kind === step.kind,
      );
      date = entry ? entry.atLocal.slice(0, 10) : '';
    } catch (e) {
      if (!(e instanceof CalendarCoverageError)) throw e;
    }
  return {
    kind: step.kind,
    name: stepLabels[step.kind] ?? step.kind,
    action: stepActions[step.kind] ?? `发出${stepLabels[step.kind] ?? step.kind}`,
    date,
    dateCn: date ? chineseDate(date) : '',
  };
}

export interface Addressing {
  addressee: string;
  you: string;
}

/**
 * How the letter addresses its first recipient: a province's or city's people's government (a new
 * area's administrative committee), its environment bureau (a province's is a 厅, a
 * municipality's, city's or area's a 局), or a national body or enterprise by its own name. `you`
 * is how the letter refers to it (你省, 你市, 你区, 你单位).
 */
export function addressing(assignee: Pick<ObligationInput['assignee'], 'name' | 'kind'>, role: string): Addressing {
  const { name, kind } = assignee;
  const city = kind === 'city' || (kind === 'special-unit' && name.endsWith('市'));
  const area = kind === 'special-unit' && !city; // 雄安新区, 杨凌示范区, 西咸新区
  const you =
    kind === 'province'
      ? name.endsWith('市')
        ? '你市'
        : name.endsWith('自治区')
          ? '你区'
          : '你省'
      : city
        ? '你市'
        : area
          ? '你区'
          : '你单位';
  if (kind !== 'province' && !city && !area) return { addressee: name, you };
  if (role === 'government') return { addressee: area ? `${name}管理委员会` : `${name}人民政府`, you };
  if (role === 'environment-bureau')
    return { addressee: `${name}生态环境${name.endsWith('省') || name.endsWith('自治区') ? '厅' : '局'}`, you };
  return { addressee: name, you };
}

/**
 * How long the addressee has to report back when the ladder step does not say (`replyWithin`):
 * what the letters have always said, 5 working days after an urging, 10 after a warning letter.
 * So obligations launched before steps could say it keep the period their letters gave.
 */
const defaultReplyWithin: Partial<Record<string, Delay>> = {
  urging: { workingDays: 5 },
  'warning-letter': { workingDays: 10 },
};

const delayCn = (d: Delay) =>
  typeof d === 'string'
    ? `${d.replace(/^P/, '').replace('Y', '年').replace('M', '个月').replace('W', '周').replace('D', '日')}`
    : `${d.workingDays}个工作日`;

/**
 * The reply deadline as a date on the holiday calendar, or only the period (`replyWithinCn`) when
 * no calendar is given or it does not cover the date: a letter must never wait for calendar data.
 */
function replyDeadline(kind: string, step: NoticeRequest['entry']['step'], issued: string, calendar?: WorkingCalendar) {
  const within = step?.replyWithin ?? defaultReplyWithin[kind];
  if (!within) return { replyBy: '', replyWithinCn: '' };
  let replyBy = '';
  try {
    replyBy = calendar ? applyDelay(issued, within, calendar) : '';
  } catch (e) {
    if (!(e instanceof CalendarCoverageError)) throw e;
  }
  return { replyBy, replyWithinCn: `${delayCn(within)}内` };
}

/**
 * The calendar, when given, dates a step's reply deadline (counted from the letter's date) and
 * the next step; the policies, when given, number the 督办事项 by the obligation's position.
 */
export function noticeContext(req: NoticeRequest, calendar?: WorkingCalendar, policies?: CampaignLookup) {
  const o = req.obligation;
  const kind =
    req.entry.kind === 'acknowledgement'
      ? 'acknowledgement-urging'
      : req.entry.kind === 'reminder'
        ? 'reminder'
        : req.entry.step!.kind;
  const issued = DateTime.fromMillis(req.issuedAt, { zone: o.timezone }).toISODate()!;
  const letterSent = req.letter ? DateTime.fromISO(req.letter.sentAt, { zone: o.timezone }).toISODate()! : '';
  const { replyBy, replyWithinCn } = replyDeadline(kind, req.entry.step, issued, calendar);
  return {
    ...addressing(o.assignee, req.entry.step?.recipients[0] ?? 'environment-bureau'),
    reference: supervisionNumber(o, policies?.campaigns.get(o.campaignId)),
    documentNumber: req.documentNumber ?? '',
    nextStep: nextStepOf(req, calendar),
    earlierSteps: earlierStepsCn(req.earlier),
    kind,
    kindLabel: stepLabels[kind] ?? kind,
    level: req.entry.step?.level ?? 0,
    assignee: o.assignee,
    obligation: { id: o.obligationId, title: o.title, period: o.period ?? '', evidence: o.evidenceDescription ?? '' },
    clause: `${o.clause.section}${o.clause.item ?? ''}`,
    clauseText: o.clause.text ?? '',
    campaign: { id: o.campaignId, season: o.season },
    office: o.office,
    dueDate: req.dueDate,
    dueDateCn: chineseDate(req.dueDate),
    originalDueDate: req.originalDueDate,
    originalDueDateCn: chineseDate(req.originalDueDate),
    extended: req.dueDate !== req.originalDueDate,
    deadline: req.deadlineLocal,
    daysOverdue: req.daysOverdue,
    quantity: o.quantity ? `${o.quantity.value} ${o.quantity.unit}` : '',
    evidenceCount: req.evidence,
    issuedDate: issued,
    issuedDateCn: chineseDate(issued),
    replyBy,
    replyByCn: replyBy ? chineseDate(replyBy) : '',
    replyWithinCn,
    letter: {
      documentNumber: req.letter?.documentNumber ?? '',
      subject: req.letter?.subject ?? '',
      sentDateCn: letterSent ? chineseDate(letterSent) : '',
    },
  };
}

/** A plausible notice for checking templates when policies load. */
export function sampleNoticeContext(kind: 'reminder' | 'escalation') {
  const obligation: ObligationInput = {
    campaignId: 'sample',
    season: 2019,
    obligationId: 'sample-obligation',
    period: '2019-11',
    title: '示例任务',
    clause: { section: '三', item: '（一）', text: '2019年12月底前' },
    assignee: { code: '130100', name: '石家庄市', kind: 'city', province: '130000' },
    dueDate: '2019-12-31',
    quantity: { value: 1, unit: '台', comparison: 'at-least' },
    evidenceDescription: '佐证材料',
    review: true,
    reminders: ['P7D'],
    ladder: builtInLadder,
    roll: 'stay',
    timezone: 'Asia/Shanghai',
    sending: { at: '09:00', workingDaysOnly: true },
    periodEnd: '2020-03-31',
    closeAfter: 'P30D',
    office: { name: '示例办公室', abbreviation: '示例', email: 'office@example.invalid' },
    planHash: 'sample',
  };
  const entry: ScheduleEntry =
    kind === 'reminder'
      ? {
          key: 'reminder:P7D@2019-12-31',
          kind: 'reminder',
          at: '2019-12-24T01:00:00.000Z',
          atLocal: '2019-12-24T09:00:00.000+08:00',
          offset: 'P7D',
        }
      : {
          key: 'escalation:2-warning-letter',
          kind: 'escalation',
          at: '2020-01-15T01:00:00.000Z',
          atLocal: '2020-01-15T09:00:00.000+08:00',
          step: {
            kind: 'warning-letter',
            level: 2,
            after: 'P15D',
            template: 'warning-letter',
            recipients: ['government'],
          },
        };
  return noticeContext({
    key: 'sample#' + entry.key,
    workflowId: 'lantian:sample:2019:sample-obligation:130100:2019-11',
    entry,
    obligation,
    dueDate: '2020-01-10',
    originalDueDate: '2019-12-31',
    deadlineLocal: '2020-01-10T23:59:59.999+08:00',
    daysOverdue: 5,
    issuedAt: Date.parse('2020-01-15T01:00:00Z'),
    evidence: 0,
    documentNumber: kind === 'escalation' ? '示例〔2020〕1号' : undefined,
    letter: { documentNumber: '示例〔2020〕1号', subject: '【预警通知函】示例', sentAt: '2020-01-15T01:00:00Z' },
  });
}

/** What the digest template can use: the recipient, the day, and the reminders listed. */
export function digestContext(d: {
  digest: string;
  recipient: { code: string; name: string; kind?: ObligationInput['assignee']['kind'] };
  date: string;
  office: { name: string };
  items: { title: string; period?: string; clause: string; dueDate: string }[];
}) {
  return {
    // Reminders go to the environment bureau; a recipient of unknown kind is addressed by name.
    ...addressing({ name: d.recipient.name, kind: d.recipient.kind ?? 'national-body' }, 'environment-bureau'),
    digest: d.digest,
    recipient: d.recipient,
    office: d.office,
    date: d.date,
    dateCn: chineseDate(d.date),
    count: d.items.length,
    items: d.items.map((it, i) => ({
      index: i + 1,
      title: it.title,
      period: it.period ?? '',
      clause: it.clause,
      dueDate: it.dueDate,
      dueDateCn: chineseDate(it.dueDate),
    })),
  };
}

export function sampleDigestContext() {
  return digestContext({
    digest: 'digest:130100:2019-12-24',
    recipient: { code: '130100', name: '石家庄市', kind: 'city' },
    date: '2019-12-24',
    office: { name: '示例办公室' },
    items: [
      { title: '示例任务一', clause: '三（一）', dueDate: '2019-12-31' },
      { title: '示例任务二', period: '2019-11', clause: '三（二）', dueDate: '2019-12-31' },
    ],
  });
}

const problemStepNames: Record<string, string> = {
  催办: '催办通知',
  预警: '预警通知',
  约谈: '约谈通知',
  专项督察: '专项督察通知',
};

/** What a problem's 交办 notice or ladder letter can use (policies/templates/problems/). */
export function problemNoticeContext(
  req: {
    entry: string;
    problem: ProblemInput;
    dueDate: string;
    issuedAt: number;
    earlier?: EarlierLetter[];
  },
  documentNumber: string | undefined,
  addressee: string,
  calendar?: WorkingCalendar,
) {
  const p = req.problem;
  const issued = DateTime.fromMillis(req.issuedAt, { zone: p.timezone });
  const issuedDate = issued.toISODate()!;
  const daysOverdue = Math.max(
    0,
    Math.floor(issued.startOf('day').diff(DateTime.fromISO(req.dueDate, { zone: p.timezone }), 'days').days),
  );
  // The 交办 notice announces the first step; step n (key step:n@…) the step after it.
  const current = req.entry === 'assignment' ? 0 : Number(/^step:(\d+)@/.exec(req.entry)?.[1] ?? NaN);
  const step = Number.isInteger(current) ? p.ladder[current] : undefined;
  let date = '';
  if (step && calendar)
    try {
      date = calendar.addWorkingDays(req.dueDate, step.workingDays);
    } catch (e) {
      if (!(e instanceof CalendarCoverageError)) throw e;
    }
  const nextStep: NextStep | null = step
    ? {
        kind: step.kind,
        name: problemStepNames[step.kind] ?? step.kind,
        action: `发出${problemStepNames[step.kind] ?? step.kind}`,
        date,
        dateCn: date ? chineseDate(date) : '',
      }
    : null;
  return {
    documentNumber: documentNumber ?? '',
    addressee,
    reference: p.number,
    nextStep,
    earlierSteps: earlierStepsCn(req.earlier),
    problem: {
      number: p.number,
      site: p.site.name,
      creditCode: p.site.creditCode ?? '',
      category: p.category,
      description: p.description,
      team: p.team,
      clause: p.clause ?? '',
    },
    rule: p.rule.type,
    foundDateCn: chineseDate(p.foundDate),
    dueDateCn: chineseDate(req.dueDate),
    issuedDateCn: chineseDate(issuedDate),
    daysOverdue,
    office: p.office,
  };
}
