// What the CLI says when Temporal fails: the causes, and what to do, not only Temporal's own
// words ("Failed to query Workflow", "Workflow Update failed").
import { ServiceError, WorkflowUpdateFailedError, ApplicationFailure } from '@temporalio/client';
import { explain, Refusal } from '../cli/context';
import { REFUSED } from '../workflows/api';

test('a query that times out while the worker catches up → the cause, and try again in a moment', () => {
  const grpc = Object.assign(new Error('4 DEADLINE_EXCEEDED: context deadline exceeded'), { code: 4 });
  const e = explain(new ServiceError('Failed to query Workflow', { cause: grpc }), 'lantian:x');
  expect(e).not.toBeInstanceOf(Refusal);
  expect(e.message).toBe(
    'Failed to query Workflow: 4 DEADLINE_EXCEEDED: context deadline exceeded — the worker may be busy (a launch still starting its obligations) or stopped; check `obligation show lantian:x` for whether the change took effect, then try again in a moment',
  );
  const down = explain(
    new ServiceError('Failed to query Workflow', { cause: new Error('14 UNAVAILABLE: No connection established') }),
  );
  expect(down.message).toMatch(/— the Temporal server cannot be reached: is `npm start`/);
});

test('an Update the workflow refused → its reason alone; one that failed without a reason → what Temporal said, as a refusal', () => {
  const refused = explain(
    new WorkflowUpdateFailedError(
      'Workflow Update failed',
      ApplicationFailure.create({
        type: REFUSED,
        message: 'lantian:x: cannot waive: the obligation is closed (met)',
        nonRetryable: true,
      }),
    ),
  );
  expect(refused).toBeInstanceOf(Refusal);
  expect(refused.message).toBe('lantian:x: cannot waive: the obligation is closed (met)');
  const bare = explain(
    new WorkflowUpdateFailedError(
      'Workflow Update failed',
      ApplicationFailure.create({ message: 'workflow task timed out' }),
    ),
  );
  expect(bare).toBeInstanceOf(Refusal);
  expect(bare.message).toMatch(/^Workflow Update failed: workflow task timed out — the worker may be busy/);
  // A failure retrying cannot cure gets no advice to retry.
  const broken = explain(
    new WorkflowUpdateFailedError(
      'Workflow Update failed',
      ApplicationFailure.create({ message: 'Nondeterminism error: workflow task failed' }),
    ),
  );
  expect(broken.message).toBe('Workflow Update failed: Nondeterminism error: workflow task failed');
});
