// Whether an obligation takes a submission of evidence, judged from its record alone: the
// workflow's Update validator refuses with these words, and the CLI asks the same question of
// the record before it stores the file. No zod here: workflow code loads this at creation.
import { closedStatuses } from './statuses';
import { LIMITS } from './limits';
import type { Actor, Evidence, ObligationInput, Status } from './obligation';
import { message, refusalOf, type Refusal } from '../i18n/messages';

export interface SubmissionTarget {
  input: Pick<ObligationInput, 'assignee' | 'quantity'>;
  status: Status;
  evidence: Pick<Evidence, 'sha256' | 'state'>[];
}

/** Why the submission is refused (a catalogue code and its parameters), or undefined when the obligation takes it. */
export function submissionRefusal(
  o: SubmissionTarget,
  s: { actor: Actor; quantity?: number; sha256?: string },
): Refusal | undefined {
  const a = o.input.assignee;
  if (s.actor.role !== 'assignee' || s.actor.org !== a.code)
    return refusalOf('evidence_wrong_assignee', {
      code: a.code,
      name: a.name,
      role: s.actor.role,
      actor: s.actor.org ?? s.actor.id,
    });
  if (closedStatuses.includes(o.status)) return refusalOf('evidence_closed', { status: o.status });
  if (o.evidence.length >= LIMITS.evidence) return refusalOf('evidence_limit', { limit: LIMITS.evidence });
  if (o.input.quantity && s.quantity === undefined)
    return refusalOf('evidence_quantity_missing', { unit: o.input.quantity.unit });
  if (s.sha256 && o.evidence.some((e) => e.sha256 === s.sha256 && e.state !== 'rejected'))
    return refusalOf('evidence_same_file', { sha: s.sha256.slice(0, 12) });
  return undefined;
}

/** The same, in English words (the CLI's). */
export function submissionProblem(
  o: SubmissionTarget,
  s: { actor: Actor; quantity?: number; sha256?: string },
): string | undefined {
  const r = submissionRefusal(o, s);
  return r && message(r.code, r.params as never, 'en');
}
