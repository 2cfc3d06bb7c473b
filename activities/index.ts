// Activities: all the I/O of an obligation workflow, each small and idempotent.
//   planSchedule      — when reminders, the deadline and escalation steps fall (calendar-aware)
//   sendNotice        — render the step's letter and deliver it once per (workflow, step)
//   archiveObligation — keep the closed obligation's record beyond Temporal's retention
import { ApplicationFailure } from '@temporalio/activity';
import { DateTime } from 'luxon';
import type { WorkingCalendar } from '../planner/calendar';
import type { Organisation } from '../planner/schema';
import { computeSchedule, type ScheduleInput } from '../planner/schedule';
import type { NoticeRecord, ObligationInput, ObligationRecord, Schedule, ScheduleEntry } from '../model/obligation';
import { renderNotice, TemplateError, chineseDate } from '../notices/render';
import { addresseesFor } from '../notices/directory';
import { PermanentDeliveryError, type Mailer } from '../notices/mailer';
import { writeArchive } from '../storage/archive';

export interface ActivityDeps {
  calendar: WorkingCalendar;
  organisations: Map<string, Organisation>;
  templatesDir: string;
  archiveDir: string;
  mailer: Mailer;
  mailFrom: string;
}

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
}

const stepLabels: Record<string, string> = {
  reminder: '到期提醒',
  urging: '督办通知',
  'warning-letter': '预警通知函',
  'public-interview': '公开约谈通知',
  accountability: '问责及区域环评限批通知',
};

export function noticeContext(req: NoticeRequest) {
  const o = req.obligation;
  const kind = req.entry.kind === 'reminder' ? 'reminder' : req.entry.step!.kind;
  const issued = DateTime.fromMillis(req.issuedAt, { zone: o.timezone }).toISODate()!;
  return {
    workflowId: req.workflowId,
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
  };
}

export function createActivities(deps: ActivityDeps) {
  return {
    async planSchedule(input: ScheduleInput): Promise<Schedule> {
      return computeSchedule(input, deps.calendar);
    },

    async sendNotice(req: NoticeRequest): Promise<NoticeRecord> {
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
        const d = await deps.mailer.deliver({ key: req.key, from: deps.mailFrom, to, cc, ...rendered });
        return {
          key: req.key,
          kind: escalation ? req.entry.step!.kind : 'reminder',
          level: req.entry.step?.level,
          to,
          cc,
          subject: rendered.subject,
          messageId: d.messageId,
          transport: d.transport,
          location: d.location,
          sentAt: d.deliveredAt,
        };
      } catch (e) {
        if (e instanceof TemplateError || e instanceof PermanentDeliveryError) {
          throw ApplicationFailure.nonRetryable(`${req.workflowId} ${req.entry.key}: ${e.message}`, e.name);
        }
        throw e;
      }
    },

    async archiveObligation(record: ObligationRecord): Promise<string> {
      return writeArchive(deps.archiveDir, record);
    },
  };
}
