// Document numbers (文号) of one office for one year, in sequence, through an Update idempotent by
// notice key: a retried letter keeps its number and no two letters share one. It continues as new
// before its history or the 2,000-Update limit grows near; it polls a queue of its own (worker/registry.ts).
import * as wf from '@temporalio/workflow';

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
export const allocateDocumentNumbers = wf.defineUpdate<Record<string, number>, [{ keys: string[] }]>(
  'allocateDocumentNumbers',
);
export const documentNumbersQuery = wf.defineQuery<DocumentNumberState>('documentNumbers');

const UPDATES_PER_RUN = 1000;

export function documentNumbersWorkflowId(office: string, year: number): string {
  return `lantian-document-numbers:${office}:${year}`;
}

export async function documentNumbersWorkflow(state: DocumentNumberState): Promise<void> {
  const issued = new Map(Object.entries(state.issued));
  let next = state.next;
  let updates = 0;
  const snapshot = (): DocumentNumberState => ({
    office: state.office,
    year: state.year,
    next,
    issued: Object.fromEntries(issued),
  });

  const allocate = (key: string): number => {
    const known = issued.get(key);
    if (known !== undefined) return known;
    issued.set(key, next);
    return next++;
  };

  wf.setHandler(documentNumbersQuery, snapshot);
  wf.setHandler(
    allocateDocumentNumbers,
    ({ keys }) => {
      updates++;
      return Object.fromEntries(keys.map((k) => [k, allocate(k)]));
    },
    {
      validator: (arg) => {
        if (
          !Array.isArray(arg?.keys) ||
          arg.keys.length === 0 ||
          arg.keys.some((k: unknown) => typeof k !== 'string' || !k)
        ) {
          throw new Error('document numbers need a non-empty list of notice keys');
        }
      },
    },
  );
  wf.setHandler(
    allocateDocumentNumber,
    ({ key }) => {
      updates++;
      return allocate(key);
    },
    {
      validator: (arg) => {
        if (typeof arg?.key !== 'string' || !arg.key) throw new Error('a document number needs the notice key');
      },
    },
  );

  await wf.condition(() => updates >= UPDATES_PER_RUN || wf.workflowInfo().continueAsNewSuggested);
  await wf.condition(wf.allHandlersFinished);
  await wf.continueAsNew<typeof documentNumbersWorkflow>(snapshot());
}
