// The pages, server-rendered: assignee inbox and obligation page with its upload form; the
// office's campaigns, review queue, extend/waive and overview; the supervisor's scoreboard,
// filtered lists with CSV export, and every obligation's timeline; printable letters.
import { stepLabels } from '../notices/context';
import { paceForRecord } from '../client/pace';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { letterBodyHtml } from '../notices/render';
import type { NoticeRecord, ObligationRecord, TimelineEvent } from '../domain/obligation';
import type { ObligationSummary } from '../client/obligations';
import type { User } from '../auth/users';
import { MAX_NAME_LENGTH } from '../auth/users';
import { randomSecret, safeEqual } from '../auth/secrets';
import { cleanText, stripBidi } from '../client/input';
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
  evidenceFileAs,
  sendEvidence,
  INLINE_TYPES,
  type WebDeps,
} from './actions';
import { listFor, listQuery, orgName, reloadPolicies, launch, toCsv, withDaysLeft, type ListQuery } from './api';
import { seasonChoices, type LaunchWords } from '../client/seasons';
import { reasonFrom } from './api';
import { DateTime } from 'luxon';
import { currentSeason } from '../domain/season';

/** How a refused launch names the form's own controls. */
const formWords: LaunchWords = {
  season: (n) => `秋冬季 ${n}–${n + 1}`,
  allowPast: 'tick 允许下达已结束的秋冬季',
  provisional: 'tick 按暂定日历规划',
  and: ', ',
  outside: (n, w) =>
    `秋冬季 ${n}–${n + 1} 不在可下达的范围内：可下达 ${w.from}–${w.to} 年的秋冬季（当前秋冬季 ${w.current} 之前 ${w.back} 个至之后 ${w.ahead} 个，见 LANTIAN_SEASON_WINDOW）。请检查年份是否输入有误。`,
};
import { type LaunchedSeason } from './read-model';
import { boardSort, boardTable, lettersAhead, lettersCard, overdueChart, type BoardSort } from './scoreboard';
import { scoreboardRows } from './board';
import { obligationsXlsx, scoreboardXlsx, sendXlsx } from './export';
import { confirmPage, facets, horizonOf, LaunchReports, type DateChange, type Facets } from './forms';
import { PolicyError } from '../planner/load';
import {
  html,
  layout,
  csrfField,
  esc,
  statusLabel,
  eventLabel,
  levelLabel,
  roleLabel,
  seasonLabel,
  shanghai,
  Html,
} from './html';
import { SESSION_COOKIE, refuse } from './server';
import { megabytes } from './upload';
import { sheetNames } from './sheet';
import { deliveryText, timelineReason } from '../i18n/reasons';
import { deliveryStateWords, evidenceStateWords, message } from '../i18n/messages';

const LOGIN_CSRF = 'lantian_login_csrf';

function page(reply: FastifyReply, req: FastifyRequest, d: WebDeps, title: string, body: Html) {
  return reply.type('text/html; charset=utf-8').send(layout(title, req.user, body, req.csrfToken, { path: req.url }));
}

/** A form's fields; a POST without a body (or of a type no parser reads) has none. */
const form = <T>(req: FastifyRequest): Partial<T> => (req.body && typeof req.body === 'object' ? req.body : {}) as T;

/** Secure when configured so, or when the request came over HTTPS (directly or through a trusted proxy). */
const secure = (d: WebDeps, req: FastifyRequest) => d.cookieSecure || req.protocol === 'https';

const tag = (s: string | undefined) => html`<span class="tag ${s ?? ''}">${statusLabel[s ?? ''] ?? s ?? ''}</span>`;
const days = (n: number | undefined, s: string | undefined) =>
  n === undefined || ['met', 'met-late', 'waived', 'unmet'].includes(s ?? '')
    ? ''
    : n >= 0
      ? `剩余 ${n} 天`
      : html`<span class="lvl">逾期 ${-n} 天</span>`;
const link = (id: string) => `/obligations/${encodeURIComponent(id)}`;

function home(u: User): string {
  if (u.role === 'team') return '/problems';
  return u.role === 'assignee' ? '/inbox' : u.role === 'office' ? '/review' : '/scoreboard';
}

/** What the user's obligations have: the only values a filter menu offers. */
async function offered(d: WebDeps, u: User): Promise<Facets> {
  if (u.role === 'assignee') return facets(await d.index.list({ assignee: u.org }));
  // Everyone else is offered what all obligations have: worked out once per copy of the list.
  const all = await d.index.all();
  let f = facetsOfAll.get(all);
  if (!f) facetsOfAll.set(all, (f = facets(all)));
  return f;
}
const facetsOfAll = new WeakMap<ObligationSummary[], Facets>();

function filters(q: ListQuery, action: string, u: User, d: WebDeps, launched: Facets, extra?: Html): Html {
  // The value chosen stays offered even when nothing has it (any longer).
  const campaigns = [...d.policies.campaigns.values()].filter(
    (c) => launched.campaigns.has(c.id) || q.campaign === c.id,
  );
  const provinces = [...d.policies.organisations.values()].filter(
    (o) => o.kind === 'province' && (launched.provinces.has(o.code) || q.province === o.code),
  );
  const statuses = Object.entries(statusLabel).filter(([k]) => launched.statuses.has(k) || q.status === k);
  const levels = [...Array(Math.max(launched.maxLevel, q.level ?? 0)).keys()].map((i) => i + 1);
  const opt = (v: string, label: string, cur: unknown) =>
    html`<option value="${v}" ${String(cur ?? '') === v ? new Html('selected') : ''}>${label}</option>`;
  // Two seasons of a campaign may run at once (one closing, one starting): the season tells them apart.
  const seasons = [...new Set([...launched.seasons, ...(q.season !== undefined ? [q.season] : [])])].sort(
    (a, b) => b - a,
  );
  return html`<form class="filters card" method="get" action="${action}">
    <label>行动方案<select name="campaign"><option value="">全部</option>${campaigns.map((c) => opt(c.id, c.title, q.campaign))}</select></label>
    <label>秋冬季<select name="season"><option value="">全部</option>${seasons.map((y) => opt(String(y), seasonLabel(y), q.season))}</select></label>
    ${u.role === 'assignee' ? '' : html`<label>省份<select name="province"><option value="">全部</option>${provinces.map((p) => opt(p.code, p.name, q.province))}</select></label>`}
    <label>状态<select name="status"><option value="">全部</option>${statuses.map(([k, v]) => opt(k, v, q.status))}</select></label>
    <label>督办级别（不低于）<select name="level"><option value="">全部</option>${levels.map((n) => opt(String(n), `${n} ${levelLabel(n)}`, q.level))}</select></label>
    <button>筛选</button>${extra ?? ''}</form>`;
}

/** Empty form fields are absent, not empty strings. */
function query(req: FastifyRequest): ListQuery {
  const raw = Object.fromEntries(Object.entries(req.query as Record<string, string>).filter(([, v]) => v !== ''));
  const r = listQuery.safeParse(raw);
  if (!r.success)
    throw httpRefusal(400, 'invalid_field', {
      field: r.error.issues[0]?.path.join('.') ?? 'query',
      detail: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    });
  return r.data;
}

/** The scoreboard's column and direction (web/scoreboard.ts); a value that is none is a bad request. */
function sortOf(req: FastifyRequest): BoardSort {
  const { sort, dir } = req.query as Record<string, string>;
  const r = boardSort.safeParse({ sort: sort || undefined, dir: dir || undefined });
  if (!r.success)
    throw httpRefusal(400, 'invalid_field', {
      field: r.error.issues[0]?.path.join('.') ?? 'sort',
      detail: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    });
  return r.data;
}

function qs(q: ListQuery): string {
  return new URLSearchParams(
    Object.entries(q)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
}

function obligationTable(rows: ObligationSummary[], d: WebDeps, withAssignee: boolean): Html {
  if (!rows.length) return html`<p class="muted">没有符合条件的任务。</p>`;
  const name = orgName(d);
  return html`<table><thead><tr><th>截止日期</th><th>任务</th>${withAssignee ? html`<th>责任单位</th>` : ''}<th>状态</th><th>剩余/逾期</th><th>督办级别</th></tr></thead><tbody>
  ${withDaysLeft(rows.slice(0, 500)).map(
    (r) =>
      html`<tr class="${r.status}"><td>${shanghai(r.deadline).slice(0, 10)}</td><td><a href="${link(r.workflowId)}">${title(d, r.campaign, r.obligation)}</a>${r.period ? ` (${r.period})` : ''}<br><span class="muted">${campaignLabel(d, r.campaign, r.season)}</span></td>${
        withAssignee ? html`<td>${name(r.assignee ?? '') ?? r.assignee}</td>` : ''
      }<td>${tag(r.status)}</td><td>${days(r.daysLeft, r.status)}</td><td>${r.level ? html`<span class="lvl">${r.level} ${levelLabel(r.level)}</span>` : '—'}</td></tr>`,
  )}</tbody></table>${rows.length > 500 ? html`<p class="muted">共 ${rows.length} 项，仅显示前 500 项；请筛选或导出 CSV。</p>` : ''}`;
}

/** A campaign as people name it: its Chinese title without the source plan's years, and the season as 2026–2027年秋冬季. */
export function campaignLabel(d: WebDeps, campaign?: string, season?: number): string {
  const t = d.policies.campaigns.get(campaign ?? '')?.title;
  const short = t ? t.replace(/\d{4}\s*[-–—]\s*\d{4}\s*年(秋冬季)?/, '') : (campaign ?? '');
  return season === undefined ? short : `${short} · ${seasonLabel(season)}`;
}

function title(d: WebDeps, campaign?: string, obligation?: string): string {
  return (
    d.policies.campaigns.get(campaign ?? '')?.obligations.find((o) => o.id === obligation)?.title ?? obligation ?? ''
  );
}

const noticeLabel = (kind: string) => stepLabels[kind] ?? kind;

/**
 * A notice's delivery log, one step a line: queued, sent, accepted (the server's reply), failed
 * (why). The app's own words in Chinese (i18n/reasons.ts); a mail server's reply is its own
 * words, shown as such.
 */
function deliveryLog(n: NoticeRecord): Html {
  if (!n.delivery?.length) return html``;
  const said = (text: string | undefined) => (text ? html`：${deliveryWords(text)}` : '');
  return html`<ul class="delivery muted">${n.delivery.map((d) => html`<li>${shanghai(d.at)} ${deliveryStateWords[d.state]?.zh ?? d.state}${d.attempt && d.attempt > 1 ? `（${message('delivery_attempt', { n: d.attempt })}）` : ''}${said(d.response)}${said(d.reason)}</li>`)}</ul>`;
}

/** A delivery's response or failure: the app's words in Chinese, a server's own words as code. */
function deliveryWords(text: string): Html | string {
  const t = deliveryText(text);
  return t.said !== undefined
    ? t.said
    : html`${message('delivery_server_reply', { reply: '' })} <code>${t.verbatim}</code>`;
}

/** 后续安排: what the schedule has still to do, in order, in Beijing time. */
function planAhead(rec: ObligationRecord): Html {
  const closed = ['met', 'met-late', 'waived', 'unmet'].includes(rec.status) || !!rec.closedAt;
  const ahead = closed ? [] : rec.schedule.filter((e) => !e.done).sort((a, b) => a.at.localeCompare(b.at));
  if (!ahead.length)
    return html`<h2>后续安排</h2><p class="muted">${closed ? '任务已关闭，无后续安排。' : '暂无后续安排。'}</p>`;
  const what = (e: ObligationRecord['schedule'][number]): Html | string => {
    switch (e.kind) {
      case 'reminder':
        return `到期提醒${e.offset ? `（${offsetCn(e.offset)}）` : ''}`;
      case 'deadline':
        return html`<b>截止</b>（${rec.dueDate}）`;
      case 'escalation':
        return html`<span class="lvl">${e.step ? `${stepLabels[e.step.kind] ?? e.step.kind}（督办级别 ${e.step.level} ${levelLabel(e.step.level)}）` : '督办'}</span>`;
      case 'acknowledgement': {
        const n = rec.notices.find((x) => x.key === e.notice);
        return `签收检查：如未签收则发出催签通知${n?.documentNumber ? `（${n.documentNumber}）` : ''}`;
      }
      case 'pace':
        return '序时进度检查';
      case 'close':
        return '关闭：到期未完成则记为未完成';
      default:
        return e.kind;
    }
  };
  return html`<h2>后续安排</h2><table id="plan-ahead"><thead><tr><th>时间（北京时间）</th><th>事项</th></tr></thead><tbody>${ahead.map(
    (e) => html`<tr class="plan-${e.kind}"><td>${shanghai(e.at)}</td><td>${what(e)}</td></tr>`,
  )}</tbody></table>`;
}

/** A reminder's ISO 8601 duration before the due date as people say it: P7D → 截止前 7 天. */
function offsetCn(offset: string): string {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?)?$/.exec(offset);
  const parts = m ? [m[1] && `${m[1]} 周`, m[2] && `${m[2]} 天`, m[3] && `${m[3]} 小时`].filter(Boolean).join(' ') : '';
  return parts ? `截止前 ${parts}` : offset;
}

function timeline(rec: ObligationRecord): Html {
  const ev = (
    e: TimelineEvent,
  ) => html`<li><b>${eventLabel[e.type] ?? e.type}</b> <span class="muted">${e.atLocal.slice(0, 16).replace('T', ' ')}</span>
    · ${roleLabel[e.actor.role] ?? e.actor.role} ${e.actor.id}${e.actor.org ? `（${e.actor.org}）` : ''}
    ${e.level ? html` · <span class="lvl">级别 ${e.level} ${levelLabel(e.level)}</span>` : ''}${e.evidenceId ? ` · 材料 ${e.evidenceId}` : ''}${e.dueDate ? ` · 截止 ${e.dueDate}` : ''}
    ${e.reason ? html`<br>理由：${e.type === 'notice-failed' ? deliveryWords(e.reason) : timelineReason(e)}` : ''}
    ${e.notice ? html`<br>通知：<a href="/letters/${encodeURIComponent(e.notice.key)}">${e.notice.documentNumber ? `${e.notice.documentNumber} ` : ''}${e.notice.subject}</a>` : ''}</li>`;
  return html`<ol class="timeline">${rec.timeline.map(ev)}</ol>`;
}

const paceLabels = { green: '绿（进度正常）', yellow: '黄（进度滞后）', red: '红（严重滞后或已逾期）' } as const;

/** 序时进度 of a quantitative obligation: reported against the linear (or policy) schedule. */
function paceLine(d: WebDeps, rec: ObligationRecord): Html | string {
  const p = paceForRecord(d.policies, rec, Date.now());
  if (!p) return '';
  return html`<p>序时进度：<span class="pace pace-${p.colour}">${paceLabels[p.colour]}</span> 已报 ${p.reported}，按序时应达 ${Math.round(p.expected * 100) / 100}（目标 ${p.target}）</p>`;
}

async function obligationPage(d: WebDeps, req: FastifyRequest, rec: ObligationRecord, flash?: Html): Promise<Html> {
  const u = req.user!;
  const downloads = u.role === 'assignee' ? '' : await downloadLog(d, rec);
  const csrf = d.users.csrfToken(req.sessionId ?? '');
  const i = rec.input;
  const closed = ['met', 'met-late', 'waived', 'unmet'].includes(rec.status);
  const evidence = rec.evidence.length
    ? html`<table><thead><tr><th>编号</th><th>文件</th><th>回执 sha256</th><th>大小</th><th>提交时间</th><th>数量</th><th>审核结果</th></tr></thead><tbody>${rec.evidence.map(
        (
          e,
        ) => html`<tr><td>${e.id}</td><td>${evidenceLink(rec.workflowId, e)}<br><span class="muted">${e.mediaType}</span>${preview(rec.workflowId, e)}</td><td><code>${e.sha256}</code></td><td>${e.size.toLocaleString('zh-CN')} 字节</td><td>${shanghai(e.submittedAt)}<br><span class="muted">${e.submittedBy.id}</span></td><td>${e.quantity ?? ''}</td>
          <td>${evidenceStateWords[e.state]?.zh ?? e.state}${e.reviewReason ? html`：${e.reviewReason}` : ''}${e.reviewedBy ? html`<br><span class="muted">${e.reviewedBy.id} ${shanghai(e.reviewedAt)}</span>` : ''}
          ${u.role === 'office' && e.state === 'pending' && !closed ? reviewForms(rec.workflowId, e.id, csrf) : ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">尚未提交材料。</p>`;
  const upload =
    u.role === 'assignee' && !closed
      ? html`<h2>提交佐证材料</h2><form class="card" method="post" enctype="multipart/form-data" action="${link(rec.workflowId)}/evidence">${csrfField(csrf)}
        <p><label>说明 <input name="note" size="50"></label></p>
        ${i.quantity ? html`<p><label>完成数量（${i.quantity.unit}，目标 ${i.quantity.value}）<input name="quantity" type="number" min="0" step="any" required></label></p>` : ''}
        <p><label>文件 <input type="file" name="file" required aria-describedby="file-types"></label> <span class="muted" id="file-types">PDF、图片、Office 文档、CSV 或 ZIP，不超过 ${megabytes(d.maxUploadBytes)}</span></p>
        <button>提交</button></form>`
      : '';
  const officeForms =
    u.role === 'office' && !closed
      ? html`<h2>延期或豁免</h2><div class="card">
        <form class="inline" method="post" action="${link(rec.workflowId)}/extend">${csrfField(csrf)}<label>新截止日期 <input type="date" name="dueDate" required></label><label>理由 <input name="reason" required></label><label><input type="checkbox" name="confirmed" value="true"> 确认超出下一秋冬季</label><button>延期</button></form>
        <hr><form class="inline" method="post" action="${link(rec.workflowId)}/correct">${csrfField(csrf)}<label>更正截止日期 <input type="date" name="dueDate" required></label><label>理由 <input name="reason" required placeholder="如：年份录入错误"></label><label><input type="checkbox" name="confirmed" value="true"> 确认超出下一秋冬季</label><button>更正</button></form>
        <hr><form class="inline" method="post" action="${link(rec.workflowId)}/waive">${csrfField(csrf)}<label>理由 <input name="reason" required></label><button>豁免</button></form></div>`
      : '';
  return html`${flash ?? ''}<div class="card">
    <p>${i.period ? `${i.period} ` : ''}${tag(rec.status)} ${rec.level ? html`<span class="lvl">督办级别 ${rec.level} ${levelLabel(rec.level)}</span>` : ''}</p>
    <p>责任单位：${i.assignee.name} · 行动方案：${campaignLabel(d, i.campaignId, i.season)} · 条款：${i.clause.section}${i.clause.item ?? ''}</p>
    <p>截止：${rec.dueDate}（${rec.deadlineLocal.slice(0, 16).replace('T', ' ')} 北京时间）${i.quantity ? ` · 目标 ${i.quantity.value} ${i.quantity.unit}，已认定 ${rec.accepted}` : ''}</p>
    ${rec.assumedYears?.length ? html`<p class="muted">按暂定日历规划：${rec.assumedYears.join('、')} 年尚无节假日安排，暂按周一至周五计算；节假日安排补入日历后，各步骤在到期前按其重新规划。</p>` : ''}
    ${paceLine(d, rec)}
    ${i.evidenceDescription ? html`<p class="muted">材料要求：${i.evidenceDescription}</p>` : ''}
    <details class="muted ids"><summary>详细信息</summary>任务编号（可复制）：<code>${rec.workflowId}</code> · 行动方案 <code>${i.campaignId}</code> · 责任单位代码 <code>${i.assignee.code}</code></details></div>
    <h2>佐证材料与审核</h2>${evidence}${downloads}${upload}${officeForms}
    <h2>收到的通知</h2>${rec.notices.length || rec.queuedNotices?.length ? html`<ul>${rec.notices.map((n) => html`<li><a href="/letters/${encodeURIComponent(n.key)}">${n.documentNumber ? `${n.documentNumber} ` : ''}${n.subject}</a> <span class="muted">${shanghai(n.sentAt)}</span>${receipt(n, u.role === 'assignee' && !closed ? { id: rec.workflowId, csrf } : undefined)}${deliveryLog(n)}</li>`)}${(rec.queuedNotices ?? []).map((q) => html`<li class="muted">${noticeLabel(q.kind)}：${shanghai(q.queuedAt)} 起排队待投递（邮件服务器未接收，正在重试）</li>`)}</ul>` : html`<p class="muted">暂无。</p>`}
    ${planAhead(rec)}
    <h2>时间线</h2>${timeline(rec)}`;
}

const fileUrl = (id: string, evidenceId: string) => `${link(id)}/evidence/${encodeURIComponent(evidenceId)}`;

/** The file's name, linked: opened in place (PDF, images) or downloaded under its own name. */
function evidenceLink(id: string, e: ObligationRecord['evidence'][number]): Html {
  return INLINE_TYPES.has(e.mediaType)
    ? html`<a class="evidence-file" href="${fileUrl(id, e.id)}" target="_blank" rel="noopener">${e.fileName}</a>`
    : html`<a class="evidence-file" href="${fileUrl(id, e.id)}" download="${e.fileName}">${e.fileName}</a>（下载）`;
}

/** A preview beside the decision: an image as such, a PDF in a frame; nothing for other types. */
function preview(id: string, e: ObligationRecord['evidence'][number]): Html | string {
  if (e.mediaType === 'application/pdf')
    return html`<iframe class="preview" src="${fileUrl(id, e.id)}" title="预览 ${e.fileName}"></iframe>`;
  if (e.mediaType.startsWith('image/') && INLINE_TYPES.has(e.mediaType))
    return html`<img class="preview" src="${fileUrl(id, e.id)}" alt="预览 ${e.fileName}">`;
  return '';
}

/** 下载记录: who opened which file when (the users database; office and supervisor see it). */
async function downloadLog(d: WebDeps, rec: ObligationRecord): Promise<Html> {
  const rows = await d.users.downloads(rec.workflowId);
  const name = (id: string) => rec.evidence.find((e) => e.id === id)?.fileName ?? '';
  return html`<h3>下载记录</h3>${
    rows.length
      ? html`<table id="downloads"><thead><tr><th>时间（北京时间）</th><th>材料</th><th>用户</th><th>身份</th></tr></thead><tbody>${rows.map(
          (r) =>
            html`<tr><td>${shanghai(r.at)}</td><td>${r.evidenceId} ${name(r.evidenceId)}</td><td>${r.user}</td><td>${roleLabel[r.role] ?? r.role}${r.org ? `（${orgLabel(d, r.org)}）` : ''}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">尚无下载记录。</p>`
  }`;
}

const orgLabel = (d: WebDeps, code: string) => d.policies.organisations.get(code)?.name ?? code;

/** 已下达: each campaign's launched seasons with their obligations by state, linked to the lists. */
function launchedTable(d: WebDeps, launched: LaunchedSeason[]): Html {
  if (!launched.length) return html`<h2>已下达的秋冬季</h2><p class="muted">尚未下达任何秋冬季。</p>`;
  const list = (l: LaunchedSeason, status?: string) =>
    `/obligations?${qs({ campaign: l.campaign, season: l.season, ...(status ? { status: status as ListQuery['status'] } : {}) })}`;
  const n = (l: LaunchedSeason, v: number, status?: string) => (v ? html`<a href="${list(l, status)}">${v}</a>` : '0');
  return html`<h2>已下达的秋冬季</h2><table id="launched"><thead><tr><th>行动方案</th><th>秋冬季</th><th>状态</th><th>任务数</th><th>进行中</th><th>已逾期</th><th>已完成</th><th>未完成关闭</th><th>豁免</th></tr></thead><tbody>${launched.map(
    (l) =>
      html`<tr data-campaign="${l.campaign}" data-season="${l.season}"><td>${campaignLabel(d, l.campaign)}</td><td>${seasonLabel(l.season)}</td><td><span class="tag met">已下达</span></td><td>${n(l, l.total)}</td><td>${l.open}</td><td>${n(l, l.overdue, 'overdue')}</td><td>${l.met}</td><td>${n(l, l.unmet, 'unmet')}</td><td>${n(l, l.waived, 'waived')}</td></tr>`,
  )}</tbody></table>`;
}

/** A letter's 签收: who acknowledged it when, or by when it must be (red once that has passed); the addressee's button. */
function receipt(n: ObligationRecord['notices'][number], form?: { id: string; csrf: string }): Html {
  if (!n.documentNumber) return html``;
  if (n.acknowledged)
    return html` <span class="ok">已签收（${n.acknowledged.by.id}，${shanghai(n.acknowledged.at)}）</span>`;
  const late = n.acknowledgeBy !== undefined && Date.parse(n.acknowledgeBy) < Date.now();
  const due = n.acknowledgeBy ? `应于 ${shanghai(n.acknowledgeBy)} 前签收` : '待签收';
  return html` <span class="${late ? 'err' : 'muted'}">${late ? `逾期未签收（${due}）` : due}</span>${
    form
      ? html` <form class="inline" method="post" action="${link(form.id)}/acknowledge">${csrfField(form.csrf)}<input type="hidden" name="notice" value="${n.key}"><button>签收</button></form>`
      : ''
  }`;
}

function reviewForms(id: string, evidenceId: string, csrf: string): Html {
  return html`<form class="inline" method="post" action="${link(id)}/review">${csrfField(csrf)}<input type="hidden" name="evidenceId" value="${evidenceId}"><input type="hidden" name="decision" value="accept"><input name="reason" placeholder="审核意见（可选）"><button>通过</button></form>
  <form class="inline" method="post" action="${link(id)}/review">${csrfField(csrf)}<input type="hidden" name="evidenceId" value="${evidenceId}"><input type="hidden" name="decision" value="reject"><input name="reason" placeholder="退回理由" required><button>退回</button></form>`;
}

const done = (reply: FastifyReply, id: string, message: string) =>
  reply.redirect(`${link(id)}?done=${encodeURIComponent(message)}`, 303);

export function registerPages(app: FastifyInstance, d: WebDeps, opts: { loginRatePerMinute: number }) {
  const hide = { schema: { hide: true } };

  app.get('/login', hide, async (req, reply) => {
    if (req.user) return reply.redirect(home(req.user), 303);
    // Reuse the token already set: a second GET (a favicon request redirected here) must not
    // invalidate the form the user is filling in.
    const existing = req.cookies[LOGIN_CSRF];
    const token = existing && /^[A-Za-z0-9_-]{16,64}$/.test(existing) ? existing : randomSecret(16);
    reply.setCookie(LOGIN_CSRF, token, {
      path: '/login',
      httpOnly: true,
      sameSite: 'strict',
      secure: secure(d, req),
    });
    const reason = (req.query as { reason?: string }).reason;
    // Who the system is for, beside the form: the first page anyone sees says what it is.
    return reply.type('text/html; charset=utf-8').send(
      layout(
        '登录',
        undefined,
        html`<div class="login-panel"><section class="about" aria-labelledby="about-title">
        <h1 id="about-title">蓝天</h1><p class="system">秋冬季大气污染综合治理攻坚行动 督办系统</p>
        <p>把攻坚行动方案中的每项限期任务落实到责任单位，按期提醒、逾期逐级督办。</p>
        <ul><li>领导小组办公室：下达行动方案，审核佐证材料，延期或豁免任务</li><li>责任单位：查看待办任务，提交佐证材料，签收函件</li><li>督查：查看各单位完成情况和督办记录</li></ul></section>
        <form class="card" method="post" action="/login" aria-labelledby="login-title">${csrfField(token)}<h2 id="login-title">登录</h2>
        ${reason ? html`<p class="err" role="alert" id="login-error">${reason}</p>` : ''}
        <label for="login-name">用户名<input id="login-name" name="name" autocomplete="username" required${reason ? new Html(' aria-describedby="login-error"') : ''}></label>
        <label for="login-password">密码<input id="login-password" name="password" type="password" autocomplete="current-password" required></label><button type="submit">登录</button></form></div>`,
        undefined,
        { own: 'login', path: '/login' },
      ),
    );
  });

  // A login form is small; an address may try it a limited number of times a minute; a name
  // with too many failures is locked for a while (auth/users.ts), answered 429 with Retry-After.
  app.post(
    '/login',
    {
      ...hide,
      bodyLimit: 16 * 1024,
      config: { rateLimit: { max: opts.loginRatePerMinute, timeWindow: 60_000 } },
    },
    async (req, reply) => {
      const b = form<{ name: string; password: string; _csrf: string }>(req);
      const cookieToken = req.cookies[LOGIN_CSRF];
      if (!cookieToken || typeof b._csrf !== 'string' || !safeEqual(cookieToken, b._csrf))
        return reply.redirect('/login?reason=' + encodeURIComponent('登录表单已失效（CSRF），请重试'), 303);
      const name = stripBidi(String(b.name ?? '')).trim();
      // Refused before anything is looked up or counted: no user has such a name.
      if (name.length > MAX_NAME_LENGTH)
        return reply.redirect(
          '/login?reason=' + encodeURIComponent(`用户名或密码错误（用户名不超过 ${MAX_NAME_LENGTH} 个字符）`),
          303,
        );
      const r = await d.users.login(name, String(b.password ?? ''));
      if ('refused' in r) {
        if (r.refused === 'invalid')
          return reply.redirect('/login?reason=' + encodeURIComponent('用户名或密码错误'), 303);
        reply.header('retry-after', String(r.retryAfterSeconds));
        const locked = httpRefusal(429, 'login_locked', { minutes: Math.ceil(r.retryAfterSeconds / 60) });
        return refuse(req, reply, 429, locked.message, locked.code);
      }
      const u = r.user;
      const s = await d.users.createSession(u.id, d.sessionHours * 3600_000);
      reply.clearCookie(LOGIN_CSRF, { path: '/login' });
      reply.setCookie(SESSION_COOKIE, s.cookie, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: secure(d, req),
        expires: new Date(s.expiresAt),
      });
      return reply.redirect(home(u), 303);
    },
  );

  app.post('/logout', hide, async (req, reply) => {
    if (req.sessionId) await d.users.endSession(req.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  app.get('/', hide, async (req, reply) => reply.redirect(home(req.user!), 303));

  app.get('/inbox', hide, async (req, reply) => {
    const u = req.user!;
    if (u.role !== 'assignee') return reply.redirect(home(u), 303);
    const q = query(req);
    // What is due soonest first (overdue at the top); closed obligations after the open ones.
    const isClosed = (s?: string) => ['met', 'met-late', 'waived', 'unmet'].includes(s ?? '');
    const rows = (await listFor(d, u, q)).sort(
      (a, b) =>
        Number(isClosed(a.status)) - Number(isClosed(b.status)) ||
        (a.deadline ?? '').localeCompare(b.deadline ?? '') ||
        a.workflowId.localeCompare(b.workflowId),
    );
    return page(
      reply,
      req,
      d,
      `待办任务 · ${d.policies.organisations.get(u.org!)?.name ?? u.org}`,
      html`${filters(q, '/inbox', u, d, await offered(d, u))}${obligationTable(rows, d, false)}`,
    );
  });

  app.get('/obligations', hide, async (req, reply) => {
    const u = req.user!;
    if (u.role === 'assignee') return reply.redirect('/inbox', 303);
    const q = query(req);
    const rows = await listFor(d, u, q);
    return page(
      reply,
      req,
      d,
      `任务列表（${rows.length}）`,
      html`${filters(q, '/obligations', u, d, await offered(d, u), html` <a href="/obligations.xlsx?${qs(q)}">导出 Excel</a> <a href="/obligations.csv?${qs(q)}">导出 CSV</a>`)}${obligationTable(rows, d, true)}`,
    );
  });

  app.get('/obligations.csv', hide, async (req, reply) => {
    const rows = withDaysLeft(await listFor(d, req.user!, query(req)));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="obligations.csv"')
      .send(toCsv(rows, sheetNames(d.policies)));
  });

  // The same list as .xlsx (web/export.ts), and the scoreboard's own export in the page's order.
  app.get('/obligations.xlsx', hide, async (req, reply) => {
    const q = query(req);
    const rows = withDaysLeft(await listFor(d, req.user!, q));
    return sendXlsx(reply, await obligationsXlsx(d.policies, rows, q), 'obligations.xlsx', '任务清单.xlsx');
  });

  app.get('/scoreboard.xlsx', hide, async (req, reply) => {
    requireRole(req.user!, ['office', 'supervisor'], 'read the scoreboard');
    const q = query(req);
    const rows = await scoreboardRows(d, req, q, sortOf(req));
    return sendXlsx(reply, await scoreboardXlsx(d.policies, rows, q), 'scoreboard.xlsx', '记分板.xlsx');
  });

  app.get('/obligations/:id', hide, async (req, reply) => {
    const rec = await readScoped(d, req.user!, (req.params as { id: string }).id);
    const { done: doneMsg, received } = req.query as { done?: string; received?: string };
    const got = received ? rec.evidence.find((e) => e.id === received) : undefined;
    const flash = got
      ? html`<div class="ok" id="receipt"><b>已收到材料 ${got.id}</b>：${got.fileName}（${got.mediaType}）<br>sha256 <code>${got.sha256}</code><br>大小 ${got.size.toLocaleString('zh-CN')} 字节 · 接收时间 ${shanghai(got.submittedAt)}（北京时间） · ${evidenceStateWords[got.state]?.zh ?? got.state}</div>`
      : doneMsg
        ? html`<p class="ok">${doneMsg}</p>`
        : undefined;
    return page(
      reply,
      req,
      d,
      title(d, rec.input.campaignId, rec.input.obligationId) || rec.workflowId,
      await obligationPage(d, req, rec, flash),
    );
  });

  app.get('/obligations/:id/evidence/:evidenceId', hide, async (req, reply) => {
    const p = req.params as { id: string; evidenceId: string };
    return sendEvidence(reply, await evidenceFileAs(d, req.user!, p.id, p.evidenceId, req.method !== 'HEAD'));
  });

  app.post('/obligations/:id/review', hide, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const b = form<{ evidenceId: string; decision: string; reason: string }>(req);
    if (b.decision !== 'accept' && b.decision !== 'reject') throw httpRefusal(400, 'decision_invalid', {});
    await reviewAs(d, req.user!, id, String(b.evidenceId ?? ''), b.decision, cleanText(b.reason) || undefined);
    return done(reply, id, `材料 ${b.evidenceId} 已${b.decision === 'accept' ? '通过' : '退回'}`);
  });

  /**
   * A new due date past the end of the campaign's next season is asked about first (a year typed
   * wrong would silence the obligation): the POST redirects to a page that asks, in Chinese, and
   * posts the same change again, confirmed. The workflow's validator still refuses it unconfirmed.
   */
  const askFirst = async (req: FastifyRequest, reply: FastifyReply, kind: DateChange) => {
    const id = (req.params as { id: string }).id;
    const b = form<{ dueDate: string; reason: string; confirmed?: string }>(req);
    const dueDate = String(b.dueDate ?? '');
    const reason = reasonFrom(b.reason)!;
    if (b.confirmed === 'true' || !/^\d{4}-\d{2}-\d{2}$/.test(dueDate))
      return { id, dueDate, reason, confirmed: b.confirmed === 'true' };
    const rec = await readScoped(d, req.user!, id);
    requireRole(req.user!, ['office'], kind === 'extend' ? 'extend a deadline' : 'correct a due date');
    if (dueDate <= horizonOf(rec)) return { id, dueDate, reason, confirmed: false };
    reply.redirect(`${link(id)}/${kind}?${new URLSearchParams({ dueDate, reason })}`, 303);
    return undefined;
  };
  const confirmRoute = (kind: DateChange) =>
    app.get(`/obligations/:id/${kind}`, hide, async (req, reply) => {
      const u = req.user!;
      const id = (req.params as { id: string }).id;
      const rec = await readScoped(d, u, id);
      requireRole(u, ['office'], kind === 'extend' ? 'extend a deadline' : 'correct a due date');
      const { dueDate = '', reason = '' } = req.query as { dueDate?: string; reason?: string };
      if (!/^\d{4}-\d{2}-\d{2}$/.test(dueDate))
        throw httpRefusal(400, 'invalid_field', { field: 'dueDate', detail: 'dueDate: expected YYYY-MM-DD' });
      const why = reasonFrom(reason)!;
      return page(
        reply,
        req,
        d,
        kind === 'extend' ? '确认延期' : '确认更正截止日期',
        confirmPage(rec, kind, dueDate, why, d.users.csrfToken(req.sessionId ?? ''), link(id)),
      );
    });
  confirmRoute('extend');
  confirmRoute('correct');

  app.post('/obligations/:id/extend', hide, async (req, reply) => {
    const c = await askFirst(req, reply, 'extend');
    if (!c) return reply;
    await extendAs(d, req.user!, c.id, c.dueDate, c.reason, c.confirmed);
    return done(reply, c.id, `截止日期已延至 ${c.dueDate}`);
  });

  app.post('/obligations/:id/correct', hide, async (req, reply) => {
    const c = await askFirst(req, reply, 'correct');
    if (!c) return reply;
    await correctAs(d, req.user!, c.id, c.dueDate, c.reason, c.confirmed);
    return done(reply, c.id, `截止日期已更正为 ${c.dueDate}`);
  });

  app.post('/obligations/:id/acknowledge', hide, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const letter = await acknowledgeAs(d, req.user!, id, String(form<{ notice: string }>(req).notice ?? ''));
    return done(reply, id, `已签收 ${letter.documentNumber ?? ''}`);
  });

  app.post('/obligations/:id/waive', hide, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    await waiveAs(d, req.user!, id, reasonFrom(form<{ reason: string }>(req).reason)!);
    return done(reply, id, '已豁免');
  });

  app.get('/review', hide, async (req, reply) => {
    const u = req.user!;
    requireRole(u, ['office'], 'review evidence');
    const rows = (await listFor(d, u, { status: 'submitted' })).slice(0, 100);
    const records = await Promise.all(rows.map((r) => readScoped(d, u, r.workflowId).catch(() => undefined)));
    const csrf = d.users.csrfToken(req.sessionId ?? '');
    const items = records.flatMap((rec) =>
      rec ? rec.evidence.filter((e) => e.state === 'pending').map((e) => ({ rec, e })) : [],
    );
    const letters = lettersCard(lettersAhead(d.policies, d.calendar, await d.index.all()));
    return page(
      reply,
      req,
      d,
      `审核队列（${items.length}）`,
      html`${letters}${
        items.length
          ? html`<table><thead><tr><th>提交时间</th><th>任务</th><th>责任单位</th><th>材料</th><th>审核</th></tr></thead><tbody>${items.map(
              ({
                rec,
                e,
              }) => html`<tr><td>${shanghai(e.submittedAt)}</td><td><a href="${link(rec.workflowId)}">${rec.input.title}</a>${rec.input.period ? ` (${rec.input.period})` : ''}<br><span class="muted">截止 ${rec.dueDate}</span></td><td>${rec.input.assignee.name}</td>
            <td>${e.id} ${evidenceLink(rec.workflowId, e)}${preview(rec.workflowId, e)}<br><code>${e.sha256.slice(0, 16)}…</code> ${e.size.toLocaleString('zh-CN')} 字节${e.quantity !== undefined ? ` · 数量 ${e.quantity}` : ''}${e.note ? html`<br>${e.note}` : ''}</td><td>${reviewForms(rec.workflowId, e.id, csrf)}</td></tr>`,
            )}</tbody></table>`
          : html`<p class="muted">没有待审核的材料。</p>`
      }`,
    );
  });

  // The scoreboard (web/scoreboard.ts): its filters, the chart, the table, sorted as asked.
  const board = async (req: FastifyRequest, reply: FastifyReply, titleText: string, action: string) => {
    const u = req.user!;
    requireRole(u, ['office', 'supervisor'], 'read the scoreboard');
    const q = query(req);
    const s = sortOf(req);
    const rows = await scoreboardRows(d, req, q, s);
    const keep = html`${s.sort ? html`<input type="hidden" name="sort" value="${s.sort}">` : ''}${s.dir ? html`<input type="hidden" name="dir" value="${s.dir}">` : ''}`;
    const exports = html`${keep} <a href="/scoreboard.xlsx?${qs(q)}${s.sort ? `&sort=${s.sort}` : ''}${s.dir ? `&dir=${s.dir}` : ''}">导出记分板 Excel</a> <a href="/obligations.xlsx?${qs(q)}">导出任务清单 Excel</a> <a href="/obligations.csv?${qs(q)}">导出 CSV</a>`;
    return page(
      reply,
      req,
      d,
      titleText,
      html`${filters(q, action, u, d, await offered(d, u), exports)}${u.role === 'office' ? lettersCard(lettersAhead(d.policies, d.calendar, await d.index.all())) : ''}${overdueChart(rows, q)}${boardTable(rows, q, s, action)}`,
    );
  };
  app.get('/scoreboard', hide, (req, reply) => board(req, reply, '记分板：各责任单位完成情况', '/scoreboard'));
  app.get('/overview', hide, (req, reply) => board(req, reply, '责任单位概览', '/overview'));

  app.get('/campaigns', hide, async (req, reply) => {
    const u = req.user!;
    requireRole(u, ['office'], 'launch campaigns');
    const csrf = d.users.csrfToken(req.sessionId ?? '');
    let body: Html;
    const launched = await d.index.launched();
    try {
      const set = reloadPolicies(d);
      body = html`<p class="ok">政策文件校验通过：${set.campaigns.size} 个行动方案，${set.organisations.size} 个单位（${set.dir}）。</p>
      ${launchedTable(d, launched)}
      <h2>可下达的秋冬季</h2>
      <table><thead><tr><th>行动方案</th><th>文件</th><th>下达</th></tr></thead><tbody>${[
        ...set.campaigns.values(),
      ].map((c) => {
        // The seasons around the one under way (selected) and the campaign's own; one that has ended needs the first box
        // ticked, one the holiday calendar cannot plan yet the second (a provisional calendar).
        const choices = seasonChoices(set, d.calendar, c.id, undefined, d.seasonWindow);
        const current = currentSeason(DateTime.now().setZone(c.timezone));
        const missing = choices.filter((x) => x.unplannable);
        const running = new Set(launched.filter((l) => l.campaign === c.id).map((l) => l.season));
        return html`<tr><td><b>${campaignLabel(d, c.id)}</b>${running.size ? html` <span class="tag met">已下达 ${[...running].sort().map(seasonLabel).join('、')}</span>` : ''}<br><span class="muted">${c.title}<br>${c.id} · ${c.period.start} — ${c.period.end}</span></td><td><code>${c.file}</code></td>
        <td><form class="inline" method="post" action="/campaigns/launch">${csrfField(csrf)}<input type="hidden" name="campaignId" value="${c.id}"><label>秋冬季 <select name="season">${choices.map(
          (x) =>
            html`<option value="${x.season}"${x.season === current ? new Html(' selected') : ''}>${x.season}–${x.season + 1}${running.has(x.season) ? '（已下达）' : ''}${x.ended ? '（已结束）' : ''}${x.unplannable ? '（暂定日历）' : ''}</option>`,
        )}</select></label> <label><input type="checkbox" name="allowPast" value="true"> 允许下达已结束的秋冬季（其任务将立即逾期并发出相应函件）</label>
        <label><input type="checkbox" name="provisionalCalendar" value="true"${choices.find((x) => x.season === current)?.unplannable ? new Html(' checked') : ''}> 按暂定日历规划（尚无节假日安排的年份按周一至周五计算，补入通知后各任务在每一步前重新规划）</label> <button>下达</button></form>
        ${missing.length ? html`<p class="muted">节假日安排尚未收录：${missing.map((x) => `${x.season}–${x.season + 1}（${x.unplannable!.file} 尚无 ${x.unplannable!.years.join('、')} 年）`).join('；')}</p>` : ''}</td></tr>`;
      })}</tbody></table>`;
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      body = html`<div class="err"><b>政策文件校验未通过，不能下达：</b><pre>${e.message}</pre></div>`;
    }
    return page(reply, req, d, '行动方案：校验与下达', body);
  });

  // Post/Redirect/Get: the report is kept for the page the redirect opens, so a reload of the
  // result does not post the launch again.
  const reports = new LaunchReports();
  app.post('/campaigns/launch', hide, async (req, reply) => {
    const b = form<{ campaignId: string; season: string; allowPast: string; provisionalCalendar: string }>(req);
    if (b.season && !/^\d{4}$/.test(String(b.season)))
      throw httpRefusal(422, 'season_format', { value: JSON.stringify(b.season) });
    const r = await launch(
      d,
      req.user!,
      String(b.campaignId ?? ''),
      b.season ? Number(b.season) : undefined,
      { allowPast: b.allowPast === 'true', provisionalCalendar: b.provisionalCalendar === 'true' },
      formWords,
    );
    return reply.redirect(`/campaigns/launched/${reports.put(req.user!.id, r)}`, 303);
  });

  app.get('/campaigns/launched/:key', hide, async (req, reply) => {
    requireRole(req.user!, ['office'], 'launch campaigns');
    const r = reports.get(req.user!.id, (req.params as { key: string }).key);
    if (!r) throw httpRefusal(404, 'launch_report_gone', {});
    return page(
      reply,
      req,
      d,
      '下达结果',
      html`<p class="ok" id="launch-report">${campaignLabel(d, r.campaignId, r.season)}：共 ${r.total} 项，新下达 ${r.started.length} 项，已在运行 ${r.existing.length} 项${r.changed.length ? `，政策已变更 ${r.changed.length} 项` : ''}${r.failed.length ? `，失败 ${r.failed.length} 项` : ''}。</p>
      ${r.assumedYears.length ? html`<p class="muted">按暂定日历规划：${r.assumedYears.join('、')} 年尚无节假日安排，暂按周一至周五计算；节假日安排补入日历后，各任务在每一步前按其重新规划。</p>` : ''}
      ${r.failed.length ? html`<ul class="err">${r.failed.map((f) => html`<li>${f.workflowId}: ${f.error}</li>`)}</ul>` : ''}<p><a href="/obligations?campaign=${encodeURIComponent(r.campaignId)}&amp;season=${r.season}">查看任务</a> · <a href="/campaigns">返回行动方案</a></p>`,
    );
  });

  app.get('/letters/:key', hide, async (req, reply) => {
    const key = (req.params as { key: string }).key;
    const workflowId = key.split('#')[0];
    const rec = await readScoped(d, req.user!, workflowId);
    // A reminder listed in a daily digest went out inside the digest's letter.
    const letter =
      (await d.stores.letters.read(key)) ??
      (await d.stores.letters.read(rec.notices.find((n) => n.key === key)?.letter ?? key));
    if (!letter) throw httpRefusal(404, 'letter_not_found', { notice: key });
    // The stored html is the e-mail's part, a document of its own: the page lays out the same text inside itself.
    return reply.type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(letter.subject)}</title>
<link rel="stylesheet" href="/static/letter.css"><script src="/static/lantian.js" defer></script></head>
<body><div class="bar"><a href="${esc(link(workflowId))}">← 返回任务</a> · <button type="button" data-action="print">打印</button> · ${esc(letter.documentNumber ?? '')} · 存档于 ${esc(shanghai(letter.storedAt))}</div>
<article class="letter">${letterBodyHtml(letter.subject, letter.text)}</article></body></html>`);
  });
}

/** The upload form's target: registered where multipart bodies are parsed (web/server.ts). */
export function registerPageUploads(app: FastifyInstance, d: WebDeps) {
  const hide = { schema: { hide: true } };
  app.post('/obligations/:id/evidence', { ...hide, config: { csrfInBody: true } }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const r = await uploadAs(d, req.user!, id, req, (t) => !!req.sessionId && d.users.checkCsrf(req.sessionId, t));
    // Post/Redirect/Get: the receipt is shown by the obligation page (from the record), and a
    // reload does not send the file again.
    return reply.redirect(`${link(id)}?received=${encodeURIComponent(r.receipt.evidenceId)}`, 303);
  });
}
