// The login-lock arithmetic both user stores share (auth/users.ts, auth/users-pg.ts): failures
// for one name counted within a window, and the lock the last of `maxFailures` sets. The stores
// count a user's failures in one SQL statement each (the same rule, atomic across processes);
// names that are no user are counted here, in memory.

export interface LoginPolicy {
  /** Failures for one name within `lockMs` that lock it. */
  maxFailures: number;
  /** How long the lock lasts (and the window the failures are counted in). */
  lockMs: number;
}

export const defaultLoginPolicy: LoginPolicy = { maxFailures: 5, lockMs: 15 * 60_000 };

export interface FailureCount {
  failures: number;
  /** When the window these failures are counted in began. */
  since: number;
  /** 0 when not locked. */
  lockedUntil: number;
}

/** The count after one more failure at `now`: a window that has passed (an expired lock's has) starts again at one. */
export function afterFailure(prev: FailureCount | undefined, now: number, policy: LoginPolicy): FailureCount {
  const fresh = !prev || prev.since <= now - policy.lockMs;
  const failures = fresh ? 1 : prev.failures + 1;
  return {
    failures,
    since: fresh ? now : prev.since,
    lockedUntil: failures >= policy.maxFailures ? now + policy.lockMs : 0,
  };
}

/** Failures that still count at `now` (0 once the window has passed). */
export const failuresAt = (
  f: Pick<FailureCount, 'failures' | 'since'> | undefined,
  now: number,
  policy: LoginPolicy,
) => (f && f.since > now - policy.lockMs ? f.failures : 0);

/** Failed logins for names that are no user: never stored, at most `limit` names (the oldest go first). */
export class StrangerFailures {
  private readonly names = new Map<string, FailureCount>();
  constructor(
    private readonly policy: LoginPolicy,
    private readonly limit = 10_000,
  ) {}

  get(name: string): FailureCount | undefined {
    return this.names.get(name);
  }

  fail(name: string, now: number): void {
    const next = afterFailure(this.names.get(name), now, this.policy);
    // Deleted and set again: the map's order is the order of last failure.
    this.names.delete(name);
    this.names.set(name, next);
    while (this.names.size > this.limit) this.names.delete(this.names.keys().next().value!);
  }
}

/** A name locked until `lockedUntil` is refused at `now`, with the seconds left; undefined when not locked. */
export const lockedAt = (lockedUntil: number, now: number): { retryAfterSeconds: number } | undefined =>
  lockedUntil > now ? { retryAfterSeconds: Math.ceil((lockedUntil - now) / 1000) } : undefined;
