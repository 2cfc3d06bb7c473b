// The scoreboard a leading group puts on the wall: one row per organisation with its 三色 pace
// colour, a totals row, columns sorted by the reader's choice (links, no script), a bar chart of
// overdue obligations by organisation drawn as SVG on the server, and the letters the coming week
// will send; beside the obligations, each city's problems open and overdue on the problem ledger
// (问题台账), each a link to those problems. Pure functions of the app's copy of visibility, the
// ledger's counts and the loaded policies.
import { z } from 'zod';
import { DateTime } from 'luxon';
import type { ObligationSummary } from '../client/obligations';
import { DEFAULT_PACE, type PaceColour } from '../domain/pace';
import { computeSchedule } from '../domain/schedule';
import type { WorkingCalendar } from '../domain/calendar';
import type { PolicySet } from '../planner/load';
import { resolveCampaign, type PlanRow } from '../planner/resolve';
import { stepLabels } from '../notices/context';
import { html, Html, levelLabel } from './html';

const closed = new Set(['met', 'met-late', 'waived', 'unmet']);

export interface BoardRow {
  org: string;
  name: string;
  province?: string;
  total: number;
  metOnTime: number;
  metLate: number;
  open: number;
  overdue: number;
  waived: number;
  unmet: number;
  highestLevel: number;
  /** Obligations whose due date has passed (waived ones aside): what pace is measured against. */
  due: number;
  /** Obligations behind (overdue, or closed unmet) that have climbed at least one escalation step. */
  escalated: number;
  /** The highest level among obligations still open (a closed one's letters are history). */
  openLevel: number;
  pace: PaceColour;
  /** Problems found on inspection not yet closed (销号), from the problem ledger. */
  problemsOpen: number;
  /** Of those, the ones past their rectification deadline (the ledger's 逾期). */
  problemsOverdue: number;
}

/** A city's problems on the ledger, as the scoreboard counts them. */
export interface ProblemCounts {
  org: string;
  name: string;
  province?: string;
  open: number;
  overdue: number;
}

export const paceNames: Record<PaceColour, string> = { green: '绿', yellow: '黄', red: '红' };
const paceRank: Record<PaceColour, number> = { green: 0, yellow: 1, red: 2 };

/**
 * 三色 by pace: green when nothing due is overdue or closed unmet; red when more than the pace
 * settings' red share of what is due is behind, or an open obligation has reached a warning
 * letter; yellow in between. An organisation with one late report is not painted like one
 * that has been sent a 预警通知函.
 */
export function paceOf(r: Pick<BoardRow, 'overdue' | 'unmet' | 'due' | 'openLevel'>): PaceColour {
  const behind = r.overdue + r.unmet;
  if (!behind) return 'green';
  const share = r.due ? behind / r.due : 1;
  return share > DEFAULT_PACE.redBehind || r.openLevel >= 2 ? 'red' : 'yellow';
}

export const sortKeys = [
  'pace',
  'name',
  'total',
  'metOnTime',
  'metLate',
  'open',
  'overdue',
  'escalated',
  'unmet',
  'waived',
  'highestLevel',
  'problemsOpen',
  'problemsOverdue',
] as const;
export type SortKey = (typeof sortKeys)[number];
export const boardSort = z.object({
  sort: z.enum(sortKeys).optional(),
  dir: z.enum(['asc', 'desc']).optional(),
});
export type BoardSort = z.infer<typeof boardSort>;

/** The columns in order, with their Chinese headings (the page, the export). */
export const columns: { key: SortKey; label: string }[] = [
  { key: 'name', label: '责任单位' },
  { key: 'pace', label: '进度' },
  { key: 'total', label: '任务数' },
  { key: 'metOnTime', label: '按期完成' },
  { key: 'metLate', label: '逾期完成' },
  { key: 'open', label: '进行中' },
  { key: 'overdue', label: '已逾期' },
  { key: 'escalated', label: '其中已督办' },
  { key: 'unmet', label: '未完成关闭' },
  { key: 'waived', label: '豁免' },
  { key: 'highestLevel', label: '最高督办级别' },
  { key: 'problemsOpen', label: '问题（在办）' },
  { key: 'problemsOverdue', label: '问题逾期' },
];

/** A row with nothing counted yet; a literal of fixed shape, since it is counted into thousands of times per request. */
function emptyRow(org: string, name: string, province: string | undefined): Omit<BoardRow, 'pace'> {
  return {
    org,
    name,
    province,
    total: 0,
    metOnTime: 0,
    metLate: 0,
    open: 0,
    overdue: 0,
    waived: 0,
    unmet: 0,
    highestLevel: 0,
    due: 0,
    escalated: 0,
    openLevel: 0,
    problemsOpen: 0,
    problemsOverdue: 0,
  };
}

/**
 * One row per organisation with obligations among `rows`, each with its problems from `problems`;
 * a city with problems and none of these obligations gets a row of its own when `problemRows`
 * (not when the view is narrowed to some obligations, a status or a level).
 */
export function boardRows(
  rows: ObligationSummary[],
  orgName: (code: string) => string | undefined,
  now = Date.now(),
  problems: ProblemCounts[] = [],
  problemRows = true,
): BoardRow[] {
  // One pass over thousands of rows per request: deadlines are compared as UTC ISO strings
  // (visibility writes them so), which costs a fraction of parsing each.
  const nowIso = new Date(now).toISOString();
  const by = new Map<string, Omit<BoardRow, 'pace'>>();
  for (const r of rows) {
    const org = r.assignee ?? '?';
    let s = by.get(org);
    if (!s) {
      s = emptyRow(org, orgName(org) ?? org, r.province);
      by.set(org, s);
    }
    const level = r.level ?? 0;
    s.total++;
    if (r.status === 'met') s.metOnTime++;
    else if (r.status === 'met-late') s.metLate++;
    else if (r.status === 'overdue') s.overdue++;
    else if (r.status === 'waived') s.waived++;
    else if (r.status === 'unmet') s.unmet++;
    else s.open++;
    s.highestLevel = Math.max(s.highestLevel, level);
    if (
      r.status !== 'waived' &&
      ((r.deadline !== undefined && r.deadline <= nowIso) || r.status === 'overdue' || r.status === 'unmet')
    )
      s.due++;
    if ((r.status === 'overdue' || r.status === 'unmet') && level >= 1) s.escalated++;
    if (!closed.has(r.status ?? '')) s.openLevel = Math.max(s.openLevel, level);
  }
  for (const p of problems) {
    let s = by.get(p.org);
    if (!s) {
      if (!problemRows) continue;
      s = emptyRow(p.org, orgName(p.org) ?? p.name, p.province);
      by.set(p.org, s);
    }
    s.problemsOpen += p.open;
    s.problemsOverdue += p.overdue;
  }
  return [...by.values()].map((s) => ({ ...s, pace: paceOf(s) }));
}

/** Who is behind first (red, then the larger share behind, then level); or the column asked for. */
export function sortBoard(rows: BoardRow[], s: BoardSort = {}): BoardRow[] {
  const key = s.sort ?? 'pace';
  const dir = s.dir ?? (key === 'name' ? 'asc' : 'desc');
  const sign = dir === 'asc' ? 1 : -1;
  const behind = (r: BoardRow) => (r.due ? (r.overdue + r.unmet) / r.due : r.overdue + r.unmet ? 1 : 0);
  const by = (a: BoardRow, b: BoardRow): number => {
    if (key === 'name') return a.name.localeCompare(b.name, 'zh-CN');
    if (key === 'pace') return paceRank[a.pace] - paceRank[b.pace] || behind(a) - behind(b);
    return a[key] - b[key];
  };
  return [...rows].sort(
    (a, b) =>
      sign * by(a, b) ||
      b.overdue + b.unmet - (a.overdue + a.unmet) ||
      b.highestLevel - a.highestLevel ||
      a.org.localeCompare(b.org),
  );
}

/** The totals row: each count summed, the highest level the highest, the colour judged on the sums. */
export function totals(rows: BoardRow[]): BoardRow {
  const sum = (k: keyof BoardRow) => rows.reduce((n, r) => n + (r[k] as number), 0);
  const t = {
    org: '',
    name: '合计',
    total: sum('total'),
    metOnTime: sum('metOnTime'),
    metLate: sum('metLate'),
    open: sum('open'),
    overdue: sum('overdue'),
    waived: sum('waived'),
    unmet: sum('unmet'),
    highestLevel: Math.max(0, ...rows.map((r) => r.highestLevel)),
    due: sum('due'),
    escalated: sum('escalated'),
    openLevel: Math.max(0, ...rows.map((r) => r.openLevel)),
    problemsOpen: sum('problemsOpen'),
    problemsOverdue: sum('problemsOverdue'),
  };
  return { ...t, pace: paceOf(t) };
}

const qs = (o: Record<string, string | number | undefined>) =>
  new URLSearchParams(
    Object.entries(o).flatMap(([k, v]): [string, string][] => (v === undefined || v === '' ? [] : [[k, String(v)]])),
  ).toString();

/**
 * The table: headings that sort (a second click reverses), rows coloured by pace, the totals
 * row in the footer; each organisation's name opens its list, each count the list of that status,
 * and each problem count the problem ledger of that city (the totals: of all), open or overdue.
 */
export function boardTable(
  rows: BoardRow[],
  filter: Record<string, string | number | undefined>,
  s: BoardSort,
  action: string,
): Html {
  const key = s.sort ?? 'pace';
  const dir = s.dir ?? (key === 'name' ? 'asc' : 'desc');
  const list = (org: string, status?: string) => `/obligations?${qs({ ...filter, assignee: org, status })}`;
  const head = columns.map((c) => {
    const current = c.key === key;
    const next = current ? (dir === 'asc' ? 'desc' : 'asc') : c.key === 'name' ? 'asc' : 'desc';
    const aria = current ? (dir === 'asc' ? 'ascending' : 'descending') : undefined;
    return html`<th${aria ? new Html(` aria-sort="${aria}"`) : ''}><a href="${action}?${qs({ ...filter, sort: c.key, dir: next })}">${c.label}${current ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`;
  });
  const n = (v: number, org: string, status: string) => (v && org ? html`<a href="${list(org, status)}">${v}</a>` : v);
  // The ledger's filters: its season view also holds earlier seasons' problems still open (遗留).
  const problems = (v: number, org: string, state?: string) =>
    v
      ? html`<a href="/problems?${qs({ campaign: filter.campaign, season: filter.season, assignee: org || undefined, state })}">${v}</a>`
      : v;
  const level = (l: number) => (l ? html`<span class="lvl">${l} ${levelLabel(l)}</span>` : '—');
  const cells = (r: BoardRow) =>
    html`<td class="num">${r.total}</td><td class="num">${n(r.metOnTime, r.org, 'met')}</td><td class="num">${n(r.metLate, r.org, 'met-late')}</td><td class="num">${r.open}</td><td class="num">${n(r.overdue, r.org, 'overdue')}</td><td class="num">${r.escalated}</td><td class="num">${n(r.unmet, r.org, 'unmet')}</td><td class="num">${n(r.waived, r.org, 'waived')}</td><td>${level(r.highestLevel)}</td><td class="num">${problems(r.problemsOpen, r.org, '未销号')}</td><td class="num">${problems(r.problemsOverdue, r.org, '逾期')}</td>`;
  const badge = (p: PaceColour) => html`<span class="pace pace-${p}">${paceNames[p]}</span>`;
  const t = totals(rows);
  if (!rows.length) return html`<p class="muted">没有符合条件的任务。</p>`;
  return html`<table id="scoreboard" class="board"><thead><tr>${head}</tr></thead><tbody>${rows.map(
    (r) =>
      html`<tr class="board-${r.pace}" data-org="${r.org}" data-pace="${r.pace}"><td><a href="${list(r.org)}">${r.name}</a> <span class="muted">${r.org}</span></td><td>${badge(r.pace)}</td>${cells(r)}</tr>`,
  )}</tbody><tfoot><tr class="totals" data-pace="${t.pace}"><th scope="row">合计（${rows.length} 个单位）</th><td>${badge(t.pace)}</td>${cells(t)}</tr></tfoot></table>
  <p class="muted">进度：绿，已到期任务均已完成；黄，有逾期或未完成；红，逾期或未完成超过已到期任务的 ${Math.round(DEFAULT_PACE.redBehind * 100)}%，或尚未关闭的任务已到预警通知函及以上。点击列名排序。</p>`;
}

/**
 * Obligations behind by organisation as a horizontal bar chart: one bar per organisation with
 * obligations overdue or closed unmet, a segment for each that opens the list of that status;
 * the number beside it says how many of them have been escalated.
 */
export function overdueChart(rows: BoardRow[], filter: Record<string, string | number | undefined>): Html {
  const behind = (r: BoardRow) => r.overdue + r.unmet;
  const bars = rows.filter((r) => behind(r) > 0).sort((a, b) => behind(b) - behind(a) || a.org.localeCompare(b.org));
  if (!bars.length) return html`<p class="muted" id="overdue-chart-empty">没有逾期或未完成的任务。</p>`;
  const max = Math.max(...bars.map(behind));
  const labelW = 150;
  const barW = 360;
  const rowH = 24;
  const width = labelW + barW + 150;
  const height = bars.length * rowH + 28;
  const w = (v: number) => (v ? Math.max(2, Math.round((v / max) * barW)) : 0);
  const segment = (r: BoardRow, status: 'overdue' | 'unmet', x: number, y: number, n: number) =>
    n
      ? html`<a href="/obligations?${qs({ ...filter, assignee: r.org, status })}" aria-label="${r.name}：${status === 'overdue' ? '已逾期' : '未完成关闭'} ${n} 项"><rect class="bar-${status}" data-status="${status}" x="${x}" y="${y}" width="${w(n)}" height="${rowH - 8}"><title>${r.name}：${status === 'overdue' ? '已逾期' : '未完成关闭'} ${n} 项</title></rect></a>`
      : '';
  return html`<figure class="chart"><figcaption>逾期及未完成任务（按责任单位；点击色块查看清单）</figcaption>
  <svg id="overdue-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="group" aria-label="各责任单位逾期及未完成任务数">
  ${bars.map((r, i) => {
    const y = i * rowH + 4;
    return html`<g class="bar" data-org="${r.org}" data-overdue="${r.overdue}" data-unmet="${r.unmet}" data-escalated="${r.escalated}">
    <text class="bar-label" x="${labelW - 6}" y="${y + 14}" text-anchor="end">${r.name}</text>
    ${segment(r, 'overdue', labelW, y, r.overdue)}${segment(r, 'unmet', labelW + w(r.overdue), y, r.unmet)}
    <text class="bar-value" x="${labelW + w(r.overdue) + w(r.unmet) + 6}" y="${y + 14}">${behind(r)}（已督办 ${r.escalated}）</text></g>`;
  })}
  <g class="legend"><rect class="bar-overdue" x="${labelW}" y="${height - 16}" width="12" height="12"></rect><text x="${labelW + 16}" y="${height - 6}">已逾期</text><rect class="bar-unmet" x="${labelW + 80}" y="${height - 16}" width="12" height="12"></rect><text x="${labelW + 96}" y="${height - 6}">未完成关闭</text></g>
  </svg></figure>`;
}

export interface LettersAhead {
  total: number;
  byKind: Record<string, number>;
  from: string;
  to: string;
}

const planCache = new WeakMap<PolicySet, Map<string, Map<string, PlanRow>>>();

/** The plan rows of a launched season, resolved once per loaded policy set. */
function planRows(set: PolicySet, calendar: WorkingCalendar, campaign: string, season: number) {
  let bySeason = planCache.get(set);
  if (!bySeason) planCache.set(set, (bySeason = new Map()));
  const key = `${campaign}\u0000${season}`;
  let rows = bySeason.get(key);
  if (!rows) {
    try {
      rows = new Map(resolveCampaign(set, campaign, calendar, season, true).map((r) => [r.workflowId, r]));
    } catch {
      rows = new Map();
    }
    bySeason.set(key, rows);
  }
  return rows;
}

/** Each obligation's escalation steps as planned from the due date it had when last planned. */
const stepCache = new WeakMap<
  PolicySet,
  Map<string, { deadline: string; steps: { at: number; kind: string; level: number }[] }>
>();

function stepsOf(set: PolicySet, calendar: WorkingCalendar, r: ObligationSummary & { deadline: string }) {
  let byId = stepCache.get(set);
  if (!byId) stepCache.set(set, (byId = new Map()));
  const known = byId.get(r.workflowId);
  if (known && known.deadline === r.deadline) return known.steps;
  const plan = planRows(set, calendar, r.campaign!, r.season!).get(r.workflowId);
  const dueDate = plan && DateTime.fromISO(r.deadline, { zone: plan.input.timezone }).toISODate()!;
  const steps =
    plan && dueDate
      ? computeSchedule({ ...plan.input, dueDate }, calendar).entries.flatMap((e) =>
          e.kind === 'escalation' && e.step ? [{ at: Date.parse(e.at), kind: e.step.kind, level: e.step.level }] : [],
        )
      : [];
  byId.set(r.workflowId, { deadline: r.deadline, steps });
  return steps;
}

/**
 * The escalation letters the coming `days` will send: each open obligation's ladder steps above
 * the level it has reached that fall in the window, planned from its current due date as the
 * workflow plans them (and planned again only when the due date moves). Steps follow the due
 * date, so an obligation due after the window has none in it.
 */
export function lettersAhead(
  set: PolicySet,
  calendar: WorkingCalendar,
  rows: ObligationSummary[],
  now = Date.now(),
  days = 7,
): LettersAhead {
  const end = now + days * 86_400_000;
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    if (closed.has(r.status ?? '') || !r.deadline || !r.campaign || r.season === undefined) continue;
    if (Date.parse(r.deadline) > end) continue;
    for (const step of stepsOf(set, calendar, r as ObligationSummary & { deadline: string })) {
      if (step.level <= (r.level ?? 0) || step.at < now || step.at >= end) continue;
      total++;
      byKind[step.kind] = (byKind[step.kind] ?? 0) + 1;
    }
  }
  const day = (ms: number) => DateTime.fromMillis(ms, { zone: 'Asia/Shanghai' }).toISODate()!;
  return { total, byKind, from: day(now), to: day(end - 1) };
}

export function lettersCard(l: LettersAhead): Html {
  const kinds = Object.entries(l.byKind).map(([k, n]) => `${stepLabels[k] ?? k} ${n} 件`);
  return html`<p class="card" id="letters-ahead">未来 7 天（${l.from} 至 ${l.to}，北京时间）将发出督办函件 <b>${l.total}</b> 件${kinds.length ? `：${kinds.join('，')}` : ''}（按当前截止日期和升级阶梯推算；完成、延期或豁免的任务不再发出）。</p>`;
}

/** The scoreboard's own look, appended to the app's stylesheet (web/assets.ts). */
export const scoreboardCss = `
table.board td.num{text-align:right;font-variant-numeric:tabular-nums}table.board th a{color:inherit;text-decoration:none}
table.board tr.board-green td:first-child{border-left:6px solid #52c41a}table.board tr.board-yellow td:first-child{border-left:6px solid #faad14}table.board tr.board-red td:first-child{border-left:6px solid #f5222d}
table.board tfoot th,table.board tfoot td{background:#e8eef4;font-weight:bold}
figure.chart{background:#fff;border:1px solid #d5dde5;margin:.8rem 0;padding:.6rem}figure.chart figcaption{font-weight:bold;margin-bottom:.4rem}
svg .bar-overdue{fill:#ff7875}svg .bar-unmet{fill:#a8071a}svg text{font-size:12px;fill:#1b2733}svg a:hover .bar-label{text-decoration:underline}
@media print{header,form.filters{display:none}main{max-width:none}}
`;
