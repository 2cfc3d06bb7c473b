// Temporal's failures about one obligation, turned into a sentence a person can act on: a
// refusal (the workflow's own words), a closed or unknown obligation, an unreachable server or a
// busy worker. Shared by the CLI and the web app.
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError, ApplicationFailure } from '@temporalio/client';
import { LantianStatus } from '../domain/search-attributes';
import { REFUSED } from '../workflows/api';

export class Refusal extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/** Turns Temporal's errors about one obligation into a sentence an office can act on. */
export function explain(err: unknown, workflowId?: string): Error {
  if (err instanceof Refusal) return err;
  if (err instanceof WorkflowNotFoundError) return new Refusal(`no obligation ${workflowId ?? err.workflowId}`);
  // The workflow's own refusals (validators and handlers) already say what and why.
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === REFUSED)
    return new Refusal(err.cause.message);
  const msg = (err as Error)?.message ?? String(err);
  if (/workflow execution already completed/i.test(msg)) {
    return new Refusal(
      `obligation ${workflowId} is closed; nothing can change it (see \`obligation show ${workflowId}\`)`,
    );
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
    const d = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    if (d) {
      const status = d.typedSearchAttributes.get(LantianStatus) ?? d.status.name.toLowerCase();
      return new Refusal(
        `obligation ${workflowId} is closed (${status}); nothing can change it (see \`obligation show ${workflowId}\`)`,
      );
    }
  }
  return explain(err, workflowId);
}
