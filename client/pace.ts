// Pace across obligations for the CLI (and later the web pages): each quantitative obligation's
// colour from its record, and the supervisor's ranking of organisations by pace.
import type { ArchiveStore } from '../storage/archive';
import type { Client } from '@temporalio/client';
import type { PolicySet } from '../planner/load';
import { listObligations, obligationRecord, type ObligationFilter } from './obligations';
import type { ObligationRecord } from '../domain/obligation';
import { DEFAULT_PACE, paceOfRecord, type Pace, type PaceSettings } from '../domain/pace';

export function paceSettingsFor(policies: PolicySet, campaignId: string): PaceSettings {
  return policies.targets.get(campaignId)?.pace ?? DEFAULT_PACE;
}

export function paceForRecord(policies: PolicySet, r: ObligationRecord, now: number): Pace | undefined {
  return paceOfRecord(r, paceSettingsFor(policies, r.input.campaignId), now);
}

export interface PaceRow {
  assignee: string;
  red: number;
  yellow: number;
  green: number;
  meanBehind: number;
}

export async function paceOfObligations(
  client: Client,
  policies: PolicySet,
  archiveDir: string | ArchiveStore,
  filter: ObligationFilter,
  now: number,
) {
  const rows = await listObligations(client, filter);
  const out: { workflowId: string; assignee: string; pace: Pace }[] = [];
  for (const row of rows) {
    const r = await obligationRecord(client, archiveDir, row.workflowId);
    const pace = r && paceForRecord(policies, r, now);
    if (r && pace) out.push({ workflowId: row.workflowId, assignee: r.input.assignee.code, pace });
  }
  return out;
}

export async function paceRanking(
  client: Client,
  policies: PolicySet,
  archiveDir: string | ArchiveStore,
  campaign: string,
  season: number | undefined,
  now: number,
): Promise<PaceRow[]> {
  const paced = await paceOfObligations(
    client,
    policies,
    archiveDir,
    { campaign, ...(season !== undefined ? { season } : {}) },
    now,
  );
  return rankByPace(paced.map((p) => ({ assignee: p.assignee, pace: p.pace })));
}

/** Most behind first: more red, then more yellow, then the larger mean shortfall. */
export function rankByPace(items: { assignee: string; pace: Pace }[]): PaceRow[] {
  const by = new Map<string, PaceRow & { sum: number; n: number }>();
  for (const { assignee, pace } of items) {
    const row = by.get(assignee) ?? { assignee, red: 0, yellow: 0, green: 0, meanBehind: 0, sum: 0, n: 0 };
    row[pace.colour]++;
    row.sum += pace.behind;
    row.n++;
    row.meanBehind = row.sum / row.n;
    by.set(assignee, row);
  }
  return [...by.values()]
    .sort(
      (a, b) =>
        b.red - a.red || b.yellow - a.yellow || b.meanBehind - a.meanBehind || a.assignee.localeCompare(b.assignee),
    )
    .map(({ sum: _s, n: _n, ...r }) => r);
}
