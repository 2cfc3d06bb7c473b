// What every CLI command needs: configuration, policies, the calendar, a Temporal client,
// and one way to print results (text or --json) and refusals (stderr, non-zero exit).
import { actorKeyConfig, actorProofInterceptors } from '../client/actor-keys';
import { Client, Connection } from '@temporalio/client';
import { readEnv, type Env } from '../config/env';
import { explain, Refusal } from '../client/explain';
import { loadPolicies, type PolicySet } from '../planner/load';
import { loadCalendar, type WorkingCalendar } from '../domain/calendar';

export { explain, explainChange, Refusal } from '../client/explain';

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
        throw new Refusal(
          `cannot reach Temporal at ${env.TEMPORAL_ADDRESS} (is \`npm start\` running?): ${(e as Error).message}`,
        );
      }
      client = new Client({
        connection,
        namespace: env.TEMPORAL_NAMESPACE,
        interceptors: actorProofInterceptors(actorKeyConfig(env)),
      });
      return client;
    },
    async close() {
      await connection?.close();
    },
  };
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
