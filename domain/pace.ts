// Pace (序时进度) of a quantitative obligation: how much should be done by now, linearly from
// launch to deadline unless the policy gives a schedule, and the colour that says how far
// behind the reported quantity is. Pure and deterministic: the obligation workflow calls it.

export interface PaceSettings {
  /** Yellow when behind the expected quantity by more than this share of the target. */
  yellowBehind: number;
  /** Red when behind by more than this share (or overdue and unmet). */
  redBehind: number;
  /** Shares of the span launch → deadline at which the obligation checks its pace. */
  checks: number[];
  /** Cumulative share of the target due by each instant (ms), when the policy gives a schedule. */
  schedule?: { at: number; share: number }[];
}

/**
 * A campaign without policies/targets/<campaign>.yaml: colours are still shown with these
 * thresholds, but no pace is checked and no warning is sent.
 */
export const DEFAULT_PACE: PaceSettings = { yellowBehind: 0.1, redBehind: 0.25, checks: [] };

export type PaceColour = 'green' | 'yellow' | 'red';

export interface PaceInput {
  target: number;
  reported: number;
  launchedAt: number;
  deadline: number;
  now: number;
  settings: Pick<PaceSettings, 'yellowBehind' | 'redBehind' | 'schedule'>;
}

export interface Pace {
  colour: PaceColour;
  expected: number;
  reported: number;
  target: number;
  /** (expected − reported) / target, ≥ 0. */
  behind: number;
}

export function expectedShare(
  launchedAt: number,
  deadline: number,
  now: number,
  schedule?: PaceSettings['schedule'],
): number {
  if (schedule?.length) {
    let share = 0;
    for (const s of schedule) if (s.at <= now) share = Math.max(share, s.share);
    return Math.min(1, share);
  }
  if (deadline <= launchedAt) return 1;
  return Math.min(1, Math.max(0, (now - launchedAt) / (deadline - launchedAt)));
}

export function paceOf(p: PaceInput): Pace {
  const expected = p.target * expectedShare(p.launchedAt, p.deadline, p.now, p.settings.schedule);
  const behind = p.target > 0 ? Math.max(0, (expected - p.reported) / p.target) : 0;
  let colour: PaceColour = 'green';
  if (p.reported >= p.target) colour = 'green';
  else if (p.now > p.deadline || behind > p.settings.redBehind) colour = 'red';
  else if (behind > p.settings.yellowBehind) colour = 'yellow';
  return { colour, expected, reported: p.reported, target: p.target, behind };
}

/** The instants (ms) at which an obligation checks its pace, before its deadline. */
export function paceCheckTimes(launchedAt: number, deadline: number, checks: number[]): number[] {
  return checks
    .map((c) => Math.round(launchedAt + c * (deadline - launchedAt)))
    .filter((t) => t > launchedAt && t < deadline);
}

/** Quantity reported to date: every progress report not rejected (accepted or awaiting review). */
export function reportedToDate(evidence: { state: string; quantity?: number }[]): number {
  return evidence.filter((e) => e.state !== 'rejected').reduce((n, e) => n + (e.quantity ?? 0), 0);
}

/** Pace of an obligation record (CLI, ranking); undefined when it has no at-least quantity. */
export function paceOfRecord(
  r: {
    input: { quantity?: { value: number; comparison: string } };
    evidence: { state: string; quantity?: number }[];
    timeline: { type: string; at: string }[];
    deadline: string;
    status: string;
    closedAt?: string;
  },
  settings: Pick<PaceSettings, 'yellowBehind' | 'redBehind' | 'schedule'>,
  now: number,
): Pace | undefined {
  const q = r.input.quantity;
  if (!q || q.comparison !== 'at-least') return undefined;
  const launched = r.timeline.find((e) => e.type === 'launched');
  // Not yet planned (the first activity has not returned): no deadline to measure against.
  if (!launched || !r.deadline) return undefined;
  const at = r.closedAt ? Math.min(now, Date.parse(r.closedAt)) : now;
  const pace = paceOf({
    target: q.value,
    reported: reportedToDate(r.evidence),
    launchedAt: Date.parse(launched.at),
    deadline: Date.parse(r.deadline),
    now: at,
    settings,
  });
  // Met obligations are green whatever the clock says; waived ones are not behind anybody.
  if (r.status === 'met' || r.status === 'met-late' || r.status === 'waived') return { ...pace, colour: 'green' };
  return pace;
}
