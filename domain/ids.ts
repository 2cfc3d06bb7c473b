// Workflow IDs are the identity of an obligation for one assignee, season and period: readable
// in the Temporal UI, deterministic so a relaunch finds what is already running, and the base
// of every notice's idempotency key (the run ID changes on continue-as-new; this does not).
export interface ObligationRef {
  campaignId: string;
  season: number;
  obligationId: string;
  assigneeCode: string;
  period?: string;
}

const PREFIX = 'lantian';

export function obligationWorkflowId(r: ObligationRef): string {
  return [PREFIX, r.campaignId, r.season, r.obligationId, r.assigneeCode, ...(r.period ? [r.period] : [])].join(':');
}

/** Idempotency key of a notice: the workflow ID and the schedule entry, never the run ID. */
export function noticeKey(workflowId: string, entryKey: string): string {
  return `${workflowId}#${entryKey}`;
}

/** A 文号 as an office writes it: 京津冀大气办〔2020〕12号. */
export function documentNumberText(office: string, year: number, n: number | string): string {
  return `${office}〔${year}〕${n}号`;
}

/** The 文号 registries run on a task queue of their own beside the obligations' (worker/registry.ts). */
export function registryTaskQueue(taskQueue: string): string {
  return isRegistryTaskQueue(taskQueue) ? taskQueue : `${taskQueue}${REGISTRY_SUFFIX}`;
}

export function isRegistryTaskQueue(taskQueue: string): boolean {
  return taskQueue.endsWith(REGISTRY_SUFFIX);
}

const REGISTRY_SUFFIX = '-registry';
