// One obligation of one assignee: remind before the deadline, wait for evidence and its
// review, then climb the escalation ladder while it stays unmet. Extensions move every later
// timer (the updatable-timer pattern); a waiver or accepted evidence ends it. The record is
// archived when it closes so supervisors can read it after Temporal's retention.
import * as wf from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { NoticeRecord, ObligationInput, ScheduleEntry, Status } from '../model/obligation';
import { submitEvidence, reviewEvidence, extendDeadline, waiveObligation, recordQuery } from './api';
import { ObligationState } from './state';
import { noticeDelivered } from './digest';
import { noticeKey } from '../temporal/ids';
import {
  LantianCampaign,
  LantianStatus,
  LantianLevel,
  LantianDeadline,
} from '../temporal/search-attributes';

type Activities = ReturnType<typeof createActivities>;

const { planSchedule, archiveObligation, documentNumber } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
});
// Mail servers go down; keep trying with backoff for days rather than lose a notice.
// Permanent refusals (unknown mailbox, broken template) are non-retryable where they are born.
const { sendNotice } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
});

export interface ObligationOutcome {
  status: Status;
  level: number;
  dueDate: string;
  closedAt?: string;
}

export async function obligationWorkflow(input: ObligationInput): Promise<ObligationOutcome> {
  const o = new ObligationState(input, wf.workflowInfo().workflowId);
  const now = () => Date.now();

  wf.setHandler(recordQuery, () => o.snapshot());
  // A digested reminder's delivery arrives later, from the recipient's digest workflow. A
  // signal handler adds no command, so histories from before it replay unchanged.
  wf.setHandler(noticeDelivered, (d) => o.digestDelivered(d));
  wf.setHandler(submitEvidence, (s) => after(o.submit(s, now())), { validator: (s) => void o.checkSubmit(s) });
  wf.setHandler(reviewEvidence, (r) => after(o.review(r, now())), { validator: (r) => void o.checkReview(r) });
  wf.setHandler(extendDeadline, (e) => after((o.extend(e, now()), { dueDate: o.dueDate })), {
    validator: (e) => void o.checkExtend(e, now()),
  });
  wf.setHandler(waiveObligation, (w) => after((o.waive(w, now()), { status: o.status })), {
    validator: (w) => void o.checkWaive(w),
  });

  // Search attributes are kept up to date only for workflows launched with them (the launcher
  // always sets them); a server without Lantian's attributes (the time-skipping test server)
  // would fail every workflow task on an upsert.
  const indexed = wf.workflowInfo().typedSearchAttributes.get(LantianCampaign) !== undefined;
  let published = { status: '', level: -1, deadline: '' };
  function after<T>(result: T): T {
    publish();
    return result;
  }
  function publish(): void {
    if (!indexed) return;
    if (published.status === o.status && published.level === o.level && published.deadline === o.deadline) return;
    wf.upsertSearchAttributes([
      { key: LantianStatus, value: o.status },
      { key: LantianLevel, value: o.level },
      { key: LantianDeadline, value: new Date(o.deadline) },
    ]);
    published = { status: o.status, level: o.level, deadline: o.deadline };
  }

  o.setSchedule(await planSchedule({ ...input, dueDate: o.dueDate }), now(), true);
  publish();

  const held = new Set<string>();
  while (!o.closed) {
    if (o.dueDateChanged) {
      o.setSchedule(await planSchedule({ ...input, dueDate: o.dueDate }), now(), false);
      publish();
      continue;
    }
    const next = o.nextEntry();
    if (!next) break;
    const version = o.version;
    const due = Date.parse(next.at) <= now();
    // An escalation step that falls due while evidence awaits review waits for the review.
    if (due && next.kind === 'escalation' && o.pendingReview) {
      if (!held.has(next.key)) o.record('escalation-held', now(), { role: 'system', id: 'lantian' }, { entry: next.key, level: next.step?.level, reason: 'evidence awaits review' });
      held.add(next.key);
      await wf.condition(() => o.closed || o.version !== version || !o.pendingReview);
      continue;
    }
    const interrupted = await wf.condition(() => o.closed || o.version !== version, Math.max(1, Date.parse(next.at) - now()));
    // Evidence may have arrived while we waited: the next turn holds the step instead.
    if (interrupted || (next.kind === 'escalation' && o.pendingReview)) continue;
    o.done.add(next.key);
    await fire(next);
    publish();
  }

  await wf.condition(wf.allHandlersFinished);
  publish();
  await archiveObligation(o.snapshot());
  return { status: o.status, level: o.level, dueDate: o.dueDate, closedAt: o.closedAt };

  async function fire(entry: ScheduleEntry): Promise<void> {
    switch (entry.kind) {
      case 'deadline':
        return o.deadlinePassed(entry, now());
      case 'close':
        return o.closeUnmet(now());
      case 'reminder':
        if (o.status !== 'open') {
          o.record('reminder-skipped', now(), { role: 'system', id: 'lantian' }, { entry: entry.key, reason: `obligation is ${o.status}` });
          return;
        }
        return o.reminded(entry, await notify(entry), now());
      case 'escalation':
        return o.escalated(entry, await notify(entry), now());
    }
  }

  async function notify(entry: ScheduleEntry) {
    try {
      const key = noticeKey(o.workflowId, entry.key);
      // Escalation letters carry a 文号; runs from before numbering replay without one.
      const number =
        entry.kind === 'escalation' && wf.patched('document-numbers')
          ? await documentNumber({ office: input.office.abbreviation, year: Number(o.localTime(now()).slice(0, 4)), key })
          : undefined;
      return await sendNotice({
        documentNumber: number,
        key,
        workflowId: o.workflowId,
        entry,
        obligation: input,
        dueDate: o.dueDate,
        originalDueDate: input.dueDate,
        deadlineLocal: o.localTime(Date.parse(o.deadline)),
        daysOverdue: o.daysOverdue(now()),
        issuedAt: now(),
        evidence: o.evidence.length,
      });
    } catch (err) {
      // Only a permanent failure reaches here (retries are unlimited): record it where the office sees it.
      const cause = err instanceof wf.ActivityFailure && err.cause ? err.cause.message : String(err);
      // The failed notice's record (addressees, delivery log) rides in the failure's details.
      const details = err instanceof wf.ActivityFailure && err.cause instanceof wf.ApplicationFailure ? err.cause.details : undefined;
      o.noticeFailed(entry, cause, now(), (details?.[0] as NoticeRecord | undefined) ?? undefined);
      return undefined;
    }
  }
}
