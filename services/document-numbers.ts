// Client side of the document-number registry: make sure the office-year workflow runs, then
// ask it for the number of one notice (the same key always gets the same number).
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { allocateDocumentNumber, documentNumbersWorkflow, documentNumbersWorkflowId } from '../workflows/document-numbers';

export type DocumentNumberAllocator = (office: string, year: number, key: string) => Promise<number>;

export function documentNumberAllocator(client: () => Promise<Client>, taskQueue: string): DocumentNumberAllocator {
  const started = new Set<string>();
  return async (office, year, key) => {
    const c = await client();
    const workflowId = documentNumbersWorkflowId(office, year);
    if (!started.has(workflowId)) {
      try {
        await c.workflow.start(documentNumbersWorkflow, {
          workflowId,
          taskQueue,
          args: [{ office, year, next: 1, issued: {} }],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        });
      } catch (e) {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      }
      started.add(workflowId);
    }
    return c.workflow.getHandle(workflowId).executeUpdate(allocateDocumentNumber, { args: [{ key }] });
  };
}
