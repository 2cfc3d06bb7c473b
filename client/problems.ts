// Problems on Temporal: start one workflow per problem (a number imported twice finds its
// workflow and starts nothing), list a campaign's problems, and read one's record.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import {
  problemStates,
  problemWorkflowId,
  type Actor,
  type ProblemInput,
  type ProblemRecord,
  type ProblemStateName,
  type SimilarReport,
} from '../domain/problem';
import {
  assignProblem,
  problemRecordQuery,
  submitProblemEvidence,
  reportSimilarProblems,
  submitProblemPlan,
  verifyProblem,
} from '../workflows/problem-api';
import { findRebound } from '../domain/problem-ledger';
import {
  LEDGER_MEMO_KEY,
  ledgerItemOf,
  startingLedgerFacts,
  type LedgerFacts,
  type LedgerItem,
} from '../domain/problem-memo';
import { z } from 'zod';
import type { ObjectStore } from '../storage/object-store';
import { ProblemFileError, readProblemCsv, readProblemRows, type ProblemImportContext } from '../planner/problems';
import { problemWorkflow } from '../workflows/problem';
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
        memo: { [LEDGER_MEMO_KEY]: startingLedgerFacts(input) },
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

/** A memo as the workflow writes it (domain/problem-memo.ts), checked where it is read. */
const ledgerFacts = z.object({
  number: z.string(),
  campaignId: z.string(),
  season: z.number().int(),
  assignee: z.object({ code: z.string(), name: z.string() }),
  site: z.string(),
  creditCode: z.string().optional(),
  category: z.string(),
  foundDate: z.string(),
  dueDate: z.string().optional(),
  state: z.enum(problemStates),
  overdue: z.boolean(),
  level: z.number().int(),
  closedAt: z.string().optional(),
  rebound: z.boolean(),
  similar: z.number().int(),
}) satisfies z.ZodType<LedgerFacts>;

/**
 * Every problem's ledger facts (of a campaign, or all, and `where` a visibility condition holds): from the memos of one visibility listing;
 * a problem without them (started before the memo was kept) by query.
 */
export async function problemLedgerItems(client: Client, campaignId?: string, where?: string): Promise<LedgerItem[]> {
  const prefix = ['lantian-problem', ...(campaignId ? [campaignId] : [])].join(':') + ':';
  const items: LedgerItem[] = [];
  const unread: string[] = [];
  const query = [`WorkflowType = 'problemWorkflow'`, ...(where ? [where] : [])].join(' AND ');
  for await (const w of client.workflow.list({ query })) {
    if (!w.workflowId.startsWith(prefix)) continue;
    const facts = ledgerFacts.safeParse(w.memo?.[LEDGER_MEMO_KEY]);
    if (facts.success) items.push({ workflowId: w.workflowId, ...facts.data });
    else unread.push(w.workflowId);
  }
  for (const r of await problemRecords(client, unread)) items.push(ledgerItemOf(r));
  return items;
}

export async function problemRecord(client: Client, workflowId: string): Promise<ProblemRecord> {
  return client.workflow.getHandle(workflowId).query(problemRecordQuery);
}

/** A cell of a workbook as the text a person sees: a date as YYYY-MM-DD, a formula by its result. */
function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  // exceljs reads a date cell as the UTC instant of its wall-clock date: the date is its UTC day.
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10);
  if (typeof v !== 'object') return String(v);
  if ('richText' in v) return v.richText.map((r) => r.text).join('');
  if ('result' in v) return cellText((v.result ?? null) as ExcelJS.CellValue);
  if ('text' in v) return typeof v.text === 'string' ? v.text : cellText(v.text as ExcelJS.CellValue);
  return '';
}

/** A team's spreadsheet, .xlsx (its first sheet) or .csv, as problem inputs; refused whole as `file:row column: reason`. */
export async function readProblemSpreadsheet(file: string, ctx: ProblemImportContext): Promise<ProblemInput[]> {
  const name = path.basename(file);
  const ext = path.extname(file).toLowerCase();
  if (!fs.existsSync(file)) throw new ProblemFileError([`${name}: no such file`]);
  if (ext === '.csv') return readProblemCsv(name, fs.readFileSync(file, 'utf8'), ctx);
  if (ext !== '.xlsx') throw new ProblemFileError([`${name}: only .xlsx and .csv files are read`]);
  const book = new ExcelJS.Workbook();
  try {
    await book.xlsx.readFile(file);
  } catch (e) {
    throw new ProblemFileError([`${name}: is not a readable .xlsx workbook (${(e as Error).message})`]);
  }
  const sheet = book.worksheets[0];
  if (!sheet) throw new ProblemFileError([`${name}: the workbook has no sheet`]);
  const rows: { line: number; cells: string[] }[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, line) => {
    const cells: string[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(cellText(row.getCell(c).value));
    if (cells.some((x) => x.trim() !== '')) rows.push({ line, cells });
  });
  return readProblemRows(name, rows, ctx);
}

/** 交办: the due date is the category's rule unless the office names one (a 限期整改 problem without a default must). */
export function assign(
  client: Client,
  workflowId: string,
  actor: Actor,
  o: { dueDate?: string; note?: string } = {},
): Promise<{ dueDate: string }> {
  return client.workflow.getHandle(workflowId).executeUpdate(assignProblem, { args: [{ actor, ...o }] });
}

/** 整改方案: the city's plan and the date it means to finish by. */
export function submitPlan(
  client: Client,
  workflowId: string,
  actor: Actor,
  plan: string,
  completeBy: string,
): Promise<{ state: ProblemStateName }> {
  return client.workflow
    .getHandle(workflowId)
    .executeUpdate(submitProblemPlan, { args: [{ actor, plan, completeBy }] });
}

const mediaTypes: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.pdf': 'application/pdf',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.zip': 'application/zip',
  '.txt': 'text/plain',
};

/**
 * Evidence of completion, into the same store as an obligation's (the data folder, or the object
 * store the web app and worker share); a refused submission keeps nothing new.
 */
export async function submitProblemEvidenceFile(
  client: Client,
  store: ObjectStore,
  workflowId: string,
  file: string,
  actor: Actor,
  note?: string,
): Promise<{ evidenceId: string; sha256: string; size: number; fileName: string }> {
  const stored = await store.putStream(fs.createReadStream(file), 25 * 1024 * 1024);
  const fileName = path.basename(file);
  try {
    const r = await client.workflow.getHandle(workflowId).executeUpdate(submitProblemEvidence, {
      args: [
        {
          actor,
          sha256: stored.sha256,
          size: stored.size,
          fileName,
          mediaType: mediaTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
          ...(note ? { note } : {}),
        },
      ],
    });
    return { evidenceId: r.evidenceId, sha256: stored.sha256, size: stored.size, fileName };
  } catch (e) {
    if (!stored.existed) await store.remove(stored.sha256);
    throw e;
  }
}

/** 核查: accept (销号), or reject with a reason and optionally a new due date. */
export function verify(
  client: Client,
  workflowId: string,
  actor: Actor,
  v: { decision: 'accept' | 'reject'; reason?: string; dueDate?: string },
): Promise<{ state: ProblemStateName; dueDate?: string }> {
  return client.workflow.getHandle(workflowId).executeUpdate(verifyProblem, { args: [{ actor, ...v }] });
}

/** 举一反三: similar problems the city fixed on its own, counted on its ledger. */
export function reportSimilar(
  client: Client,
  workflowId: string,
  actor: Actor,
  items: SimilarReport['items'],
): Promise<{ similar: number }> {
  return client.workflow.getHandle(workflowId).executeUpdate(reportSimilarProblems, { args: [{ actor, items }] });
}

/**
 * The records of these problems, `concurrency` queries at a time. A workflow ended before it ever
 * ran (terminated before its first task) has no record and is left out.
 */
export async function problemRecords(client: Client, ids: string[], concurrency = 64): Promise<ProblemRecord[]> {
  const out: ProblemRecord[] = [];
  await inPool(ids, concurrency, async (id) => {
    try {
      out.push(await problemRecord(client, id));
    } catch (e) {
      if (!neverRan(e)) throw e;
    }
  });
  return out;
}

/** gRPC FAILED_PRECONDITION on a query: the workflow closed before its first workflow task. */
const neverRan = (e: unknown): boolean => {
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++)
    if ((x as { code?: number }).code === 9) return true;
  return false;
};

/** A campaign's problems closed by 销号 (any season): the ones a newly found problem may repeat. */
export async function closedProblems(client: Client, campaignId: string): Promise<LedgerItem[]> {
  return problemLedgerItems(client, campaignId, `ExecutionStatus = 'Completed'`);
}

/**
 * Marks each input found again at the site of a problem closed within `windowDays` as its 反弹,
 * linked to it; answers how many were marked.
 */
export function markRebounds(inputs: ProblemInput[], closed: LedgerItem[], windowDays: number): number {
  let marked = 0;
  for (const input of inputs) {
    const link = findRebound(input, closed, windowDays, input.timezone);
    if (link) {
      input.reboundOf = link;
      marked++;
    }
  }
  return marked;
}
