// The policy file formats (policies/**.yaml). Every type used for policies is derived from
// these schemas; the loader validates each file against them and reports every error with
// file, line and YAML path.
import { z } from 'zod';
import { localDate, timeZone } from './local-date';

const yearMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month YYYY-MM');

/** ISO 8601 date-part duration: P7D, P2W, P1M, P1Y1M3D. Hours are not offered: notices go out at a fixed local time. */
export const isoDateDuration = z
  .string()
  .regex(
    /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$/,
    'expected an ISO 8601 duration in days, weeks, months or years (P7D, P2W, P1M)',
  );

/** A delay counted in calendar time (ISO duration) or in official working days. */
export const delay = z.union([isoDateDuration, z.strictObject({ workingDays: z.number().int().min(0).max(365) })]);
export type Delay = z.infer<typeof delay>;

export const orgCode = z
  .string()
  .regex(/^[0-9A-Za-z][0-9A-Za-z._-]*$/, 'expected an organisation code (GB/T 2260 digits or a stable id)');

// ---------------------------------------------------------------- organisations

export const contactRole = z.enum(['government', 'environment-bureau', 'leading-group-office', 'supervisor']);
export type ContactRole = z.infer<typeof contactRole>;

export const organisation = z.strictObject({
  code: orgCode,
  name: z.string().min(1),
  nameEn: z.string().optional(),
  kind: z.enum(['province', 'city', 'special-unit', 'national-body', 'enterprise']),
  /** Province (or municipality) this organisation belongs to; absent for provinces and national bodies. */
  parent: orgCode.optional(),
  /** Why a unit without a GB/T 2260 code has the id it has. */
  codeNote: z.string().optional(),
  contacts: z
    .array(z.strictObject({ role: contactRole, name: z.string().optional(), email: z.string().email() }))
    .default([]),
});
export type Organisation = z.infer<typeof organisation>;

export const organisationsFile = z.strictObject({ organisations: z.array(organisation).min(1) });

// ---------------------------------------------------------------- escalation

export const escalationKind = z.enum(['urging', 'warning-letter', 'public-interview', 'accountability']);
export type EscalationKind = z.infer<typeof escalationKind>;

export const escalationStep = z.strictObject({
  kind: escalationKind,
  /** 1 = urging, 2 = warning notice letter, 3 = public interview, 4 = accountability / EIA restriction. */
  level: z.number().int().min(1).max(9),
  /** When the step falls due, counted from the due date. */
  after: delay,
  template: z.string().min(1),
  recipients: z.array(contactRole).min(1),
  /** How long the addressee has to report back, counted from the letter's date; the letter names the date. */
  replyWithin: delay.optional(),
  note: z.string().optional(),
});
export type EscalationStep = z.infer<typeof escalationStep>;

/**
 * The ladder both action plans describe, for a campaign that names none: urging by the office's
 * dispatch, a warning notice letter (预警通知函) at the monthly bulletin, a public interview of the
 * government's leader (公开约谈) at the quarter, accountability and regional EIA restriction
 * (问责, 区域环评限批) at the final assessment. The delays are not in the texts; these are the
 * shipped campaigns' choices (their `note`s give the sources).
 */
export const builtInLadder: EscalationStep[] = [
  { kind: 'urging', level: 1, after: 'P1D', template: 'urging', recipients: ['environment-bureau'] },
  {
    kind: 'warning-letter',
    level: 2,
    after: 'P1M',
    template: 'warning-letter',
    recipients: ['government', 'environment-bureau'],
  },
  {
    kind: 'public-interview',
    level: 3,
    after: 'P3M',
    template: 'public-interview',
    recipients: ['government', 'supervisor'],
  },
  {
    kind: 'accountability',
    level: 4,
    after: 'P6M',
    template: 'accountability',
    recipients: ['government', 'supervisor'],
  },
];

/** A campaign's ladder by name: its own, or the built-in one for a `default` it does not write. */
export function ladderNamed(ladders: Record<string, EscalationStep[]>, name: string): EscalationStep[] | undefined {
  return ladders[name] ?? (name === 'default' ? builtInLadder : undefined);
}

// ---------------------------------------------------------------- obligations

export const assigneeSelector = z.union([
  z.array(orgCode).min(1),
  z.strictObject({
    /** Every organisation of this kind in the campaign's scope. */
    every: z.enum(['city', 'province', 'special-unit', 'national-body', 'enterprise', 'city-or-special-unit']),
    /** Narrow to these provinces (codes). */
    in: z.array(orgCode).min(1).optional(),
    /** Leave these out. */
    except: z.array(orgCode).optional(),
  }),
]);
export type AssigneeSelector = z.infer<typeof assigneeSelector>;

export const dueDateRule = z.union([
  z.strictObject({ date: localDate }),
  /** End of the named month, e.g. "2019-12" → 2019-12-31. */
  z.strictObject({ monthEnd: yearMonth }),
  /** A named date rule of the campaign (e.g. heating-season-start). */
  z.strictObject({ rule: z.string().min(1) }),
  z.strictObject({
    recurring: z.strictObject({
      every: z.enum(['month', 'quarter']),
      /** Day of the month the report is due (monthly) or day of the month after the quarter (quarterly). */
      day: z.number().int().min(1).max(31),
      /** Which period each occurrence reports on. */
      covers: z.enum(['previous-month', 'previous-quarter', 'current-month']).default('previous-month'),
      /** First and last covered period (months). */
      from: yearMonth,
      until: yearMonth,
    }),
  }),
]);
export type DueDateRule = z.infer<typeof dueDateRule>;

export const quantity = z.strictObject({
  unit: z.string().min(1),
  /** Value for every assignee without an entry of its own. */
  default: z.number().nonnegative().optional(),
  perAssignee: z.record(orgCode, z.number().nonnegative()).optional(),
  /** How the figure is to be read: "at least", "exactly", "share". */
  comparison: z.enum(['at-least', 'at-most']).default('at-least'),
  note: z.string().optional(),
});
export type Quantity = z.infer<typeof quantity>;

export const clauseRef = z.strictObject({
  /** Section (e.g. "三") and item (e.g. "（七）") in the source document, or an annex. */
  section: z.string().min(1),
  item: z.string().optional(),
  /** The original words that set the date. */
  text: z.string().optional(),
});

export const rollRule = z.enum(['stay', 'next-working-day']);

export const obligation = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case id with dashes'),
  title: z.string().min(1),
  clause: clauseRef,
  assignees: assigneeSelector,
  deadline: dueDateRule,
  quantity: quantity.optional(),
  evidence: z.strictObject({ description: z.string().min(1) }).optional(),
  reminders: z.array(isoDateDuration).optional(),
  review: z.boolean().optional(),
  ladder: z.union([z.string(), z.array(escalationStep)]).optional(),
  roll: rollRule.optional(),
  note: z.string().optional(),
});
export type Obligation = z.infer<typeof obligation>;

export const dateRule = z.strictObject({
  /** Month and day each season, e.g. "11-15": the northern heating season starts on 15 November. */
  monthDay: z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'expected MM-DD'),
  /** Which year of the season: the year it starts ("first") or the next ("second"). */
  year: z.enum(['first', 'second']).default('first'),
  reason: z.string().min(1),
});

export const campaign = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case id with dashes'),
  title: z.string().min(1),
  titleEn: z.string().optional(),
  /** Short letters that begin each 督办事项编号 of the campaign (JJJ2019-07-130100); from its ID without it. */
  code: z
    .string()
    .regex(/^[A-Z]{2,8}$/, 'expected 2 to 8 capital letters')
    .optional(),
  source: z.strictObject({ document: z.string().min(1), file: z.string().optional() }),
  issuingBodies: z.array(z.string().min(1)).min(1),
  /** Issuing office of notices (the leading-group office), used for document numbers. */
  office: z.strictObject({ name: z.string().min(1), abbreviation: z.string().min(1), email: z.string().email() }),
  /** The autumn–winter this plan was written for: the year it starts. Dates shift from here. */
  season: z.number().int().min(2000).max(2100),
  period: z.strictObject({ start: localDate, end: localDate }),
  timezone: timeZone.default('Asia/Shanghai'),
  /** When notices go out: at this local time, on working days only unless said otherwise. */
  sending: z
    .strictObject({ at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM'), workingDaysOnly: z.boolean() })
    .default({ at: '09:00', workingDaysOnly: true }),
  /** Organisations in scope (codes from policies/organisations); selectors draw from these. */
  scope: z.array(orgCode).min(1),
  dateRules: z.record(z.string(), dateRule).default({}),
  /** Named ladders; a `default` the campaign does not write is the built-in one (ladderNamed). */
  ladders: z.record(z.string(), z.array(escalationStep).min(1)).default({}),
  defaults: z
    .strictObject({
      reminders: z.array(isoDateDuration).default(['P7D', 'P1D']),
      review: z.boolean().default(true),
      ladder: z.string().default('default'),
      roll: rollRule.default('stay'),
      /** How long an unmet obligation stays open after its last step or the period end, whichever is later. */
      closeAfter: isoDateDuration.default('P30D'),
      /** Working days an addressee has to acknowledge (签收) a letter before it is urged to (催签). */
      acknowledgeWithin: z.number().int().min(1).max(30).default(2),
    })
    .default({
      reminders: ['P7D', 'P1D'],
      review: true,
      ladder: 'default',
      roll: 'stay',
      closeAfter: 'P30D',
      acknowledgeWithin: 2,
    }),
  stages: z
    .array(z.strictObject({ id: z.string().min(1), title: z.string().min(1), start: localDate, end: localDate }))
    .default([]),
  /** Free-form data (targets, escalation rules of the text) that the assessment reads. */
  assessment: z.record(z.string(), z.unknown()).optional(),
  obligations: z.array(obligation).min(1),
  /** Dated sentences of the source document deliberately not encoded, each with its reason. */
  coverage: z
    .strictObject({
      leftOut: z
        .array(z.strictObject({ section: z.string().min(1), text: z.string().min(1), reason: z.string().min(1) }))
        .default([]),
    })
    .default({ leftOut: [] }),
});
export type Campaign = z.infer<typeof campaign>;
export type CampaignInput = z.input<typeof campaign>;
