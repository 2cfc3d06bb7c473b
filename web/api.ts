// The JSON API. Request schemas are the Update argument schemas of domain/updates.ts (without the
// actor, which is the signed-in user), turned into JSON Schema by zod for Fastify's validation
// and the OpenAPI document at /docs. The document tells the truth: every body (the multipart
// upload too), every status a route answers, and rules Fastify does not check itself (a reason
// that is not blank, the seasons that may be launched) as the handlers check them.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { evidenceReview, extension, dueDateCorrection, acknowledgement, waiver, status } from '../domain/updates';
import { loadPolicies, PolicyError, type PolicySet } from '../planner/load';
import { getCampaign, UnknownCampaignError } from '../planner/resolve';
import { launchCampaign } from '../client/launch';
import { launchableRows, seasonRange, SeasonRefusal, type LaunchWords, type SeasonLaunch } from '../client/seasons';
import { cleanText, QUANTITY_PATTERN } from '../client/input';
import { LIMITS } from '../domain/limits';
import {
  httpRefusal,
  readScoped,
  requireRole,
  reviewAs,
  extendAs,
  correctAs,
  acknowledgeAs,
  waiveAs,
  uploadAs,
  scopeFilter,
  evidenceFileAs,
  sendEvidence,
  type WebDeps,
} from './actions';
import type { SwaggerTransform } from '@fastify/swagger';
import { daysLeft } from './read-model';
import { obligationSheet, sheetNames, type SheetNames } from './sheet';
import { boardSort, sortKeys, totals } from './scoreboard';
import { scoreboardRows } from './board';
import { obligationsXlsx, scoreboardXlsx, sendXlsx, XLSX_TYPE } from './export';
import type { User } from '../auth/users';
import type { ObligationSummary } from '../client/obligations';

const json = (s: z.ZodType, io: 'input' | 'output' = 'input') => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

export const listQuery = z.object({
  campaign: z.string().optional(),
  season: z.coerce.number().int().min(2000).max(2100).optional(),
  obligation: z.string().optional(),
  assignee: z.string().optional(),
  province: z.string().optional(),
  status: status.optional(),
  level: z.coerce.number().int().min(0).max(9).optional(),
});
export type ListQuery = z.infer<typeof listQuery>;

const reviewBody = evidenceReview.omit({ actor: true, evidenceId: true });
const extendBody = extension.omit({ actor: true });
const waiveBody = waiver.omit({ actor: true });
const correctBody = dueDateCorrection.omit({ actor: true });
const acknowledgeBody = acknowledgement.omit({ actor: true });
const launchBody = z.object({
  /** Required: a launch cannot be taken back, so the season is named, never assumed. */
  season: z.number().int().min(2000).max(2100),
  /** Launch a season whose period has ended: its obligations close at once and send their late letters now. */
  allowPast: z.boolean().optional(),
  /** Plan a year the holiday calendar has no notice for yet as Monday to Friday, until the notice is added. */
  provisionalCalendar: z.boolean().optional(),
});
const idParams = z.object({ id: z.string().min(1) });
const error = z.object({
  error: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .describe(
      'a stable English code in snake_case (evidence_file_type, forbidden_role, obligation_not_found …) for programs to act on',
    ),
  message: z.string().describe('what happened and what to do, in Chinese, for a person to read'),
  details: z.array(z.string()).optional().describe('lines to read beside the message (a policy file’s errors)'),
  requestId: z.string().optional().describe('on a 500 or 503: the request id the log names'),
});

/**
 * A reason as the handlers take it: UTF-8 bytes are what the workflow counts, which JSON Schema
 * cannot say; 250 characters always fit (4 bytes at most each).
 */
const reasonChars = Math.floor(LIMITS.reasonBytes / 4);
const reasonDoc = {
  type: 'string',
  minLength: 1,
  maxLength: reasonChars,
  // Something that is neither blank nor a bidirectional control (those are removed).
  pattern: '[^\\s\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069]',
  description: `not blank; at most ${LIMITS.reasonBytes} bytes of UTF-8 (a Chinese character takes 3; ${reasonChars} characters always fit); bidirectional control characters are removed`,
};
const optionalReasonDoc = {
  ...reasonDoc,
  minLength: undefined,
  pattern: undefined,
  description: 'optional; a rejection needs one',
};

type JsonSchema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };
/** `base` with some properties' schemas extended (`undefined` removes a keyword). */
function withProps(base: JsonSchema, props: Record<string, Record<string, unknown>>): JsonSchema {
  const properties = { ...base.properties };
  for (const [k, extra] of Object.entries(props)) {
    const merged: Record<string, unknown> = { ...properties[k], ...extra };
    for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
    properties[k] = merged;
  }
  return { ...base, properties };
}

/**
 * The list's query as Fastify checks it: every value arrives as text and is not coerced (a body's
 * "2026" is not 2026 either), so numbers are checked as digits here and read by zod; the document
 * says integers, with their bounds.
 */
const listQueryJson = withProps(json(listQuery) as JsonSchema, {
  season: { type: 'string', pattern: '^\\d{4}$', minimum: undefined, maximum: undefined },
  level: { type: 'string', pattern: '^[0-9]$', minimum: undefined, maximum: undefined },
});
const listQueryDoc = withProps(json(listQuery) as JsonSchema, {
  season: { type: 'integer', minimum: 2000, maximum: 2100, description: 'the season (the year it starts in)' },
  level: { type: 'integer', minimum: 0, maximum: 9, description: 'escalation level at least this' },
});
/** A JSON body takes the properties it names and no others. */
const strict = (s: z.ZodType) => ({ ...json(s), additionalProperties: false });

const summaryRow = z.object({
  workflowId: z.string(),
  campaign: z.string().optional(),
  season: z.number().optional(),
  obligation: z.string().optional(),
  assignee: z.string().optional(),
  province: z.string().optional(),
  period: z.string().optional(),
  status: z.string().optional(),
  level: z.number().optional(),
  deadline: z.string().optional(),
  daysLeft: z.number().optional(),
  execution: z.string(),
});
/** A row of the scoreboard as the page shows it (web/scoreboard.ts `BoardRow`). */
const boardRowDoc = z.object({
  org: z.string().describe('the organisation’s code; empty on the totals row'),
  name: z.string(),
  province: z.string().optional(),
  pace: z.enum(['green', 'yellow', 'red']).describe('三色 by pace: 绿, 黄, 红'),
  total: z.number().int(),
  metOnTime: z.number().int(),
  metLate: z.number().int(),
  open: z.number().int(),
  overdue: z.number().int(),
  escalated: z.number().int().describe('behind (overdue or closed unmet) and escalated at least once'),
  unmet: z.number().int(),
  waived: z.number().int(),
  highestLevel: z.number().int(),
  due: z.number().int().describe('obligations whose due date has passed (waived ones aside)'),
  openLevel: z.number().int().describe('the highest level among obligations still open'),
  problemsOpen: z.number().int().describe('problems found on inspection not yet closed (销号)'),
  problemsOverdue: z.number().int().describe('of those, past their rectification deadline (逾期)'),
});
const receipt = z.object({
  receipt: z.object({
    obligation: z.string(),
    evidenceId: z.string(),
    sha256: z.string(),
    size: z.number(),
    receivedAt: z.string(),
    receivedAtLocal: z.string(),
    state: z.string(),
  }),
  fileName: z.string(),
  mediaType: z.string(),
});
const actorDoc = z.object({ role: z.string(), id: z.string(), org: z.string().optional() });
const evidenceDoc = z
  .object({
    id: z.string(),
    sha256: z.string(),
    size: z.number(),
    fileName: z.string(),
    mediaType: z.string(),
    note: z.string().optional(),
    quantity: z.number().optional(),
    submittedAt: z.string(),
    submittedBy: actorDoc,
    state: z.enum(['pending', 'accepted', 'rejected']),
    reviewedAt: z.string().optional(),
    reviewedBy: actorDoc.optional(),
    reviewReason: z.string().optional(),
  })
  .loose();
/** The record: the fields a client relies on; the rest is described in docs/web-and-api.md. */
const recordDoc = z
  .object({
    workflowId: z.string(),
    status: z.string(),
    level: z.number(),
    dueDate: z.string(),
    deadline: z.string(),
    input: z.object({ assignee: z.object({ code: z.string(), name: z.string() }).loose() }).loose(),
    evidence: z.array(evidenceDoc),
    timeline: z.array(z.object({ type: z.string(), at: z.string(), actor: actorDoc }).loose()),
    notices: z.array(z.object({ key: z.string(), kind: z.string(), subject: z.string() }).loose()),
  })
  .loose();
const launchReport = z.object({
  campaignId: z.string(),
  season: z.number(),
  total: z.number(),
  started: z.array(z.string()),
  existing: z.array(z.string()),
  changed: z.array(z.object({ workflowId: z.string(), reason: z.string() })),
  failed: z.array(z.object({ workflowId: z.string(), error: z.string() })),
  assumedYears: z.array(z.number()),
});
const campaignList = z.object({
  valid: z.boolean(),
  errors: z.array(z.string()).optional(),
  campaigns: z.array(z.object({ id: z.string(), title: z.string(), season: z.number(), file: z.string() })),
});

/** What each refusal means, for the document. */
const statusText: Record<number, string> = {
  400: 'a parameter or the body does not fit the schema',
  401: 'no valid API token or session',
  403: 'the user’s role may not do this (or a session’s CSRF token is missing)',
  404: 'no such obligation or campaign, or not the user’s to see',
  409: 'refused for the state of things: the obligation is closed or already reviewed, the same file twice, a season that has ended or that the holiday calendar cannot plan yet (unless the office says so); the message says why',
  413: 'the body or the file is larger than the limit',
  415: 'the body is not of a type this route takes',
  422: 'the request is understood but refused as implausible (a blank reason, a season outside the window, a quantity that is not a plain decimal, a file type not accepted …)',
  503: 'the worker or Temporal is busy or unreachable; try again after Retry-After seconds',
};
const errorDoc = json(error);
/** Refusals a route answers, each with the error body and what it means. */
function refusals(...codes: number[]): Record<number, unknown> {
  return Object.fromEntries(
    codes.map((c) => [
      c,
      {
        ...errorDoc,
        description: statusText[c],
        ...(c === 503
          ? { headers: { 'retry-after': { type: 'integer', description: 'seconds to wait before trying again' } } }
          : {}),
      },
    ]),
  );
}
/**
 * A download route's responses for OpenAPI: the file as stored (a binary body with its headers),
 * and the refusals, which are JSON like everywhere else.
 */
export function fileResponseDoc(...codes: number[]): { response: Record<number, unknown> } {
  return {
    response: {
      200: {
        description:
          'the file, with its Content-Type, Content-Disposition (filename* in UTF-8), X-Content-Type-Options: nosniff and a sandboxing Content-Security-Policy',
        headers: {
          'content-disposition': {
            type: 'string',
            description: 'inline (PDF, images) or attachment, with filename and filename* (RFC 5987)',
          },
          'x-content-type-options': { type: 'string', enum: ['nosniff'] },
        },
        content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
      },
      ...Object.fromEntries(
        Object.entries(refusals(...codes)).map(([code, r]) => {
          const { description, headers, ...schema } = r as { description: string; headers?: unknown };
          return [code, { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } }];
        }),
      ),
    },
  };
}
const ok = (schema: z.ZodType, description: string) => ({ ...json(schema, 'output'), description });

/** The obligations the user may read that match the query, rows of the app's shared copy (not to be changed). */
export async function listFor(d: WebDeps, u: User, q: ListQuery): Promise<ObligationSummary[]> {
  return d.index.list(scopeFilter(u, q));
}

export type ListedObligation = ObligationSummary & { daysLeft?: number };

/**
 * Rows as they are handed out (JSON, CSV, Excel), with the days left today. Only what is handed
 * out gets a copy: at 50,000 obligations, copying every row for each page was most of its time.
 */
export function withDaysLeft(rows: ObligationSummary[], now = Date.now()): ListedObligation[] {
  return rows.map((r) => ({ ...r, daysLeft: daysLeft(r.deadline, now) }));
}

export function orgName(d: WebDeps) {
  return (code: string) => d.policies.organisations.get(code)?.name;
}

export function reloadPolicies(d: WebDeps): PolicySet {
  // Offices edit policy files while the app runs: validate what is on disk now.
  return loadPolicies(d.policies.dir, undefined, d.policies.templatesDir);
}

const apiWords: LaunchWords = {
  season: (n) => `"season": ${n}`,
  allowPast: 'set "allowPast": true',
  provisional: '"provisionalCalendar": true',
  and: ', ',
};

/** `words`: how a refusal names the options; the form passes its own (its boxes), the API its fields. */
export async function launch(
  d: WebDeps,
  u: User,
  campaignId: string,
  season?: number,
  o: Partial<SeasonLaunch> = {},
  words: LaunchWords = apiWords,
) {
  requireRole(u, ['office'], 'launch a campaign');
  let set: PolicySet;
  try {
    set = reloadPolicies(d);
  } catch (e) {
    if (e instanceof PolicyError) throw httpRefusal(422, 'policies_invalid', {}, e.message.split('\n'));
    throw e;
  }
  let planned;
  try {
    planned = launchableRows(
      set,
      d.calendar,
      campaignId,
      season ?? getCampaign(set, campaignId).season,
      { allowPast: o.allowPast ?? false, provisionalCalendar: o.provisionalCalendar ?? false, window: d.seasonWindow },
      words,
    );
  } catch (e) {
    if (e instanceof UnknownCampaignError) throw httpRefusal(404, 'campaign_not_found', { campaign: campaignId });
    // A season no one means is implausible input (422); one that has ended or that the calendar
    // cannot plan yet conflicts with the state of things until the office says so (409).
    if (e instanceof SeasonRefusal) throw seasonRefused(d, e);
    throw httpRefusal(422, 'launch_refused', {}, [(e as Error).message]);
  }
  const report = await launchCampaign(d.client, planned.rows, { taskQueue: d.taskQueue });
  await d.index.refresh();
  return {
    campaignId,
    season: season ?? getCampaign(set, campaignId).season,
    ...report,
    assumedYears: planned.assumedYears,
  };
}

/** A season refused for a launch, in the catalogue's words (the form's and the API's alike). */
function seasonRefused(d: WebDeps, e: SeasonRefusal) {
  if (e.kind === 'outside') {
    const { from, to } = seasonRange(d.seasonWindow);
    return httpRefusal(422, 'season_outside', { season: e.season, from, to });
  }
  if (e.kind === 'ended')
    return httpRefusal(409, 'season_ended', { season: e.season, end: /ended on (\S+?);/.exec(e.message)?.[1] ?? '' });
  return httpRefusal(409, 'season_calendar', { season: e.season }, [e.message]);
}

/** The list as CSV: UTF-8 with a byte-order mark (for spreadsheet programs), the catalogue's headers. */
export function toCsv(rows: ListedObligation[], names: SheetNames): string {
  const sheet = obligationSheet(rows, names);
  const cell = (v: unknown) => {
    const s = v === undefined || v === null ? '' : String(v);
    // Quote always; neutralise spreadsheet formulas, but leave a negative number a number.
    return `"${(/^[=+\-@]/.test(s) && !/^-\d+(\.\d+)?$/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;
  };
  const lines = [sheet.headers, ...sheet.rows].map((r) => r.map(cell).join(','));
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}

/** A reason from a body: bidirectional controls out, trimmed; blank is refused (422) before any Update. */
export function reasonFrom(raw: unknown, required = true): string | undefined {
  const r = cleanText(raw);
  if (!r && required) throw httpRefusal(422, 'reason_required', {});
  return r || undefined;
}

/** The route's OpenAPI entry differs from what Fastify validates: `doc()` replaces parts of it. */
export const documented = (doc: () => Record<string, unknown>): { swaggerTransform: SwaggerTransform } => ({
  swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, ...doc() }, url }),
});

/** A download's answers: the workbook, or a refusal in JSON like everywhere else. */
function xlsxResponses(...codes: number[]) {
  return {
    200: {
      description:
        'an Excel workbook (.xlsx): a title row with the filters and the time of export, then Chinese headings',
      headers: {
        'content-disposition': { type: 'string', description: 'attachment, with filename and filename* (RFC 5987)' },
      },
      content: { [XLSX_TYPE]: { schema: { type: 'string', format: 'binary' } } },
    },
    ...Object.fromEntries(
      Object.entries(refusals(...codes)).map(([code, r]) => {
        const { description, headers, ...schema } = r as { description: string; headers?: unknown };
        return [code, { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } }];
      }),
    ),
  };
}

/** The scoreboard's sort, as the page's column headings set it. */
const boardSortDoc = {
  sort: {
    type: 'string',
    enum: [...sortKeys],
    description: 'the column to sort by; default pace (who is behind first)',
  },
  dir: { type: 'string', enum: ['asc', 'desc'], description: 'the direction; default desc (asc for name)' },
};

export function registerApi(app: FastifyInstance, d: WebDeps) {
  const tags = ['obligations'];

  app.get(
    '/api/me',
    {
      schema: {
        tags: ['users'],
        summary: 'the signed-in user',
        operationId: 'me',
        response: {
          200: ok(z.object({ name: z.string(), role: z.string(), org: z.string().optional() }), 'the user'),
          ...refusals(401),
        },
      },
    },
    async (req) => {
      const u = req.user!;
      return { name: u.name, role: u.role, org: u.org };
    },
  );

  app.get(
    '/api/obligations',
    {
      schema: {
        tags,
        summary: 'obligations the user may see (an assignee: its own organisation’s)',
        operationId: 'listObligations',
        querystring: listQueryJson,
        response: {
          200: ok(z.object({ items: z.array(summaryRow) }), 'the obligations, by deadline'),
          ...refusals(400, 401, 503),
        },
      },
      config: documented(() => ({ querystring: listQueryDoc })),
      // The first obligation of a list is one the user may read (and an office may act on).
      links: {
        200: {
          record: { operationId: 'getObligation', parameters: { id: '$response.body#/items/0/workflowId' } },
          extend: { operationId: 'extendObligation', parameters: { id: '$response.body#/items/0/workflowId' } },
          waive: { operationId: 'waiveObligation', parameters: { id: '$response.body#/items/0/workflowId' } },
          evidence: { operationId: 'submitEvidence', parameters: { id: '$response.body#/items/0/workflowId' } },
        },
      },
    },
    async (req) => ({ items: withDaysLeft(await listFor(d, req.user!, listQuery.parse(req.query))) }),
  );

  app.get(
    '/api/obligations.csv',
    {
      schema: {
        tags,
        summary: 'the same list as CSV',
        operationId: 'listObligationsCsv',
        querystring: listQueryJson,
      },
      // The CSV is written as is; refusals are JSON like everywhere else.
      config: documented(() => ({
        querystring: listQueryDoc,
        response: {
          200: {
            description: 'UTF-8 CSV with a byte-order mark; deadlines in Shanghai time',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          ...Object.fromEntries(
            Object.entries(refusals(400, 401, 503)).map(([code, r]) => {
              const { description, headers, ...schema } = r as { description: string; headers?: unknown };
              return [
                code,
                { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } },
              ];
            }),
          ),
        },
      })),
    },
    async (req, reply) => {
      const rows = withDaysLeft(await listFor(d, req.user!, listQuery.parse(req.query)));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="obligations.csv"')
        .send(toCsv(rows, sheetNames(d.policies)));
    },
  );

  app.get(
    '/api/obligations.xlsx',
    {
      schema: {
        tags,
        summary: 'the same list as an Excel workbook: a title, Chinese headings, names, Beijing time',
        operationId: 'listObligationsXlsx',
        querystring: listQueryJson,
      },
      config: documented(() => ({ querystring: listQueryDoc, response: xlsxResponses(400, 401, 503) })),
    },
    async (req, reply) => {
      const q = listQuery.parse(req.query);
      const rows = withDaysLeft(await listFor(d, req.user!, q));
      return sendXlsx(reply, await obligationsXlsx(d.policies, rows, q), 'obligations.xlsx', '任务清单.xlsx');
    },
  );

  app.get(
    '/api/obligations/:id',
    {
      schema: {
        tags,
        summary: 'an obligation’s record: status, evidence, timeline, notices',
        operationId: 'getObligation',
        params: json(idParams),
        response: refusals(400, 401, 404, 503),
      },
      // The record is sent as the workflow's query gives it; the document names what a client relies on.
      config: documented(() => ({
        response: { 200: ok(recordDoc, 'the record'), ...refusals(400, 401, 404, 503) },
      })),
    },
    async (req) => readScoped(d, req.user!, (req.params as { id: string }).id),
  );

  app.get(
    '/api/obligations/:id/evidence/:evidenceId',
    {
      schema: {
        tags,
        summary:
          'an evidence file as submitted (PDF and images inline, others as an attachment under the original name); each download is recorded',
        operationId: 'getEvidenceFile',
        params: json(idParams.extend({ evidenceId: z.string().min(1) })),
      },
      config: documented(() => fileResponseDoc(400, 401, 404, 503)),
    },
    async (req, reply) => {
      const p = req.params as { id: string; evidenceId: string };
      return sendEvidence(reply, await evidenceFileAs(d, req.user!, p.id, p.evidenceId, req.method !== 'HEAD'));
    },
  );

  app.post(
    '/api/obligations/:id/evidence/:evidenceId/review',
    {
      schema: {
        tags,
        summary: 'accept or reject evidence (office)',
        operationId: 'reviewEvidence',
        params: json(idParams.extend({ evidenceId: z.string() })),
        body: strict(reviewBody),
        response: {
          200: ok(evidenceDoc, 'the evidence as reviewed'),
          ...refusals(400, 401, 403, 404, 409, 413, 415, 422, 503),
        },
      },
      config: documented(() => ({
        body: withProps(strict(reviewBody) as JsonSchema, { reason: optionalReasonDoc }),
      })),
    },
    async (req) => {
      const p = req.params as { id: string; evidenceId: string };
      const raw = req.body as { reason?: unknown };
      const b = reviewBody.parse({ ...raw, reason: reasonFrom(raw.reason, false) });
      return reviewAs(d, req.user!, p.id, p.evidenceId, b.decision, b.reason);
    },
  );

  app.post(
    '/api/obligations/:id/extend',
    {
      schema: {
        tags,
        summary: 'move the due date (office)',
        operationId: 'extendObligation',
        params: json(idParams),
        body: withProps(strict(extendBody) as JsonSchema, { dueDate: { format: 'date' } }),
        response: {
          200: ok(z.object({ dueDate: z.string() }), 'the new due date'),
          ...refusals(400, 401, 403, 404, 409, 413, 415, 422, 503),
        },
      },
      config: documented(() => ({
        body: withProps(strict(extendBody) as JsonSchema, { dueDate: { format: 'date' }, reason: reasonDoc }),
      })),
    },
    async (req) => {
      const raw = req.body as { reason?: unknown };
      const b = extendBody.parse({ ...raw, reason: reasonFrom(raw.reason) });
      return extendAs(d, req.user!, (req.params as { id: string }).id, b.dueDate, b.reason, b.confirmed);
    },
  );

  app.post(
    '/api/obligations/:id/correct-due-date',
    {
      schema: {
        tags,
        summary: 'correct a due date entered wrong, earlier or later (office)',
        operationId: 'correctDueDate',
        params: json(idParams),
        body: withProps(strict(correctBody) as JsonSchema, { dueDate: { format: 'date' } }),
        response: {
          200: ok(z.object({ dueDate: z.string() }), 'the corrected due date'),
          ...refusals(400, 401, 403, 404, 409, 413, 415, 422, 503),
        },
      },
      config: documented(() => ({
        body: withProps(strict(correctBody) as JsonSchema, { dueDate: { format: 'date' }, reason: reasonDoc }),
      })),
    },
    async (req) => {
      const raw = req.body as { reason?: unknown };
      const b = correctBody.parse({ ...raw, reason: reasonFrom(raw.reason) });
      return correctAs(d, req.user!, (req.params as { id: string }).id, b.dueDate, b.reason, b.confirmed);
    },
  );

  app.post(
    '/api/obligations/:id/acknowledge',
    {
      schema: {
        tags,
        summary: '签收: acknowledge receipt of a letter, by its notice key (the addressed assignee)',
        operationId: 'acknowledgeLetter',
        params: json(idParams),
        body: strict(acknowledgeBody),
        response: {
          200: ok(
            z.object({ key: z.string(), acknowledged: z.object({ at: z.string() }).passthrough() }).passthrough(),
            'the letter, acknowledged',
          ),
          ...refusals(400, 401, 403, 404, 409, 413, 415, 422, 503),
        },
      },
    },
    async (req) => {
      const b = acknowledgeBody.parse(req.body);
      return acknowledgeAs(d, req.user!, (req.params as { id: string }).id, b.notice);
    },
  );

  app.post(
    '/api/obligations/:id/waive',
    {
      schema: {
        tags,
        summary: 'waive an obligation (office)',
        operationId: 'waiveObligation',
        params: json(idParams),
        body: strict(waiveBody),
        response: {
          200: ok(z.object({ status: z.string() }), 'the obligation’s status: waived'),
          ...refusals(400, 401, 403, 404, 409, 413, 415, 422, 503),
        },
      },
      config: documented(() => ({ body: withProps(strict(waiveBody) as JsonSchema, { reason: reasonDoc }) })),
    },
    async (req) => {
      const raw = req.body as { reason?: unknown };
      const b = waiveBody.parse({ ...raw, reason: reasonFrom(raw.reason) });
      return waiveAs(d, req.user!, (req.params as { id: string }).id, b.reason);
    },
  );

  const boardQueryJson = withProps(listQueryJson, boardSortDoc);
  /** The scoreboard's filter and sort: the list's filter, and the column and direction. */
  const boardQuery = (req: { query: unknown }) => {
    const { sort, dir, ...rest } = req.query as Record<string, unknown>;
    return { q: listQuery.parse(rest), s: boardSort.parse({ sort, dir }) };
  };
  app.get(
    '/api/scoreboard',
    {
      schema: {
        tags: ['supervision'],
        summary:
          'the scoreboard as the page shows it: per organisation its pace colour, obligations met on time, met late, open, overdue, escalated, unmet, waived, highest escalation level, and problems open and overdue; the totals',
        operationId: 'scoreboard',
        querystring: boardQueryJson,
        response: {
          200: ok(
            z.object({ rows: z.array(boardRowDoc), totals: boardRowDoc }),
            'one row per organisation in the page’s order (by default who is behind first), and the totals row',
          ),
          ...refusals(400, 401, 403, 503),
        },
      },
      config: documented(() => ({ querystring: withProps(listQueryDoc, boardSortDoc) })),
    },
    async (req) => {
      requireRole(req.user!, ['office', 'supervisor'], 'read the scoreboard');
      const { q, s } = boardQuery(req);
      const rows = await scoreboardRows(d, req, q, s);
      return { rows, totals: totals(rows) };
    },
  );

  app.get(
    '/api/scoreboard.xlsx',
    {
      schema: {
        tags: ['supervision'],
        summary: 'the scoreboard as an Excel workbook, in the page’s order, with its totals row and pace colours',
        operationId: 'scoreboardXlsx',
        querystring: boardQueryJson,
      },
      config: documented(() => ({
        querystring: withProps(listQueryDoc, boardSortDoc),
        response: xlsxResponses(400, 401, 403, 503),
      })),
    },
    async (req, reply) => {
      requireRole(req.user!, ['office', 'supervisor'], 'read the scoreboard');
      const { q, s } = boardQuery(req);
      const rows = await scoreboardRows(d, req, q, s);
      return sendXlsx(reply, await scoreboardXlsx(d.policies, rows, q), 'scoreboard.xlsx', '记分板.xlsx');
    },
  );

  app.get(
    '/api/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'campaigns in the policy folder, validated now',
        operationId: 'listCampaigns',
        response: {
          200: ok(campaignList, 'the campaigns, or why the policy folder does not validate'),
          ...refusals(401, 403),
        },
      },
      links: {
        200: { launch: { operationId: 'launchCampaign', parameters: { id: '$response.body#/campaigns/0/id' } } },
      },
    },
    async (req) => {
      requireRole(req.user!, ['office', 'supervisor'], 'list campaigns');
      try {
        const set = reloadPolicies(d);
        return {
          valid: true,
          campaigns: [...set.campaigns.values()].map((c) => ({
            id: c.id,
            title: c.title,
            season: c.season,
            file: c.file,
          })),
        };
      } catch (e) {
        if (e instanceof PolicyError) return { valid: false, errors: e.message.split('\n'), campaigns: [] };
        throw e;
      }
    },
  );

  // The seasons the document offers are those the window allows when the document is made.
  const launchDoc = () => {
    const r = seasonRange(d.seasonWindow);
    return withProps(strict(launchBody) as JsonSchema, {
      season: {
        minimum: r.from,
        maximum: r.to,
        description: `the autumn–winter season starting in this year; the seasons that may be launched are ${d.seasonWindow.back} before the one under way to ${d.seasonWindow.ahead} after it (LANTIAN_SEASON_WINDOW), others are refused with 422; default: the campaign’s own`,
      },
    });
  };
  app.post(
    '/api/campaigns/:id/launch',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'launch a campaign for a season (office); launching twice starts nothing twice',
        operationId: 'launchCampaign',
        params: json(idParams),
        body: strict(launchBody),
        response: {
          200: ok(launchReport, 'what was started, what already ran'),
          ...refusals(400, 401, 403, 404, 409, 413, 415, 422, 503),
        },
      },
      config: documented(() => ({ body: launchDoc() })),
    },
    async (req) => {
      const b = launchBody.parse(req.body ?? {});
      return launch(d, req.user!, (req.params as { id: string }).id, b.season, b);
    },
  );
}

/** The evidence upload: its multipart body is read here, field by field (registered where multipart is parsed). */
export function registerApiUploads(app: FastifyInstance, d: WebDeps) {
  app.post(
    '/api/obligations/:id/evidence',
    {
      schema: {
        tags: ['obligations'],
        summary: 'submit evidence (assignee): multipart/form-data with fields note, quantity and one file',
        operationId: 'submitEvidence',
        consumes: ['multipart/form-data'],
        params: json(idParams),
        response: {
          200: ok(receipt, 'the receipt'),
          ...refusals(400, 401, 403, 404, 409, 413, 415, 422, 503),
        },
      },
      links: {
        200: {
          review: {
            operationId: 'reviewEvidence',
            parameters: { id: '$request.path.id', evidenceId: '$response.body#/receipt/evidenceId' },
          },
        },
      },
      config: {
        csrfInBody: true,
        ...documented(() => ({
          body: {
            type: 'object',
            required: ['file'],
            additionalProperties: false,
            properties: {
              _csrf: {
                type: 'string',
                description:
                  'a browser form’s CSRF token (a session cookie’s change); a request with an API token leaves it out',
              },
              note: {
                type: 'string',
                maxLength: Math.floor(LIMITS.noteBytes / 4),
                description: `optional; at most ${LIMITS.noteBytes} bytes of UTF-8; bidirectional control characters are removed`,
              },
              quantity: {
                type: 'string',
                pattern: QUANTITY_PATTERN,
                description:
                  'the quantity achieved to date, a plain decimal (at most 6 decimals, at most 1,000,000,000); required when the obligation counts one',
              },
              file: {
                type: 'string',
                format: 'binary',
                description:
                  'PDF, PNG, JPEG, GIF, WebP, Office document, CSV or ZIP, judged by its content; at most LANTIAN_UPLOAD_MAX_BYTES',
              },
            },
          },
        })),
      },
    },
    async (req) =>
      uploadAs(
        d,
        req.user!,
        (req.params as { id: string }).id,
        req,
        (t) =>
          req.viaToken === true ||
          (!!req.sessionId && d.users.checkCsrf(req.sessionId, t ?? req.headers['x-csrf-token'])),
      ),
  );
}
