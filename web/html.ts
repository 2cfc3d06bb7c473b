// Server-rendered pages in Chinese: one layout, escaping by default (`html` tagged template),
// and the labels of statuses, timeline events and levels in one place.
import type { User } from '../auth/users';
import { systemReason } from '../i18n/reasons';
import { statusWords } from '../i18n/messages';

export class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

export const esc = (v: unknown): string =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const part = (v: unknown): string =>
  v instanceof Html
    ? v.value
    : Array.isArray(v)
      ? v.map(part).join('')
      : v === undefined || v === null || v === false
        ? ''
        : esc(v);

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => (out += part(v) + strings[i + 1]));
  return new Html(out);
}

/** Obligation statuses in Chinese, from the catalogue (i18n/messages.ts). */
export const statusLabel: Record<string, string> = Object.fromEntries(
  Object.entries(statusWords).map(([k, w]) => [k, w.zh]),
);

export const eventLabel: Record<string, string> = {
  launched: '任务下达',
  'reminder-sent': '发送提醒',
  'reminder-skipped': '提醒跳过',
  'deadline-passed': '截止期限已过',
  escalated: '升级督办',
  'escalation-skipped': '升级跳过',
  'escalation-held': '升级暂缓（待审核）',
  'evidence-submitted': '提交佐证材料',
  'evidence-accepted': '材料审核通过',
  'evidence-rejected': '材料被退回',
  extended: '延期',
  'due-date-corrected': '更正截止日期',
  waived: '豁免',
  met: '完成',
  'closed-unmet': '关闭（未完成）',
  'notice-failed': '通知投递失败',
  'pace-checked': '序时进度检查',
  'pace-warning': '序时进度预警',
  replanned: '按节假日安排重新规划',
};

/**
 * The system's own timeline reasons (written in English by the workflow, and kept so in its
 * record and the API) as the zh-CN pages show them, through the catalogue (i18n/reasons.ts); a
 * reason no rule knows is shown as it is.
 */
export const systemReasonCn = (reason: string): string => systemReason(reason);

export const levelLabel = (n: number | undefined): string =>
  ['无', '督促', '预警通知函', '公开约谈', '问责/区域环评限批'][n ?? 0] ?? `第${n}级`;

export const roleLabel: Record<string, string> = {
  office: '办公室',
  assignee: '责任单位',
  supervisor: '监督',
  team: '检查组',
  system: '系统',
};

/** YYYY-MM-DD HH:mm in Shanghai time from an ISO instant. */
/** A season as people say it: 2026–2027年秋冬季. */
export const seasonLabel = (season: number) => `${season}–${season + 1}年秋冬季`;

export function shanghai(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(Date.parse(iso) + 8 * 3600_000);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

/** Each role's pages in the header, in the order of its work. */
const navFor: Record<string, [href: string, label: string][]> = {
  assignee: [
    ['/inbox', '待办'],
    ['/problems', '问题台账'],
  ],
  office: [
    ['/campaigns', '行动方案'],
    ['/review', '审核队列'],
    ['/overview', '责任单位概览'],
    ['/obligations', '任务列表'],
    ['/letters', '待签收函件'],
    ['/problems', '问题台账'],
  ],
  team: [['/problems', '问题台账']],
  supervisor: [
    ['/scoreboard', '记分板'],
    ['/problems', '问题台账'],
    ['/obligations', '任务列表'],
    ['/letters', '待签收函件'],
  ],
};

/** The nav entry a path belongs to: its own page or one under it; an assignee's obligations are its 待办. */
function currentNav(role: string, path: string): string | undefined {
  const p = path.split('?')[0];
  const hit = navFor[role]?.find(([href]) => p === href || p.startsWith(`${href}/`) || p.startsWith(`${href}.`));
  if (hit) return hit[0];
  return role === 'assignee' && p.startsWith('/obligations/') ? '/inbox' : undefined;
}

/**
 * Every table gets a box of its own that scrolls when the table is wider than the window, so the
 * page itself never scrolls sideways. Done here, on markup the app generated, so that every page
 * gets it the same way (number columns are aligned by the page script, web/assets.ts).
 */
function finish(body: string): string {
  return body.replace(/<table\b/g, '<div class="table-wrap"><table').replace(/<\/table>/g, '</table></div>');
}

export interface LayoutOptions {
  /** The request's path, to mark the current page in the nav. */
  path?: string;
  /** The page writes its own heading and main layout (the login page). */
  own?: 'login';
}

export function layout(
  title: string,
  user: (User & { orgName?: string }) | undefined,
  body: Html,
  csrf?: string,
  opts: LayoutOptions = {},
): string {
  const current = user ? currentNav(user.role, opts.path ?? '') : undefined;
  const links = user ? (navFor[user.role] ?? []) : [];
  const nav = links.length
    ? html`<nav aria-label="主导航">${links.map(
        ([href, label]) =>
          html`<a href="${href}"${href === current ? new Html(' aria-current="page"') : ''}>${label}</a>`,
      )}</nav>`
    : '';
  const me = user
    ? html`<span class="me">${user.org ? `${user.orgName ?? user.org} · ` : ''}${roleLabel[user.role]} <span class="who">${user.name}</span></span><form method="post" action="/logout"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">退出</button></form>`
    : '';
  const brand = html`<a class="brand" href="/"><b>蓝天</b><small>秋冬季攻坚督办系统</small></a>`;
  // The skip link lands on the page's heading; a page with its own layout (login) has no nav to skip.
  const heading = opts.own ? '' : `<h1 id="content" tabindex="-1">${esc(title)}</h1>`;
  const skip = opts.own ? '' : '<a class="skip" href="#content">跳到正文</a>';
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · 蓝天</title><link rel="stylesheet" href="/static/lantian.css"><script src="/static/lantian.js" defer></script></head><body>
${skip}
<header class="top">${brand.value}${part(nav)}${part(me)}</header>
<main${opts.own ? ` class="${opts.own}"` : ''}>${heading}${finish(body.value)}</main></body></html>`;
}

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}
