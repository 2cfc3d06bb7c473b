// Document numbers (文号) of one issuing office for one year: 京津冀大气办〔2020〕12号. One
// long-lived workflow per office and year hands them out in sequence through an Update that is
// idempotent by notice key, so a retried letter keeps its number and no two letters share one.
// It continues as new before its history (or the 2,000-Update limit of a run) grows too long.
// It runs on a task queue of its own (worker/registry.ts); one started before that queue existed
// moves there (continues as new) when it next hears from anyone.
import * as wf from '@temporalio/workflow';
import { isRegistryTaskQueue, registryTaskQueue } from '../domain/ids';

export interface DocumentNumberState {
  office: string;
  year: number;
  next: number;
  /** notice key → number */
  issued: Record<string, number>;
}

export const allocateDocumentNumber = wf.defineUpdate<number, [{ key: string }]>('allocateDocumentNumber');
/** Many notices at once: a deadline that falls for hundreds of obligations asks in batches, far
 * below the server's limit of in-flight Updates per workflow (10) and Updates per run (2,000). */
export const allocateDocumentNumbers = wf.defineUpdate<Record<string, number>, [{ keys: string[] }]>('allocateDocumentNumbers');
export const documentNumbersQuery = wf.defineQuery<DocumentNumberState>('documentNumbers');
/** Sent by workers when they start, to registries still on the obligations' queue (moveRegistries). */
export const moveRegistry = wf.defineSignal('moveRegistry');

const UPDATES_PER_RUN = 1000;

export function documentNumbersWorkflowId(office: string, year: number): string {
  return `lantian-document-numbers:${office}:${year}`;
}

export async function documentNumbersWorkflow(state: DocumentNumberState): Promise<void> {
  const issued = new Map(Object.entries(state.issued));
  let next = state.next;
  let updates = 0;
  const snapshot = (): DocumentNumberState => ({ office: state.office, year: state.year, next, issued: Object.fromEntries(issued) });

  const allocate = (key: string): number => {
    const known = issued.get(key);
    if (known !== undefined) return known;
    issued.set(key, next);
    return next++;
  };

  // On the obligations' queue, letters waiting for a number can hold every workflow-task slot this
  // registry needs: a registry started there before registries had a queue of their own moves at
  // the first Update or signal it gets. Decided in the handler, not in the wait's predicate, so a
  // replay meets the patch marker where the live run wrote it: after the job that woke it.
  const { taskQueue } = wf.workflowInfo();
  let moving = false;
  const heard = () => {
    moving ||= !isRegistryTaskQueue(taskQueue) && wf.patched('registry-queue');
  };

  wf.setHandler(documentNumbersQuery, snapshot);
  wf.setHandler(moveRegistry, heard);
  wf.setHandler(
    allocateDocumentNumbers,
    ({ keys }) => {
      updates++;
      heard();
      return Object.fromEntries(keys.map((k) => [k, allocate(k)]));
    },
    {
      validator: (arg) => {
        if (!Array.isArray(arg?.keys) || arg.keys.length === 0 || arg.keys.some((k: unknown) => typeof k !== 'string' || !k)) {
          throw new Error('document numbers need a non-empty list of notice keys');
        }
      },
    },
  );
  wf.setHandler(
    allocateDocumentNumber,
    ({ key }) => {
      updates++;
      heard();
      return allocate(key);
    },
    {
      validator: (arg) => {
        if (typeof arg?.key !== 'string' || !arg.key) throw new Error('a document number needs the notice key');
      },
    },
  );

  await wf.condition(() => updates >= UPDATES_PER_RUN || wf.workflowInfo().continueAsNewSuggested || moving);
  await wf.condition(wf.allHandlersFinished);
  await wf.makeContinueAsNewFunc<typeof documentNumbersWorkflow>({ taskQueue: registryTaskQueue(taskQueue) })(snapshot());
}
