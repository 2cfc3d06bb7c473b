// Client side of the document-number registry: make sure the office-year workflow runs, then
// ask it for the numbers of notices (the same key always gets the same number). Requests made
// while an Update is in flight are gathered into the next one, so a deadline that falls for a
// thousand obligations at once costs a handful of Updates, not a thousand.
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import {
  allocateDocumentNumbers,
  documentNumbersWorkflow,
  documentNumbersWorkflowId,
} from '../workflows/document-numbers';
import type { DocumentNumberAllocator } from '../activities';
import { registryTaskQueue } from '../domain/ids';

/** Updates in flight per registry workflow: the server refuses more than 10. */
const IN_FLIGHT = 2;
/** Keys per Update: keeps each Update's payload and history event small. */
const BATCH = 200;

interface Waiter {
  resolve: (n: number) => void;
  reject: (e: unknown) => void;
}

/** taskQueue: the obligations' queue; registries start on the registry queue beside it. */
export function documentNumberAllocator(client: () => Promise<Client>, taskQueue: string): DocumentNumberAllocator {
  const registries = new Map<string, { ready?: Promise<void>; pending: Map<string, Waiter[]>; inFlight: number }>();

  async function ensureStarted(c: Client, workflowId: string, office: string, year: number): Promise<void> {
    try {
      await c.workflow.start(documentNumbersWorkflow, {
        workflowId,
        taskQueue: registryTaskQueue(taskQueue),
        args: [{ office, year, next: 1, issued: {} }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
    } catch (e) {
      if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
    }
  }

  function pump(workflowId: string): void {
    const r = registries.get(workflowId)!;
    while (r.inFlight < IN_FLIGHT && r.pending.size > 0) {
      const batch = [...r.pending.entries()].slice(0, BATCH);
      for (const [k] of batch) r.pending.delete(k);
      r.inFlight++;
      void (async () => {
        try {
          await r.ready;
          const numbers = await (await client()).workflow.getHandle(workflowId).executeUpdate(allocateDocumentNumbers, {
            args: [{ keys: batch.map(([k]) => k) }],
          });
          for (const [k, ws] of batch) ws.forEach((w) => w.resolve(numbers[k]));
        } catch (e) {
          for (const [, ws] of batch) ws.forEach((w) => w.reject(e));
          if (r.ready) r.ready = undefined; // start again next time: the registry may have gone
        } finally {
          r.inFlight--;
          pump(workflowId);
        }
      })();
    }
  }

  return async (office, year, key) => {
    const workflowId = documentNumbersWorkflowId(office, year);
    let r = registries.get(workflowId);
    if (!r) registries.set(workflowId, (r = { pending: new Map(), inFlight: 0 }));
    r.ready ??= client().then((c) => ensureStarted(c, workflowId, office, year));
    const number = new Promise<number>((resolve, reject) => {
      const ws = r.pending.get(key) ?? [];
      ws.push({ resolve, reject });
      r.pending.set(key, ws);
    });
    pump(workflowId);
    return number;
  };
}
