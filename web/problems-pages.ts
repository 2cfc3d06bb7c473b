// The problems' pages (问题台账): the ledger by city and state, each count a link to the problems
// behind it; a problem's page with its timeline (who, when, why) and the forms its reader may use
// (交办 and 核查 for the office and its teams, 整改方案, evidence and 举一反三 for the city); and the
// form a team records a problem with. Every change goes through the same service as the API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError, INLINE_TYPES, sendEvidence, type WebDeps } from './actions';
import { csrfField, html, Html, layout, seasonLabel, shanghai } from './html';
import {
  actorOf,
  problemFiles,
  problemService,
  readMultipart,
  receiveProblemEvidence,
  recordBody,
} from './problems-api';
import { ledgerFilters, ledgerStates, type Ledger, type LedgerRow } from '../domain/problem-ledger';
import type { ProblemEvent, ProblemRecord } from '../domain/problem';
import { assign, reportSimilar, submitPlan, verify } from '../client/problems';
import { cleanText } from '../client/input';
import { isLocalDate } from '../domain/local-date';
import { currentSeason } from '../domain/season';

const eventWords: Record<ProblemEvent['type'], string> = {
  found: '发现问题',
  assigned: '交办',
  'plan-submitted': '提交整改方案',
  'evidence-submitted': '提交整改材料',
  verified: '核查通过，销号',
  rejected: '核查未通过，退回整改',
  'deadline-passed': '整改期限已过',
  escalated: '升级督办',
  'escalation-held': '升级暂缓（待核查）',
  'notice-failed': '函件发送失败',
  'similar-reported': '报告举一反三',
};
const actorWords: Record<string, string> = {
  office: '大气办',
  supervisor: '检查组',
  assignee: '责任单位',
  system: '系统',
};

const kb = (bytes: number) => `${Math.ceil(bytes / 1024)} KB`;

/** Problems listed on the ledger page; the rest are reached by a filter or the export. */
const PAGE_ROWS = 200;

const send = (reply: FastifyReply, req: FastifyRequest, title: string, body: Html) =>
  reply
    .type('text/html; charset=utf-8')
    .send(layout(title, req.user, body, req.csrfToken, { path: req.url.split('?')[0] }));

const pageQuery = z.object({
  campaign: z.string().optional(),
  season: z
    .string()
    .regex(/^\d{4}$/)
    .optional(),
  assignee: z.string().optional(),
  state: z.enum(ledgerFilters).optional(),
});

function ledgerPage(l: Ledger, q: z.infer<typeof pageQuery>, season: number, inspects: boolean): Html {
  const link = (extra: Record<string, string | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ campaign: q.campaign, season: String(season), ...extra })) if (v) p.set(k, v);
    return `/problems?${p.toString()}`;
  };
  const row = (r: LedgerRow, org?: string) =>
    html`<tr><th scope="row">${org ? html`<a href="${link({ assignee: org })}">${r.name}</a>` : r.name}</th><td class="num">${r.total}</td><td class="num">${r.open ? html`<a href="${link({ assignee: org, state: '未销号' })}">${r.open}</a>` : '0'}</td>${ledgerStates.map(
      (s) =>
        html`<td class="num">${r.byState[s] ? html`<a href="${link({ assignee: org, state: s })}" data-state="${s}">${r.byState[s]}</a>` : '0'}</td>`,
    )}<td class="num">${r.rebounds}</td><td class="num">${r.similar}</td><td class="num">${r.carriedOver}</td></tr>`;
  const exportQuery = new URLSearchParams(
    Object.entries({ campaign: q.campaign, season: String(season), assignee: q.assignee, state: q.state }).filter(
      (e): e is [string, string] => !!e[1],
    ),
  ).toString();
  return html`<form method="get" action="/problems" class="filters"><label>秋冬季 <input name="season" value="${season}" inputmode="numeric" pattern="\\d{4}" size="5"></label>${q.assignee ? html`<input type="hidden" name="assignee" value="${q.assignee}">` : ''}<button type="submit">查看</button> <a href="/problems?season=${season}">全部</a></form>
<p>${inspects ? html`<a href="/problems/new">登记问题</a> · ` : ''}导出：<a href="/api/problems?${exportQuery}&amp;format=xlsx">Excel</a> · <a href="/api/problems?${exportQuery}&amp;format=csv">CSV</a></p>
<table class="ledger"><caption>${seasonLabel(season)}问题台账（含以前秋冬季未销号的遗留问题）</caption><thead><tr><th scope="col">责任单位</th><th scope="col" class="num">问题数</th><th scope="col" class="num">未销号</th>${ledgerStates.map((s) => html`<th scope="col" class="num">${s}</th>`)}<th scope="col" class="num">反弹</th><th scope="col" class="num">举一反三</th><th scope="col" class="num">遗留</th></tr></thead>
<tbody>${l.cities.map((c) => row(c, c.org))}</tbody><tfoot>${row(l.region)}</tfoot></table>
<h2>问题清单${q.state ? `（${q.state}）` : ''}</h2>
${l.problems.length > PAGE_ROWS ? html`<p>共 ${l.problems.length} 个问题，按未销号在前、发现早的在前显示前 ${PAGE_ROWS} 个；按责任单位或状态筛选，或导出查看全部。</p>` : ''}
${
  l.problems.length
    ? html`<table class="problems"><thead><tr><th scope="col">问题编号</th><th scope="col">责任单位</th><th scope="col">点位或企业</th><th scope="col">类别</th><th scope="col">发现日期</th><th scope="col">整改期限</th><th scope="col">状态</th></tr></thead><tbody>${l.problems
        .slice(0, PAGE_ROWS)
        .map(
          (p) =>
            html`<tr><td><a href="/problems/${encodeURIComponent(p.workflowId)}">${p.number}</a></td><td>${p.assignee.name}</td><td>${p.site}</td><td>${p.category}</td><td>${p.foundDate}</td><td>${p.dueDate ?? '—'}</td><td>${p.state}${p.carriedOver ? '（遗留）' : ''}${p.rebound ? '（反弹）' : ''}${p.level ? `（督办 ${p.level} 级）` : ''}</td></tr>`,
        )}</tbody></table>`
    : html`<p>没有问题。</p>`
}`;
}

function problemPage(
  r: ProblemRecord,
  can: { inspects: boolean; city: boolean },
  csrf: string,
  teamName: (id: string) => string,
): Html {
  // Who acted, as a reader knows them: a team by its name, the city by its name, then the person.
  const who = (a: ProblemRecord['timeline'][number]['actor']) =>
    a.role === 'system'
      ? actorWords.system
      : a.role === 'supervisor' && a.org
        ? `${teamName(a.org)} ${a.id}`
        : a.role === 'assignee'
          ? `${r.assignee.name} ${a.id}`
          : `${actorWords[a.role] ?? a.role} ${a.id}`;
  const id = encodeURIComponent(r.workflowId);
  const photos = problemFiles(r).filter((f) => f.kind === 'photo');
  // A link, not an <img>: each opening is a recorded download, which a thumbnail on every view would blur.
  const fileLink = (f: { id: string; fileName: string; mediaType: string }) =>
    html`<a href="/problems/${id}/files/${f.id}" data-file="${f.id}"${INLINE_TYPES.has(f.mediaType) ? new Html(' target="_blank" rel="noopener"') : ''}>${f.fileName}</a>${f.mediaType === 'application/pdf' ? '（PDF）' : f.mediaType.startsWith('image/') ? '（图片）' : ''}`;
  const forms: Html[] = [];
  if (can.inspects && r.state === '排查')
    forms.push(
      html`<form method="post" action="/problems/${id}/assign" class="action">${csrfField(csrf)}<h3>交办</h3><label>整改期限（${r.rule.type === '立行立改' ? `立行立改，默认 ${r.rule.workingDays} 个工作日` : '限期整改'}） <input type="date" name="dueDate"></label><label>交办意见 <textarea name="note" rows="2"></textarea></label><button type="submit">交办</button></form>`,
    );
  if (can.inspects && r.state === '待核查')
    forms.push(
      html`<form method="post" action="/problems/${id}/verify" class="action">${csrfField(csrf)}<h3>核查</h3><label>核查意见（退回时必填） <textarea name="reason" rows="2"></textarea></label><label>新的整改期限（退回时可选） <input type="date" name="dueDate"></label><button type="submit" name="decision" value="accept">核查通过，销号</button> <button type="submit" name="decision" value="reject">退回整改</button></form>`,
    );
  if (can.city && (r.state === '交办' || r.state === '整改中'))
    forms.push(
      html`<form method="post" action="/problems/${id}/plan" class="action">${csrfField(csrf)}<h3>整改方案</h3><label>整改措施 <textarea name="plan" rows="3" required>${r.plan?.text ?? ''}</textarea></label><label>计划完成日期（不晚于 ${r.dueDate ?? ''}） <input type="date" name="completeBy" required value="${r.plan?.completeBy ?? ''}"></label><button type="submit">提交整改方案</button></form>`,
    );
  if (can.city && r.state === '整改中')
    forms.push(
      html`<form method="post" action="/problems/${id}/evidence" enctype="multipart/form-data" class="action">${csrfField(csrf)}<h3>整改完成材料</h3><label>说明 <input name="note"></label><label>照片或文件 <input type="file" name="file" required accept="image/*,application/pdf"></label><button type="submit">提交，申请核查</button></form>`,
    );
  if (can.city && r.state !== '排查' && r.state !== '已销号')
    forms.push(
      html`<form method="post" action="/problems/${id}/similar" class="action">${csrfField(csrf)}<h3>举一反三</h3><label>点位或企业 <input name="site" required></label><label>问题及整改情况 <textarea name="description" rows="2" required></textarea></label><label>整改完成日期 <input type="date" name="fixedOn" required></label><button type="submit">报告</button></form>`,
    );
  return html`<dl class="facts"><dt>状态</dt><dd data-state="${r.state}">${r.state}${r.overdue ? '（逾期）' : ''}${r.level ? `，督办 ${r.level} 级` : ''}</dd><dt>责任单位</dt><dd>${r.assignee.name}</dd><dt>点位或企业</dt><dd>${r.site.name}${r.site.creditCode ? `（${r.site.creditCode}）` : ''}</dd><dt>类别</dt><dd>${r.category}（${r.rule.type}）</dd><dt>问题描述</dt><dd>${r.description}</dd><dt>发现</dt><dd>${r.foundDate}，${r.team}</dd><dt>整改期限</dt><dd>${r.dueDate ?? '未交办'}</dd>${r.plan ? html`<dt>整改方案</dt><dd>${r.plan.text}（计划 ${r.plan.completeBy} 完成）</dd>` : ''}${r.reboundOf ? html`<dt>反弹</dt><dd>此前问题 <a href="/problems/${encodeURIComponent(r.reboundOf.workflowId)}">${r.reboundOf.number}</a> 于 ${shanghai(r.reboundOf.closedAt)} 销号后再次发现</dd>` : ''}</dl>
${photos.length ? html`<h2>现场照片</h2><ul class="photos">${photos.map((p) => html`<li>${fileLink(p)}（${kb(p.size)}）</li>`)}</ul>` : ''}
${r.evidence.length ? html`<h2>整改材料</h2><ul class="evidence">${r.evidence.map((e) => html`<li>${fileLink({ id: e.id, fileName: e.fileName, mediaType: e.mediaType })}（${e.state === 'accepted' ? '已通过' : e.state === 'rejected' ? '已退回' : '待核查'}，${shanghai(e.at)}）</li>`)}</ul>` : ''}
${r.similar?.length ? html`<h2>举一反三（${r.similar.length}）</h2><ul>${r.similar.map((s) => html`<li>${s.site}：${s.description}（${s.fixedOn} 完成）</li>`)}</ul>` : ''}
${forms}
<h2>处理记录</h2><ol class="timeline">${r.timeline.map(
    (e) =>
      html`<li><time>${shanghai(e.at)}</time> <b>${eventWords[e.type] ?? e.type}</b>${e.step ? ` ${e.step}` : ''} · ${who(e.actor)}${e.reason ? html`：${e.reason}` : ''}${e.dueDate ? `（期限 ${e.dueDate}）` : ''}</li>`,
  )}</ol>`;
}

function recordForm(d: WebDeps, csrf: string, orgs: { code: string; name: string }[], categories: string[]): Html {
  const campaigns = [...d.policies.campaigns.values()];
  return html`<form method="post" action="/problems" enctype="multipart/form-data" class="action">${csrfField(csrf)}
<label>行动方案 <select name="campaign">${campaigns.map((c) => html`<option value="${c.id}">${c.title}</option>`)}</select></label>
<label>秋冬季 <input name="season" required inputmode="numeric" pattern="\\d{4}" value="${currentSeason()}"></label>
<label>问题编号 <input name="number" required></label>
<label>责任单位 <select name="assignee">${orgs.map((o) => html`<option value="${o.code}">${o.name}</option>`)}</select></label>
<label>点位或企业 <input name="site" required></label>
<label>统一社会信用代码（可选） <input name="creditCode"></label>
<label>类别 <select name="category">${categories.map((c) => html`<option>${c}</option>`)}</select></label>
<label>问题描述 <textarea name="description" rows="3" required></textarea></label>
<label>发现日期 <input type="date" name="foundDate" required></label>
<label>现场照片（可选） <input type="file" name="file" accept="image/*,application/pdf"></label>
<button type="submit">登记</button></form>`;
}

const form = (req: FastifyRequest) => (req.body ?? {}) as Record<string, string | undefined>;
const text = (v: string | undefined) => (v === undefined ? undefined : cleanText(v) || undefined);
const date = (v: string | undefined) => {
  if (!v) return undefined;
  if (!isLocalDate(v)) throw new HttpError(400, `日期 ${v} 无效`, 'bad_request');
  return v;
};

export function registerProblemPages(app: FastifyInstance, d: WebDeps) {
  const svc = problemService(d);
  const hide = { schema: { hide: true } };
  const back = (reply: FastifyReply, id: string) => reply.redirect(`/problems/${encodeURIComponent(id)}`, 303);

  app.get('/problems', hide, async (req, reply) => {
    const q = pageQuery.parse(req.query);
    const season = q.season ? Number(q.season) : currentSeason();
    const ledger = await svc.ledgerFor(req, { ...q, season });
    return send(reply, req, '问题台账', ledgerPage(ledger, q, season, svc.scopeOf(req).inspects));
  });

  app.get('/problems/new', hide, async (req, reply) => {
    const scope = svc.scopeOf(req);
    svc.inspector(scope);
    const orgs = [...d.policies.organisations.values()]
      .filter((o) => o.kind === 'city' && svc.sees(scope, o.code))
      .map((o) => ({ code: o.code, name: o.name }));
    return send(
      reply,
      req,
      '登记问题',
      recordForm(
        d,
        req.csrfToken ?? '',
        orgs,
        svc.problemPolicy().categories.map((c) => c.name),
      ),
    );
  });

  app.get('/problems/:id', hide, async (req, reply) => {
    const { rec, scope } = await svc.scoped(req, (req.params as { id: string }).id);
    return send(
      reply,
      req,
      `问题 ${rec.number} · ${rec.assignee.name}`,
      problemPage(
        rec,
        { inspects: scope.inspects, city: scope.city === rec.assignee.code },
        req.csrfToken ?? '',
        svc.teamName,
      ),
    );
  });

  // A photo or evidence file, opened from the problem's page (scoped and recorded as in the API).
  app.get('/problems/:id/files/:file', hide, async (req, reply) => {
    const p = req.params as { id: string; file: string };
    return sendEvidence(reply, await svc.fileOf(req, p.id, p.file, req.method !== 'HEAD'));
  });

  const actor = (req: FastifyRequest) => actorOf(req.user!);

  app.post('/problems/:id/assign', hide, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const { scope } = await svc.scoped(req, id);
    svc.inspector(scope);
    const f = form(req);
    const dueDate = date(f.dueDate);
    const note = text(f.note);
    await svc.change(id, () =>
      assign(d.client, id, actor(req), { ...(dueDate ? { dueDate } : {}), ...(note ? { note } : {}) }),
    );
    return back(reply, id);
  });

  app.post('/problems/:id/plan', hide, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const { rec, scope } = await svc.scoped(req, id);
    svc.city(scope, rec);
    const f = form(req);
    const plan = text(f.plan);
    const completeBy = date(f.completeBy);
    if (!plan || !completeBy) throw new HttpError(400, '请填写整改措施和计划完成日期', 'bad_request');
    await svc.change(id, () => submitPlan(d.client, id, actor(req), plan, completeBy));
    return back(reply, id);
  });

  app.post('/problems/:id/verify', hide, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const { scope } = await svc.scoped(req, id);
    svc.inspector(scope);
    const f = form(req);
    const decision = f.decision === 'accept' ? 'accept' : f.decision === 'reject' ? 'reject' : undefined;
    if (!decision) throw new HttpError(400, '请选择核查通过或退回整改', 'bad_request');
    const reason = text(f.reason);
    if (decision === 'reject' && !reason) throw new HttpError(400, '退回整改须填写核查意见', 'bad_request');
    const dueDate = decision === 'reject' ? date(f.dueDate) : undefined;
    await svc.change(id, () =>
      verify(d.client, id, actor(req), { decision, ...(reason ? { reason } : {}), ...(dueDate ? { dueDate } : {}) }),
    );
    return back(reply, id);
  });

  app.post('/problems/:id/similar', hide, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const { rec, scope } = await svc.scoped(req, id);
    svc.city(scope, rec);
    const f = form(req);
    const site = text(f.site);
    const description = text(f.description);
    const fixedOn = date(f.fixedOn);
    if (!site || !description || !fixedOn) throw new HttpError(400, '请填写点位、整改情况和完成日期', 'bad_request');
    await svc.change(id, () => reportSimilar(d.client, id, actor(req), [{ site, description, fixedOn }]));
    return back(reply, id);
  });
}

/** The evidence form's upload (multipart): stored and submitted, then back to the problem's page. */
export function registerProblemPageUploads(app: FastifyInstance, d: WebDeps) {
  app.post('/problems', { schema: { hide: true }, config: { csrfInBody: true } }, async (req, reply) => {
    const svc = problemService(d);
    const { fields: f, stored } = await readMultipart(
      d,
      req,
      ['campaign', 'season', 'number', 'assignee', 'site', 'creditCode', 'category', 'description', 'foundDate'],
      false,
    );
    const b = recordBody.parse({
      campaign: f.campaign,
      season: Number(f.season),
      number: text(f.number),
      assignee: f.assignee,
      site: text(f.site),
      ...(text(f.creditCode) ? { creditCode: text(f.creditCode) } : {}),
      category: f.category,
      description: text(f.description),
      foundDate: f.foundDate,
    });
    const photo = stored && {
      sha256: stored.sha256,
      size: stored.size,
      fileName: stored.fileName,
      mediaType: stored.mediaType,
    };
    const { workflowId } = await svc.recordOne(req, b, photo ? [photo] : []).catch(async (e: unknown) => {
      if (stored && !stored.existed) await d.stores.evidence.remove(stored.sha256).catch(() => undefined);
      throw e;
    });
    return reply.redirect(`/problems/${encodeURIComponent(workflowId)}`, 303);
  });

  app.post('/problems/:id/evidence', { schema: { hide: true }, config: { csrfInBody: true } }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    await receiveProblemEvidence(d, req, id);
    return reply.redirect(`/problems/${encodeURIComponent(id)}`, 303);
  });
}
