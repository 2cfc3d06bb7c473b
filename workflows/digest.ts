// One recipient's reminders of one local day as one message: it waits a short window after the
// first reminder, sends them all (keyed by its workflow ID and the batch's first notice key), and
// signals each obligation its delivery log. Later reminders start the next batch.
import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import { digestWorkflowId, type DigestDelivery, type DigestInput, type DigestItem } from '../domain/digest';
import type { DeliveryEvent } from '../domain/obligation';
import { DIGEST, failureOf } from './options';

export { digestWorkflowId };
export type { DigestDelivery, DigestInput, DigestItem };

export const addToDigest = wf.defineSignal<[DigestItem]>('addToDigest');
/** Sent to an obligation workflow when the digest carrying its reminder was delivered (or refused). */
export const noticeDelivered = wf.defineSignal<[DigestDelivery]>('noticeDelivered');

const { sendDigest } = wf.proxyActivities<Activities>(DIGEST);

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
    let result: { messageId: string; steps: DeliveryEvent[] };
    try {
      result = await sendDigest({ key, digest: id, input, items });
    } catch (err) {
      result = {
        messageId: '',
        steps: [{ state: 'failed', at: new Date(Date.now()).toISOString(), reason: failureOf(err).message }],
      };
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
