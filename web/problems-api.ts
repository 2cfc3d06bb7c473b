// The problems' JSON API (问题台账): record a problem, the ledger (JSON, .xlsx, CSV), one problem,
// and its changes (交办, 整改方案, evidence, 核查, 举一反三), each an Update of its workflow signed
// like every other change. Scope: the office sees and acts on all; an inspection team (a `team`
// user, its team one of policies/problems.yaml `teams`) on the cities it works in; a city on its
// own problems; a supervisor reads all and changes none. A problem out of reach is "not found", never confirmed.
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { User } from '../auth/users';
import {
  HttpError,
  httpRefusal,
  storedFile,
  sendEvidence,
  storeCall,
  type EvidenceFile,
  type WebDeps,
} from './actions';
import { UploadGuard, sanitiseFileName } from './upload';
import { REFUSED } from '../workflows/api';
import { localDate } from '../domain/local-date';
import { LIMITS } from '../domain/limits';
import { cleanText } from '../client/input';
import { EvidenceRefused } from '../storage/evidence-store';
import {
  assignment,
  problemWorkflowId,
  rectificationPlan,
  similarReport,
  verification,
  type Actor,
  type ProblemPolicy,
  type ProblemRecord,
  type ProblemPhoto,
  type ReboundLink,
} from '../domain/problem';
import { buildLedger, ledgerFilters, matchesFilter, type Ledger, type LedgerFilter } from '../domain/problem-ledger';
import { ledgerItemOf, type LedgerItem } from '../domain/problem-memo';
import { loadProblemPolicy, ProblemFileError, readProblemRows } from '../planner/problems';
import {
  assign,
  importProblems,
  problemRecord,
  problemLedgerItems,
  reportSimilar,
  submitPlan,
  verify,
  closedProblems,
  markRebounds,
} from '../client/problems';
import { submitProblemEvidence } from '../workflows/problem-api';
import { refusalMessage } from '../i18n/refusals';
import { documented, fileResponseDoc } from './api';
import { message } from '../i18n/messages';
import { ledgerCsv, ledgerXlsx } from '../client/problem-ledger-export';

/** How old the ledger's copy of the records may grow before a background refresh. */
const RECORDS_TTL_MS = 60_000;

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** What a user may do with problems: whose it sees, and as whom it acts. */
export interface ProblemScope {
  /** The user's role, for refusals. */
  role: User['role'];
  /** Organisation codes it sees (a province's code covers its cities); undefined: all. */
  orgs?: Set<string>;
  /** Records problems, 交办 and 核查 (the office everywhere, a team in its cities). */
  inspects: boolean;
  /** Submits plans, evidence and 举一反三 for its own city. */
  city?: string;
  team?: string;
}

export function problemScope(u: User, policy: ProblemPolicy): ProblemScope {
  const role = u.role;
  if (role === 'office') return { role, inspects: true };
  if (role === 'assignee') return { role, orgs: new Set([u.org!]), inspects: false, city: u.org };
  if (role === 'team') {
    // A team no longer in the policy sees nothing and may do nothing, rather than everything.
    const team = policy.teams.find((t) => t.id === u.org);
    return team
      ? { role, orgs: new Set(team.orgs), inspects: true, team: team.name }
      : { role, orgs: new Set(), inspects: false };
  }
  // A supervisor reads every problem and changes none.
  return { role, inspects: false };
}

/** Problem workflow actors. */
export const actorOf = (u: User): Actor =>
  // A team acts as 'supervisor': the released problem workflow takes an inspector's actions from 'office' or 'supervisor'.
  u.role === 'team'
    ? { role: 'supervisor', id: u.name, org: u.org! }
    : { role: u.role, id: u.name, ...(u.org ? { org: u.org } : {}) };

const refusal = (status: number, code: string, message: string) => new HttpError(status, message, code);
/** Named by its problem number (the last part of a problem's workflow ID), never by the ID. */
const notFound = (id: string) =>
  httpRefusal(404, 'problem_not_found', {
    number: id.startsWith('lantian-problem:') ? (id.split(':').at(-1) ?? '') : '',
  });

/**
 * The workflow's refusal in Chinese with its catalogue code (the validator sends both in the
 * failure's details); undefined when the error is no refusal.
 */
function workflowRefusal(e: unknown): HttpError | undefined {
  if (!(e instanceof WorkflowUpdateFailedError && e.cause instanceof ApplicationFailure && e.cause.type === REFUSED))
    return undefined;
  const detail = e.cause.details?.[0] as { code?: string } | undefined;
  const said = refusalMessage(detail);
  return said !== undefined && detail?.code
    ? refusal(409, detail.code, said)
    : refusal(409, 'refused', '该问题的工作流拒绝了这一更改，请刷新后查看其状态');
}

/** A problem's files as its readers fetch them: photos p1, p2, … (in the order taken), evidence by its id. */
export interface ProblemFile {
  id: string;
  kind: 'photo' | 'evidence';
  fileName: string;
  mediaType: string;
  size: number;
  sha256: string;
}

export function problemFiles(rec: ProblemRecord): ProblemFile[] {
  return [
    ...(rec.photos ?? []).map((p, i) => ({ id: `p${i + 1}`, kind: 'photo' as const, ...pick(p) })),
    ...rec.evidence.map((e) => ({ id: e.id, kind: 'evidence' as const, ...pick(e) })),
  ];
}
const pick = (f: ProblemPhoto) => ({ fileName: f.fileName, mediaType: f.mediaType, size: f.size, sha256: f.sha256 });

/** A record as the API answers it: each photo with the file id `GET /api/problems/{id}/files/{file}` takes. */
export const publicProblem = (rec: ProblemRecord) => ({
  ...rec,
  photos: problemFiles(rec)
    .filter((f) => f.kind === 'photo')
    .map(({ kind: _kind, ...f }) => f),
});

/** What the problems' API and pages share: the policy, who sees what, and the changes. */
export type ProblemService = ReturnType<typeof makeService>;
const services = new WeakMap<WebDeps, ProblemService>();
export const problemService = (d: WebDeps): ProblemService => {
  let s = services.get(d);
  if (!s) services.set(d, (s = makeService(d)));
  return s;
};

export const recordBody = z.object({
  campaign: z.string().min(1),
  season: z.number().int().min(2000).max(2100),
  number: z.string().min(1).max(64),
  assignee: z.string().min(1),
  site: z.string().min(1),
  creditCode: z.string().optional(),
  category: z.string().min(1),
  description: z.string().min(1),
  foundDate: localDate,
  clause: z.string().optional(),
});

function makeService(d: WebDeps) {
  let policy: ProblemPolicy | undefined;
  const problemPolicy = (): ProblemPolicy => {
    try {
      return (policy ??= loadProblemPolicy(path.join(d.policies.dir, 'problems.yaml'), d.policies.templatesDir));
    } catch (e) {
      if (e instanceof ProblemFileError)
        throw new HttpError(
          503,
          '问题台账的配置（problems.yaml）有误，请告知管理员。',
          'problems_policy_invalid',
          e.issues,
        );
      throw e;
    }
  };
  const scopeOf = (req: FastifyRequest) => problemScope(req.user!, problemPolicy());
  /** A team's Chinese name (the web header shows it); its id when the policy does not name it. */
  const teamName = (id: string): string => {
    try {
      return problemPolicy().teams.find((t) => t.id === id)?.name ?? id;
    } catch {
      return id;
    }
  };
  const sees = (s: ProblemScope, code: string) =>
    !s.orgs || s.orgs.has(code) || s.orgs.has(d.policies.organisations.get(code)?.parent ?? '');

  /** The record when the user may see it; 404 for one out of reach or that does not exist. */
  async function scoped(req: FastifyRequest, id: string): Promise<{ rec: ProblemRecord; scope: ProblemScope }> {
    if (!id.startsWith('lantian-problem:')) throw notFound(id);
    const scope = scopeOf(req);
    const rec = await problemRecord(d.client, id).catch((e: unknown) => {
      if (e instanceof WorkflowNotFoundError) throw notFound(id);
      throw e;
    });
    if (!sees(scope, rec.assignee.code)) throw notFound(id);
    return { rec, scope };
  }

  /**
   * A photo (p1, p2, … in the order taken) or evidence file (e1, …) of a problem the user may
   * see, from the evidence store; another's is 404 like the record. Each opening is recorded in
   * the users database, as an obligation's evidence is (`record` false for HEAD).
   */
  async function fileOf(req: FastifyRequest, id: string, fileId: string, record: boolean): Promise<EvidenceFile> {
    const { rec } = await scoped(req, id);
    const f = problemFiles(rec).find((x) => x.id === fileId);
    if (!f) throw httpRefusal(404, 'problem_file_not_found', { id: rec.number, file: fileId });
    const stored = await storeCall(() => d.stores.evidence.head(f.sha256));
    if (!stored) throw httpRefusal(404, 'evidence_not_stored', { evidence: fileId });
    return storedFile(
      d,
      f,
      stored.size,
      record ? () => d.users.recordDownload(id, fileId, req.user!) : undefined,
      fileId,
    );
  }

  /** The workflow's refusal as 409 with its reason; a closed problem's ended workflow as 409 too. */
  async function change<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      const r = await fn();
      await refreshed(id);
      return r;
    } catch (e) {
      const refused = workflowRefusal(e);
      if (refused) throw refused;
      if (e instanceof WorkflowNotFoundError || /already completed/i.test((e as Error).message ?? ''))
        throw httpRefusal(409, 'problem_closed', { action: 'change the problem' });
      throw e;
    }
  }

  const inspector = (s: ProblemScope) => {
    if (!s.inspects)
      throw httpRefusal(403, 'forbidden_role', { role: s.role, action: 'record, assign or verify problems' });
  };
  const city = (s: ProblemScope, rec: ProblemRecord) => {
    if (s.city !== rec.assignee.code)
      throw httpRefusal(403, 'forbidden_role', { role: s.role, action: 'act for the problem’s city' });
  };

  // Every problem's ledger facts, kept in memory: read from the workflows' memos in one listing
  // (a query each only for problems without them). Changes made through the app update their
  // entry at once; changes the workflows make themselves (the ladder) arrive with the next
  // refresh, which runs in the background once the copy is older than RECORDS_TTL_MS.
  let items = new Map<string, LedgerItem>();
  let loadedAt = 0;
  let loading: Promise<void> | undefined;
  /** When each entry was last refreshed through the app (kept until a listing has caught up). */
  const changedAt = new Map<string, number>();
  const reload = () =>
    (loading ??= (async () => {
      const started = Date.now();
      const fresh = new Map((await problemLedgerItems(d.client)).map((i) => [i.workflowId, i]));
      // An entry refreshed through the app while the listing ran is newer than the listing's.
      for (const [id, at] of changedAt)
        if (at >= started && items.has(id)) fresh.set(id, items.get(id)!);
        else changedAt.delete(id);
      items = fresh;
      loadedAt = started;
    })().finally(() => (loading = undefined)));
  /**
   * The first load, started as the app starts, so the first ledger or scoreboard waits on a load
   * already under way. A load that fails here is tried again by the first request.
   */
  const preload = () => void reload().catch(() => undefined);
  /** Stops refreshing (the web app is closing): no listing may outlive its connection. */
  const close = async () => {
    await loading?.catch(() => undefined);
  };
  async function allItems(): Promise<LedgerItem[]> {
    if (!loadedAt) await reload();
    else if (Date.now() - loadedAt > RECORDS_TTL_MS) void reload().catch(() => undefined);
    return [...items.values()];
  }
  /** After a change through the app: its facts again, so the next ledger shows it. */
  const refreshed = async (id: string) => {
    const r = await problemRecord(d.client, id).catch(() => undefined);
    if (!r) return;
    items.set(id, ledgerItemOf(r));
    changedAt.set(id, Date.now());
  };

  /** 问题台账 as this user may see it: its cities' problems of the season, and earlier seasons' still open. */
  async function ledgerFor(
    req: FastifyRequest,
    q: { campaign?: string; season?: number; assignee?: string; state?: LedgerFilter },
  ): Promise<Ledger> {
    const season = q.season;
    const scope = scopeOf(req);
    const records = (await allItems()).filter(
      (r) =>
        sees(scope, r.assignee.code) &&
        (!q.campaign || r.campaignId === q.campaign) &&
        (!q.assignee || r.assignee.code === q.assignee),
    );
    const ledger = buildLedger(records, { season, regionName: scope.team ?? '合计' });
    if (q.state) ledger.problems = ledger.problems.filter((p) => matchesFilter(p.state, q.state!));
    return ledger;
  }

  /** Records one problem found on inspection (office or team); 反弹 linked when its site's problem was closed within the window. */
  async function recordOne(
    req: FastifyRequest,
    b: z.infer<typeof recordBody>,
    photos: ProblemPhoto[] = [],
  ): Promise<{ workflowId: string; reboundOf?: ReboundLink }> {
    const scope = scopeOf(req);
    inspector(scope);
    const campaign = d.policies.campaigns.get(b.campaign);
    if (!campaign) throw httpRefusal(404, 'campaign_not_found', { campaign: b.campaign });
    const org = d.policies.organisations.get(b.assignee);
    if (org && !sees(scope, org.code)) throw httpRefusal(403, 'forbidden_scope', { name: org.name });
    const cells = [
      b.number,
      b.assignee,
      b.site,
      b.creditCode ?? '',
      b.category,
      b.description,
      b.foundDate,
      scope.team ?? req.user!.name,
      b.clause ?? '',
    ];
    let inputs;
    try {
      inputs = readProblemRows(
        'problem',
        [
          {
            line: 1,
            cells: [
              '问题编号',
              '责任单位',
              '点位或企业',
              '统一社会信用代码',
              '类别',
              '问题描述',
              '发现日期',
              '检查组',
              '条款',
            ],
          },
          { line: 2, cells },
        ],
        { campaign, season: b.season, policy: problemPolicy(), organisations: d.policies.organisations },
      );
    } catch (e) {
      if (e instanceof ProblemFileError)
        throw new HttpError(
          422,
          `登记内容有误，请检查：${[...new Set(e.issues.map((i) => /^problem:\d+ ([^:]+):/.exec(i)?.[1] ?? '内容'))].join('、')}`,
          'problem_invalid',
          e.issues,
        );
      throw e;
    }
    if (!sees(scope, inputs[0].assignee.code))
      throw httpRefusal(403, 'forbidden_scope', { name: inputs[0].assignee.name });
    if (photos.length) inputs[0].photos = photos;
    markRebounds(inputs, await closedProblems(d.client, campaign.id), problemPolicy().rebound.windowDays);
    const report = await importProblems(d.client, inputs, { taskQueue: d.taskQueue });
    if (report.failed.length) throw new Error(report.failed[0].error);
    const workflowId = problemWorkflowId(campaign.id, b.season, inputs[0].number);
    await refreshed(workflowId);
    if (report.existing.length) throw httpRefusal(409, 'problem_exists', { number: b.number });
    return { workflowId, ...(inputs[0].reboundOf ? { reboundOf: inputs[0].reboundOf } : {}) };
  }

  return {
    problemPolicy,
    scopeOf,
    teamName,
    sees,
    scoped,
    fileOf,
    change,
    refreshed,
    inspector,
    city,
    ledgerFor,
    recordOne,
    close,
    preload,
  };
}

export function registerProblemApi(app: FastifyInstance, d: WebDeps) {
  const { scoped, fileOf, change, inspector, city, ledgerFor, recordOne, close, preload } = problemService(d);
  app.addHook('onClose', close);
  app.addHook('onReady', async () => preload());
  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } };
  const errorDoc = {
    type: 'object',
    properties: { error: { type: 'string' }, message: { type: 'string' } },
    description: 'a refusal: a stable English `error` code and a `message` in Chinese',
  };
  const refusals = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorDoc]));
  // The answer as the route gives it (a problem's record, the ledger, a receipt): documented, kept whole.
  const okDoc = { description: 'done', type: 'object', additionalProperties: true };
  const body = (s: z.ZodType) => {
    const { $schema: _drop, ...rest } = z.toJSONSchema(s, {
      target: 'draft-7',
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    // A local date's regex says the shape, not the calendar: the document says date, so a
    // client (or a fuzzer) knows 2021-02-30 is no date before it is refused for it.
    // Nested objects take no other keys either, as the top level.
    const dated = JSON.parse(JSON.stringify(rest), (_k, v) =>
      v && typeof v === 'object' && v.pattern === '^(\\d{4})-(\\d{2})-(\\d{2})$'
        ? { ...v, format: 'date' }
        : v && typeof v === 'object' && v.type === 'object' && v.properties
          ? { additionalProperties: false, ...v }
          : v,
    );
    return { ...dated, additionalProperties: false };
  };
  const ledgerQuery = z.object({
    campaign: z.string().optional(),
    season: z
      .string()
      .regex(/^(20\d\d|2100)$/)
      .optional(),
    assignee: z.string().optional(),
    state: z.enum(ledgerFilters).optional(),
    format: z.enum(['json', 'xlsx', 'csv']).optional(),
  });

  app.get(
    '/api/problems',
    {
      schema: {
        tags: ['problems'],
        summary:
          '问题台账: problems by city and state (排查, 交办, 整改中, 逾期, 待核查, 已销号; 反弹, 举一反三, 遗留), open ones oldest first; format=xlsx or csv to download',
        operationId: 'problemLedger',
        querystring: body(ledgerQuery),
        response: { 200: okDoc, ...refusals(400, 401, 503) },
      },
      // One answer, three forms: the document lists each content type format= chooses.
      config: documented(() => ({
        querystring: body(ledgerQuery),
        response: {
          200: {
            description: 'the ledger: JSON, or with format=xlsx an Excel workbook, with format=csv a CSV file',
            content: {
              'application/json': { schema: { type: 'object', additionalProperties: true } },
              [XLSX_TYPE]: { schema: { type: 'string', format: 'binary' } },
              'text/csv; charset=utf-8': { schema: { type: 'string' } },
            },
          },
          ...refusals(400, 401, 503),
        },
      })),
    },
    async (req, reply: FastifyReply) => {
      const q = ledgerQuery.parse(req.query);
      const season = q.season ? Number(q.season) : undefined;
      const ledger = await ledgerFor(req, { ...q, season });
      const title = `问题台账${season ? ` ${season}–${season + 1}年秋冬季` : ''}`;
      if (q.format === 'xlsx')
        return reply
          .type(XLSX_TYPE)
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(title)}.xlsx`)
          .send(await ledgerXlsx(ledger, title));
      if (q.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(title)}.csv`)
          .send(ledgerCsv(ledger));
      return ledger;
    },
  );

  app.post(
    '/api/problems',
    {
      schema: {
        tags: ['problems'],
        summary:
          'record a problem found on inspection (office or inspection team); a number already recorded starts nothing',
        operationId: 'recordProblem',
        body: body(recordBody),
        response: { 201: okDoc, ...refusals(400, 401, 403, 404, 409, 422, 503) },
      },
    },
    async (req, reply) => {
      const { workflowId, reboundOf } = await recordOne(req, recordBody.parse(req.body));
      return reply.code(201).send({ workflowId, ...(reboundOf ? { reboundOf } : {}) });
    },
  );

  app.get(
    '/api/problems/:id',
    {
      schema: {
        tags: ['problems'],
        summary: 'one problem: its record, evidence, letters and timeline (who, when, why)',
        operationId: 'getProblem',
        params: idParams,
        response: { 200: okDoc, ...refusals(401, 404, 503) },
      },
    },
    async (req) => publicProblem((await scoped(req, (req.params as { id: string }).id)).rec),
  );

  app.get(
    '/api/problems/:id/files/:file',
    {
      schema: {
        tags: ['problems'],
        summary:
          'a photo (p1, p2, …) or evidence file (e1, …) of a problem, as stored (PDF and images inline, others as an attachment under the original name); each download is recorded',
        operationId: 'getProblemFile',
        params: {
          type: 'object',
          required: ['id', 'file'],
          properties: { id: { type: 'string', minLength: 1 }, file: { type: 'string', minLength: 1 } },
        },
      },
      config: documented(() => fileResponseDoc(401, 404, 503)),
    },
    async (req, reply) => {
      const p = req.params as { id: string; file: string };
      return sendEvidence(reply, await fileOf(req, p.id, p.file, req.method !== 'HEAD'));
    },
  );

  const assignBody = assignment.omit({ actor: true });
  app.post(
    '/api/problems/:id/assign',
    {
      schema: {
        tags: ['problems'],
        summary: '交办 (office or inspection team): the due date is the category’s rule unless one is named',
        operationId: 'assignProblem',
        params: idParams,
        body: body(assignBody),
        response: { 200: okDoc, ...refusals(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const { scope } = await scoped(req, id);
      inspector(scope);
      const b = assignBody.parse(req.body);
      return change(id, () =>
        assign(d.client, id, actorOf(req.user!), { ...b, ...(b.note ? { note: cleanText(b.note) } : {}) }),
      );
    },
  );

  const planBody = rectificationPlan.omit({ actor: true });
  app.post(
    '/api/problems/:id/plan',
    {
      schema: {
        tags: ['problems'],
        summary: '整改方案 (the city): the plan and the date it finishes by, no later than the deadline',
        operationId: 'submitProblemPlan',
        params: idParams,
        body: body(planBody),
        response: { 200: okDoc, ...refusals(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const { rec, scope } = await scoped(req, id);
      city(scope, rec);
      const b = planBody.parse(req.body);
      return change(id, () => submitPlan(d.client, id, actorOf(req.user!), cleanText(b.plan), b.completeBy));
    },
  );

  const verifyBody = z.object({
    decision: z.enum(['accept', 'reject']),
    reason: z
      .string()
      .max(Math.floor(LIMITS.reasonBytes / 4))
      .optional(),
    dueDate: localDate.optional(),
  });
  app.post(
    '/api/problems/:id/verify',
    {
      schema: {
        tags: ['problems'],
        summary: '核查 (office or inspection team): accept (销号) or reject with a reason, optionally a new due date',
        operationId: 'verifyProblem',
        params: idParams,
        body: body(verifyBody),
        response: { 200: okDoc, ...refusals(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const { scope } = await scoped(req, id);
      inspector(scope);
      const b = verifyBody.parse(req.body);
      const v = verification.safeParse({
        actor: actorOf(req.user!),
        ...b,
        ...(b.reason ? { reason: cleanText(b.reason) } : {}),
      });
      if (!v.success)
        throw refusal(
          400,
          'bad_request',
          v.data === undefined && v.error.issues.some((i) => i.path[0] === 'reason')
            ? '驳回须填写理由'
            : `请求内容有误：${v.error.issues.map((i) => i.path.join('.')).join('、')}`,
        );
      return change(id, () =>
        verify(d.client, id, actorOf(req.user!), {
          decision: v.data.decision,
          ...(v.data.reason ? { reason: v.data.reason } : {}),
          ...(v.data.dueDate ? { dueDate: v.data.dueDate } : {}),
        }),
      );
    },
  );

  const similarBody = similarReport.omit({ actor: true });
  app.post(
    '/api/problems/:id/similar',
    {
      schema: {
        tags: ['problems'],
        summary: '举一反三 (the city): similar problems it found and fixed on its own, counted on its ledger',
        operationId: 'reportSimilarProblems',
        params: idParams,
        body: body(similarBody),
        response: { 200: okDoc, ...refusals(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const { rec, scope } = await scoped(req, id);
      city(scope, rec);
      const b = similarBody.parse(req.body);
      return change(id, () =>
        reportSimilar(
          d.client,
          id,
          actorOf(req.user!),
          b.items.map((i) => ({ ...i, site: cleanText(i.site), description: cleanText(i.description) })),
        ),
      );
    },
  );
}

/** Evidence of completion (the city): multipart with one file (a photo or document) and an optional note. */
export function registerProblemUploads(app: FastifyInstance, d: WebDeps) {
  app.post(
    '/api/problems/:id/evidence',
    {
      schema: {
        tags: ['problems'],
        summary: 'evidence of completion (the city): multipart/form-data with one file and an optional note',
        operationId: 'submitProblemEvidence',
        consumes: ['multipart/form-data'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        response: {
          200: { description: 'the evidence received', type: 'object', additionalProperties: true },
          ...Object.fromEntries(
            [400, 401, 403, 404, 413, 415, 422, 503].map((c) => [
              c,
              { description: 'a refusal: a stable English `error` code and a `message` in Chinese', type: 'object' },
            ]),
          ),
        },
      },
      config: { csrfInBody: true },
    },
    async (req) => receiveProblemEvidence(d, req, (req.params as { id: string }).id),
  );
}

/** One evidence file from a multipart body (CSRF in a field before the file, or the header), stored and submitted. */
export async function receiveProblemEvidence(
  d: WebDeps,
  req: FastifyRequest,
  id: string,
): Promise<{ evidenceId: string; sha256: string; size: number; fileName: string; mediaType: string }> {
  const u = req.user!;
  if (u.role !== 'assignee') throw httpRefusal(403, 'forbidden_role', { role: u.role, action: 'submit evidence' });
  const rec = id.startsWith('lantian-problem:')
    ? await problemRecord(d.client, id).catch((e: unknown) => {
        if (e instanceof WorkflowNotFoundError) throw notFound(id);
        throw e;
      })
    : undefined;
  if (!rec || rec.assignee.code !== u.org) throw notFound(id);
  const { fields, stored: s } = await readMultipart(d, req, ['note'], true);
  const note = fields.note ? cleanText(fields.note) : undefined;
  const discard = () => (s.existed ? undefined : d.stores.evidence.remove(s.sha256).catch(() => undefined));
  try {
    const r = await d.client.workflow.getHandle(id).executeUpdate(submitProblemEvidence, {
      args: [
        {
          actor: actorOf(u),
          sha256: s.sha256,
          size: s.size,
          fileName: s.fileName,
          mediaType: s.mediaType,
          ...(note ? { note } : {}),
        },
      ],
    });
    await problemService(d).refreshed(id);
    return {
      evidenceId: r.evidenceId,
      sha256: s.sha256,
      size: s.size,
      fileName: s.fileName,
      mediaType: s.mediaType,
    };
  } catch (e) {
    await discard();
    throw workflowRefusal(e) ?? e;
  }
}

export interface StoredUpload {
  sha256: string;
  size: number;
  existed: boolean;
  fileName: string;
  mediaType: string;
}

/**
 * A multipart body: its named text fields, and one file (field `file`, judged by its content and
 * stored) when `fileRequired` or given. CSRF from a `_csrf` field before the file, or the header.
 * A refused body keeps no file that the store did not already hold.
 */
export async function readMultipart<R extends boolean>(
  d: WebDeps,
  req: FastifyRequest,
  names: string[],
  fileRequired: R,
): Promise<{ fields: Record<string, string>; stored: R extends true ? StoredUpload : StoredUpload | undefined }> {
  if (!req.isMultipart()) throw refusal(415, 'evidence_not_multipart', '请以 multipart/form-data 上传');
  const fields: Record<string, string> = {};
  let csrfOk = req.viaToken || !req.sessionId ? true : d.users.checkCsrf(req.sessionId, req.headers['x-csrf-token']);
  let stored: StoredUpload | undefined;
  let refused: HttpError | undefined;
  for await (const part of req.parts({
    limits: { fileSize: d.maxUploadBytes + 1, files: 1, fields: names.length + 1 },
  })) {
    if (part.type === 'field') {
      if (names.includes(part.fieldname)) fields[part.fieldname] = String(part.value);
      else if (part.fieldname === '_csrf' && req.sessionId)
        csrfOk = d.users.checkCsrf(req.sessionId, String(part.value));
      else refused ??= refusal(400, 'evidence_unknown_field', `未知字段 ${part.fieldname}`);
      continue;
    }
    // A form's empty file input still sends a part, with no name and no bytes.
    if (!part.filename && !fileRequired) {
      part.file.resume();
      continue;
    }
    if (stored || refused || !csrfOk || part.fieldname !== 'file') {
      part.file.resume();
      refused ??= csrfOk
        ? refusal(400, 'evidence_file_field', '只能上传一个文件（字段 file）')
        : refusal(403, 'csrf_invalid', message('csrf_invalid', {}));
      continue;
    }
    const name = sanitiseFileName(part.filename);
    if ('refused' in name) {
      part.file.resume();
      refused = refusal(422, 'evidence_file_name', '文件名不可用');
      continue;
    }
    const guard = new UploadGuard(name.name, d.maxUploadBytes);
    try {
      const s = await d.stores.evidence.putStream(part.file.pipe(guard), d.maxUploadBytes);
      stored = { ...s, fileName: name.name, mediaType: guard.sniffed!.mediaType };
    } catch (e) {
      if (!(e instanceof EvidenceRefused)) throw e;
      refused = refusal(
        /larger than/.test(e.reason) ? 413 : 422,
        'evidence_refused',
        guard.refusal
          ? message(guard.refusal.code, guard.refusal.params as never)
          : /larger than/.test(e.reason)
            ? '文件超过上传大小限制'
            : '文件为空',
      );
    }
  }
  if (!csrfOk) refused ??= refusal(403, 'csrf_invalid', message('csrf_invalid', {}));
  if (!stored && fileRequired) refused ??= refusal(400, 'evidence_no_file', '请选择要上传的文件');
  if (refused) {
    if (stored && !stored.existed) await d.stores.evidence.remove(stored.sha256).catch(() => undefined);
    throw refused;
  }
  return { fields, stored: stored as R extends true ? StoredUpload : StoredUpload | undefined };
}
