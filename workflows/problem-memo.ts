// The problem's ledger facts in its memo, where a visibility listing reads them (see
// domain/problem-memo.ts). Behind a patch: runs recorded before it replay without the upserts, and
// the ledger reads those by query.
import * as wf from '@temporalio/workflow';
import { LEDGER_MEMO_KEY, ledgerFactsOf } from '../domain/problem-memo';
import type { ProblemState } from './problem-state';

export const LEDGER_MEMO_PATCH = 'problem-ledger-memo';

/** Upserts the facts when they differ from the last ones upserted; a no-op for an unpatched run. */
export function ledgerMemoOf(p: ProblemState): () => void {
  if (!wf.patched(LEDGER_MEMO_PATCH)) return () => undefined;
  // Started with its facts in the memo (client/problems.ts): nothing to upsert until they change.
  let published = JSON.stringify(wf.workflowInfo().memo?.[LEDGER_MEMO_KEY] ?? null);
  return () => {
    const facts = ledgerFactsOf(p.snapshot());
    const json = JSON.stringify(facts);
    if (json === published) return;
    wf.upsertMemo({ [LEDGER_MEMO_KEY]: facts });
    published = json;
  };
}
