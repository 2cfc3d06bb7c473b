// Serving the web app: wiring of its parts (users, evidence, letters and archive from the data
// folder or from PostgreSQL and the object store; visibility index; policies) and a listen that
// turns a port already in use into a sentence naming the variable that moves it.
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { dataPaths, type Env } from '../config/env';
import type { UserStore, Users } from '../auth/users';
import { openWebStores, type OpenedStores } from '../storage/stores';
import type { PolicySet } from '../planner/load';
import type { WorkingCalendar } from '../domain/calendar';
import { ObligationIndex } from './read-model';
import { buildServer, serverOptions, type ServerOptions } from './server';
import type { WebDeps } from './actions';

/**
 * `U` is the user store the caller knows its configuration opens: the SQLite UserStore for the
 * data folder (the default, and what the web tests use), PgUserStore with LANTIAN_DATABASE_URL.
 */
export interface RunningWeb<U extends Users = UserStore> {
  url: string;
  app: FastifyInstance;
  deps: Omit<WebDeps, 'users'> & { users: U };
  close(): Promise<void>;
}

export async function startWeb<U extends Users = UserStore>(
  env: Env,
  client: Client,
  policies: PolicySet,
  calendar: WorkingCalendar,
  port = env.LANTIAN_WEB_PORT,
  /** For tests: where the log goes. */
  extra: { logStream?: NodeJS.WritableStream; stores?: OpenedStores } = {},
): Promise<RunningWeb<U>> {
  // Refused here, before listening: production storage unreachable, or its database behind.
  const stores = extra.stores ?? (await openWebStores(env));
  const users = stores.users as U;
  const deps: Omit<WebDeps, 'users'> & { users: U } = {
    client,
    users,
    stores,
    index: new ObligationIndex(client, env.LANTIAN_WEB_CACHE_SECONDS * 1000),
    policies,
    calendar,
    paths: dataPaths(env.LANTIAN_DATA_DIR),
    taskQueue: env.LANTIAN_TASK_QUEUE,
    maxUploadBytes: env.LANTIAN_UPLOAD_MAX_BYTES,
    sessionHours: env.LANTIAN_SESSION_HOURS,
    seasonWindow: env.LANTIAN_SEASON_WINDOW,
    cookieSecure: env.LANTIAN_COOKIE_SECURE,
  };
  const options: ServerOptions = serverOptions(env);
  if (extra.logStream) options.logger = { level: env.LANTIAN_LOG_LEVEL, stream: extra.logStream };
  const app = await buildServer(deps, options);
  try {
    await app.listen({ host: env.LANTIAN_WEB_HOST, port });
  } catch (e) {
    if (!extra.stores) await stores.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `web port ${env.LANTIAN_WEB_HOST}:${port} is already in use; stop what holds it or set LANTIAN_WEB_PORT to another port`,
      );
    }
    throw e;
  }
  const addr = app.server.address();
  const url = `http://${env.LANTIAN_WEB_HOST}:${typeof addr === 'object' && addr ? addr.port : port}`;
  return {
    url,
    app,
    deps,
    async close() {
      await app.close();
      await deps.index.close();
      if (!extra.stores) await stores.close();
    },
  };
}
