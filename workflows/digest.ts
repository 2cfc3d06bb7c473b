// One recipient's reminders of one local day as ONE message. Obligation workflows do not
// send a digested reminder themselves: their sendNotice activity signals-with-start this
// workflow (ID digest:<organisation>:<local date>), which waits a short window after the first
// reminder, sends one message listing them all (idempotency key from its own workflow ID and
// the batch's first notice key, never the run ID), and signals each obligation its delivery log.
// Reminders that arrive after a batch went out start the next batch; nothing is dropped.
import * as wf from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { DeliveryStep } from '../domain/obligation';

type Activities = ReturnType<typeof createActivities>;

export interface DigestItem {
  /** The reminder's notice key (obligation workflow ID + schedule entry). */
  key: string;
  workflowId: string;
  title: string;
  period?: string;
  clause: string;
  dueDate: string;
  subject: string;
  queuedAt: string;
}

export interface DigestInput {
  /** Organisation code of the recipient. */
  recipient: string;
  recipientName: string;
  /** Local date (official time) the reminders fell due. */
  date: string;
  windowMs: number;
  office: { name: string; email: string };
}

export interface DigestDelivery {
  key: string;
  digest: string;
  messageId: string;
  steps: DeliveryStep[];
}

export const addToDigest = wf.defineSignal<[DigestItem]>('addToDigest');
/** Sent to an obligation workflow when the digest carrying its reminder was delivered (or refused). */
export const noticeDelivered = wf.defineSignal<[DigestDelivery]>('noticeDelivered');

export const digestWorkflowId = (recipient: string, date: string) => `digest:${recipient}:${date}`;

const { sendDigest } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
});

export async function digestWorkflow(input: DigestInput): Promise<{ batches: number; items: number }> {
  const pending: DigestItem[] = [];
  const seen = new Set<string>();
  wf.setHandler(addToDigest, (item) => {
    // A retried sendNotice signals again: each reminder is listed once.
    if (seen.has(item.key)) return;
    seen.add(item.key);
    pending.push(item);
  });

  const id = wf.workflowInfo().workflowId;
  let batches = 0;
  while (true) {
    await wf.condition(() => pending.length > 0);
    await wf.sleep(input.windowMs);
    const items = pending.splice(0);
    batches++;
    const key = `${id}#${items[0].key}`;
    let result: { messageId: string; steps: DeliveryStep[] };
    try {
      result = await sendDigest({ key, digest: id, input, items });
    } catch (err) {
      const reason = err instanceof wf.ActivityFailure && err.cause ? err.cause.message : String(err);
      result = { messageId: '', steps: [{ state: 'failed', at: new Date(Date.now()).toISOString(), reason }] };
    }
    await Promise.all(
      items.map((item) =>
        wf
          .getExternalWorkflowHandle(item.workflowId)
          .signal(noticeDelivered, { key: item.key, digest: key, ...result })
          // An obligation that closed since does not need to hear it.
          .catch(() => undefined),
      ),
    );
    if (!pending.length) break;
  }
  return { batches, items: seen.size };
}
