// The arguments of the obligation workflow's Updates, validated inside the workflow. Kept apart
// from the rest of the model (and from the policy schema) because a workflow builds what it
// loads: workflows/state.ts loads this module, and zod with it, only with the first Update.
import { z } from 'zod';
import { statuses, closedStatuses } from './statuses';

export { localDate } from './local-date';
import { localDate } from './local-date';
import { LIMITS, utf8Bytes } from './limits';

/** Text bounded in UTF-8 bytes, as Temporal counts a payload. */
const bytes = (max: number) =>
  z.string().refine((s) => utf8Bytes(s) <= max, `is longer than ${max} bytes (UTF-8; a Chinese character takes 3)`);
/** A reason a person gives: not blank, and bounded. */
const reason = bytes(LIMITS.reasonBytes).refine((s) => s.trim().length > 0, 'a reason is required');

export const actor = z.object({
  role: z.enum(['office', 'assignee', 'supervisor', 'system']),
  /** User name (or "lantian" for the system). */
  id: z.string().min(1),
  /** Organisation code, for assignees. */
  org: z.string().optional(),
});
export type Actor = z.infer<typeof actor>;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest');

export const evidenceSubmission = z.object({
  actor,
  sha256,
  size: z.number().int().positive('is empty: an evidence file must have content'),
  fileName: z.string().min(1).pipe(bytes(LIMITS.fileNameBytes)),
  mediaType: z.string().min(1),
  note: bytes(LIMITS.noteBytes).optional(),
  quantity: z.number().nonnegative().optional(),
});
export type EvidenceSubmission = z.infer<typeof evidenceSubmission>;

export const evidenceReview = z.object({
  actor,
  evidenceId: z.string().min(1),
  decision: z.enum(['accept', 'reject']),
  reason: bytes(LIMITS.reasonBytes).optional(),
});
export type EvidenceReview = z.infer<typeof evidenceReview>;

/** `confirmed`: the office means a date past the end of the campaign's next season. */
export const extension = z.object({ actor, dueDate: localDate, reason, confirmed: z.boolean().optional() });
export type Extension = z.infer<typeof extension>;

export const dueDateCorrection = z.object({ actor, dueDate: localDate, reason, confirmed: z.boolean().optional() });
export type DueDateCorrection = z.infer<typeof dueDateCorrection>;

export const waiver = z.object({ actor, reason });

/** 签收: the addressee acknowledges receipt of a letter (by its notice key). */
export const acknowledgement = z.object({ actor, notice: z.string().min(1).max(500) });
export type Acknowledgement = z.infer<typeof acknowledgement>;
export type Waiver = z.infer<typeof waiver>;

export const status = z.enum(statuses);
export type Status = z.infer<typeof status>;
export { closedStatuses };
