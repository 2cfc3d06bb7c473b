// What every CLI command needs: configuration, policies, the calendar, a Temporal client,
// and one way to print results (text or --json) and refusals (stderr, non-zero exit).
import { actorKeyConfig, actorProofInterceptors } from '../client/actor-keys';
import { Client, Connection } from '@temporalio/client';
import { readEnv, type Env } from '../config/env';
import { explain, Refusal } from '../client/explain';
import { loadPolicies, type PolicySet } from '../planner/load';
import { loadCalendar, type WorkingCalendar } from '../domain/calendar';
import type { Pool } from 'pg';
import { dataPaths } from '../config/env';
import { openPool } from '../db/pool';
import { fileArchiveStore, pgArchiveStore, type ArchiveStore } from '../storage/archive';
import { fileObjectStore, s3FromUrl, s3ObjectStore, type ObjectStore } from '../storage/object-store';
import { message, type MessageCode, type MessageParams } from '../i18n/messages';

export { explain, explainChange, Refusal } from '../client/explain';

/** A refusal in the catalogue's words (i18n/messages.ts, Chinese), as the web app's refusals are. */
export const refusal = <C extends MessageCode>(code: C, params: MessageParams<C>): Refusal =>
  new Refusal(message(code, params));

export interface Ctx {
  env: Env;
  policies(): PolicySet;
  calendar(): WorkingCalendar;
  client(): Promise<Client>;
  /** Closed obligations' records: the archive folder, or PostgreSQL (LANTIAN_DATABASE_URL). */
  archive(): ArchiveStore;
  /** Evidence files: the data folder, or the object store (LANTIAN_OBJECT_STORE_URL). */
  evidence(): ObjectStore;
  close(): Promise<void>;
}

export function makeContext(): Ctx {
  const env = readEnv();
  let policies: PolicySet | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  let pool: Pool | undefined;
  let s3: ReturnType<typeof s3FromUrl> | undefined;
  const data = dataPaths(env.LANTIAN_DATA_DIR);
  return {
    env,
    policies: () => (policies ??= loadPolicies(env.LANTIAN_POLICIES_DIR)),
    calendar: () => loadCalendar(),
    async client() {
      if (client) return client;
      try {
        connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: 3000 });
      } catch (e) {
        throw refusal('cli_temporal_unreachable', { address: env.TEMPORAL_ADDRESS, detail: (e as Error).message });
      }
      client = new Client({
        connection,
        namespace: env.TEMPORAL_NAMESPACE,
        interceptors: actorProofInterceptors(actorKeyConfig(env)),
      });
      return client;
    },
    archive: () =>
      env.LANTIAN_DATABASE_URL
        ? pgArchiveStore((pool ??= openPool(env.LANTIAN_DATABASE_URL, 2)))
        : fileArchiveStore(data.archive),
    evidence: () =>
      env.LANTIAN_OBJECT_STORE_URL
        ? s3ObjectStore({ ...(s3 ??= s3FromUrl(env.LANTIAN_OBJECT_STORE_URL)), prefix: 'evidence/' }, 'evidence')
        : fileObjectStore(data.evidence, 'evidence'),
    async close() {
      await connection?.close();
      await pool?.end();
      s3?.client.destroy();
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
