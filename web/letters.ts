// Letters awaiting 签收, across obligations: for the office, which chases them, and the
// supervisor, who watches. Each letter with its organisation, 文号, issue date and the working
// days it has waited; red once its 催签 fell due. Read from the obligations' own records, so it is
// exactly what each obligation page shows.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DateTime } from 'luxon';
import { addDays, assumingWeekends, type WorkingCalendar } from '../domain/calendar';
import type { ObligationRecord } from '../domain/obligation';
import type { User } from '../auth/users';
import { HttpError, httpRefusal, readScoped, requireRole, type WebDeps } from './actions';
import { html, layout, seasonLabel, shanghai } from './html';

const CLOSED = new Set(['met', 'met-late', 'waived', 'unmet']);
const ZONE = 'Asia/Shanghai';
/** Records read at once: each is a query to its workflow (or a file of the archive). */
const CONCURRENCY = 16;

export const awaitingQuery = z.object({
  campaign: z.string().min(1).optional(),
  season: z.coerce.number().int().min(2000).max(2100).optional(),
  province: z.string().min(1).optional(),
});
export type AwaitingQuery = z.infer<typeof awaitingQuery>;

export const awaitingLetter = z.object({
  key: z.string(),
  workflowId: z.string(),
  organisation: z.object({ code: z.string(), name: z.string() }),
  obligation: z.object({ title: z.string(), period: z.string().optional() }),
  /** The letter's title as it was sent (its subject). */
  title: z.string(),
  documentNumber: z.string(),
  kind: z.string(),
  /** When it went out (UTC) and its date in Beijing time. */
  sentAt: z.string(),
  issuedDate: z.string(),
  /** When the 签收 is due; past it the letter was urged (催签). */
  acknowledgeBy: z.string().optional(),
  /** Working days since the issue date, today included when it is one. */
  workingDaysWaiting: z.number().int(),
  /** Its 催签 has fallen due: the office sees it red. */
  late: z.boolean(),
});
export type AwaitingLetter = z.infer<typeof awaitingLetter>;

/** Working days after `from` up to and including `to`; a year without its holiday notice counts Monday to Friday. */
export function workingDaysBetween(calendar: WorkingCalendar, from: string, to: string): number {
  const cal = assumingWeekends(calendar).calendar;
  let n = 0;
  for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (cal.isWorkingDay(d)) n++;
  return n;
}

export function lettersAwaiting(rec: ObligationRecord, calendar: WorkingCalendar, now: number): AwaitingLetter[] {
  if (CLOSED.has(rec.status)) return [];
  const today = DateTime.fromMillis(now, { zone: ZONE }).toISODate()!;
  return rec.notices
    .filter((n) => n.documentNumber && !n.acknowledged)
    .map((n) => {
      const issuedDate = DateTime.fromISO(n.sentAt, { zone: ZONE }).toISODate()!;
      return {
        key: n.key,
        workflowId: rec.workflowId,
        organisation: { code: rec.input.assignee.code, name: rec.input.assignee.name },
        obligation: { title: rec.input.title, ...(rec.input.period ? { period: rec.input.period } : {}) },
        title: n.subject,
        documentNumber: n.documentNumber!,
        kind: n.kind,
        sentAt: n.sentAt,
        issuedDate,
        ...(n.acknowledgeBy ? { acknowledgeBy: n.acknowledgeBy } : {}),
        workingDaysWaiting: workingDaysBetween(calendar, issuedDate, today),
        late: n.acknowledgeBy !== undefined && Date.parse(n.acknowledgeBy) <= now,
      };
    });
}

/** Every letter awaiting 签收 on the open obligations the filter picks, longest waiting first. */
export async function awaitingAs(d: WebDeps, u: User, q: AwaitingQuery): Promise<AwaitingLetter[]> {
  requireRole(u, ['office', 'supervisor'], 'list the letters awaiting acknowledgement');
  // Only an obligation that has climbed its ladder has letters.
  const rows = (await d.index.list({ ...q, level: 1 })).filter((r) => !CLOSED.has(r.status ?? ''));
  const now = Date.now();
  const out: AwaitingLetter[] = [];
  for (let i = 0; i < rows.length; i += CONCURRENCY) {
    const records = await Promise.all(
      rows.slice(i, i + CONCURRENCY).map((r) =>
        readScoped(d, u, r.workflowId).catch((e: unknown) => {
          // Gone between the listing and the read: nothing awaits on it.
          if (e instanceof HttpError && e.status === 404) return undefined;
          throw e;
        }),
      ),
    );
    for (const rec of records) if (rec) out.push(...lettersAwaiting(rec, d.calendar, now));
  }
  return out.sort((a, b) => a.sentAt.localeCompare(b.sentAt) || a.key.localeCompare(b.key));
}

function query(req: FastifyRequest): AwaitingQuery {
  const raw = Object.fromEntries(Object.entries(req.query as Record<string, string>).filter(([, v]) => v !== ''));
  const r = awaitingQuery.safeParse(raw);
  if (!r.success)
    throw httpRefusal(400, 'invalid_field', {
      field: r.error.issues[0]?.path.join('.') ?? 'query',
      detail: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    });
  return r.data;
}

const jsonSchema = (s: z.ZodType) => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
  return rest;
};
const refusal = (description: string) => ({
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
  required: ['error', 'message'],
  description,
});

const letterLink = (key: string) => `/letters/${encodeURIComponent(key)}`;

export function registerLetters(app: FastifyInstance, d: WebDeps) {
  app.get(
    '/api/letters/unacknowledged',
    {
      schema: {
        tags: ['obligations'],
        summary: 'letters awaiting 签收 on open obligations, longest waiting first (office and supervisor)',
        operationId: 'listUnacknowledgedLetters',
        querystring: {
          type: 'object',
          properties: {
            campaign: { type: 'string', minLength: 1 },
            season: { type: 'string', pattern: '^(20\\d\\d|2100)$', description: 'the season (the year it starts in)' },
            province: { type: 'string', minLength: 1, description: 'organisation code of a province' },
          },
          additionalProperties: false,
        },
        response: {
          200: { ...jsonSchema(z.object({ items: z.array(awaitingLetter) })), description: 'the letters' },
          400: refusal('a parameter does not fit the schema'),
          401: refusal('no valid API token or session'),
          403: refusal('an assignee may not list other organisations’ letters'),
          503: refusal('the worker or Temporal is busy or unreachable; try again after Retry-After seconds'),
        },
      },
    },
    async (req) => ({ items: await awaitingAs(d, req.user!, query(req)) }),
  );

  app.get('/letters', { schema: { hide: true } }, async (req, reply) => {
    const q = query(req);
    const items = await awaitingAs(d, req.user!, q);
    const late = items.filter((l) => l.late).length;
    const body = items.length
      ? html`<p>共 ${items.length} 件函件待签收${late ? html`，其中 <span class="err">${late} 件已过签收期限并已催签</span>` : ''}。${q.season !== undefined ? ` ${seasonLabel(q.season)}` : ''}</p>
      <table id="unacknowledged"><thead><tr><th>责任单位</th><th>函件标题</th><th>文号</th><th>发文日期</th><th>已等待（工作日）</th><th>应签收时间（北京时间）</th><th>状态</th></tr></thead><tbody>${items.map(
        (l) =>
          html`<tr class="${l.late ? 'overdue' : ''}" data-key="${l.key}"><td>${l.organisation.name}</td><td><a href="${letterLink(l.key)}">${l.title}</a><br><span class="muted">任务：<a href="/obligations/${encodeURIComponent(l.workflowId)}">${l.obligation.title}</a>${l.obligation.period ? `（${l.obligation.period}）` : ''}</span></td><td>${l.documentNumber}</td><td>${l.issuedDate}</td><td>${l.workingDaysWaiting}</td><td>${l.acknowledgeBy ? shanghai(l.acknowledgeBy) : '—'}</td><td>${l.late ? html`<span class="err">逾期未签收，已催签</span>` : html`<span class="muted">待签收</span>`}</td></tr>`,
      )}</tbody></table>`
      : html`<p class="muted">没有待签收的函件。</p>`;
    return reply
      .type('text/html; charset=utf-8')
      .send(layout('待签收函件', req.user, body, req.csrfToken, { path: req.url }));
  });
}
