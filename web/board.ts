// The scoreboard's rows as every view of it reads them (the page, its .xlsx and the API's JSON
// and .xlsx): the filter's obligations by organisation from the app's copy of visibility, beside
// each city's problems open and overdue counted from the problem ledger's copy of the records
// (web/problems-api.ts), so that a request queries no workflow.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import { HttpError, type WebDeps } from './actions';
import type { ListQuery } from './api';
import { problemService } from './problems-api';
import { boardRows, sortBoard, type BoardRow, type BoardSort, type ProblemCounts } from './scoreboard';

/**
 * Each city's problems open and overdue as the reader may see them (a team its cities), of the
 * filter's campaign, season (with earlier seasons' still open, as the ledger shows them), city
 * or province. None without a problems policy.
 */
export async function problemCounts(d: WebDeps, req: FastifyRequest, q: ListQuery): Promise<ProblemCounts[]> {
  if (!fs.existsSync(path.join(d.policies.dir, 'problems.yaml'))) return [];
  let ledger;
  try {
    ledger = await problemService(d).ledgerFor(req, {
      ...(q.campaign ? { campaign: q.campaign } : {}),
      ...(q.season !== undefined ? { season: q.season } : {}),
      ...(q.assignee ? { assignee: q.assignee } : {}),
    });
  } catch (e) {
    // A broken problems policy closes the problem pages (which say why), not the scoreboard.
    if (e instanceof HttpError && e.code === 'problems_policy_invalid') return [];
    throw e;
  }
  const orgs = d.policies.organisations;
  return ledger.cities.flatMap((c) => {
    const province = orgs.get(c.org)?.parent;
    if (q.province && c.org !== q.province && province !== q.province) return [];
    return [{ org: c.org, name: c.name, ...(province ? { province } : {}), open: c.open, overdue: c.byState['逾期'] }];
  });
}

/** The scoreboard's rows for this reader and filter, sorted as asked (by default who is behind first). */
export async function scoreboardRows(
  d: WebDeps,
  req: FastifyRequest,
  q: ListQuery,
  s: BoardSort = {},
): Promise<BoardRow[]> {
  const [obligations, problems] = await Promise.all([d.index.list(q), problemCounts(d, req, q)]);
  // A view narrowed to some obligations shows the organisations that have them, and no others.
  const narrowed = !!q.obligation || !!q.status || q.level !== undefined;
  const name = (code: string) => d.policies.organisations.get(code)?.name;
  return sortBoard(boardRows(obligations, name, Date.now(), problems, !narrowed), s);
}
