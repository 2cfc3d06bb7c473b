// The state of one obligation and the rules that change it: who may submit, review, extend
// or waive, when it is met, late or overdue. Plain deterministic code, no Temporal calls, so
// the workflow function stays a short loop over the schedule and this can be read as policy.
import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import type * as UpdateSchemas from '../domain/updates';
import type * as ActorProofs from '../domain/actor-proof';
import { closedStatuses } from '../domain/statuses';
import { LIMITS } from '../domain/limits';
import { submissionRefusal } from '../domain/submission';
import { message, type MessageCode, type MessageParams } from '../i18n/messages';
import type {
  Actor,
  Evidence,
  EvidenceReview,
  EvidenceSubmission,
  Extension,
  Acknowledgement,
  DueDateCorrection,
  NoticeRecord,
  DeliveryEvent,
  ObligationInput,
  ObligationRecord,
  Receipt,
  Schedule,
  ScheduleEntry,
  Status,
  TimelineEvent,
  Waiver,
} from '../domain/obligation';
import { earlierLetters } from '../domain/obligation';
import type { NoticeRequest } from '../notices/context';
import type { ObligationPlan } from '../activities/planning';
import { noticeKey } from '../domain/ids';
import { paceOf, reportedToDate, type Pace, type PaceColour, type PaceSettings } from '../domain/pace';
import { REFUSED } from './api';

// zod loads with the first Update a workflow validates, not with every workflow: building it took 80 %
// of creating a workflow in the storm's profile, and most obligations never see an Update. It cannot
// be preloaded: it extends prototypes lazily, and preloaded modules are frozen.
let schemas: typeof UpdateSchemas | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on the first Update, not with every workflow (above)
const updateSchemas = (): typeof UpdateSchemas => (schemas ??= require('../domain/updates') as typeof UpdateSchemas);
// The signature check is loaded once per workflow thread (worker/create.ts `sharedModules`).
let proofs: typeof ActorProofs | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on the first Update, like zod
const actorProofs = (): typeof ActorProofs => (proofs ??= require('../domain/actor-proof') as typeof ActorProofs);

/** How an office moves a due date: an extension (later), or a correction (either way). */
export type DueDateMove = 'extended' | 'due-date-corrected';

/** What an obligation's workflow returns when it closes. */
export interface ObligationOutcome {
  status: Status;
  level: number;
  dueDate: string;
  closedAt?: string;
}

export const SYSTEM: Actor = { role: 'system', id: 'lantian' };

export class ObligationState {
  status: Status = 'open';
  overdue = false;
  level = 0;
  dueDate: string;
  deadline = '';
  deadlineLocal = '';
  evidence: Evidence[] = [];
  timeline: TimelineEvent[] = [];
  notices: NoticeRecord[] = [];
  schedule: ScheduleEntry[] = [];
  /** Years the schedule counts Monday to Friday: the calendar had no holiday notice for them (provisional calendar). */
  assumedYears: number[] = [];
  done = new Set<string>();
  /** Bumped whenever something the main loop waits on changes (due date, review outcome). */
  version = 0;
  dueDateChanged = false;
  closedAt?: string;
  private updates = 0;
  private offsetMinutes = 0;
  private held = new Set<string>();
  private pace?: PaceSettings;
  private warned: { colour: PaceColour; said: string } = { colour: 'green', said: '' };

  constructor(
    readonly input: ObligationInput,
    readonly workflowId: string,
    readonly launchedAt: number,
  ) {
    this.dueDate = input.dueDate;
  }

  /** What the planner needs to plan this obligation for a due date. */
  planRequest(dueDate = this.dueDate) {
    return { ...this.input, dueDate, launchedAt: this.launchedAt };
  }

  get closed(): boolean {
    return closedStatuses.includes(this.status);
  }
  get pendingReview(): boolean {
    return this.evidence.some((e) => e.state === 'pending');
  }

  // ------------------------------------------------------------------ schedule

  setSchedule(s: ObligationPlan, now: number, atLaunch: boolean): void {
    this.schedule = withPending(s.entries, this.schedule, this.done);
    this.pace = s.pace;
    this.deadline = s.deadline;
    this.deadlineLocal = s.deadlineLocal;
    this.offsetMinutes = offsetOf(s.deadlineLocal);
    this.dueDateChanged = false;
    this.assumedYears = s.assumedYears ?? [];
    const provisional = this.assumedYears.length
      ? `; planned on a provisional calendar: ${this.assumedYears.join(', ')} counted Monday to Friday until its holiday notice is in the calendar`
      : '';
    // The launch is dated when the workflow began, before its plan was made, and it comes first:
    // an Update delivered with the first task (an office that waives at once) is applied while
    // the plan is being made, and must not read as earlier than the launch.
    if (atLaunch) {
      this.record('launched', this.launchedAt, SYSTEM, {
        dueDate: this.dueDate,
        reason: `campaign ${this.input.campaignId}, season ${this.input.season}: due ${this.dueDate}${provisional}`,
      });
      this.timeline.unshift(this.timeline.pop()!);
    }
    const past = s.entries.filter((e) => !this.done.has(e.key) && Date.parse(e.at) <= now);
    // Pace checks whose time has passed (before launch, or before an extension) are not made late.
    for (const e of past.filter((p) => p.kind === 'pace')) this.done.add(e.key);
    // Reminders whose time passed before launch (or before an extension) are not sent late.
    for (const e of past.filter((p) => p.kind === 'reminder')) {
      this.done.add(e.key);
      this.record('reminder-skipped', now, SYSTEM, {
        entry: e.key,
        reason: atLaunch
          ? 'its time had passed when the obligation was launched'
          : 'its time had passed when the deadline moved',
      });
    }
    // Launched late: only the latest escalation step already due is issued, not the whole ladder at once.
    const pastSteps = past.filter((p) => p.kind === 'escalation');
    if (atLaunch) {
      for (const e of pastSteps.slice(0, -1)) {
        this.done.add(e.key);
        this.record('escalation-skipped', now, SYSTEM, {
          entry: e.key,
          level: e.step?.level,
          reason: 'launched after it fell due; a later step supersedes it',
        });
      }
    }
  }

  /**
   * The schedule planned again on the calendar as it is now (a provisional plan, before a step
   * fires). True when `entry` no longer falls when it was about to: the caller waits again.
   */
  replan(s: Schedule, now: number, entry: ScheduleEntry): boolean {
    const before = this.assumedYears;
    const was = new Map(this.schedule.map((e) => [e.key, e.at]));
    this.schedule = withPending(s.entries, this.schedule, this.done);
    this.assumedYears = s.assumedYears ?? [];
    const added = before.filter((y) => !this.assumedYears.includes(y));
    const moved = s.entries.filter((e) => e.kind !== 'pace' && !this.done.has(e.key) && was.get(e.key) !== e.at);
    if (added.length) {
      this.record('replanned', now, SYSTEM, {
        reason: `the holiday notice for ${added.join(', ')} is in the calendar now: the dates were planned again${moved.length ? `; moved: ${moved.map((e) => `${e.key} to ${e.atLocal.slice(0, 16)}`).join(', ')}` : ''}`,
      });
    }
    // A reminder moved back to a working day that has already gone by is not sent on the day
    // off it was planned for; an escalation step that moved earlier is due, and goes now.
    for (const e of moved.filter((m) => m.kind === 'reminder' && Date.parse(m.at) < now)) {
      this.done.add(e.key);
      this.record('reminder-skipped', now, SYSTEM, {
        entry: e.key,
        reason: `planned again for ${e.atLocal.slice(0, 10)}, a working day already past, instead of a day off`,
      });
    }
    return entry.kind !== 'pace' && s.entries.find((e) => e.key === entry.key)?.at !== entry.at;
  }

  nextEntry(): ScheduleEntry | undefined {
    return this.schedule.find((e) => !this.done.has(e.key));
  }

  /** An escalation step that falls due while evidence awaits review waits for the review. */
  mustHold(entry: ScheduleEntry, now: number): boolean {
    if (entry.kind !== 'escalation' || !this.pendingReview || Date.parse(entry.at) > now) return false;
    if (!this.held.has(entry.key))
      this.record('escalation-held', now, SYSTEM, {
        entry: entry.key,
        level: entry.step?.level,
        reason: 'evidence awaits review',
      });
    this.held.add(entry.key);
    return true;
  }

  // ------------------------------------------------------------------ events

  localTime(ms: number): string {
    const d = new Date(ms + this.offsetMinutes * 60_000);
    const sign = this.offsetMinutes >= 0 ? '+' : '-';
    const abs = Math.abs(this.offsetMinutes);
    const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return d.toISOString().replace('Z', off);
  }

  record(type: TimelineEvent['type'], now: number, actor: Actor, extra: Partial<TimelineEvent> = {}): TimelineEvent {
    const ev: TimelineEvent = { type, at: new Date(now).toISOString(), atLocal: this.localTime(now), actor, ...extra };
    this.timeline.push(ev);
    return ev;
  }

  // ------------------------------------------------------------------ refusals (Update validators)

  /**
   * The message (English, for the CLI and logs) and, in the failure's details, the catalogue code
   * and parameters the web app answers in Chinese. A validator's refusal is no command: changing
   * its words changes no history.
   */
  private refuse<C extends MessageCode>(code: C, params: MessageParams<C>): never {
    throw ApplicationFailure.create({
      type: REFUSED,
      message: `${this.workflowId}: ${message(code, params, 'en')}`,
      nonRetryable: true,
      details: [{ code, params }],
    });
  }

  private parse<T extends z.ZodType>(schema: T, arg: unknown): z.infer<T> {
    const r = schema.safeParse(arg);
    if (!r.success) {
      this.refuse('invalid_argument', {
        fields: [...new Set(r.error.issues.map((i) => i.path.join('.') || 'argument'))].join('、'),
        detail: r.error.issues.map((i) => `${i.path.join('.') || 'argument'} ${i.message}`).join('; '),
      });
    }
    return r.data;
  }

  /** `grows`: the change adds to the record without settling anything (a submission, an extension). */
  private checkOpen(action: string, grows = false): void {
    if (this.closed) this.refuse('obligation_closed', { action, status: this.status });
    // Reviews and waivers stay possible at the bound: they settle what is there (at most one event each).
    if (grows && this.timeline.length >= LIMITS.timeline)
      this.refuse('timeline_full', { action, limit: LIMITS.timeline });
    if (this.updates >= LIMITS.updates) this.refuse('updates_exhausted', { action, limit: LIMITS.updates });
  }

  private checkOffice(a: Actor, action: string): void {
    if (a.role !== 'office') this.refuse('office_only', { action, role: a.role, actor: a.id });
  }

  /** An Update's actor is the one Lantian's web app or CLI signed for, or the Update is refused. */
  private checkProof(update: string, arg: unknown): void {
    if (
      !actorProofs().proofHolds(this.workflowId, update, (arg ?? {}) as { proof?: never }, this.input.actorKeys ?? [])
    )
      this.refuse('not_signed', {});
  }

  checkSubmit(arg: unknown): EvidenceSubmission {
    this.checkProof('submitEvidence', arg);
    const s = this.parse(updateSchemas().evidenceSubmission, arg);
    const problem = submissionRefusal(this, s);
    if (problem) this.refuse(problem.code, problem.params as never);
    this.checkOpen('accept evidence', true);
    return s;
  }

  checkReview(arg: unknown): EvidenceReview {
    this.checkProof('reviewEvidence', arg);
    const r = this.parse(updateSchemas().evidenceReview, arg);
    this.checkOffice(r.actor, 'review evidence');
    this.checkOpen('review evidence');
    const ev = this.evidence.find((e) => e.id === r.evidenceId);
    if (!ev) this.refuse('evidence_not_found', { evidence: r.evidenceId });
    if (ev.state !== 'pending') this.refuse('evidence_already_reviewed', { evidence: r.evidenceId, state: ev.state });
    if (r.decision === 'reject' && !r.reason?.trim()) this.refuse('rejection_needs_reason', {});
    return r;
  }

  checkExtend(arg: unknown, now: number): Extension {
    this.checkProof('extendDeadline', arg);
    const e = this.parse(updateSchemas().extension, arg);
    this.extensionRules(e, now);
    return e;
  }

  private extensionRules(e: Extension, now: number): void {
    this.checkOffice(e.actor, 'extend a deadline');
    this.checkOpen('extend the deadline', true);
    if (e.dueDate <= this.dueDate) this.refuse('due_date_not_later', { dueDate: e.dueDate, current: this.dueDate });
    this.checkNewDueDate(e, now);
  }

  /** A due date entered wrong (a typo, a misread notice) is corrected, earlier or later, with a reason. */
  checkCorrection(arg: unknown, now: number): DueDateCorrection {
    this.checkProof('correctDueDate', arg);
    const c = this.parse(updateSchemas().dueDateCorrection, arg);
    this.correctionRules(c, now);
    return c;
  }

  private correctionRules(c: DueDateCorrection, now: number): void {
    this.checkOffice(c.actor, 'correct a due date');
    this.checkOpen('correct the due date', true);
    if (c.dueDate === this.dueDate) this.refuse('due_date_same', { dueDate: c.dueDate });
    this.checkNewDueDate(c, now);
  }

  /**
   * Not in the past, and not beyond the end of the campaign's next season unless the office
   * confirms it: a year typed wrong (2100) would otherwise silence an obligation for good.
   */
  private checkNewDueDate(m: Extension | DueDateCorrection, now: number): void {
    if (m.dueDate < this.localTime(now).slice(0, 10)) this.refuse('due_date_past', { dueDate: m.dueDate });
    const horizon = `${Number(this.input.periodEnd.slice(0, 4)) + 1}${this.input.periodEnd.slice(4)}`;
    if (m.dueDate > horizon && !m.confirmed) this.refuse('due_date_beyond_horizon', { dueDate: m.dueDate, horizon });
  }

  /** The new date could not be planned (the planner's reason): nothing changes but the count of Updates, which it used. */
  refuseDueDate(m: Extension | DueDateCorrection, reason: string): never {
    this.updates++;
    this.refuse('due_date_unplannable', { dueDate: m.dueDate, reason });
  }

  /**
   * After the new date was planned: the obligation may have closed, or moved again, meanwhile.
   * Such a refusal used an Update too. (The signature was checked when the Update was accepted.)
   */
  recheck(kind: DueDateMove, m: Extension | DueDateCorrection, now: number): void {
    try {
      if (kind === 'extended') this.extensionRules(m, now);
      else this.correctionRules(m, now);
    } catch (err) {
      this.updates++;
      throw err;
    }
  }

  /** 签收: only the addressed organisation acknowledges its own letters, each once. */
  checkAcknowledge(arg: unknown): Acknowledgement {
    this.checkProof('acknowledgeNotice', arg);
    const a = this.parse(updateSchemas().acknowledgement, arg);
    const to = this.input.assignee;
    if (a.actor.role !== 'assignee' || a.actor.org !== to.code)
      this.refuse('acknowledge_not_addressee', {
        name: to.name,
        role: a.actor.role,
        actor: a.actor.org ?? a.actor.id,
      });
    if (this.updates >= LIMITS.updates) this.refuse('acknowledge_updates_exhausted', { limit: LIMITS.updates });
    const letter = this.notices.find((n) => n.key === a.notice && n.documentNumber);
    if (!letter) this.refuse('letter_not_found', { notice: a.notice });
    if (letter.acknowledged)
      this.refuse('letter_already_acknowledged', {
        number: letter.documentNumber ?? '',
        at: letter.acknowledged.at,
      });
    return a;
  }

  checkWaive(arg: unknown): Waiver {
    this.checkProof('waiveObligation', arg);
    const w = this.parse(updateSchemas().waiver, arg);
    this.checkOffice(w.actor, 'waive an obligation');
    this.checkOpen('waive');
    return w;
  }

  // ------------------------------------------------------------------ changes (Update handlers)

  submit(s: EvidenceSubmission, now: number): Receipt {
    this.updates++;
    const ev: Evidence = {
      id: `E${this.evidence.length + 1}`,
      sha256: s.sha256,
      size: s.size,
      fileName: s.fileName,
      mediaType: s.mediaType,
      note: s.note,
      quantity: s.quantity,
      submittedAt: new Date(now).toISOString(),
      submittedBy: s.actor,
      state: 'pending',
    };
    this.evidence.push(ev);
    this.record('evidence-submitted', now, s.actor, { evidenceId: ev.id, reason: s.note });
    if (!this.input.review) this.decide(ev, 'accept', SYSTEM, 'review not required by the policy', now);
    this.refreshStatus();
    return {
      obligation: this.workflowId,
      evidenceId: ev.id,
      sha256: ev.sha256,
      size: ev.size,
      receivedAt: ev.submittedAt,
      receivedAtLocal: this.localTime(now),
      state: ev.state,
    };
  }

  review(r: EvidenceReview, now: number): Evidence {
    this.updates++;
    const ev = this.evidence.find((e) => e.id === r.evidenceId)!;
    this.decide(ev, r.decision, r.actor, r.reason, now);
    this.version++;
    this.refreshStatus();
    return ev;
  }

  private decide(
    ev: Evidence,
    decision: 'accept' | 'reject',
    actor: Actor,
    reason: string | undefined,
    now: number,
  ): void {
    ev.state = decision === 'accept' ? 'accepted' : 'rejected';
    ev.reviewedAt = new Date(now).toISOString();
    ev.reviewedBy = actor;
    ev.reviewReason = reason;
    this.record(decision === 'accept' ? 'evidence-accepted' : 'evidence-rejected', now, actor, {
      evidenceId: ev.id,
      reason,
    });
    if (decision === 'accept' && this.targetReached()) {
      // Late or not is judged by when the completing evidence was submitted, not when it was reviewed.
      const late = Date.parse(ev.submittedAt) > Date.parse(this.deadline);
      this.close(
        late ? 'met-late' : 'met',
        now,
        actor,
        late ? `met after the deadline ${this.dueDate}` : 'evidence accepted',
      );
    }
  }

  get accepted(): number {
    return this.evidence.filter((e) => e.state === 'accepted').reduce((n, e) => n + (e.quantity ?? 0), 0);
  }

  private targetReached(): boolean {
    const q = this.input.quantity;
    if (!q) return true;
    if (q.comparison === 'at-most') {
      const last = [...this.evidence].reverse().find((e) => e.state === 'accepted');
      return last?.quantity !== undefined && last.quantity <= q.value;
    }
    return this.accepted >= q.value;
  }

  moveDueDate(kind: DueDateMove, m: Extension | DueDateCorrection, now: number): void {
    this.updates++;
    const from = this.dueDate;
    this.dueDate = m.dueDate;
    this.overdue = false;
    this.dueDateChanged = true;
    this.version++;
    this.record(kind, now, m.actor, { reason: m.reason, dueDate: m.dueDate, previousDueDate: from });
    this.refreshStatus();
  }

  acknowledge(a: Acknowledgement, now: number): NoticeRecord {
    this.updates++;
    const letter = this.notices.find((n) => n.key === a.notice)!;
    letter.acknowledged = { by: a.actor, at: new Date(now).toISOString() };
    this.record('notice-acknowledged', now, a.actor, {
      entry: letter.key.split('#').pop(),
      reason: `签收 ${letter.documentNumber}`,
    });
    return letter;
  }

  /** A letter went out: its 签收 is checked at `check.at` (planned on the calendar). */
  awaitAcknowledgement(check: ScheduleEntry, letter: NoticeRecord): void {
    letter.acknowledgeBy = check.at;
    this.schedule = [...this.schedule, check].sort((a, b) => a.at.localeCompare(b.at));
  }

  /** The letter an acknowledgement check is about, while it is still not acknowledged. */
  unacknowledged(check: ScheduleEntry): NoticeRecord | undefined {
    const letter = this.notices.find((n) => n.key === check.notice);
    return letter && !letter.acknowledged ? letter : undefined;
  }

  acknowledgementUrged(
    check: ScheduleEntry,
    letter: NoticeRecord,
    notice: NoticeRecord | undefined,
    now: number,
  ): void {
    if (notice) this.notices.push(notice);
    const by = letter.acknowledgeBy
      ? this.localTime(Date.parse(letter.acknowledgeBy)).slice(0, 16).replace('T', ' ')
      : '';
    this.record('acknowledgement-urged', now, SYSTEM, {
      entry: check.key,
      notice,
      reason: `${letter.documentNumber} not acknowledged by ${by}`,
    });
  }

  /** What the planner needs to date a letter's acknowledgement check. */
  acknowledgementRequest(entry: ScheduleEntry, letter: NoticeRecord, now: number) {
    const { timezone, sending, provisionalCalendar, acknowledgeWithin } = this.input;
    // Counted from when the workflow issued it (the mail server's clock is not the workflow's).
    return {
      entry: entry.key,
      notice: letter.key,
      sentAt: now,
      workingDays: acknowledgeWithin ?? 2,
      timezone,
      sending,
      provisionalCalendar,
    };
  }

  waive(w: Waiver, now: number): void {
    this.updates++;
    this.close('waived', now, w.actor, w.reason);
  }

  private close(status: Status, now: number, actor: Actor, reason?: string): void {
    this.status = status;
    this.closedAt = new Date(now).toISOString();
    const type = status === 'waived' ? 'waived' : status === 'unmet' ? 'closed-unmet' : 'met';
    this.record(type, now, actor, { reason });
  }

  // ------------------------------------------------------------------ schedule entries falling due

  deadlinePassed(entry: ScheduleEntry, now: number): void {
    this.overdue = true;
    this.record('deadline-passed', now, SYSTEM, {
      entry: entry.key,
      dueDate: this.dueDate,
      reason: `the due date ${this.dueDate} ended without accepted evidence`,
    });
    this.refreshStatus();
  }

  escalated(entry: ScheduleEntry, notice: NoticeRecord | undefined, now: number): void {
    const level = entry.step!.level;
    this.level = Math.max(this.level, level);
    if (notice) this.notices.push(notice);
    this.record('escalated', now, SYSTEM, {
      entry: entry.key,
      level,
      notice,
      reason: `still unmet ${delayText(entry.step!.after)} after the due date ${this.dueDate}: ${entry.step!.kind}`,
    });
    this.refusedRecipients(entry, notice, now);
  }

  private refusedRecipients(entry: ScheduleEntry, notice: NoticeRecord | undefined, now: number): void {
    for (const r of notice?.rejected ?? []) this.noticeFailed(entry, `${r.address}: ${r.reason}`, now);
  }

  private earlyDeliveries: { key: string; digest: string; messageId: string; steps: DeliveryEvent[] }[] = [];

  reminderSkipped(entry: ScheduleEntry, now: number): void {
    this.record('reminder-skipped', now, SYSTEM, { entry: entry.key, reason: `obligation is ${this.status}` });
  }

  reminded(entry: ScheduleEntry, notice: NoticeRecord | undefined, now: number): void {
    if (notice) this.notices.push(notice);
    for (const d of this.earlyDeliveries.splice(0)) this.digestDelivered(d);
    this.record('reminder-sent', now, SYSTEM, {
      entry: entry.key,
      notice,
      reason: `${entry.offset ?? 'a reminder'} before the due date ${this.dueDate}`,
    });
    this.refusedRecipients(entry, notice, now);
  }

  /** The digest that listed a reminder reports its delivery; the log grows in place. */
  digestDelivered(d: { key: string; digest: string; messageId: string; steps: DeliveryEvent[] }): void {
    const notice = this.notices.find((n) => n.key === d.key);
    // Before the reminder's own record (a digest window shorter than the activity's return): keep it for then.
    if (!notice) return void this.earlyDeliveries.push(d);
    if (d.messageId) notice.messageId = d.messageId;
    notice.letter = d.digest;
    notice.delivery = [...(notice.delivery ?? []), ...d.steps];
    if (d.steps.some((s) => s.state === 'accepted')) notice.sentAt = d.steps.find((s) => s.state === 'accepted')!.at;
  }

  /** A notice refused for good; its record (with the delivery log) when the activity sent one. */
  noticeFailed(entry: ScheduleEntry, reason: string, now: number, notice?: NoticeRecord): void {
    if (notice) this.notices.push(notice);
    this.record('notice-failed', now, SYSTEM, {
      entry: entry.key,
      reason,
      level: entry.step?.level,
      ...(notice ? { notice } : {}),
    });
  }

  /**
   * A quantitative obligation's pace (序时进度) checked and recorded. Returns the pace to warn the
   * assignee about when it has turned yellow or red, not again while it stays the same colour.
   */
  paceChecked(entry: ScheduleEntry, now: number): Pace | undefined {
    const q = this.input.quantity;
    if (!this.pace || !q) return undefined;
    const p = paceOf({
      target: q.value,
      reported: reportedToDate(this.evidence),
      launchedAt: this.launchedAt,
      deadline: Date.parse(this.deadline),
      now,
      settings: this.pace,
    });
    const said = `${p.colour}: ${p.reported} of ${Math.round(p.expected * 100) / 100} ${q.unit} expected by now (target ${p.target})`;
    this.record('pace-checked', now, SYSTEM, { entry: entry.key, reason: said });
    if (p.colour === 'green' || p.colour === this.warned.colour) return undefined;
    this.warned = { colour: p.colour, said };
    return p;
  }

  paceWarned(entry: ScheduleEntry, notice: NoticeRecord | undefined, now: number): void {
    if (!notice) return;
    this.notices.push(notice);
    this.record('pace-warning', now, SYSTEM, { entry: entry.key, reason: this.warned.said, notice });
  }

  /** What the notice of a schedule entry is sent with. */
  noticeRequest(entry: ScheduleEntry, now: number, about: { pace?: Pace; letter?: NoticeRecord } = {}): NoticeRequest {
    const { pace, letter } = about;
    return {
      key: noticeKey(this.workflowId, entry.key),
      workflowId: this.workflowId,
      entry,
      obligation: this.input,
      dueDate: this.dueDate,
      originalDueDate: this.input.dueDate,
      deadlineLocal: this.localTime(Date.parse(this.deadline)),
      daysOverdue: this.daysOverdue(now),
      issuedAt: now,
      evidence: this.evidence.length,
      ...(pace
        ? { pace: { colour: pace.colour, reported: pace.reported, expected: pace.expected, target: pace.target } }
        : {}),
      ...(letter
        ? { letter: { documentNumber: letter.documentNumber ?? '', subject: letter.subject, sentAt: letter.sentAt } }
        : {}),
      ...(entry.kind === 'escalation' ? { earlier: earlierLetters(this.input.ladder, this.notices) } : {}),
    };
  }

  closeUnmet(now: number): void {
    this.close('unmet', now, SYSTEM, `not met by the close of the campaign (due ${this.dueDate})`);
  }

  private refreshStatus(): void {
    if (this.closed) return;
    this.status = this.pendingReview ? 'submitted' : this.overdue ? 'overdue' : 'open';
  }

  daysOverdue(now: number): number {
    const today = this.localTime(now).slice(0, 10);
    return Math.max(0, Math.round((Date.parse(today) - Date.parse(this.dueDate)) / 86_400_000));
  }

  /** A notice goes to delivery: it shows as queued until sendNotice returns (retries wait meanwhile). */
  private queued = new Map<string, { key: string; kind: string; level?: number; queuedAt: string }>();
  noticeQueued(entry: ScheduleEntry, now: number): void {
    const kind =
      entry.step?.kind ??
      (entry.kind === 'pace'
        ? 'pace-warning'
        : entry.kind === 'acknowledgement'
          ? 'acknowledgement-urging'
          : 'reminder');
    this.queued.set(entry.key, {
      key: noticeKey(this.workflowId, entry.key),
      kind,
      level: entry.step?.level,
      queuedAt: new Date(now).toISOString(),
    });
  }
  noticeSettled(entry: ScheduleEntry): void {
    this.queued.delete(entry.key);
  }

  snapshot(): ObligationRecord {
    return {
      workflowId: this.workflowId,
      input: this.input,
      status: this.status,
      overdue: this.overdue,
      level: this.level,
      dueDate: this.dueDate,
      deadline: this.deadline,
      deadlineLocal: this.deadlineLocal,
      accepted: this.accepted,
      evidence: this.evidence,
      timeline: this.timeline,
      notices: this.notices,
      queuedNotices: [...this.queued.values()],
      schedule: this.schedule.map((e) => ({ ...e, done: this.done.has(e.key) })),
      ...(this.assumedYears.length ? { assumedYears: this.assumedYears } : {}),
      closedAt: this.closedAt,
    };
  }
}

/** A new plan, with the acknowledgement checks still pending from the old one (they are not planned, but added as letters go out). */
function withPending(planned: ScheduleEntry[], old: ScheduleEntry[], done: Set<string>): ScheduleEntry[] {
  const pending = old.filter((e) => e.kind === 'acknowledgement' && !done.has(e.key));
  return [...planned, ...pending].sort((a, b) => a.at.localeCompare(b.at));
}

function offsetOf(localIso: string): number {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(localIso);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** P15D, or { workingDays: 10 } → "10 working days". */
function delayText(d: string | { workingDays: number }): string {
  return typeof d === 'string' ? d : `${d.workingDays} working days`;
}
