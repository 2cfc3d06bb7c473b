// Server-rendered pages in Chinese: one layout, escaping by default (`html` tagged template),
// and the labels of statuses, timeline events and levels in one place.
import type { User } from '../auth/users';

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

export const statusLabel: Record<string, string> = {
  open: '进行中',
  submitted: '待审核',
  overdue: '已逾期',
  met: '按期完成',
  'met-late': '逾期完成',
  waived: '已豁免',
  unmet: '未完成（已关闭）',
};

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

/** A delay as the letters write it: P15D → 15日, P1M → 1个月, 10 working days → 10个工作日. */
function delayCn(d: string): string {
  const wd = /^(\d+) working days$/.exec(d);
  if (wd) return `${wd[1]}个工作日`;
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/.exec(d);
  if (!m) return d;
  return [m[1] && `${m[1]}年`, m[2] && `${m[2]}个月`, m[3] && `${m[3]}周`, m[4] && `${m[4]}日`]
    .filter(Boolean)
    .join('');
}

const stepCn: Record<string, string> = {
  urging: '督促',
  'warning-letter': '预警通知函',
  'public-interview': '公开约谈',
  accountability: '问责/区域环评限批',
};
const colourCn: Record<string, string> = { green: '绿色（正常）', yellow: '黄色（滞后）', red: '红色（严重滞后）' };

/**
 * The system's own timeline reasons (written in English by the workflow, and kept so in its
 * record and the API) as the zh-CN pages show them; a reason no rule knows is shown as it is.
 */
const systemReasons: [RegExp, (...m: string[]) => string][] = [
  [
    /^campaign (\S+), season (\d+): due (\S+?)(?:; planned on a provisional calendar: (.+) counted Monday to Friday until its holiday notice is in the calendar)?$/,
    (c, y, d, prov) =>
      `行动方案 ${c}，${y}–${Number(y) + 1} 秋冬季：截止 ${d}${prov ? `；按暂定日历规划，${prov} 年暂按周一至周五计算，待节假日安排补入` : ''}`,
  ],
  [/^its time had passed when the obligation was launched$/, () => '任务下达时提醒时间已过'],
  [/^(.+) not acknowledged by (\S+) (\S+)$/, (n, d, t) => `${n}未在${d} ${t}前签收，已催签`],
  [/^its time had passed when the deadline moved$/, () => '截止日期调整时提醒时间已过'],
  [/^obligation is (\S+)$/, (st) => `任务已${statusLabel[st] ?? st}`],
  [
    /^planned again for (\S+), a working day already past, instead of a day off$/,
    (d) => `按节假日安排应于 ${d} 发送（已过），不在节假日补发`,
  ],
  [/^launched after it fell due; a later step supersedes it$/, () => '下达时该步骤已到期，由后续步骤取代'],
  [
    /^the holiday notice for (.+) is in the calendar now: the dates were planned again(?:; moved: (.+))?$/,
    (y, moved) =>
      `${y} 年节假日安排已补入日历，日期已重新规划${moved ? `；调整：${moved.replace(/ to /g, ' 改为 ')}` : ''}`,
  ],
  [/^the due date (\S+) ended without accepted evidence$/, (d) => `截止日期 ${d} 已过，尚无通过审核的材料`],
  [
    /^still unmet (.+) after the due date (\S+): (\S+)$/,
    (delay, d, kind) => `截止日期 ${d} 后 ${delayCn(delay)} 仍未完成：${stepCn[kind] ?? kind}`,
  ],
  [/^(P\w+) before the due date (\S+)$/, (off, d) => `截止日期 ${d} 前 ${delayCn(off)}`],
  [/^evidence awaits review$/, () => '材料待审核'],
  [/^evidence accepted$/, () => '材料审核通过'],
  [/^met after the deadline (\S+)$/, (d) => `截止日期 ${d} 后完成`],
  [/^not met by the close of the campaign \(due (\S+)\)$/, (d) => `至行动结束仍未完成（截止 ${d}）`],
  [
    /^(green|yellow|red): ([\d.]+) of ([\d.]+) (.+) expected by now \(target ([\d.]+)\)$/,
    (c, got, exp, unit, target) =>
      `${colourCn[c]}：已完成 ${got}${unit}，按序时进度应完成 ${exp}${unit}（目标 ${target}${unit}）`,
  ],
  [
    /^(?:(\S+@\S+): )?SMTP refused the notice \((\S+)\): (.*)$/,
    (addr, code, said) => `${addr ? `${addr}：` : ''}邮件服务器拒收（${code}）：${said}`,
  ],
];

export function systemReasonCn(reason: string): string {
  for (const [re, say] of systemReasons) {
    const m = re.exec(reason);
    if (m) return say(...m.slice(1));
  }
  return reason;
}

export const levelLabel = (n: number | undefined): string =>
  ['无', '督促', '预警通知函', '公开约谈', '问责/区域环评限批'][n ?? 0] ?? `第${n}级`;

export const roleLabel: Record<string, string> = {
  office: '办公室',
  assignee: '责任单位',
  supervisor: '监督',
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

export function layout(
  title: string,
  user: (User & { orgName?: string }) | undefined,
  body: Html,
  csrf?: string,
): string {
  const nav =
    user?.role === 'assignee'
      ? html`<a href="/inbox">待办</a>`
      : user?.role === 'office'
        ? html`<a href="/campaigns">行动方案</a><a href="/review">审核队列</a><a href="/overview">责任单位概览</a><a href="/obligations">任务列表</a>`
        : user?.role === 'supervisor'
          ? html`<a href="/scoreboard">记分板</a><a href="/obligations">任务列表</a>`
          : '';
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · 蓝天</title><link rel="stylesheet" href="/static/lantian.css"><script src="/static/lantian.js" defer></script></head><body>
<header><span class="brand">蓝天 · 秋冬季攻坚督办</span>${part(nav)}${
    user
      ? part(
          html`<span class="me">${user.org ? `${user.orgName ?? user.org} · ` : ''}${roleLabel[user.role]} <span class="who">${user.name}</span></span><form method="post" action="/logout"><input type="hidden" name="_csrf" value="${csrf}"><button>退出</button></form>`,
        )
      : ''
  }</header>
<main><h1>${esc(title)}</h1>${body.value}</main></body></html>`;
}

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}
