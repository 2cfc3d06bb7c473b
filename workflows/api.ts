// The obligation workflow's public surface: its Updates and Query. Clients (CLI, API) and the
// workflow import these same definitions, so names and argument types cannot drift apart.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  EvidenceReview,
  EvidenceSubmission,
  Extension,
  Acknowledgement,
  NoticeRecord,
  DueDateCorrection,
  ObligationRecord,
  Receipt,
  Waiver,
  Evidence,
} from '../domain/obligation';

export const submitEvidence = defineUpdate<Receipt, [EvidenceSubmission]>('submitEvidence');
export const reviewEvidence = defineUpdate<Evidence, [EvidenceReview]>('reviewEvidence');
export const extendDeadline = defineUpdate<{ dueDate: string }, [Extension]>('extendDeadline');
export const correctDueDate = defineUpdate<{ dueDate: string }, [DueDateCorrection]>('correctDueDate');
export const acknowledgeNotice = defineUpdate<NoticeRecord, [Acknowledgement]>('acknowledgeNotice');
export const waiveObligation = defineUpdate<{ status: string }, [Waiver]>('waiveObligation');
export const recordQuery = defineQuery<ObligationRecord>('record');

/** Failure types a client can tell apart; all are refusals, none is retried. */
export const REFUSED = 'LantianRefused';
