// The status, level and deadline an obligation is listed and filtered by (Temporal visibility).
import * as wf from '@temporalio/workflow';
import { LantianCampaign, LantianDeadline, LantianLevel, LantianStatus } from '../domain/search-attributes';
import type { ObligationState } from './state';

/**
 * Keeps the status, level and deadline that supervisors filter by up to date, only for workflows
 * launched with Lantian's search attributes: a server without them (the time-skipping test
 * server) would fail every workflow task on an upsert.
 */
export function searchAttributesOf(o: ObligationState): () => void {
  const indexed = wf.workflowInfo().typedSearchAttributes.get(LantianCampaign) !== undefined;
  let published = { status: '', level: -1, deadline: '' };
  return () => {
    if (!indexed) return;
    if (published.status === o.status && published.level === o.level && published.deadline === o.deadline) return;
    wf.upsertSearchAttributes([
      { key: LantianStatus, value: o.status },
      { key: LantianLevel, value: o.level },
      { key: LantianDeadline, value: new Date(o.deadline) },
    ]);
    published = { status: o.status, level: o.level, deadline: o.deadline };
  };
}
