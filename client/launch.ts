// Launching a campaign: one workflow per plan row, started concurrently. Workflow IDs are
// deterministic, so a second launch starts nothing twice; it reports what it added and which
// running obligations a changed policy no longer matches (those are changed with extend/waive,
// never silently restarted).
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowIdConflictPolicy,
  type Client,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { PlanRow } from '../planner/resolve';
import { obligationWorkflow } from '../workflows/obligation';
import * as sa from '../domain/search-attributes';

export interface LaunchReport {
  total: number;
  started: string[];
  existing: string[];
  changed: { workflowId: string; reason: string }[];
  failed: { workflowId: string; error: string }[];
}

export interface LaunchOptions {
  taskQueue: string;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export function searchAttributesFor(row: PlanRow): SearchAttributePair[] {
  const i = row.input;
  const pairs: SearchAttributePair[] = [
    { key: sa.LantianCampaign, value: i.campaignId },
    { key: sa.LantianObligation, value: i.obligationId },
    { key: sa.LantianAssignee, value: i.assignee.code },
    { key: sa.LantianProvince, value: i.assignee.province },
    { key: sa.LantianStatus, value: 'open' },
    { key: sa.LantianLevel, value: 0 },
    { key: sa.LantianSeason, value: i.season },
    { key: sa.LantianDeadline, value: new Date(row.deadline) },
  ];
  if (i.period) pairs.push({ key: sa.LantianPeriod, value: i.period });
  return pairs;
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function inPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(runners);
}

export async function launchCampaign(client: Client, rows: PlanRow[], o: LaunchOptions): Promise<LaunchReport> {
  const report: LaunchReport = { total: rows.length, started: [], existing: [], changed: [], failed: [] };
  let done = 0;
  const existingRows: PlanRow[] = [];
  await inPool(rows, o.concurrency ?? 64, async (row) => {
    try {
      await client.workflow.start(obligationWorkflow, {
        taskQueue: o.taskQueue,
        workflowId: row.workflowId,
        args: [row.input],
        typedSearchAttributes: searchAttributesFor(row),
        memo: { planHash: row.input.planHash },
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      });
      report.started.push(row.workflowId);
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) {
        report.existing.push(row.workflowId);
        existingRows.push(row);
      } else report.failed.push({ workflowId: row.workflowId, error: (e as Error).message });
    }
    o.onProgress?.(++done, rows.length);
  });
  // Only on a relaunch: compare what runs with what the policy now says.
  await inPool(existingRows, 16, async (row) => {
    const d = await client.workflow.getHandle(row.workflowId).describe();
    const hash = (d.memo as { planHash?: string } | undefined)?.planHash;
    if (hash !== row.input.planHash) {
      report.changed.push({
        workflowId: row.workflowId,
        reason: 'the policy changed since launch; the running obligation keeps its plan (use extend or waive)',
      });
    }
  });
  for (const list of [report.started, report.existing]) list.sort();
  return report;
}
