// What the CLI (and later the HTTP API) does with obligations, in one place: list them through
// visibility, read their record (falling back to the archive after retention), and change them
// only through the workflow's Updates, whose validators have the last word.
import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import {
  submitEvidence,
  reviewEvidence,
  extendDeadline,
  correctDueDate as correctDueDateUpdate,
  acknowledgeNotice,
  waiveObligation,
  recordQuery,
} from '../workflows/api';
import type { Actor, Evidence, ObligationRecord, Receipt } from '../domain/obligation';
import { fileObjectStore, type ObjectStore } from '../storage/object-store';
import { archiveStoreOf, type ArchiveStore } from '../storage/archive';
import * as sa from '../domain/search-attributes';

export interface ObligationFilter {
  campaign?: string;
  season?: number;
  obligation?: string;
  assignee?: string;
  province?: string;
  status?: string;
  level?: number;
}

export interface ObligationSummary {
  workflowId: string;
  campaign?: string;
  season?: number;
  obligation?: string;
  assignee?: string;
  province?: string;
  period?: string;
  status?: string;
  level?: number;
  deadline?: string;
  execution: string;
}

const quote = (v: string) => `'${v.replace(/'/g, "\\'")}'`;

export function visibilityQuery(f: ObligationFilter): string {
  const parts = [`${sa.LantianCampaign.name} IS NOT NULL`];
  if (f.campaign) parts.push(`${sa.LantianCampaign.name} = ${quote(f.campaign)}`);
  if (f.season !== undefined) parts.push(`${sa.LantianSeason.name} = ${f.season}`);
  if (f.obligation) parts.push(`${sa.LantianObligation.name} = ${quote(f.obligation)}`);
  if (f.assignee) parts.push(`${sa.LantianAssignee.name} = ${quote(f.assignee)}`);
  if (f.province) parts.push(`${sa.LantianProvince.name} = ${quote(f.province)}`);
  if (f.status) parts.push(`${sa.LantianStatus.name} = ${quote(f.status)}`);
  if (f.level !== undefined) parts.push(`${sa.LantianLevel.name} >= ${f.level}`);
  return parts.join(' AND ');
}

export function summary(w: WorkflowExecutionInfo): ObligationSummary {
  const t = w.typedSearchAttributes;
  return {
    workflowId: w.workflowId,
    campaign: t.get(sa.LantianCampaign),
    season: t.get(sa.LantianSeason),
    obligation: t.get(sa.LantianObligation),
    assignee: t.get(sa.LantianAssignee),
    province: t.get(sa.LantianProvince),
    period: t.get(sa.LantianPeriod),
    status: t.get(sa.LantianStatus),
    level: t.get(sa.LantianLevel),
    deadline: t.get(sa.LantianDeadline)?.toISOString(),
    execution: w.status.name,
  };
}

export async function listObligations(
  client: Client,
  f: ObligationFilter,
  limit = 10_000,
): Promise<ObligationSummary[]> {
  const out: ObligationSummary[] = [];
  for await (const w of client.workflow.list({ query: visibilityQuery(f) })) {
    out.push(summary(w));
    if (out.length >= limit) break;
  }
  return out.sort(
    (a, b) => (a.deadline ?? '').localeCompare(b.deadline ?? '') || a.workflowId.localeCompare(b.workflowId),
  );
}

export async function obligationRecord(
  client: Client,
  archive: string | ArchiveStore,
  workflowId: string,
): Promise<ObligationRecord> {
  try {
    return await client.workflow.getHandle(workflowId).query(recordQuery);
  } catch (e) {
    // Past Temporal's retention the archive still has the closed obligation's record.
    const archived = await archiveStoreOf(archive).read(workflowId);
    if (archived) return archived;
    throw e;
  }
}

const mediaTypes: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.csv': 'text/csv',
  '.zip': 'application/zip',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.txt': 'text/plain',
};

export async function submitEvidenceFile(
  client: Client,
  evidence: string | ObjectStore,
  workflowId: string,
  file: string,
  actor: Actor,
  extra: { note?: string; quantity?: number },
): Promise<Receipt> {
  const store = typeof evidence === 'string' ? fileObjectStore(evidence, 'evidence') : evidence;
  const stored = await store.putStream(fs.createReadStream(file), 25 * 1024 * 1024);
  // A refused submission keeps nothing: the file goes unless the store already held it.
  const discard = async (e: unknown) => {
    if (!stored.existed) await store.remove(stored.sha256);
    throw e;
  };
  return client.workflow
    .getHandle(workflowId)
    .executeUpdate(submitEvidence, {
      args: [
        {
          actor,
          sha256: stored.sha256,
          size: stored.size,
          fileName: path.basename(file),
          mediaType: mediaTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
          ...extra,
        },
      ],
    })
    .catch(discard);
}

export function review(
  client: Client,
  workflowId: string,
  actor: Actor,
  evidenceId: string,
  decision: 'accept' | 'reject',
  reason?: string,
): Promise<Evidence> {
  return client.workflow
    .getHandle(workflowId)
    .executeUpdate(reviewEvidence, { args: [{ actor, evidenceId, decision, reason }] });
}

/** `confirmed`: the office means a date past the end of the campaign's next season. */
export function extend(
  client: Client,
  workflowId: string,
  actor: Actor,
  dueDate: string,
  reason: string,
  confirmed?: boolean,
) {
  return client.workflow
    .getHandle(workflowId)
    .executeUpdate(extendDeadline, { args: [{ actor, dueDate, reason, ...(confirmed ? { confirmed } : {}) }] });
}

/** 签收: the addressee acknowledges a letter (by its notice key). */
export function acknowledge(client: Client, workflowId: string, actor: Actor, notice: string) {
  return client.workflow.getHandle(workflowId).executeUpdate(acknowledgeNotice, { args: [{ actor, notice }] });
}

/** A due date entered wrong, moved earlier or later. */
export function correctDueDate(
  client: Client,
  workflowId: string,
  actor: Actor,
  dueDate: string,
  reason: string,
  confirmed?: boolean,
) {
  return client.workflow
    .getHandle(workflowId)
    .executeUpdate(correctDueDateUpdate, { args: [{ actor, dueDate, reason, ...(confirmed ? { confirmed } : {}) }] });
}

export function waive(client: Client, workflowId: string, actor: Actor, reason: string) {
  return client.workflow.getHandle(workflowId).executeUpdate(waiveObligation, { args: [{ actor, reason }] });
}
