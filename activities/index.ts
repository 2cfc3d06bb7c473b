// Activities: all the I/O of an obligation workflow, each small and idempotent.
//   planSchedule      — when reminders, the deadline and escalation steps fall (calendar-aware)
//   documentNumber    — the letter's 文号, in sequence per office and year
//   sendNotice        — render the step's letter and deliver it once per (workflow, step)
//   archiveObligation — keep the closed obligation's record beyond Temporal's retention
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { WorkingCalendar } from '../planner/calendar';
import type { Organisation } from '../planner/schema';
import { computeSchedule, type ScheduleInput } from '../planner/schedule';
import type { NoticeRecord, ObligationRecord, Schedule } from '../model/obligation';
export type { NoticeRequest };
import { renderNotice, TemplateError } from '../notices/render';
import { noticeContext, type NoticeRequest } from '../notices/context';
import { addresseesFor } from '../notices/directory';
import { PermanentDeliveryError, type Mailer } from '../notices/mailer';
import { writeArchive } from '../storage/archive';
import { writeLetter } from '../storage/letters';
import type { DocumentNumberAllocator } from '../services/document-numbers';
import type { PolicySet } from '../planner/load';
import type { Client } from '@temporalio/client';
import { createAssessmentActivities } from './assessment';

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
}


function inActivity(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}

export function createActivities(deps: ActivityDeps) {
  // The registry returns the same number for the same notice key, so a retried send keeps it.
  // A worker shutting down cancels its activities: stop waiting for the registry then, so Ctrl-C
  // does not hang behind a burst of letters (the notice is retried after the restart).
  async function documentNumberOf(n: { office: string; year: number }, key: string): Promise<string> {
    const number = deps.documentNumbers(n.office, n.year, key);
    const cancelled = inActivity() ? Context.current().cancelled : new Promise<never>(() => {});
    return `${n.office}〔${n.year}〕${await Promise.race([number, cancelled])}号`;
  }
  return {
    ...createAssessmentActivities(deps),
    async planSchedule(input: ScheduleInput): Promise<Schedule> {
      return computeSchedule(input, deps.calendar);
    },

    async sendNotice(numbered: NoticeRequest): Promise<NoticeRecord> {
      const req = numbered.numbering ? { ...numbered, documentNumber: await documentNumberOf(numbered.numbering, numbered.key) } : numbered;
      const escalation = req.entry.kind === 'escalation';
      const template = escalation ? req.entry.step!.template : 'reminder';
      const org = deps.organisations.get(req.obligation.assignee.code);
      if (!org) {
        throw ApplicationFailure.nonRetryable(`${req.workflowId}: assignee ${req.obligation.assignee.code} is not in the organisations registry`, 'UnknownAssignee');
      }
      const roles = escalation ? req.entry.step!.recipients : (['environment-bureau'] as const);
      const { to, cc } = addresseesFor(org, [...roles], req.obligation.office, escalation);
      try {
        const rendered = renderNotice(deps.templatesDir, template, noticeContext(req));
        writeLetter(deps.lettersDir, { key: req.key, subject: rendered.subject, text: rendered.text, html: rendered.html, ...(req.documentNumber ? { documentNumber: req.documentNumber } : {}), storedAt: new Date().toISOString() });
        const d = await deps.mailer.deliver({ key: req.key, from: deps.mailFrom, to, cc, ...rendered });
        return {
          key: req.key,
          ...(req.documentNumber ? { documentNumber: req.documentNumber } : {}),
          kind: escalation ? req.entry.step!.kind : 'reminder',
          level: req.entry.step?.level,
          to,
          cc,
          subject: rendered.subject,
          messageId: d.messageId,
          transport: d.transport,
          location: d.location,
          sentAt: d.deliveredAt,
          ...(d.rejected ? { rejected: d.rejected } : {}),
        };
      } catch (e) {
        if (e instanceof TemplateError || e instanceof PermanentDeliveryError) {
          throw ApplicationFailure.nonRetryable(`${req.workflowId} ${req.entry.key}: ${e.message}`, e.name);
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
