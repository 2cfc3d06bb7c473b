// One obligation of one assignee: remind before the deadline, wait for evidence and its review,
// then climb the escalation ladder while it stays unmet, and close. The rules live in
// ObligationState (state.ts); this function is the loop over the schedule that applies them.
import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DueDateCorrection, Extension, NoticeRecord, ObligationInput, ScheduleEntry } from '../domain/obligation';
import type { Pace } from '../domain/pace';
import {
  acknowledgeNotice,
  correctDueDate,
  extendDeadline,
  recordQuery,
  reviewEvidence,
  submitEvidence,
  waiveObligation,
} from './api';
import { noticeDelivered } from './digest';
import { ARCHIVE, EXTENSION_PLANNING, failureOf, NOTICE, PLANNING } from './options';
import { searchAttributesOf } from './search-attributes';
import { ObligationState, type DueDateMove, type ObligationOutcome } from './state';

export type { ObligationOutcome };

const { planObligation, planAcknowledgement } = wf.proxyLocalActivities<Activities>(PLANNING);
const { planObligation: planExtension } = wf.proxyLocalActivities<Activities>(EXTENSION_PLANNING);
const { sendNotice } = wf.proxyLocalActivities<Activities>(NOTICE);
const { archiveObligation } = wf.proxyLocalActivities<Activities>(ARCHIVE);

export async function obligationWorkflow(input: ObligationInput): Promise<ObligationOutcome> {
  const now = () => Date.now();
  const o = new ObligationState(input, wf.workflowInfo().workflowId, now());
  const publish = searchAttributesOf(o);
  const changed = <T>(result: T): T => (publish(), result);

  wf.setHandler(recordQuery, () => o.snapshot());
  wf.setHandler(noticeDelivered, (d) => o.digestDelivered(d));
  wf.setHandler(submitEvidence, (s) => changed(o.submit(s, now())), { validator: (s) => void o.checkSubmit(s) });
  wf.setHandler(reviewEvidence, (r) => changed(o.review(r, now())), { validator: (r) => void o.checkReview(r) });
  wf.setHandler(acknowledgeNotice, (a) => changed(o.acknowledge(a, now())), {
    validator: (a) => void o.checkAcknowledge(a),
  });
  wf.setHandler(waiveObligation, (w) => changed((o.waive(w, now()), { status: o.status })), {
    validator: (w) => void o.checkWaive(w),
  });
  // A new date is planned before it is applied: a date the calendar cannot plan is refused. A
  // waiver, accepted evidence or another move may land meanwhile: the move is checked again.
  const moveDueDate = (kind: DueDateMove) => async (m: Extension | DueDateCorrection) => {
    await planExtension(o.planRequest(m.dueDate)).catch((err) => o.refuseDueDate(m, failureOf(err).message));
    o.recheck(kind, m, now());
    return changed((o.moveDueDate(kind, m, now()), { dueDate: o.dueDate }));
  };
  wf.setHandler(extendDeadline, moveDueDate('extended'), { validator: (e) => void o.checkExtend(e, now()) });
  wf.setHandler(correctDueDate, moveDueDate('due-date-corrected'), {
    validator: (c) => void o.checkCorrection(c, now()),
  });

  o.setSchedule(await planObligation(o.planRequest()), now(), true);
  publish();

  while (!o.closed) {
    if (o.dueDateChanged) {
      o.setSchedule(await planObligation(o.planRequest()), now(), false);
      publish();
      continue;
    }
    const next = o.nextEntry();
    if (!next) break;
    const version = o.version;
    const moved = () => o.closed || o.version !== version;
    if (o.mustHold(next, now())) {
      await wf.condition(() => moved() || !o.pendingReview);
      continue;
    }
    if (await wf.condition(moved, Math.max(1, Date.parse(next.at) - now()))) continue;
    // Evidence may have arrived while we waited: the next turn holds the step instead.
    if (o.mustHold(next, now())) continue;
    // A plan made on a provisional calendar is made again before each step: the holiday notice
    // of its year may be in the worker's calendar now, and the step may fall on another day.
    if (
      o.assumedYears.length &&
      (o.replan(await planObligation(o.planRequest()), now(), next) || moved() || o.mustHold(next, now()))
    )
      continue;
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
        return o.status === 'open' ? o.reminded(entry, await notify(entry), now()) : o.reminderSkipped(entry, now());
      case 'escalation': {
        const letter = await notify(entry);
        o.escalated(entry, letter, now());
        // A letter waits for its 签收; it neither stops nor delays the ladder.
        if (letter?.documentNumber && letter.messageId)
          o.awaitAcknowledgement(await planAcknowledgement(o.acknowledgementRequest(entry, letter, now())), letter);
        return;
      }
      case 'acknowledgement': {
        const letter = o.unacknowledged(entry);
        return letter && o.acknowledgementUrged(entry, letter, await notify(entry, { letter }), now());
      }
      case 'pace': {
        const pace = o.paceChecked(entry, now());
        return pace && o.paceWarned(entry, await notify(entry, { pace }), now());
      }
    }
  }

  /** The entry's notice, or undefined when it was refused for good (recorded on the timeline). */
  async function notify(
    entry: ScheduleEntry,
    about?: { pace?: Pace; letter?: NoticeRecord },
  ): Promise<NoticeRecord | undefined> {
    o.noticeQueued(entry, now());
    try {
      return await sendNotice(o.noticeRequest(entry, now(), about));
    } catch (err) {
      const failure = failureOf(err);
      o.noticeFailed(entry, failure.message, now(), failure.details?.[0] as NoticeRecord | undefined);
      return undefined;
    } finally {
      o.noticeSettled(entry);
    }
  }
}
