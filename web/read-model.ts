// The web app's list of obligations: a short-lived copy of Temporal visibility (the search
// attributes every obligation workflow keeps up to date), so the scoreboard and the lists
// answer from memory instead of paging through thousands of executions per request.
// Workflows stay the one source of truth: the copy is only ever replaced by a fresh listing or
// patched from a workflow's own query after an Update through this app; it accepts no writes of
// its own and is rebuilt from nothing at every start (or with `refresh()`).
import type { Client } from '@temporalio/client';
import { summary, visibilityQuery, type ObligationFilter, type ObligationSummary } from '../client/obligations';
import type { ObligationRecord } from '../domain/obligation';

/** A launched season of a campaign: its obligations by state (met: on time or late; open: not yet due or submitted). */
export interface LaunchedSeason {
  campaign: string;
  season: number;
  total: number;
  open: number;
  overdue: number;
  met: number;
  unmet: number;
  waived: number;
}

export class ObligationIndex {
  private rows: ObligationSummary[] = [];
  private byId = new Map<string, ObligationSummary>();
  private loadedAt = 0;
  private loading?: Promise<void>;
  private following = new Set<Promise<void>>();
  private listingMs = 0;
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly maxAgeMs: number,
  ) {}

  /** Every obligation; at most maxAge old (a stale copy is served while a fresh one loads). */
  async all(): Promise<ObligationSummary[]> {
    // A change this app made is seen by the next read, even while its record is still being read.
    if (this.following.size) await Promise.all(this.following);
    const age = Date.now() - this.loadedAt;
    if (this.loadedAt === 0) await this.refresh();
    else if (age > this.maxAge() && !this.closed) void this.refresh().catch(() => undefined);
    return this.rows;
  }

  /**
   * How old the copy may grow: maxAge, or ten times what the last listing took when that is
   * longer. Listing 50,000 obligations takes the app seconds of work; listed again every few
   * seconds, it would leave little time for answering pages. Changes made through this app are
   * in the copy at once all the same (`follow`).
   */
  private maxAge(): number {
    return Math.max(this.maxAgeMs, 10 * this.listingMs);
  }

  /** Stops refreshing and waits for what is under way: no listing may outlive its connection. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.loading?.catch(() => undefined), ...this.following]);
  }

  refresh(): Promise<void> {
    const started = Date.now();
    this.loading ??= (async () => {
      try {
        const rows: ObligationSummary[] = [];
        for await (const w of this.client.workflow.list({ query: visibilityQuery({}), pageSize: 1000 }))
          rows.push(summary(w));
        rows.sort(
          (a, b) => (a.deadline ?? '').localeCompare(b.deadline ?? '') || a.workflowId.localeCompare(b.workflowId),
        );
        // Patches made while this listing ran are newer than what it saw.
        const patched = new Map(
          [...this.byId].filter(
            ([, r]) => (r as Patched).patchedAt !== undefined && (r as Patched).patchedAt! > started,
          ),
        );
        this.rows = rows.map((r) => patched.get(r.workflowId) ?? r);
        this.byId = new Map(this.rows.map((r) => [r.workflowId, r]));
        this.loadedAt = started;
        this.listingMs = Date.now() - started;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** The workflow's row in the current copy, without loading or refreshing it. */
  known(workflowId: string): ObligationSummary | undefined {
    return this.byId.get(workflowId);
  }

  /**
   * After an Update through this app: the workflow's own record, read without keeping the
   * change's answer waiting, replaces the row; reads until then wait for it.
   */
  follow(read: () => Promise<ObligationRecord | undefined>): void {
    const done: Promise<void> = read()
      .then((record) => record && this.patch(record))
      .catch(() => undefined)
      .finally(() => this.following.delete(done));
    this.following.add(done);
  }

  /** The workflow's own record is newer than visibility. */
  patch(record: ObligationRecord): void {
    const row = this.byId.get(record.workflowId);
    if (!row) return;
    const next: Patched = {
      ...row,
      status: record.status,
      level: record.level,
      deadline: new Date(record.deadline).toISOString(),
      patchedAt: Date.now(),
    };
    this.byId.set(record.workflowId, next);
    this.rows = this.rows.map((r) => (r.workflowId === record.workflowId ? next : r));
  }

  /** Each launched season of each campaign (one that has obligations), with its counts; newest season first. */
  async launched(): Promise<LaunchedSeason[]> {
    const by = new Map<string, LaunchedSeason>();
    for (const r of await this.all()) {
      if (!r.campaign || r.season === undefined) continue;
      const key = `${r.campaign}\u0000${r.season}`;
      let s = by.get(key);
      if (!s)
        by.set(
          key,
          (s = { campaign: r.campaign, season: r.season, total: 0, open: 0, overdue: 0, met: 0, unmet: 0, waived: 0 }),
        );
      s.total++;
      if (r.status === 'met' || r.status === 'met-late') s.met++;
      else if (r.status === 'overdue') s.overdue++;
      else if (r.status === 'waived') s.waived++;
      else if (r.status === 'unmet') s.unmet++;
      else s.open++;
    }
    return [...by.values()].sort((a, b) => b.season - a.season || a.campaign.localeCompare(b.campaign));
  }

  async list(f: ObligationFilter): Promise<ObligationSummary[]> {
    return (await this.all()).filter(
      (r) =>
        (!f.campaign || r.campaign === f.campaign) &&
        (f.season === undefined || r.season === f.season) &&
        (!f.obligation || r.obligation === f.obligation) &&
        (!f.assignee || r.assignee === f.assignee) &&
        (!f.province || r.province === f.province) &&
        (!f.status || r.status === f.status) &&
        (f.level === undefined || (r.level ?? 0) >= f.level),
    );
  }
}

type Patched = ObligationSummary & { patchedAt?: number };

/** Whole days from today to the due date in Shanghai: negative when overdue. */
export function daysLeft(deadlineIso: string | undefined, now = Date.now()): number | undefined {
  if (!deadlineIso) return undefined;
  return Math.ceil((Date.parse(deadlineIso) - now) / 86_400_000);
}
