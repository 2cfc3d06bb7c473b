// Problems on Temporal: start one workflow per problem (a number imported twice finds its
// workflow and starts nothing), list a campaign's problems, and read one's record.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import { problemWorkflowId, type ProblemInput, type ProblemRecord } from '../domain/problem';
import { problemWorkflow } from '../workflows/problem';
import { problemRecordQuery } from '../workflows/problem-api';
import { inPool } from './launch';

export interface ProblemImportReport {
  total: number;
  started: string[];
  existing: string[];
  failed: { workflowId: string; error: string }[];
}

export async function importProblems(
  client: Client,
  inputs: ProblemInput[],
  o: { taskQueue: string; concurrency?: number },
): Promise<ProblemImportReport> {
  const report: ProblemImportReport = { total: inputs.length, started: [], existing: [], failed: [] };
  await inPool(inputs, o.concurrency ?? 64, async (input) => {
    const workflowId = problemWorkflowId(input.campaignId, input.season, input.number);
    try {
      await client.workflow.start(problemWorkflow, {
        taskQueue: o.taskQueue,
        workflowId,
        args: [input],
        // A closed (销号) problem's ID is not reused either: the number names that problem for good.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      });
      report.started.push(workflowId);
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) report.existing.push(workflowId);
      else report.failed.push({ workflowId, error: (e as Error).message });
    }
  });
  report.started.sort();
  report.existing.sort();
  return report;
}

/** Problem workflow IDs of a campaign (and season), or of all campaigns. */
export async function listProblems(client: Client, campaignId?: string, season?: number): Promise<string[]> {
  const prefix = ['lantian-problem', ...(campaignId ? [campaignId, ...(season ? [season] : [])] : [])].join(':') + ':';
  const ids: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowType = 'problemWorkflow'` }))
    if (w.workflowId.startsWith(prefix)) ids.push(w.workflowId);
  return ids;
}

export async function problemRecord(client: Client, workflowId: string): Promise<ProblemRecord> {
  return client.workflow.getHandle(workflowId).query(problemRecordQuery);
}
