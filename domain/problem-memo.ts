// What a problem workflow keeps in its memo for the ledger (问题台账). A visibility listing returns
// each workflow's memo, so a ledger of thousands of problems is read in a few pages instead of a
// query per problem. No runtime imports: the workflow bundle imports this module.
import type { ProblemInput, ProblemRecord, ProblemStateName } from './problem';

/** The memo key the ledger facts are kept under. */
export const LEDGER_MEMO_KEY = 'ledger';

/** Exactly what a ledger row needs of a problem; the workflow ID comes with the listing. */
export interface LedgerFacts {
  number: string;
  campaignId: string;
  season: number;
  assignee: { code: string; name: string };
  site: string;
  /** 统一社会信用代码, when known: a later problem at the same enterprise is a rebound (反弹). */
  creditCode?: string;
  category: string;
  foundDate: string;
  dueDate?: string;
  state: ProblemStateName;
  overdue: boolean;
  level: number;
  /** 销号: when it was closed. */
  closedAt?: string;
  rebound: boolean;
  similar: number;
}

/** A listed problem: its workflow ID and ledger facts. */
export type LedgerItem = LedgerFacts & { workflowId: string };

/** What a problem was found as, the same in its input and its record. */
type Found = Pick<ProblemRecord, 'number' | 'campaignId' | 'season' | 'assignee' | 'site' | 'category' | 'foundDate'>;

const foundFacts = (f: Found) => ({
  number: f.number,
  campaignId: f.campaignId,
  season: f.season,
  assignee: { code: f.assignee.code, name: f.assignee.name },
  site: f.site.name,
  ...(f.site.creditCode ? { creditCode: f.site.creditCode } : {}),
  category: f.category,
  foundDate: f.foundDate,
});

export function ledgerFactsOf(r: ProblemRecord): LedgerFacts {
  return {
    ...foundFacts(r),
    ...(r.dueDate ? { dueDate: r.dueDate } : {}),
    state: r.state,
    overdue: r.overdue,
    level: r.level,
    ...(r.closedAt ? { closedAt: r.closedAt } : {}),
    rebound: !!r.reboundOf,
    similar: r.similar?.length ?? 0,
  };
}

/**
 * The facts of a problem just found (排查, not yet assigned): the memo it is started with, so that
 * a listing shows it before its workflow has run a task.
 */
export function startingLedgerFacts(i: ProblemInput): LedgerFacts {
  return { ...foundFacts(i), state: '排查', overdue: false, level: 0, rebound: !!i.reboundOf, similar: 0 };
}

export const ledgerItemOf = (r: ProblemRecord): LedgerItem => ({ workflowId: r.workflowId, ...ledgerFactsOf(r) });
