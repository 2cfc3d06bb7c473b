// Client side of the daily digests: hand one reminder to its recipient's digest workflow for
// the day, starting it if it is not running (signalWithStart is idempotent per workflow ID).
import type { Client } from '@temporalio/client';
import type { DigestEnqueuer } from '../activities';
import { addToDigest, digestWorkflow, digestWorkflowId } from '../workflows/digest';

export function digestEnqueuer(client: () => Promise<Client>, taskQueue: string): DigestEnqueuer {
  return async (input, item) => {
    const c = await client();
    const workflowId = digestWorkflowId(input.recipient, input.date);
    await c.workflow.signalWithStart(digestWorkflow, {
      workflowId,
      taskQueue,
      args: [input],
      signal: addToDigest,
      signalArgs: [item],
    });
    return workflowId;
  };
}
