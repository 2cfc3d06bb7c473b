// One obligation of one assignee: remind before the deadline, wait for evidence and its
// review, then climb the escalation ladder while it stays unmet. Extensions move every later
// timer (the updatable-timer pattern); a waiver or accepted evidence ends it. The record is
// archived when it closes so supervisors can read it after Temporal's retention.
import * as wf from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { NoticeRecord, ObligationInput, ScheduleEntry, Status } from '../domain/obligation';
import type { Extension } from '../domain/updates';
import { submitEvidence, reviewEvidence, extendDeadline, waiveObligation, recordQuery } from './api';
import { ObligationState, SYSTEM } from './state';
import { paceOf, reportedToDate, type PaceColour, type PaceSettings } from '../domain/pace';
import type { AssessmentActivities } from '../activities/assessment';
import { noticeDelivered } from './digest';
import { noticeKey } from '../domain/ids';
import {
  LantianCampaign,
  LantianStatus,
  LantianLevel,
  LantianDeadline,
} from '../domain/search-attributes';

type Activities = ReturnType<typeof createActivities>;

const { planSchedule, archiveObligation, documentNumber } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
});
const { planSchedule: planLocally } = wf.proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumInterval: '1 minute' },
});
// An extension's new date is planned before it is applied. A date the planner refuses (a year
// the worker's calendar has no holiday notice for, a day that does not exist) refuses the
// extension at once; anything else (a slow worker) is tried again a few times first.
const { planSchedule: tryPlan } = wf.proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['CalendarCoverageError', 'RangeError'] },
});
// The regular-activity send, for notices reached before the local-reminders / local-letters
// patches (see `local` below for today's). Mail servers go down; keep trying with backoff for days
// rather than lose a notice. Permanent refusals (unknown mailbox, broken template) are
// non-retryable where they are born. A worker that dies mid-send is noticed by the missing
// heartbeat within 30 seconds instead of the 2-minute start-to-close; the sent ledger makes the
// retry a no-op if the server's 250 had reached the worker. Timeouts are not part of the
// determinism check (only the command's type and activity type/ID are), so running workflows replay.
const { sendNotice } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
});

const { paceSettings, planPaceChecks, sendPaceWarning } = wf.proxyActivities<AssessmentActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
});

// Local activities run inside the workflow task that reached them: no activity task and no
// second workflow task on the server. Used for a reminder's send (patch local-reminders: in a
// deadline storm, half the server's work), an escalation letter's (local-letters), the pace
// settings and check times (local-pace) and the closing archive (local-archive). A worker that
// dies mid-send lets the workflow task time out (10 s) and the send runs again on replay; the
// sent ledger makes that a no-op. Retries wait on a workflow timer (threshold below the first
// backoff), so an outage holds no worker slot and the time-skipping server skips the wait. A
// letter waits in sendNotice for its 文号 while holding its workflow task; the registry that
// numbers it polls its own task queue (worker/registry.ts), so a deadline that falls for
// hundreds of obligations cannot take every slot the registry needs to answer them.
const local = wf.proxyLocalActivities<Activities & AssessmentActivities>({
  startToCloseTimeout: '2 minutes',
  localRetryThreshold: '1 second',
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
  // New behaviour (patch extension-planned): a date the calendar cannot plan is refused with the
  // reason, where before it was accepted and left the workflow retrying its plan.
  wf.setHandler(extendDeadline, (e) => (wf.patched('extension-planned') ? extendPlanned(e) : after((o.extend(e, now()), { dueDate: o.dueDate }))), {
    validator: (e) => void o.checkExtend(e, now()),
  });
  async function extendPlanned(e: Extension) {
    try {
      await tryPlan({ ...input, dueDate: e.dueDate });
    } catch (err) {
      const failure = err instanceof wf.ActivityFailure && err.cause ? err.cause : err;
      o.refuseExtension(e, failure instanceof Error ? failure.message : String(failure));
    }
    o.recheckExtend(e, now());
    return after((o.extend(e, now()), { dueDate: o.dueDate }));
  }
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

  // Pace (序时进度): a quantitative obligation checks its pace at points before its deadline and warns
  // the assignee when it falls behind. New behaviour: running obligations started before it replay without it.
  const launchedAt = now();
  const settings: PaceSettings | undefined =
    input.quantity?.comparison === 'at-least' && wf.patched('pace-warnings')
      ? await (wf.patched('local-pace') ? local.paceSettings : paceSettings)({ campaignId: input.campaignId })
      : undefined;
  const pace = settings?.checks.length ? settings : undefined;
  let warnedColour: PaceColour = 'green';
  async function addPaceChecks(): Promise<void> {
    if (!pace) return;
    const times = await (wf.patched('local-pace') ? local.planPaceChecks : planPaceChecks)({ checks: pace.checks, launchedAt, deadline: Date.parse(o.deadline), timezone: input.timezone, sending: input.sending, ...(input.provisionalCalendar ? { provisionalCalendar: true } : {}) });
    const checks = times
      .filter((t) => t > now())
      .map((t, i) => ({ key: `pace:${i + 1}@${o.dueDate}`, kind: 'pace' as const, at: new Date(t).toISOString(), atLocal: o.localTime(t) }));
    o.schedule = [...o.schedule, ...checks].sort((a, b) => a.at.localeCompare(b.at));
  }

  o.setSchedule(await plan(), now(), true);
  await addPaceChecks();
  publish();

  const held = new Set<string>();
  while (!o.closed) {
    if (o.dueDateChanged) {
      o.setSchedule(await plan(), now(), false);
      await addPaceChecks();
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
    // A plan made on a provisional calendar is made again before each step: the holiday notice
    // of its year may be in the worker's calendar now, and the step may fall on another day.
    if (o.assumedYears.length) {
      const moved = o.replan(await plan(), now(), next);
      // An extension, a waiver or evidence may have landed while the plan was made.
      if (moved || o.closed || o.version !== version || (next.kind === 'escalation' && o.pendingReview)) continue;
    }
    o.done.add(next.key);
    await fire(next);
    publish();
  }

  await wf.condition(wf.allHandlersFinished);
  publish();
  await (wf.patched('local-archive') ? local.archiveObligation : archiveObligation)(o.snapshot());
  return { status: o.status, level: o.level, dueDate: o.dueDate, closedAt: o.closedAt };

  // Planning is a pure computation on the worker's calendar: a local activity spares the server a
  // round trip per obligation. Runs from before plan through a regular activity on replay.
  function plan() {
    const args = { ...input, dueDate: o.dueDate };
    return wf.patched('local-planning') ? planLocally(args) : planSchedule(args);
  }

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
      case 'pace':
        return checkPace(entry);
    }
  }

  async function checkPace(entry: ScheduleEntry): Promise<void> {
    if (!pace || !input.quantity || o.closed) return;
    const p = paceOf({ target: input.quantity.value, reported: reportedToDate(o.evidence), launchedAt, deadline: Date.parse(o.deadline), now: now(), settings: pace });
    const said = `${p.colour}: ${p.reported} of ${Math.round(p.expected * 100) / 100} ${input.quantity.unit} expected by now (target ${p.target})`;
    o.record('pace-checked', now(), SYSTEM, { entry: entry.key, reason: said });
    // A warning when the obligation turns yellow or red, not again while it stays the same colour.
    if (p.colour === 'green' || p.colour === warnedColour) return;
    warnedColour = p.colour;
    try {
      const notice = await sendPaceWarning({
        key: noticeKey(o.workflowId, entry.key),
        campaignId: input.campaignId,
        assignee: { code: input.assignee.code, name: input.assignee.name },
        obligation: { title: input.title, clause: `${input.clause.section}、${input.clause.item ?? ''}`, unit: input.quantity.unit },
        office: input.office,
        colour: p.colour,
        reported: p.reported,
        expected: p.expected,
        target: p.target,
        dueDate: o.dueDate,
        timezone: input.timezone,
        issuedAt: now(),
      });
      o.notices.push(notice);
      o.record('pace-warning', now(), SYSTEM, { entry: entry.key, reason: said, notice });
    } catch (err) {
      const cause = err instanceof wf.ActivityFailure && err.cause ? err.cause.message : String(err);
      o.noticeFailed(entry, cause, now());
    }
  }

  async function notify(entry: ScheduleEntry) {
    const key = noticeKey(o.workflowId, entry.key);
    // State only, no command: runs from before it replay unchanged.
    o.noticeQueued(entry, key, now());
    try {
      const numbering = { office: input.office.abbreviation, year: Number(o.localTime(now()).slice(0, 4)) };
      // Escalation letters carry a 文号, now allocated by sendNotice itself (one activity, not
      // two); runs from before replay their separate documentNumber step, or none at all.
      const numberedBySend = entry.kind === 'escalation' && wf.patched('numbered-by-send');
      const number =
        entry.kind === 'escalation' && !numberedBySend && wf.patched('document-numbers')
          ? await documentNumber({ ...numbering, key })
          : undefined;
      const sendsLocally = entry.kind === 'reminder' ? wf.patched('local-reminders') : numberedBySend && wf.patched('local-letters');
      const send = sendsLocally ? local.sendNotice : sendNotice;
      return await send({
        ...(numberedBySend ? { numbering } : {}),
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
      // A regular activity's failure arrives wrapped in an ActivityFailure, a local one's as itself.
      const failure = err instanceof wf.ActivityFailure && err.cause ? err.cause : err;
      const cause = failure instanceof Error ? failure.message : String(err);
      // The failed notice's record (addressees, delivery log) rides in the failure's details.
      const details = failure instanceof wf.ApplicationFailure ? failure.details : undefined;
      o.noticeFailed(entry, cause, now(), (details?.[0] as NoticeRecord | undefined) ?? undefined);
      return undefined;
    } finally {
      o.noticeSettled(entry);
    }
  }
}
