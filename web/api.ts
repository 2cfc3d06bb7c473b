// The JSON API. Request schemas are the Update argument schemas of domain/updates.ts (without the
// actor, which is the signed-in user), turned into JSON Schema by zod for Fastify's validation
// and the OpenAPI document at /docs.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DateTime } from 'luxon';
import { evidenceReview, extension, waiver, status } from '../domain/updates';
import { loadPolicies, PolicyError, type PolicySet } from '../planner/load';
import { getCampaign, UnknownCampaignError } from '../planner/resolve';
import { launchCampaign } from '../client/launch';
import { launchableRows, type LaunchWords, type SeasonLaunch } from '../client/seasons';
import {
  HttpError,
  readScoped,
  requireRole,
  reviewAs,
  extendAs,
  waiveAs,
  uploadAs,
  scopeFilter,
  type WebDeps,
} from './actions';
import { scoreboard, daysLeft } from './read-model';
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
  season: z.coerce.number().int().optional(),
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
const launchBody = z.object({
  season: z.number().int().min(2000).max(2100).optional(),
  /** Launch a season whose period has ended: its obligations close at once and send their late letters now. */
  allowPast: z.boolean().optional(),
  /** Plan a year the holiday calendar has no notice for yet as Monday to Friday, until the notice is added. */
  provisionalCalendar: z.boolean().optional(),
});
const idParams = z.object({ id: z.string().min(1) });
const error = z.object({ error: z.string(), message: z.string() });

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
const scoreRow = z.object({
  org: z.string(),
  name: z.string(),
  province: z.string().optional(),
  total: z.number(),
  metOnTime: z.number(),
  metLate: z.number(),
  open: z.number(),
  overdue: z.number(),
  waived: z.number(),
  unmet: z.number(),
  highestLevel: z.number(),
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
  alreadyStored: z.boolean(),
});

const errors = { 400: json(error), 401: json(error), 403: json(error), 404: json(error), 409: json(error) };

export async function listFor(
  d: WebDeps,
  u: User,
  q: ListQuery,
): Promise<(ObligationSummary & { daysLeft?: number })[]> {
  const rows = await d.index.list(scopeFilter(u, q));
  const now = Date.now();
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
    if (e instanceof PolicyError)
      throw new HttpError(422, `the policies do not validate; nothing was launched.\n${e.message}`);
    throw e;
  }
  let planned;
  try {
    planned = launchableRows(
      set,
      d.calendar,
      campaignId,
      season ?? getCampaign(set, campaignId).season,
      { allowPast: o.allowPast ?? false, provisionalCalendar: o.provisionalCalendar ?? false },
      words,
    );
  } catch (e) {
    if (e instanceof UnknownCampaignError) throw new HttpError(404, e.message);
    throw new HttpError(422, (e as Error).message);
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

export function toCsv(
  rows: (ObligationSummary & { daysLeft?: number })[],
  name: (code: string) => string | undefined,
): string {
  const cols = [
    'workflowId',
    'campaign',
    'season',
    'obligation',
    'assignee',
    'assigneeName',
    'province',
    'period',
    'status',
    'level',
    'deadline',
    'daysLeft',
  ] as const;
  const cell = (v: unknown) => {
    const s = v === undefined || v === null ? '' : String(v);
    // Quote always; neutralise spreadsheet formulas, but leave a negative number a number.
    return `"${(/^[=+\-@]/.test(s) && !/^-\d+(\.\d+)?$/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;
  };
  // Deadlines in official (Shanghai) time, as every page shows them, not UTC.
  const local = (iso?: string) => (iso ? DateTime.fromISO(iso, { zone: 'Asia/Shanghai' }).toISO() : undefined);
  const lines = rows.map((r) =>
    cols
      .map((c) => cell(c === 'assigneeName' ? name(r.assignee ?? '') : c === 'deadline' ? local(r.deadline) : r[c]))
      .join(','),
  );
  return '\uFEFF' + [cols.join(','), ...lines].join('\r\n') + '\r\n';
}

export function registerApi(app: FastifyInstance, d: WebDeps) {
  const tags = ['obligations'];

  app.get(
    '/api/me',
    { schema: { tags: ['users'], summary: 'the signed-in user', response: { 401: json(error) } } },
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
        querystring: json(listQuery),
        response: { 200: json(z.object({ items: z.array(summaryRow) }), 'output'), ...errors },
      },
    },
    async (req) => ({ items: await listFor(d, req.user!, listQuery.parse(req.query)) }),
  );

  app.get(
    '/api/obligations.csv',
    { schema: { tags, summary: 'the same list as CSV', querystring: json(listQuery) } },
    async (req, reply) => {
      const rows = await listFor(d, req.user!, listQuery.parse(req.query));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="obligations.csv"')
        .send(toCsv(rows, orgName(d)));
    },
  );

  app.get(
    '/api/obligations/:id',
    {
      schema: {
        tags,
        summary: 'an obligation’s record: status, evidence, timeline, notices',
        params: json(idParams),
        response: errors,
      },
    },
    async (req) => readScoped(d, req.user!, (req.params as { id: string }).id),
  );

  app.post(
    '/api/obligations/:id/evidence',
    {
      schema: {
        tags,
        summary: 'submit evidence (assignee): multipart/form-data with fields note, quantity and one file',
        consumes: ['multipart/form-data'],
        params: json(idParams),
        response: { 200: json(receipt, 'output'), ...errors, 413: json(error), 415: json(error), 422: json(error) },
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

  app.post(
    '/api/obligations/:id/evidence/:evidenceId/review',
    {
      schema: {
        tags,
        summary: 'accept or reject evidence (office)',
        params: json(idParams.extend({ evidenceId: z.string() })),
        body: json(reviewBody),
        response: errors,
      },
    },
    async (req) => {
      const p = req.params as { id: string; evidenceId: string };
      const b = reviewBody.parse(req.body);
      return reviewAs(d, req.user!, p.id, p.evidenceId, b.decision, b.reason);
    },
  );

  app.post(
    '/api/obligations/:id/extend',
    {
      schema: {
        tags,
        summary: 'move the due date (office)',
        params: json(idParams),
        body: json(extendBody),
        response: errors,
      },
    },
    async (req) => {
      const b = extendBody.parse(req.body);
      return extendAs(d, req.user!, (req.params as { id: string }).id, b.dueDate, b.reason);
    },
  );

  app.post(
    '/api/obligations/:id/waive',
    {
      schema: {
        tags,
        summary: 'waive an obligation (office)',
        params: json(idParams),
        body: json(waiveBody),
        response: errors,
      },
    },
    async (req) => {
      const b = waiveBody.parse(req.body);
      return waiveAs(d, req.user!, (req.params as { id: string }).id, b.reason);
    },
  );

  app.get(
    '/api/scoreboard',
    {
      schema: {
        tags: ['supervision'],
        summary: 'per organisation: met on time, met late, open, overdue, highest escalation level',
        querystring: json(listQuery),
        response: { 200: json(z.object({ rows: z.array(scoreRow) }), 'output'), ...errors },
      },
    },
    async (req) => {
      requireRole(req.user!, ['office', 'supervisor'], 'read the scoreboard');
      return { rows: scoreboard(await d.index.list(listQuery.parse(req.query)), orgName(d)) };
    },
  );

  app.get(
    '/api/campaigns',
    { schema: { tags: ['campaigns'], summary: 'campaigns in the policy folder, validated now', response: errors } },
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

  app.post(
    '/api/campaigns/:id/launch',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'launch a campaign for a season (office); launching twice starts nothing twice',
        params: json(idParams),
        body: json(launchBody),
        response: { ...errors, 422: json(error) },
      },
    },
    async (req) => {
      const b = launchBody.parse(req.body ?? {});
      return launch(d, req.user!, (req.params as { id: string }).id, b.season, b);
    },
  );
}
