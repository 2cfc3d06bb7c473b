// Whether an obligation takes a submission of evidence, judged from its record alone: the
// workflow's Update validator refuses with these words, and the CLI asks the same question of
// the record before it stores the file. No zod here: workflow code loads this at creation.
import { closedStatuses } from './statuses';
import { LIMITS } from './limits';
import type { Actor, Evidence, ObligationInput, Status } from './obligation';

export interface SubmissionTarget {
  input: Pick<ObligationInput, 'assignee' | 'quantity'>;
  status: Status;
  evidence: Pick<Evidence, 'sha256' | 'state'>[];
}

/** Why the submission is refused, or undefined when the obligation takes it. */
export function submissionProblem(
  o: SubmissionTarget,
  s: { actor: Actor; quantity?: number; sha256?: string },
): string | undefined {
  const a = o.input.assignee;
  if (s.actor.role !== 'assignee' || s.actor.org !== a.code)
    return `evidence for ${a.code} (${a.name}) cannot come from ${s.actor.role} ${s.actor.org ?? s.actor.id}`;
  if (closedStatuses.includes(o.status)) return `cannot accept evidence: the obligation is closed (${o.status})`;
  if (o.evidence.length >= LIMITS.evidence)
    return `cannot accept evidence: this obligation already holds ${LIMITS.evidence} pieces, the most one obligation keeps; ask the office to review them or relaunch it`;
  if (o.input.quantity && s.quantity === undefined)
    return `this obligation counts ${o.input.quantity.unit}: the evidence must state the quantity achieved`;
  if (s.sha256 && o.evidence.some((e) => e.sha256 === s.sha256 && e.state !== 'rejected'))
    return `the same file (sha256 ${s.sha256.slice(0, 12)}…) was already submitted`;
  return undefined;
}
