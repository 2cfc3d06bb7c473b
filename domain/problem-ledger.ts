// The problem ledger (问题台账): for each city and for the region, problems by category and by the
// state a supervisor reads (交办, 整改中, 逾期, 待核查, 已销号, 反弹), oldest open first. A problem
// stays open across seasons until 销号, so a season's view also holds the earlier seasons' open
// problems, marked 遗留 (carried over). And 反弹: the closed problem a newly found one repeats.
import { DateTime } from 'luxon';
import type { ProblemFound, ReboundLink } from './problem';
import type { LedgerItem } from './problem-memo';

export const ledgerStates = ['排查', '交办', '整改中', '逾期', '待核查', '已销号'] as const;
export type LedgerState = (typeof ledgerStates)[number];
/** What a ledger's problem list filters by: one state, or every problem not yet closed (未销号). */
export const ledgerFilters = [...ledgerStates, '未销号'] as const;
export type LedgerFilter = (typeof ledgerFilters)[number];
export const matchesFilter = (state: LedgerState, f: LedgerFilter): boolean =>
  f === '未销号' ? state !== '已销号' : state === f;

/** Where a problem stands on the ledger: overdue outranks 交办/整改中; evidence awaiting 核查 is 待核查 even when late. */
export function ledgerState(r: Pick<LedgerItem, 'state' | 'overdue'>): LedgerState {
  if (r.state === '已销号' || r.state === '待核查' || r.state === '排查') return r.state;
  return r.overdue ? '逾期' : r.state;
}

export interface LedgerEntry {
  workflowId: string;
  number: string;
  campaignId: string;
  season: number;
  assignee: { code: string; name: string };
  site: string;
  category: string;
  foundDate: string;
  dueDate?: string;
  state: LedgerState;
  level: number;
  /** From an earlier season and still open (遗留). */
  carriedOver: boolean;
  rebound: boolean;
  similar: number;
}

export interface LedgerRow {
  org: string;
  name: string;
  total: number;
  open: number;
  byState: Record<LedgerState, number>;
  /** Each category's problems and how many of them are still open. */
  byCategory: Record<string, { total: number; open: number }>;
  /** 反弹 problems (counted against the city whatever their state). */
  rebounds: number;
  /** Similar problems the city fixed on its own (举一反三). */
  similar: number;
  carriedOver: number;
}

export interface Ledger {
  season?: number;
  region: LedgerRow;
  cities: LedgerRow[];
  /** Open problems first, oldest found first; then the closed ones, most recently found first. */
  problems: LedgerEntry[];
}

const emptyRow = (org: string, name: string): LedgerRow => ({
  org,
  name,
  total: 0,
  open: 0,
  byState: Object.fromEntries(ledgerStates.map((s) => [s, 0])) as Record<LedgerState, number>,
  byCategory: {},
  rebounds: 0,
  similar: 0,
  carriedOver: 0,
});

function add(row: LedgerRow, e: LedgerEntry): void {
  const open = e.state !== '已销号';
  row.total++;
  if (open) row.open++;
  row.byState[e.state]++;
  const c = (row.byCategory[e.category] ??= { total: 0, open: 0 });
  c.total++;
  if (open) c.open++;
  if (e.rebound) row.rebounds++;
  row.similar += e.similar;
  if (e.carriedOver) row.carriedOver++;
}

export const entryOf = (r: LedgerItem, season?: number): LedgerEntry => ({
  workflowId: r.workflowId,
  number: r.number,
  campaignId: r.campaignId,
  season: r.season,
  assignee: r.assignee,
  site: r.site,
  category: r.category,
  foundDate: r.foundDate,
  ...(r.dueDate ? { dueDate: r.dueDate } : {}),
  state: ledgerState(r),
  level: r.level,
  carriedOver: season !== undefined && r.season < season && r.state !== '已销号',
  rebound: r.rebound,
  similar: r.similar,
});

/**
 * The ledger of `records` for `season` (all seasons when none): that season's problems and the
 * earlier seasons' still open. `regionName` heads the totals row.
 */
export function buildLedger(records: LedgerItem[], o: { season?: number; regionName: string }): Ledger {
  const entries = records
    .filter((r) => o.season === undefined || r.season === o.season || (r.season < o.season && r.state !== '已销号'))
    .map((r) => entryOf(r, o.season));
  const region = emptyRow('', o.regionName);
  const cities = new Map<string, LedgerRow>();
  for (const e of entries) {
    add(region, e);
    let row = cities.get(e.assignee.code);
    if (!row) cities.set(e.assignee.code, (row = emptyRow(e.assignee.code, e.assignee.name)));
    add(row, e);
  }
  const openFirst = (a: LedgerEntry, b: LedgerEntry) => {
    const ao = a.state === '已销号' ? 1 : 0;
    const bo = b.state === '已销号' ? 1 : 0;
    if (ao !== bo) return ao - bo;
    const byDate = ao ? b.foundDate.localeCompare(a.foundDate) : a.foundDate.localeCompare(b.foundDate);
    return byDate || a.number.localeCompare(b.number);
  };
  return {
    ...(o.season !== undefined ? { season: o.season } : {}),
    region,
    // The cities with the most open problems first: where a supervisor looks first.
    cities: [...cities.values()].sort((a, b) => b.open - a.open || a.org.localeCompare(b.org)),
    problems: entries.sort(openFirst),
  };
}

/** The same site: the same 统一社会信用代码 when both carry one, otherwise the same name at the same city. */
function sameSite(found: ProblemFound, r: LedgerItem): boolean {
  if (found.site.creditCode && r.creditCode) return found.site.creditCode === r.creditCode;
  return found.assignee.code === r.assignee.code && found.site.name === r.site;
}

/**
 * 反弹: the most recently closed problem at the same site whose 销号 (in `timezone`) is no more than
 * `windowDays` before this one was found; undefined when there is none.
 */
export function findRebound(
  found: ProblemFound,
  closed: LedgerItem[],
  windowDays: number,
  timezone: string,
): ReboundLink | undefined {
  const foundDay = DateTime.fromISO(found.foundDate, { zone: timezone });
  const hits = closed
    .filter((r) => r.state === '已销号' && r.closedAt && r.number !== found.number && sameSite(found, r))
    .map((r) => ({ r, closedDay: DateTime.fromISO(r.closedAt!, { zone: timezone }).startOf('day') }))
    .filter(({ closedDay }) => closedDay <= foundDay && foundDay.diff(closedDay, 'days').days <= windowDays)
    .sort((a, b) => b.closedDay.toMillis() - a.closedDay.toMillis());
  const first = hits[0]?.r;
  return first ? { workflowId: first.workflowId, number: first.number, closedAt: first.closedAt! } : undefined;
}
