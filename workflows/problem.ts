// One problem found on inspection, from 排查 to 销号: wait to be assigned (交办, with its notice),
// follow the city's plan and evidence through 核查, and climb the ladder (催办 → 预警 → 约谈 →
// 专项督察) at the sending time of its working days while it stays overdue. The rules live in
// ProblemState (problem-state.ts); this is the loop over the deadline and the ladder.
import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import { earlierLetters, type NoticeRecord } from '../domain/obligation';
import type { ProblemInput, ProblemRecord, ProblemStateName } from '../domain/problem';
import { REFUSED } from './api';
import { EXTENSION_PLANNING, failureOf, NOTICE } from './options';
import {
  assignProblem,
  problemRecordQuery,
  reportSimilarProblems,
  submitProblemEvidence,
  submitProblemPlan,
  verifyProblem,
} from './problem-api';
import { ProblemState, type ProblemEntry } from './problem-state';
import { ledgerMemoOf } from './problem-memo';

const { planProblem } = wf.proxyLocalActivities<Activities>(EXTENSION_PLANNING);
const { sendProblemNotice } = wf.proxyLocalActivities<Activities>(NOTICE);

export interface ProblemOutcome {
  state: ProblemStateName;
  level: number;
  dueDate?: string;
  closedAt?: string;
}

export async function problemWorkflow(input: ProblemInput): Promise<ProblemOutcome> {
  const now = () => Date.now();
  const p = new ProblemState(input, wf.workflowInfo().workflowId, now());
  // What the ledger shows, kept in the memo after every change (from 1.1; see problem-memo.ts).
  const publish = ledgerMemoOf(p);
  publish();
  /** A handler that publishes the ledger facts once it has changed them. */
  const publishing =
    <A, R>(fn: (a: A) => R | Promise<R>) =>
    async (a: A): Promise<R> => {
      const r = await fn(a);
      publish();
      return r;
    };
  /** A date the calendar cannot plan refuses the Update that named it. */
  const plan = (dueDate?: string) =>
    planProblem(p.planRequest(now(), dueDate)).catch((err) => {
      throw wf.ApplicationFailure.create({ type: REFUSED, message: failureOf(err).message, nonRetryable: true });
    });

  wf.setHandler(problemRecordQuery, (): ProblemRecord => p.snapshot());
  wf.setHandler(
    assignProblem,
    publishing(async (a) => {
      const planned = await plan(a.dueDate);
      p.assigned(a, planned, now());
      return { dueDate: planned.dueDate };
    }),
    { validator: (a) => void p.checkAssign(a) },
  );
  wf.setHandler(
    submitProblemPlan,
    publishing((s) => ({ state: p.planned(s, now()) })),
    { validator: (s) => void p.checkPlan(s) },
  );
  wf.setHandler(
    submitProblemEvidence,
    publishing((e) => ({ evidenceId: p.submitted(e, now()) })),
    { validator: (e) => void p.checkEvidence(e) },
  );
  wf.setHandler(
    verifyProblem,
    publishing(async (v) => {
      const moved = v.decision === 'reject' && v.dueDate ? await plan(v.dueDate) : undefined;
      return { state: p.verified(v, now(), moved), dueDate: p.plan?.dueDate };
    }),
    { validator: (v) => void p.checkVerify(v) },
  );
  // A new handler only: it issues no command, so histories recorded without it replay unchanged.
  wf.setHandler(
    reportSimilarProblems,
    publishing((r) => ({ similar: p.similarReported(r, now()) })),
    { validator: (r) => void p.checkSimilar(r) },
  );

  // 排查: found, waiting to be assigned. 交办: the city is told, with the deadline.
  await wf.condition(() => p.state !== '排查');
  const assignment = await notify('assignment', '交办', 'assignment');
  if (assignment.notice) p.noticed(assignment.notice);
  if (assignment.failure)
    p.record('notice-failed', now(), { role: 'system', id: 'lantian' }, { reason: assignment.failure });
  publish();

  while (!p.closed) {
    const next = p.nextEntry();
    const version = p.version;
    const moved = () => p.closed || p.version !== version;
    if (!next) {
      await wf.condition(moved);
      continue;
    }
    if (p.mustHold(next, now())) {
      await wf.condition(() => moved() || p.state !== '待核查');
      continue;
    }
    if (await wf.condition(moved, Math.max(1, Date.parse(next.at) - now()))) continue;
    if (p.mustHold(next, now())) continue;
    p.done.add(next.key);
    await fire(next);
    publish();
  }

  await wf.condition(wf.allHandlersFinished);
  return { state: p.state, level: p.level, dueDate: p.plan?.dueDate, closedAt: p.closedAt };

  async function fire(entry: ProblemEntry): Promise<void> {
    if (entry.kind === 'deadline') return p.deadlinePassed(now());
    const { notice, failure } = await notify(entry.key, entry.step.kind, entry.step.template, entry.step.level);
    p.escalated(entry.step, notice, failure, now());
  }

  async function notify(
    entry: string,
    kind: string,
    template: string,
    level?: number,
  ): Promise<{ notice?: NoticeRecord; failure?: string }> {
    try {
      const notice = await sendProblemNotice({
        workflowId: p.workflowId,
        entry,
        kind,
        ...(level !== undefined ? { level } : {}),
        template,
        problem: input,
        dueDate: p.plan!.dueDate,
        issuedAt: now(),
        ...(entry === 'assignment' ? {} : { earlier: earlierLetters(input.ladder, p.notices) }),
      });
      return { notice };
    } catch (err) {
      const failure = failureOf(err);
      return { notice: failure.details?.[0] as NoticeRecord | undefined, failure: failure.message };
    }
  }
}
