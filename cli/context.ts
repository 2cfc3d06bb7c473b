// What every CLI command needs: configuration, policies, the calendar, a Temporal client,
// and one way to print results (text or --json) and refusals (stderr, non-zero exit).
import { Client, Connection, WorkflowNotFoundError, WorkflowUpdateFailedError, ApplicationFailure } from '@temporalio/client';
import { readEnv, type Env } from '../config/env';
import { LantianStatus } from '../temporal/search-attributes';
import { REFUSED } from '../workflows/api';
import { loadPolicies, type PolicySet } from '../planner/load';
import { loadCalendar, type WorkingCalendar } from '../planner/calendar';

export class Refusal extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
    this.name = 'Refusal';
  }
}

export interface Ctx {
  env: Env;
  policies(): PolicySet;
  calendar(): WorkingCalendar;
  client(): Promise<Client>;
  close(): Promise<void>;
}

export function makeContext(): Ctx {
  const env = readEnv();
  let policies: PolicySet | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  return {
    env,
    policies: () => (policies ??= loadPolicies(env.LANTIAN_POLICIES_DIR)),
    calendar: () => loadCalendar(),
    async client() {
      if (client) return client;
      try {
        connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: 3000 });
      } catch (e) {
        throw new Refusal(`cannot reach Temporal at ${env.TEMPORAL_ADDRESS} (is \`npm start\` running?): ${(e as Error).message}`);
      }
      client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
      return client;
    },
    async close() {
      await connection?.close();
    },
  };
}

/** Turns Temporal's errors about one obligation into a sentence an office can act on. */
export function explain(err: unknown, workflowId?: string): Error {
  if (err instanceof Refusal) return err;
  if (err instanceof WorkflowNotFoundError) return new Refusal(`no obligation ${workflowId ?? err.workflowId}`);
  // The workflow's own refusals (validators and handlers) already say what and why.
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === REFUSED) return new Refusal(err.cause.message);
  const msg = (err as Error)?.message ?? String(err);
  if (/workflow execution already completed/i.test(msg)) {
    return new Refusal(`obligation ${workflowId} is closed; nothing can change it (see \`obligation show ${workflowId}\`)`);
  }
  // Temporal's own words ("Failed to query Workflow") say little; the causes say why, and
  // what to do depends on which: the server unreachable, or the worker slow to answer.
  const chain = causes(err);
  if (chain.length > 1 || err instanceof WorkflowUpdateFailedError) {
    const said = chain.join(': ');
    const unreachable = /UNAVAILABLE|ECONNREFUSED|No connection established/i.test(said);
    const slow = /DEADLINE_EXCEEDED|deadline exceeded|timed? ?out/i.test(said);
    const hint = unreachable
      ? ' — the Temporal server cannot be reached: is `npm start` (or the server TEMPORAL_ADDRESS names) running?'
      : slow
        ? ` — the worker may be busy (a launch still starting its obligations) or stopped; ${workflowId ? `check \`obligation show ${workflowId}\` for whether the change took effect, then ` : ''}try again in a moment`
        : '';
    return err instanceof WorkflowUpdateFailedError ? new Refusal(`${said}${hint}`) : new Error(`${said}${hint}`);
  }
  return err instanceof Error ? err : new Error(msg);
}

/** The messages of an error and of its causes, outermost first, without repeats. */
function causes(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const m = e instanceof Error ? e.message : String(e);
    if (m && !out.includes(m)) out.push(m);
  }
  return out;
}

/**
 * An Update sent to a closed workflow comes back as "not found"; tell the two apart, because
 * "no such obligation" and "this obligation is closed" ask for different actions.
 */
export async function explainChange(client: Client, err: unknown, workflowId: string): Promise<Error> {
  if (err instanceof WorkflowNotFoundError) {
    const d = await client.workflow.getHandle(workflowId).describe().catch(() => undefined);
    if (d) {
      const status = d.typedSearchAttributes.get(LantianStatus) ?? d.status.name.toLowerCase();
      return new Refusal(`obligation ${workflowId} is closed (${status}); nothing can change it (see \`obligation show ${workflowId}\`)`);
    }
  }
  return explain(err, workflowId);
}

export function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}

/** Wraps a command action: refusals go to stderr with a non-zero exit code. */
export function action<A extends unknown[]>(fn: (ctx: Ctx, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    const ctx = makeContext();
    try {
      await fn(ctx, ...args);
    } catch (e) {
      const err = explain(e);
      process.stderr.write(`lantian: ${err.message}\n`);
      process.exitCode = err instanceof Refusal ? err.code : 1;
    } finally {
      await ctx.close();
    }
  };
}
