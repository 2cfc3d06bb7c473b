// The one way a notice goes out: address it, number it (a letter's 文号), render it, store the
// letter, send it once per key, and record what happened. Reminders, escalation letters, pace
// warnings, digests and assessment acts differ only in what they hand to `issue`.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DateTime } from 'luxon';
import type { ContactRole, Organisation } from '../domain/policy-schema';
import type { DeliveryEvent, NoticeRecord } from '../domain/obligation';
import type { DigestInput, DigestItem } from '../domain/digest';
import { documentNumberText } from '../domain/ids';
import { renderNotice, TemplateError } from '../notices/render';
import { digestContext, noticeContext, addressing, supervisionNumber, type NoticeRequest } from '../notices/context';
import { paceContext } from '../notices/assessment-letters';
import { addresseesFor, MissingContactError, REMINDER_ROLE } from '../notices/directory';
import { PermanentDeliveryError, messageIdFor, officeSender, type Delivery } from '../notices/mailer';
import { letterStoreOf } from '../storage/letters';
import { copiedOrganisations, issueLetterPdf, LetterPdfChangedError } from '../notices/pdf';
import { LetterStructureError } from '../notices/official-letter';
import { assessmentTemplatesDir } from '../planner/load-targets';
import type { ActivityDeps } from './deps';

export interface NoticeSpec {
  /** Idempotency key: the workflow ID and its step, never the run ID. */
  key: string;
  /** Where the notice belongs (workflow and step), at the head of an error's message. */
  label: string;
  kind: string;
  level?: number;
  /** Organisation code of the addressee. */
  assignee: string;
  roles: readonly ContactRole[];
  /** Letters copy the office (and the supervisor); reminders and warnings do not. */
  letter: boolean;
  office: { abbreviation: string; email: string; name?: string };
  template: { dir: string; name: string };
  context: (documentNumber: string | undefined) => object;
  /** The year whose 文号 sequence numbers this letter; unnumbered without it. */
  numberedIn?: number;
  issuedAt: number;
  /** Listed in the recipient's daily digest instead of being mailed on its own. */
  digest?: (subject: string, queuedAt: string) => Promise<string>;
}

/** Refusals no retry can cure. Anything else (a mail server down, a slow registry) is retried. */
export class UnknownOrganisationError extends Error {
  constructor(code: string) {
    super(`organisation ${code} is not in the organisations registry`);
    this.name = 'UnknownOrganisationError';
  }
}
const PERMANENT = [
  TemplateError,
  PermanentDeliveryError,
  MissingContactError,
  UnknownOrganisationError,
  LetterStructureError,
  LetterPdfChangedError,
];

export function noticePipeline(deps: ActivityDeps) {
  // The registry returns the same number for the same key, so a retried letter keeps its 文号. A
  // cancelled activity stops waiting (the letter is retried after a restart).
  async function documentNumber(office: string, year: number, key: string): Promise<string> {
    const cancelled = inActivity() ? Context.current().cancelled : new Promise<never>(() => {});
    return documentNumberText(office, year, await Promise.race([deps.documentNumbers(office, year, key), cancelled]));
  }

  function organisation(code: string): Organisation {
    const org = deps.organisations.get(code);
    if (!org) throw new UnknownOrganisationError(code);
    return org;
  }

  return async function issue(spec: NoticeSpec): Promise<NoticeRecord> {
    const attempt = inActivity() ? Context.current().info.attempt : 1;
    const queued: DeliveryEvent = { state: 'queued', at: new Date(spec.issuedAt).toISOString() };
    const record: NoticeRecord = {
      key: spec.key,
      kind: spec.kind,
      ...(spec.level !== undefined ? { level: spec.level } : {}),
      to: [],
      cc: [],
      subject: '',
      messageId: messageIdFor(spec.key),
      transport: deps.mailer.transport,
      sentAt: queued.at,
      delivery: [queued],
    };
    try {
      const org = organisation(spec.assignee);
      const { to, cc } = addresseesFor(org, spec.roles, spec.office, spec.letter);
      Object.assign(record, { to, cc });
      const number = spec.numberedIn
        ? await documentNumber(spec.office.abbreviation, spec.numberedIn, spec.key)
        : undefined;
      if (number) record.documentNumber = number;
      const rendered = renderNotice(spec.template.dir, spec.template.name, spec.context(number));
      record.subject = rendered.subject;
      if (spec.digest) {
        const digest = await spec.digest(rendered.subject, queued.at);
        return { ...record, messageId: '', digest, delivery: [{ ...queued, response: `listed in ${digest}` }] };
      }
      const stored = { key: spec.key, subject: rendered.subject, text: rendered.text, html: rendered.html };
      // A letter's PDF in 公文 form, made once: a retry attaches the PDF the letter was issued with.
      const pdf = spec.letter
        ? await issueLetterPdf(deps.letters ?? deps.lettersDir, {
            key: spec.key,
            issuedAt: spec.issuedAt,
            rendered,
            documentNumber: number,
            copies: copiedOrganisations(org, cc, spec.office, (code) => deps.organisations.get(code)?.name),
          })
        : undefined;
      await letterStoreOf(deps.letters ?? deps.lettersDir).write({
        ...stored,
        ...(number ? { documentNumber: number } : {}),
        ...(pdf ? { pdf: pdf.stored } : {}),
        storedAt: new Date().toISOString(),
      });
      const d = await deps.mailer.deliver({
        key: spec.key,
        from: officeSender(spec.office, deps.mailFrom),
        to,
        cc,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        ...(pdf ? { attachments: [pdf.attachment] } : {}),
      });
      // Then the recipient's chat and webhook channels, each once per key: a refusal is recorded
      // with the refused recipients, an outage is retried like the mail server's (notices/channels).
      const channels = await deps.channels?.deliver(
        {
          key: spec.key,
          kind: spec.kind,
          level: spec.level,
          documentNumber: number,
          organisation: org,
          subject: rendered.subject,
          text: rendered.text,
          issuedAt: queued.at,
        },
        attempt,
      );
      const rejected = [...(d.rejected ?? []), ...(channels?.refused ?? [])];
      return {
        ...record,
        messageId: d.messageId,
        transport: d.transport,
        location: d.location,
        sentAt: d.deliveredAt,
        ...(rejected.length ? { rejected } : {}),
        delivery: [queued, ...deliverySteps(d, attempt), ...(channels?.delivery ?? [])],
      };
    } catch (e) {
      if (!PERMANENT.some((kind) => e instanceof kind)) throw e;
      // The failed notice's record rides in the failure's details, so the timeline shows its log.
      const err = e as Error;
      const now = new Date().toISOString();
      const sent: DeliveryEvent[] =
        e instanceof PermanentDeliveryError ? [{ state: 'sent', at: e.sentAt ?? now, attempt }] : [];
      record.delivery = [queued, ...sent, { state: 'failed', at: now, reason: err.message }];
      throw ApplicationFailure.create({
        nonRetryable: true,
        message: `${spec.label}: ${err.message}`,
        type: err.name,
        details: [record],
      });
    }
  };
}

/**
 * What the mail server did with one message: sent, accepted (its reply), refused recipients. A
 * retry answered from the sent ledger keeps the first sending's steps and says, as its own step,
 * that nothing was sent again.
 */
function deliverySteps(d: Delivery, attempt: number): DeliveryEvent[] {
  return [
    { state: 'sent', at: d.sentAt ?? d.deliveredAt, attempt },
    { state: 'accepted', at: d.deliveredAt, ...(d.response ? { response: d.response } : {}) },
    ...(d.rejected ?? []).map((r): DeliveryEvent => ({
      state: 'failed',
      at: d.deliveredAt,
      reason: `${r.address}: ${r.reason}`,
    })),
    ...(d.duplicate
      ? [{ state: 'replayed', at: new Date().toISOString(), attempt, response: REPLAYED } satisfies DeliveryEvent]
      : []),
  ];
}

/** The delivery log's words for a retry the sent ledger answered. */
export const REPLAYED = '已按发送记录确认，未重复发送';

function inActivity(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}

export function createNoticeActivities(deps: ActivityDeps) {
  const issue = noticePipeline(deps);
  return {
    /** An obligation's reminder, escalation letter or pace warning, once per (workflow, step). */
    async sendNotice(req: NoticeRequest): Promise<NoticeRecord> {
      const o = req.obligation;
      const common = {
        key: req.key,
        label: `${req.workflowId} ${req.entry.key}`,
        assignee: o.assignee.code,
        office: o.office,
        issuedAt: req.issuedAt,
      };
      const step = req.entry.step;
      if (req.entry.kind === 'escalation' && step) {
        return issue({
          ...common,
          kind: step.kind,
          level: step.level,
          roles: step.recipients,
          letter: true,
          numberedIn: DateTime.fromMillis(req.issuedAt, { zone: o.timezone }).year,
          template: { dir: deps.templatesDir, name: step.template },
          context: (documentNumber) => noticeContext({ ...req, documentNumber }, deps.calendar, deps.policies),
        });
      }
      if (req.entry.kind === 'pace' && req.pace && o.quantity) {
        const issuedDate = DateTime.fromMillis(req.issuedAt, { zone: o.timezone }).toISODate()!;
        return issue({
          ...common,
          kind: 'pace-warning',
          roles: [REMINDER_ROLE],
          letter: false,
          template: { dir: assessmentTemplatesDir(deps.templatesDir), name: 'pace-warning' },
          context: () =>
            paceContext({
              key: req.key,
              reference: supervisionNumber(o, deps.policies?.campaigns.get(o.campaignId)),
              assignee: { code: o.assignee.code, name: o.assignee.name },
              addressing: addressing(o.assignee, REMINDER_ROLE),
              obligation: {
                title: o.title,
                clause: `${o.clause.section}、${o.clause.item ?? ''}`,
                unit: o.quantity!.unit,
              },
              office: o.office,
              ...req.pace!,
              dueDate: req.dueDate,
              issuedDate,
            }),
        });
      }
      if (req.entry.kind === 'acknowledgement') {
        return issue({
          ...common,
          kind: 'acknowledgement-urging',
          roles: [REMINDER_ROLE],
          letter: false,
          template: { dir: deps.templatesDir, name: 'acknowledgement-urging' },
          context: () => noticeContext(req, deps.calendar, deps.policies),
        });
      }
      const digested = deps.reminderDelivery?.get(o.assignee.code) === 'daily-digest';
      return issue({
        ...common,
        kind: 'reminder',
        roles: [REMINDER_ROLE],
        letter: false,
        template: { dir: deps.templatesDir, name: 'reminder' },
        context: () => noticeContext(req, deps.calendar, deps.policies),
        ...(digested
          ? { digest: (subject: string, queuedAt: string) => listInDigest(deps, req, subject, queuedAt) }
          : {}),
      });
    },

    /** One message for a recipient's reminders of one day; the key is the digest workflow's. */
    async sendDigest(req: {
      key: string;
      digest: string;
      input: DigestInput;
      items: DigestItem[];
    }): Promise<{ messageId: string; steps: DeliveryEvent[] }> {
      const org = deps.organisations.get(req.input.recipient);
      const notice = await issue({
        key: req.key,
        label: req.digest,
        kind: 'digest',
        assignee: req.input.recipient,
        roles: [REMINDER_ROLE],
        letter: false,
        office: { abbreviation: '', email: req.input.office.email, name: req.input.office.name },
        template: { dir: deps.templatesDir, name: 'digest' },
        context: () =>
          digestContext({
            digest: req.digest,
            recipient: { code: req.input.recipient, name: org?.name ?? req.input.recipientName, kind: org?.kind },
            date: req.input.date,
            office: req.input.office,
            items: req.items,
          }),
        issuedAt: Date.now(),
      });
      return { messageId: notice.messageId, steps: (notice.delivery ?? []).filter((s) => s.state !== 'queued') };
    },
  };
}

/** A digested reminder is listed in today's digest for its recipient, which reports delivery back by signal. */
async function listInDigest(
  deps: ActivityDeps,
  req: NoticeRequest,
  subject: string,
  queuedAt: string,
): Promise<string> {
  if (!deps.digests) throw new Error('daily digests need a Temporal client (ActivityDeps.digests)');
  const o = req.obligation;
  const org = deps.organisations.get(o.assignee.code)!;
  const date = DateTime.fromMillis(req.issuedAt, { zone: o.timezone }).toISODate()!;
  const input: DigestInput = {
    recipient: org.code,
    recipientName: org.name,
    date,
    windowMs: deps.digestWindowMs ?? 10 * 60_000,
    office: { name: o.office.name, email: o.office.email },
  };
  const item: DigestItem = {
    key: req.key,
    workflowId: req.workflowId,
    title: o.title,
    ...(o.period ? { period: o.period } : {}),
    clause: `${o.clause.section}${o.clause.item ?? ''}`,
    dueDate: req.dueDate,
    subject,
    queuedAt,
  };
  return deps.digests(input, item);
}
