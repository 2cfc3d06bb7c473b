// What crosses the workflow boundary: the input a launcher starts an obligation workflow with,
// the arguments of its Updates, and the record its query returns. One schema each; the
// TypeScript types are inferred. Imported by workflow code, so it must stay deterministic.
import { z } from 'zod';
import { escalationStep, contactRole } from './policy-schema';

import { localDate } from './updates';

export const assigneeRef = z.object({
  code: z.string().min(1),
  name: z.string().min(1),
  kind: z.string().min(1),
  /** Province code for cities and special units; the code itself for provinces; "national" for bodies. */
  province: z.string().min(1),
});
export type AssigneeRef = z.infer<typeof assigneeRef>;

export const obligationInput = z.object({
  campaignId: z.string().min(1),
  season: z.number().int(),
  obligationId: z.string().min(1),
  /** Covered period of a recurring obligation (YYYY-MM or YYYY-Qn). */
  period: z.string().optional(),
  title: z.string().min(1),
  clause: z.object({ section: z.string(), item: z.string().optional(), text: z.string().optional() }),
  assignee: assigneeRef,
  dueDate: localDate,
  quantity: z.object({ value: z.number(), unit: z.string(), comparison: z.enum(['at-least', 'at-most']) }).optional(),
  evidenceDescription: z.string().optional(),
  review: z.boolean(),
  reminders: z.array(z.string()),
  ladder: z.array(escalationStep),
  roll: z.enum(['stay', 'next-working-day']),
  timezone: z.string(),
  sending: z.object({ at: z.string(), workingDaysOnly: z.boolean() }),
  /** Last day of the campaign period (season-shifted); an unmet obligation stays open past it by closeAfter. */
  periodEnd: localDate,
  closeAfter: z.string(),
  /** Working days an addressee has to acknowledge (签收) a letter before it is urged to. */
  acknowledgeWithin: z.number().int().optional(),
  office: z.object({ name: z.string(), abbreviation: z.string(), email: z.string() }),
  /** Hash of the resolved plan row, to tell a changed policy on relaunch. */
  planHash: z.string(),
  /**
   * Launched before the holiday notice of a year it needs was in the calendar: that year counts
   * Monday to Friday, and the dates are planned again before each step until the notice is there.
   */
  provisionalCalendar: z.boolean().optional(),
  /**
   * The public keys (hex) whose signatures prove who made a change (domain/actor-proof.ts): set by
   * the client that launches the obligation, from its own key. Without them every change is refused.
   */
  actorKeys: z.array(z.string()).optional(),
});
export type ObligationInput = z.infer<typeof obligationInput>;

export * from './updates';
import type { Actor, Status } from './updates';

export interface Evidence {
  id: string;
  sha256: string;
  size: number;
  fileName: string;
  mediaType: string;
  note?: string;
  quantity?: number;
  submittedAt: string;
  submittedBy: Actor;
  state: 'pending' | 'accepted' | 'rejected';
  reviewedAt?: string;
  reviewedBy?: Actor;
  reviewReason?: string;
}

export interface Receipt {
  obligation: string;
  evidenceId: string;
  sha256: string;
  size: number;
  receivedAt: string;
  receivedAtLocal: string;
  state: Evidence['state'];
}

export type TimelineEventType =
  | 'launched'
  | 'reminder-sent'
  | 'reminder-skipped'
  | 'deadline-passed'
  | 'escalated'
  | 'escalation-skipped'
  | 'escalation-held'
  | 'evidence-submitted'
  | 'evidence-accepted'
  | 'evidence-rejected'
  | 'extended'
  | 'due-date-corrected'
  | 'waived'
  | 'met'
  | 'closed-unmet'
  | 'notice-failed'
  /** Pace (序时进度) of a quantitative obligation checked, and a warning sent when it fell behind. */
  | 'pace-checked'
  | 'pace-warning'
  /** A provisional plan made again once the holiday notice of its year was in the calendar. */
  | 'replanned'
  /** A letter acknowledged (签收) by its addressee, and a letter not acknowledged in time (催签). */
  | 'notice-acknowledged'
  | 'acknowledgement-urged';

export interface TimelineEvent {
  type: TimelineEventType;
  /** UTC instant. */
  at: string;
  /** The same instant in the campaign's official time (Asia/Shanghai), with its offset. */
  atLocal: string;
  actor: Actor;
  reason?: string;
  /** Schedule entry this event belongs to (reminder or escalation step). */
  entry?: string;
  level?: number;
  evidenceId?: string;
  notice?: NoticeRecord;
  dueDate?: string;
  previousDueDate?: string;
}

/** A ladder letter already issued, as a later letter cites it (经督办（文号）、预警…后). */
export interface EarlierLetter {
  kind: string;
  documentNumber?: string;
}

/** The letters among `notices` that steps of `ladder` issued, oldest first. */
export function earlierLetters(
  ladder: readonly { kind: string }[],
  notices: readonly { kind: string; documentNumber?: string }[],
): EarlierLetter[] {
  const steps = new Set(ladder.map((s) => s.kind));
  return notices
    .filter((n) => steps.has(n.kind))
    .map((n) => ({ kind: n.kind, ...(n.documentNumber ? { documentNumber: n.documentNumber } : {}) }));
}

export interface NoticeRecord {
  /** Workflow ID + step: the idempotency key. */
  key: string;
  /** 文号 of an escalation letter. */
  documentNumber?: string;
  kind: string;
  level?: number;
  to: string[];
  cc: string[];
  subject: string;
  messageId: string;
  transport: 'smtp' | 'outbox';
  location?: string;
  sentAt: string;
  /** Recipients the mail server refused permanently. */
  rejected?: { address: string; reason: string }[];
  /** The digest workflow this reminder was listed in (recipients taking daily digests). */
  digest?: string;
  /** The stored letter that carried it, when not its own: the digest's, once the digest went out. */
  letter?: string;
  /** Delivery log: queued, sent, accepted (with the server's response), failed (with the reason). */
  delivery?: DeliveryEvent[];
  /** A letter's 签收: when it must be acknowledged by, and who acknowledged it when. */
  acknowledgeBy?: string;
  acknowledged?: { by: Actor; at: string };
}

export interface DeliveryEvent {
  /** replayed: a retry found the notice in the sent ledger and sent nothing again. */
  state: 'queued' | 'sent' | 'accepted' | 'replayed' | 'failed';
  /** UTC instant. */
  at: string;
  /** The server's reply on acceptance, e.g. "250 OK: message queued". */
  response?: string;
  /** Why it failed (and for which recipient, when only some were refused). */
  reason?: string;
  /** The activity attempt that sent it (retries after outages show here). */
  attempt?: number;
  /** The channel besides e-mail this step is about (wecom, dingtalk, webhook); absent for e-mail. */
  channel?: string;
}

export interface ObligationRecord {
  workflowId: string;
  input: ObligationInput;
  status: Status;
  overdue: boolean;
  level: number;
  dueDate: string;
  deadline: string;
  /** The deadline in the campaign's official time, with its offset. */
  deadlineLocal: string;
  accepted: number;
  evidence: Evidence[];
  timeline: TimelineEvent[];
  notices: NoticeRecord[];
  /** Notices handed to delivery and not yet delivered or failed for good (an SMTP outage shows here). */
  queuedNotices?: { key: string; kind: string; level?: number; queuedAt: string }[];
  schedule: ScheduleEntry[];
  /** Years the schedule still counts Monday to Friday, for want of their holiday notice (provisional calendar). */
  assumedYears?: number[];
  closedAt?: string;
}

export const scheduleEntry = z.object({
  key: z.string(),
  kind: z.enum(['reminder', 'deadline', 'escalation', 'close', 'pace', 'acknowledgement']),
  at: z.string(),
  atLocal: z.string(),
  offset: z.string().optional(),
  step: escalationStep.optional(),
  /** An acknowledgement check: the key of the letter awaiting its 签收. */
  notice: z.string().optional(),
  done: z.boolean().optional(),
});
export type ScheduleEntry = z.infer<typeof scheduleEntry>;

export const schedule = z.object({
  deadline: z.string(),
  deadlineLocal: z.string(),
  entries: z.array(scheduleEntry),
  /** Years planned Monday to Friday because the calendar has no holiday notice for them yet (provisional calendar). */
  assumedYears: z.array(z.number()).optional(),
});
export type Schedule = z.infer<typeof schedule>;

export { contactRole };
