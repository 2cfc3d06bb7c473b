// Document numbers (文号) of one issuing office for one year: 京津冀大气办〔2020〕12号. One
// long-lived workflow per office and year hands them out in sequence through an Update that is
// idempotent by notice key, so a retried letter keeps its number and no two letters share one.
// It continues as new before its history (or the 2,000-Update limit of a run) grows too long.
import * as wf from '@temporalio/workflow';

export interface DocumentNumberState {
  office: string;
  year: number;
  next: number;
  /** notice key → number */
  issued: Record<string, number>;
}

export const allocateDocumentNumber = wf.defineUpdate<number, [{ key: string }]>('allocateDocumentNumber');
export const documentNumbersQuery = wf.defineQuery<DocumentNumberState>('documentNumbers');

const UPDATES_PER_RUN = 1000;

export function documentNumbersWorkflowId(office: string, year: number): string {
  return `lantian-document-numbers:${office}:${year}`;
}

export async function documentNumbersWorkflow(state: DocumentNumberState): Promise<void> {
  const issued = new Map(Object.entries(state.issued));
  let next = state.next;
  let updates = 0;
  const snapshot = (): DocumentNumberState => ({ office: state.office, year: state.year, next, issued: Object.fromEntries(issued) });

  wf.setHandler(documentNumbersQuery, snapshot);
  wf.setHandler(
    allocateDocumentNumber,
    ({ key }) => {
      updates++;
      const known = issued.get(key);
      if (known !== undefined) return known;
      issued.set(key, next);
      return next++;
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
