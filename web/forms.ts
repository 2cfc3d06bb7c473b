// What the forms need to behave: a launch's report kept for the page its redirect opens
// (Post/Redirect/Get, so a reload does not launch again), and the question an office is asked
// before moving a due date past the end of the campaign's next season.
import crypto from 'node:crypto';
import type { ObligationRecord } from '../domain/obligation';
import { html, csrfField, type Html } from './html';

/** A launch as the page reports it (the API's launch report). */
export interface LaunchReport {
  campaignId: string;
  season: number;
  total: number;
  started: string[];
  existing: string[];
  changed: { workflowId: string; reason: string }[];
  failed: { workflowId: string; error: string }[];
  assumedYears: number[];
}

/**
 * Reports of recent launches, by an unguessable key, for the user who launched: in memory, the
 * newest 200, since the page is read once right after the redirect (a restart forgets them, and
 * the campaigns page still shows every launched season).
 */
export class LaunchReports {
  private readonly reports = new Map<string, { userId: number | string; report: LaunchReport }>();

  constructor(private readonly keep = 200) {}

  put(userId: number | string, report: LaunchReport): string {
    const key = crypto.randomBytes(12).toString('base64url');
    this.reports.set(key, { userId, report });
    while (this.reports.size > this.keep) this.reports.delete(this.reports.keys().next().value!);
    return key;
  }

  get(userId: number | string, key: string): LaunchReport | undefined {
    const r = this.reports.get(key);
    return r && r.userId === userId ? r.report : undefined;
  }
}

/**
 * The last date a due date may move to without confirmation: the end of the campaign's next
 * season, as the workflow's validator computes it (workflows/state.ts `checkNewDueDate`).
 */
export function horizonOf(rec: ObligationRecord): string {
  const end = rec.input.periodEnd;
  return `${Number(end.slice(0, 4)) + 1}${end.slice(4)}`;
}

export type DateChange = 'extend' | 'correct';

/** The question, in Chinese, with the same change posted again, confirmed; or back to the obligation. */
export function confirmPage(
  rec: ObligationRecord,
  kind: DateChange,
  dueDate: string,
  reason: string,
  csrf: string,
  back: string,
): Html {
  const verb = kind === 'extend' ? '延期至' : '更正为';
  return html`<div class="err" id="confirm-horizon"><p><b>请确认：</b>新截止日期 ${dueDate} 晚于本行动方案下一秋冬季的结束日 ${horizonOf(rec)}。</p>
  <p>如果年份输入有误（例如 2100 年），该任务将长期不再提醒和督办。确定要将截止日期${verb} ${dueDate} 吗？</p>
  <p class="muted">任务：${rec.input.title}${rec.input.period ? `（${rec.input.period}）` : ''} · 责任单位：${rec.input.assignee.name} · 当前截止日期 ${rec.dueDate} · 理由：${reason}</p></div>
  <form class="inline" method="post" action="${back}/${kind}">${csrfField(csrf)}<input type="hidden" name="dueDate" value="${dueDate}"><input type="hidden" name="reason" value="${reason}"><input type="hidden" name="confirmed" value="true"><button>确认${kind === 'extend' ? '延期' : '更正'}</button></form>
  <p><a href="${back}">返回修改</a></p>`;
}

/** What the filter menus offer: only values some obligation the user may see has. */
export interface Facets {
  campaigns: Set<string>;
  seasons: number[];
  provinces: Set<string>;
  statuses: Set<string>;
  /** The highest escalation level reached (the level menu offers 1 up to it). */
  maxLevel: number;
}

export function facets(
  rows: { campaign?: string; season?: number; province?: string; status?: string; level?: number }[],
): Facets {
  const f: Facets = { campaigns: new Set(), seasons: [], provinces: new Set(), statuses: new Set(), maxLevel: 0 };
  const seasons = new Set<number>();
  for (const r of rows) {
    if (r.campaign) f.campaigns.add(r.campaign);
    if (r.season !== undefined) seasons.add(r.season);
    if (r.province) f.provinces.add(r.province);
    if (r.status) f.statuses.add(r.status);
    f.maxLevel = Math.max(f.maxLevel, r.level ?? 0);
  }
  f.seasons = [...seasons];
  return f;
}
