// What a problem workflow keeps in its memo for the ledger (问题台账). A visibility listing returns
// each workflow's memo, so a ledger of thousands of problems is read in a few pages instead of a
// query per problem. No runtime imports: the workflow bundle imports this module.
import type { ProblemRecord, ProblemStateName } from './problem';

/** The memo key the ledger facts are kept under. */
export const LEDGER_MEMO_KEY = 'ledger';

/** Exactly what a ledger row needs of a problem; the workflow ID comes with the listing. */
export interface LedgerFacts {
  number: string;
  campaignId: string;
  season: number;
  assignee: { code: string; name: string };
  site: string;
  category: string;
  foundDate: string;
  dueDate?: string;
  state: ProblemStateName;
  overdue: boolean;
  level: number;
  rebound: boolean;
  similar: number;
}

/** A listed problem: its workflow ID and ledger facts. */
export type LedgerItem = LedgerFacts & { workflowId: string };

export function ledgerFactsOf(r: ProblemRecord): LedgerFacts {
  return {
    number: r.number,
    campaignId: r.campaignId,
    season: r.season,
    assignee: { code: r.assignee.code, name: r.assignee.name },
    site: r.site.name,
    category: r.category,
    foundDate: r.foundDate,
    ...(r.dueDate ? { dueDate: r.dueDate } : {}),
    state: r.state,
    overdue: r.overdue,
    level: r.level,
    rebound: !!r.reboundOf,
    similar: r.similar?.length ?? 0,
  };
}

export const ledgerItemOf = (r: ProblemRecord): LedgerItem => ({ workflowId: r.workflowId, ...ledgerFactsOf(r) });
