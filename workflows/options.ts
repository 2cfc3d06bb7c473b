// How Lantian's workflows call their activities, declared once under names.
import {
  ActivityFailure,
  ApplicationFailure,
  type ActivityOptions,
  type LocalActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';

// Mail servers go down: keep trying for days rather than lose a notice. Permanent refusals are
// non-retryable where they are born (activities/notices.ts); the sent ledger makes a retry a no-op.
export const NOTICE_RETRY: RetryPolicy = {
  initialInterval: '10 seconds',
  backoffCoefficient: 2,
  maximumInterval: '30 minutes',
};

// Notices run inside the workflow task that reached them (half the server's work in a deadline storm);
// retries wait on a workflow timer, so an outage holds no worker slot.
export const NOTICE: LocalActivityOptions = {
  startToCloseTimeout: '2 minutes',
  localRetryThreshold: '1 second',
  retry: NOTICE_RETRY,
};

/** A digest is sent from its own workflow, at most one a recipient a day: a regular activity. */
export const DIGEST: ActivityOptions = { startToCloseTimeout: '2 minutes', retry: NOTICE_RETRY };

/** Planning is a pure computation on the worker's calendar; archiving writes one file. */
export const PLANNING: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { maximumInterval: '1 minute' },
};
export const ARCHIVE: LocalActivityOptions = {
  startToCloseTimeout: '2 minutes',
  localRetryThreshold: '1 second',
  retry: NOTICE_RETRY,
};

// An extension's new date is planned before it is applied: a date the planner refuses (a year
// without its holiday notice, a day that does not exist) refuses the extension at once.
export const EXTENSION_PLANNING: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['CalendarCoverageError', 'RangeError'] },
};

export const ASSESSMENT: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { maximumInterval: '5 minutes' },
};
export const ASSESSMENT_ACT: ActivityOptions = { startToCloseTimeout: '2 minutes', retry: NOTICE_RETRY };

/** The failure an activity raised: a regular activity's arrives wrapped in an ActivityFailure, a local one's may not. */
export function failureOf(err: unknown): { message: string; details?: unknown[] } {
  const failure = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return {
    message: failure instanceof Error ? failure.message : String(failure),
    ...(failure instanceof ApplicationFailure && failure.details ? { details: [...failure.details] } : {}),
  };
}
