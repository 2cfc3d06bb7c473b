// The state of one problem found on inspection and the rules that change it: 排查 → 交办 → 整改中
// → 待核查 → 已销号, or back to 整改中 with a reason; overdue past its deadline, a ladder step at a
// time. Plain deterministic code like state.ts, so workflows/problem.ts stays a short loop.
import { ApplicationFailure } from '@temporalio/workflow';
import { message, type MessageCode, type MessageParams } from '../i18n/messages';
import type { z } from 'zod';
import type * as ProblemSchemas from '../domain/problem';
import type * as ActorProofs from '../domain/actor-proof';
import type {
  Actor,
  Assignment,
  ProblemEvent,
  ProblemInput,
  ProblemPlan,
  ProblemRecord,
  ProblemStateName,
  ProblemStepEntry,
  RectificationEvidence,
  RectificationPlan,
  SimilarProblem,
  SimilarReport,
  Verification,
} from '../domain/problem';
import type { NoticeRecord } from '../domain/obligation';
import { LIMITS } from '../domain/limits';
import { REFUSED } from './api';

// zod and the signature check load with the first Update, as in state.ts.
let schemas: typeof ProblemSchemas | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on the first Update, not with every workflow
const problemSchemas = (): typeof ProblemSchemas => (schemas ??= require('../domain/problem') as typeof ProblemSchemas);
let proofs: typeof ActorProofs | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on the first Update, like zod
const actorProofs = (): typeof ActorProofs => (proofs ??= require('../domain/actor-proof') as typeof ActorProofs);

export const SYSTEM: Actor = { role: 'system', id: 'lantian' };

/** The deadline or a ladder step: what the loop waits for next. */
export type ProblemEntry = { key: string; at: string } & (
  { kind: 'deadline' } | { kind: 'step'; step: ProblemStepEntry }
);

export class ProblemState {
  state: ProblemStateName = '排查';
  overdue = false;
  level = 0;
  plan?: ProblemPlan;
  rectification?: ProblemRecord['plan'];
  evidence: ProblemRecord['evidence'] = [];
  similar: SimilarProblem[] = [];
  notices: ProblemRecord['notices'] = [];
  timeline: ProblemEvent[] = [];
  done = new Set<string>();
  /** Bumped whenever what the loop waits on changes (a new plan, a state). */
  version = 0;
  closedAt?: string;
  private updates = 0;
  private held = new Set<string>();

  constructor(
    readonly input: ProblemInput,
    readonly workflowId: string,
    now: number,
  ) {
    this.record('found', now, SYSTEM, { reason: `${input.team}: ${input.description}` });
  }

  get closed(): boolean {
    return this.state === '已销号';
  }

  /** What the planner needs for a due date (the rule's when none is given). */
  planRequest(assignedAt: number, dueDate?: string) {
    const { rule, ladder, timezone, sending } = this.input;
    return { rule, ladder, timezone, sending, assignedAt, ...(dueDate ? { dueDate } : {}) };
  }

  entries(): ProblemEntry[] {
    if (!this.plan) return [];
    return [
      { key: `deadline@${this.plan.dueDate}`, kind: 'deadline' as const, at: this.plan.deadline },
      ...this.plan.steps.map((step) => ({ key: step.key, kind: 'step' as const, at: step.at, step })),
    ];
  }

  nextEntry(): ProblemEntry | undefined {
    return this.entries().find((e) => !this.done.has(e.key));
  }

  /** A ladder step that falls due while evidence awaits 核查 waits for the verdict. */
  mustHold(entry: ProblemEntry, now: number): boolean {
    if (entry.kind !== 'step' || this.state !== '待核查' || Date.parse(entry.at) > now) return false;
    if (!this.held.has(entry.key))
      this.record('escalation-held', now, SYSTEM, {
        step: entry.step.kind,
        level: entry.step.level,
        reason: 'evidence awaits 核查',
      });
    this.held.add(entry.key);
    return true;
  }

  record(type: ProblemEvent['type'], now: number, actor: Actor, extra: Partial<ProblemEvent> = {}): void {
    this.timeline.push({ type, at: new Date(now).toISOString(), actor, ...extra });
  }

  // ------------------------------------------------------------------ refusals (Update validators)

  /** English words for the CLI and logs; the catalogue code in the details, for the web app's Chinese. */
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
    if (!r.success)
      this.refuse('invalid_argument', {
        fields: [...new Set(r.error.issues.map((i) => i.path.join('.') || 'argument'))].join('、'),
        detail: r.error.issues.map((i) => `${i.path.join('.') || 'argument'} ${i.message}`).join('; '),
      });
    return r.data;
  }

  private checkCommon(update: string, arg: unknown, action: string): void {
    if (
      !actorProofs().proofHolds(this.workflowId, update, (arg ?? {}) as { proof?: never }, this.input.actorKeys ?? [])
    )
      this.refuse('not_signed', {});
    if (this.closed) this.refuse('problem_closed', { action });
    if (this.timeline.length >= LIMITS.timeline || this.updates >= LIMITS.updates)
      this.refuse('problem_changes_exhausted', { action });
  }

  private checkOffice(a: Actor, action: string): void {
    if (a.role !== 'office' && a.role !== 'supervisor')
      this.refuse('problem_office_only', { action, role: a.role, actor: a.id });
  }

  private checkAssignee(a: Actor, action: string): void {
    if (a.role !== 'assignee' || a.org !== this.input.assignee.code)
      this.refuse('problem_assignee_only', {
        name: this.input.assignee.name,
        code: this.input.assignee.code,
        action,
        role: a.role,
        actor: a.id,
      });
  }

  checkAssign(arg: unknown): Assignment {
    this.checkCommon('assignProblem', arg, 'assign the problem');
    const a = this.parse(problemSchemas().assignment, arg);
    this.checkOffice(a.actor, 'assign a problem');
    if (this.state !== '排查') this.refuse('problem_already_assigned', { state: this.state });
    if (this.input.rule.type === '限期整改' && !this.input.rule.defaultDays && !a.dueDate)
      this.refuse('problem_due_date_required', { category: this.input.category });
    if (a.dueDate && a.dueDate < this.input.foundDate)
      this.refuse('problem_due_before_found', { dueDate: a.dueDate, found: this.input.foundDate });
    return a;
  }

  checkPlan(arg: unknown): RectificationPlan {
    this.checkCommon('submitProblemPlan', arg, 'accept a 整改方案');
    const p = this.parse(problemSchemas().rectificationPlan, arg);
    this.checkAssignee(p.actor, 'submit its 整改方案');
    if (this.state === '排查') this.refuse('problem_not_assigned', {});
    if (this.state === '待核查') this.refuse('problem_awaits_verification', {});
    if (p.completeBy > this.plan!.dueDate)
      this.refuse('problem_plan_too_late', { completeBy: p.completeBy, dueDate: this.plan!.dueDate });
    return p;
  }

  checkEvidence(arg: unknown): RectificationEvidence {
    this.checkCommon('submitProblemEvidence', arg, 'accept evidence');
    const e = this.parse(problemSchemas().rectificationEvidence, arg);
    this.checkAssignee(e.actor, 'submit evidence');
    if (this.state === '排查' || this.state === '交办') this.refuse('problem_plan_first', {});
    if (this.state === '待核查') this.refuse('problem_evidence_pending', {});
    if (this.evidence.length >= LIMITS.evidence) this.refuse('problem_evidence_limit', { limit: LIMITS.evidence });
    return e;
  }

  checkVerify(arg: unknown): Verification {
    this.checkCommon('verifyProblem', arg, 'verify');
    const v = this.parse(problemSchemas().verification, arg);
    this.checkOffice(v.actor, 'verify a rectification');
    if (this.state !== '待核查') this.refuse('problem_nothing_to_verify', { state: this.state });
    if (v.dueDate && v.dueDate < this.input.foundDate)
      this.refuse('problem_due_before_found', { dueDate: v.dueDate, found: this.input.foundDate });
    return v;
  }

  checkSimilar(arg: unknown): SimilarReport {
    this.checkCommon('reportSimilarProblems', arg, 'accept a 举一反三 report');
    const r = this.parse(problemSchemas().similarReport, arg);
    this.checkAssignee(r.actor, 'report 举一反三');
    if (this.state === '排查') this.refuse('problem_not_assigned', {});
    if (this.similar.length + r.items.length > LIMITS.evidence)
      this.refuse('problem_similar_limit', { limit: LIMITS.evidence });
    return r;
  }

  // ------------------------------------------------------------------ changes

  similarReported(r: SimilarReport, now: number): number {
    this.updates++;
    const at = new Date(now).toISOString();
    for (const item of r.items) this.similar.push({ ...item, at, actor: r.actor });
    this.record('similar-reported', now, r.actor, { reason: r.items.map((i) => i.site).join('、') });
    return this.similar.length;
  }

  assigned(a: Assignment, plan: ProblemPlan, now: number): void {
    if (this.state !== '排查') this.refuse('problem_already_assigned', { state: this.state });
    this.updates++;
    this.setPlan(plan);
    this.state = '交办';
    this.record('assigned', now, a.actor, { dueDate: plan.dueDate, ...(a.note ? { reason: a.note } : {}) });
  }

  planned(p: RectificationPlan, now: number): ProblemStateName {
    this.updates++;
    this.rectification = { text: p.plan, completeBy: p.completeBy, at: new Date(now).toISOString() };
    this.state = '整改中';
    this.version++;
    this.record('plan-submitted', now, p.actor, { reason: p.plan, dueDate: p.completeBy });
    return this.state;
  }

  submitted(e: RectificationEvidence, now: number): string {
    this.updates++;
    const id = `e${this.evidence.length + 1}`;
    this.evidence.push({ ...e, id, at: new Date(now).toISOString(), state: 'pending' });
    this.state = '待核查';
    this.version++;
    this.record('evidence-submitted', now, e.actor, { reason: e.fileName });
    return id;
  }

  verified(v: Verification, now: number, moved?: ProblemPlan): ProblemStateName {
    if (this.state !== '待核查') this.refuse('problem_nothing_to_verify', { state: this.state });
    this.updates++;
    const pending = this.evidence.filter((e) => e.state === 'pending');
    if (v.decision === 'accept') {
      pending.forEach((e) => (e.state = 'accepted'));
      this.state = '已销号';
      this.closedAt = new Date(now).toISOString();
      this.record('verified', now, v.actor, v.reason ? { reason: v.reason } : {});
    } else {
      pending.forEach((e) => (e.state = 'rejected'));
      this.state = '整改中';
      if (moved) this.setPlan(moved);
      this.record('rejected', now, v.actor, { reason: v.reason, dueDate: this.plan!.dueDate });
    }
    this.version++;
    return this.state;
  }

  /** A plan for a (new) due date: the deadline counts again; ladder steps up to the level reached are not repeated. */
  private setPlan(plan: ProblemPlan): void {
    this.plan = plan;
    this.overdue = false;
    for (const s of plan.steps) if (s.level <= this.level) this.done.add(s.key);
    this.version++;
  }

  deadlinePassed(now: number): void {
    this.overdue = true;
    this.record('deadline-passed', now, SYSTEM, { dueDate: this.plan!.dueDate });
  }

  escalated(step: ProblemStepEntry, notice: NoticeRecord | undefined, failure: string | undefined, now: number): void {
    this.level = Math.max(this.level, step.level);
    if (notice) this.noticed(notice);
    if (failure) this.record('notice-failed', now, SYSTEM, { step: step.kind, level: step.level, reason: failure });
    else this.record('escalated', now, SYSTEM, { step: step.kind, level: step.level, notice: notice?.documentNumber });
  }

  noticed(n: NoticeRecord): void {
    this.notices.push({
      key: n.key,
      kind: n.kind,
      ...(n.level !== undefined ? { level: n.level } : {}),
      ...(n.documentNumber ? { documentNumber: n.documentNumber } : {}),
      subject: n.subject,
      sentAt: n.sentAt,
    });
  }

  snapshot(): ProblemRecord {
    const i = this.input;
    return {
      workflowId: this.workflowId,
      number: i.number,
      campaignId: i.campaignId,
      season: i.season,
      assignee: i.assignee,
      site: i.site,
      category: i.category,
      description: i.description,
      foundDate: i.foundDate,
      team: i.team,
      ...(i.clause ? { clause: i.clause } : {}),
      rule: i.rule,
      state: this.state,
      overdue: this.overdue,
      level: this.level,
      ...(this.plan ? { dueDate: this.plan.dueDate, deadline: this.plan.deadline } : {}),
      ...(this.rectification ? { plan: this.rectification } : {}),
      evidence: this.evidence,
      notices: this.notices,
      timeline: this.timeline,
      ...(this.closedAt ? { closedAt: this.closedAt } : {}),
      ...(i.reboundOf ? { reboundOf: i.reboundOf } : {}),
      ...(i.photos?.length ? { photos: i.photos } : {}),
      ...(this.similar.length ? { similar: this.similar } : {}),
    };
  }
}
