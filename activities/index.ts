// Activities: all the I/O of an obligation workflow, each small and idempotent.
//   planSchedule      — when reminders, the deadline and escalation steps fall (calendar-aware)
//   documentNumber    — the letter's 文号, in sequence per office and year
//   sendNotice        — render the step's letter and deliver it once per (workflow, step)
//   sendDigest        — one recipient's reminders of a day as one message (workflows/digest.ts)
//   archiveObligation — keep the closed obligation's record beyond Temporal's retention
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { WorkingCalendar } from '../domain/calendar';
import type { Organisation } from '../domain/policy-schema';
import { computeSchedule, type ScheduleInput } from '../domain/schedule';
import type { DeliveryStep, NoticeRecord, ObligationRecord, Schedule } from '../domain/obligation';
export type { NoticeRequest };
import { renderNotice, TemplateError } from '../notices/render';
import { noticeContext, type NoticeRequest } from '../notices/context';
import { addresseesFor, MissingContactError } from '../notices/directory';
import { PermanentDeliveryError, messageIdFor, type Delivery, type Mailer } from '../notices/mailer';
import { writeArchive } from '../storage/archive';
import { writeLetter } from '../notices/letters';
import type { DocumentNumberAllocator } from '../client/document-numbers';
import type { PolicySet } from '../planner/load';
import type { Client } from '@temporalio/client';
import { createAssessmentActivities } from './assessment';
import type { DigestEnqueuer } from '../client/digests';
import type { ReminderDelivery } from '../notices/directory';
import { digestContext } from '../notices/context';
import type { DigestInput, DigestItem } from '../workflows/digest';
import { DateTime } from 'luxon';

export interface ActivityDeps {
  calendar: WorkingCalendar;
  organisations: Map<string, Organisation>;
  templatesDir: string;
  archiveDir: string;
  lettersDir: string;
  mailer: Mailer;
  mailFrom: string;
  documentNumbers: DocumentNumberAllocator;
  /** Assessment (activities/assessment.ts): the policies with their targets, and the air-quality store. */
  policies?: PolicySet;
  airQualityDir?: string;
  /** For the share of overdue obligations through visibility; absent where there is none (time-skipping server). */
  temporalClient?: () => Promise<Client>;
  /** Recipients (organisation codes) that take their reminders as one digest a day; others get each at once. */
  reminderDelivery?: Map<string, ReminderDelivery>;
  digests?: DigestEnqueuer;
  /** How long a digest collects after its first reminder before it goes out. */
  digestWindowMs?: number;
}


/** What the mail server did with one message: sent, accepted (its reply), refused recipients. */
function deliverySteps(d: Delivery, attempt: number): DeliveryStep[] {
  return [
    { state: 'sent', at: d.sentAt ?? d.deliveredAt, attempt },
    { state: 'accepted', at: d.deliveredAt, ...(d.response ? { response: d.response } : {}) },
    ...(d.rejected ?? []).map((r): DeliveryStep => ({ state: 'failed', at: d.deliveredAt, reason: `${r.address}: ${r.reason}` })),
  ];
}

function inActivity(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}

/**
 * Heartbeats every few seconds while `work` runs, so the server can tell a live send that waits
 * on a slow mail server from a dead worker (sendNotice as a regular activity, for notices reached
 * before they became local activities: its heartbeatTimeout in workflows/obligation.ts). Outside
 * an activity (a direct call) it just runs `work`.
 */
async function heartbeating<T>(work: () => Promise<T>, everyMs = 5_000): Promise<T> {
  // A local activity has no heartbeat: its workflow task's timeout stands for it.
  if (!inActivity() || Context.current().info.isLocal) return work();
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createActivities(deps: ActivityDeps) {
  // The registry returns the same number for the same notice key, so a retried send keeps it.
  // A cancelled activity stops waiting for the registry (the notice is retried after a restart).
  // A letter sent locally is not cancelled when its worker shuts down: LantianWorker keeps the
  // registries' worker answering until the obligations' worker has drained.
  async function documentNumberOf(n: { office: string; year: number }, key: string): Promise<string> {
    const number = deps.documentNumbers(n.office, n.year, key);
    const cancelled = inActivity() ? Context.current().cancelled : new Promise<never>(() => {});
    return `${n.office}〔${n.year}〕${await Promise.race([number, cancelled])}号`;
  }
  async function sendNotice(numbered: NoticeRequest): Promise<NoticeRecord> {
    const req = numbered.numbering ? { ...numbered, documentNumber: await documentNumberOf(numbered.numbering, numbered.key) } : numbered;
    const escalation = req.entry.kind === 'escalation';
    const template = escalation ? req.entry.step!.template : 'reminder';
    const org = deps.organisations.get(req.obligation.assignee.code);
    if (!org) {
      throw ApplicationFailure.nonRetryable(`${req.workflowId}: assignee ${req.obligation.assignee.code} is not in the organisations registry`, 'UnknownAssignee');
    }
    const roles = escalation ? req.entry.step!.recipients : (['environment-bureau'] as const);
    const kind = escalation ? req.entry.step!.kind : 'reminder';
    const attempt = Context.current().info.attempt;
    const queued: DeliveryStep = { state: 'queued', at: new Date(req.issuedAt).toISOString() };
    let to: string[] = [];
    let cc: string[] = [];
    let subject = '';
    // What a notice's record says whether it went out or failed.
    const addressed = () => ({ key: req.key, ...(req.documentNumber ? { documentNumber: req.documentNumber } : {}), kind, level: req.entry.step?.level, to, cc, subject });
    try {
      ({ to, cc } = addresseesFor(org, [...roles], req.obligation.office, escalation));
      const rendered = renderNotice(deps.templatesDir, template, noticeContext(req, deps.calendar));
      subject = rendered.subject;
      if (!escalation && deps.reminderDelivery?.get(org.code) === 'daily-digest') {
        // Listed in today's digest for this recipient; the digest reports delivery back by signal.
        if (!deps.digests) throw new Error('daily digests need a Temporal client (ActivityDeps.digests)');
        const o = req.obligation;
        const date = DateTime.fromMillis(req.issuedAt, { zone: o.timezone }).toISODate()!;
        const input: DigestInput = { recipient: org.code, recipientName: org.name, date, windowMs: deps.digestWindowMs ?? 10 * 60_000, office: { name: o.office.name, email: o.office.email } };
        const item: DigestItem = { key: req.key, workflowId: req.workflowId, title: o.title, ...(o.period ? { period: o.period } : {}), clause: `${o.clause.section}${o.clause.item ?? ''}`, dueDate: req.dueDate, subject: rendered.subject, queuedAt: queued.at };
        const digest = await deps.digests(input, item);
        return { key: req.key, kind, to, cc, subject: rendered.subject, messageId: '', transport: deps.mailer.transport, sentAt: queued.at, digest, delivery: [{ ...queued, response: `listed in ${digest}` }] };
      }
      await writeLetter(deps.lettersDir, { key: req.key, subject: rendered.subject, text: rendered.text, html: rendered.html, ...(req.documentNumber ? { documentNumber: req.documentNumber } : {}), storedAt: new Date().toISOString() });
      const d = await deps.mailer.deliver({ key: req.key, from: deps.mailFrom, to, cc, ...rendered });
      const delivery: DeliveryStep[] = [
        queued,
        ...deliverySteps(d, attempt),
      ];
      return {
        ...addressed(),
        messageId: d.messageId,
        transport: d.transport,
        location: d.location,
        sentAt: d.deliveredAt,
        ...(d.rejected ? { rejected: d.rejected } : {}),
        delivery,
      };
    } catch (e) {
      if (e instanceof TemplateError || e instanceof PermanentDeliveryError || e instanceof MissingContactError) {
        // The record of the failed notice travels with the failure, so the timeline shows its log.
        const now = new Date().toISOString();
        const failed: NoticeRecord = {
          ...addressed(),
          messageId: messageIdFor(req.key),
          transport: deps.mailer.transport,
          sentAt: now,
          delivery: [
            queued,
            ...(e instanceof PermanentDeliveryError ? [{ state: 'sent', at: e.sentAt ?? now, attempt } as DeliveryStep] : []),
            { state: 'failed', at: now, reason: e.message },
          ],
        };
        throw ApplicationFailure.create({ nonRetryable: true, message: `${req.workflowId} ${req.entry.key}: ${e.message}`, type: e.name, details: [failed] });
      }
      throw e;
    }
  }

  return {
    ...createAssessmentActivities(deps),
    async planSchedule(input: ScheduleInput): Promise<Schedule> {
      return computeSchedule(input, deps.calendar);
    },

    async sendNotice(numbered: NoticeRequest): Promise<NoticeRecord> {
      return heartbeating(() => sendNotice(numbered));
    },

    /** One message for a recipient's reminders of one day; the key is the digest workflow's. */
    async sendDigest(req: { key: string; digest: string; input: DigestInput; items: DigestItem[] }): Promise<{ messageId: string; steps: DeliveryStep[] }> {
      const org = deps.organisations.get(req.input.recipient);
      if (!org) throw ApplicationFailure.nonRetryable(`${req.digest}: recipient ${req.input.recipient} is not in the organisations registry`, 'UnknownAssignee');
      const attempt = Context.current().info.attempt;
      try {
        const { to } = addresseesFor(org, [], req.input.office, false);
        const context = digestContext({ digest: req.digest, recipient: { code: org.code, name: org.name, kind: org.kind }, date: req.input.date, office: req.input.office, items: req.items });
        const rendered = renderNotice(deps.templatesDir, 'digest', context);
        await writeLetter(deps.lettersDir, { key: req.key, subject: rendered.subject, text: rendered.text, html: rendered.html, storedAt: new Date().toISOString() });
        const d = await deps.mailer.deliver({ key: req.key, from: deps.mailFrom, to, cc: [], ...rendered });
        return {
          messageId: d.messageId,
          steps: deliverySteps(d, attempt),
        };
      } catch (e) {
        if (e instanceof TemplateError || e instanceof PermanentDeliveryError || e instanceof MissingContactError) {
          throw ApplicationFailure.nonRetryable(`${req.digest}: ${e.message}`, e.name);
        }
        throw e;
      }
    },

    /** 京津冀大气办〔2020〕12号: the next number of the office for that year, the same one on a retry. */
    async documentNumber(req: { office: string; year: number; key: string }): Promise<string> {
      return documentNumberOf(req, req.key);
    },

    async archiveObligation(record: ObligationRecord): Promise<string> {
      return writeArchive(deps.archiveDir, record);
    },
  };
}
