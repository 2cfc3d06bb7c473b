// `npm start`: the whole system on one machine — the Temporal dev server on a SQLite file
// under the data folder, the search attributes and retention set, the policies validated, and
// the worker. Ctrl-C stops the worker first, then the server; a second start finds all as left.
import { actorKeyConfig, actorProofInterceptors } from '../client/actor-keys';
import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { Connection } from '@temporalio/client';
import { currentSeason } from '../domain/season';
import { readEnv, dataPaths } from '../config/env';
import { loadPolicies, PolicyError } from '../planner/load';
import { liveCalendar } from '../domain/calendar';
import { seasonRange, seasonStatus } from '../client/seasons';
import { campaignListing, launchedSeasons } from './start-listing';
import { resolveCampaign } from '../planner/resolve';
import { startDevServer, type DevServer } from '../client/dev-server';
import { registerSearchAttributes, setRetention } from '../client/namespace-setup';
import { activityDeps, createWorker } from '../worker/create';
import { loadOrBuildBundle } from '../worker/bundle';
import { LantianLogger } from '../worker/registry';
import { registryTaskQueue } from '../domain/ids';
import { Client } from '@temporalio/client';
import { startWeb, type RunningWeb } from '../web/start';

/** `npm start -- --season 2025` shows the campaigns for that season instead of the current one. */
function seasonArgument(): number | undefined {
  const i = process.argv.indexOf('--season');
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (!/^\d{4}$/.test(v ?? '')) {
    console.error(`lantian: --season expects a year such as 2026, not ${v ?? '(nothing)'}`);
    process.exit(2);
  }
  return Number(v);
}

async function main() {
  // Signals are ours (below): the SDK's own handlers would stop the registries' worker together
  // with the obligations', while letters may still wait for their numbers.
  Runtime.install({ logger: new LantianLogger('WARN'), shutdownSignals: [] });
  // From the first moment: the dev server runs in its own process group (Ctrl-C does not reach
  // it), so a stop during start-up must stop it too, not leave it holding the ports. A second
  // Ctrl-C does not wait for the worker to drain.
  let stopRequested = false;
  let stopWorker: (() => void) | undefined;
  let server: DevServer | undefined;
  let spawned: ChildProcess | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      console.log(`\n${signal} again: stopping Temporal now.`);
      if (server) void server.stop().finally(() => process.exit(130));
      else {
        // Still starting: the server's process (its own group) is all there is to stop.
        if (spawned?.pid && spawned.exitCode === null) process.kill(-spawned.pid, 'SIGTERM');
        process.exit(130);
      }
      return;
    }
    stopRequested = true;
    console.log(`\n${signal}: stopping${stopWorker ? ' the worker, then Temporal' : ''}…`);
    stopWorker?.();
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  const env = readEnv();
  const data = dataPaths(env.LANTIAN_DATA_DIR);
  fs.mkdirSync(data.root, { recursive: true });

  let policies;
  try {
    policies = loadPolicies(env.LANTIAN_POLICIES_DIR);
  } catch (e) {
    if (e instanceof PolicyError) {
      console.error(`lantian: the policies do not validate; nothing was started.\n${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  const calendar = liveCalendar();

  let address = env.TEMPORAL_ADDRESS;
  if (stopRequested) return console.log('stopped.');
  if (env.LANTIAN_EMBEDDED_TEMPORAL) {
    server = await startDevServer({
      onSpawn: (child) => (spawned = child),
      dbFile: data.temporalDb,
      port: env.LANTIAN_TEMPORAL_PORT,
      uiPort: env.LANTIAN_TEMPORAL_UI_PORT,
      httpPort: env.LANTIAN_TEMPORAL_HTTP_PORT,
      logFile: path.join(data.root, 'temporal.log'),
    });
    address = server.address;
  }
  const stopServer = async () => server && (await server.stop());
  // What start-up opened, closed in reverse when it ends or is stopped half-way.
  const opened: (() => unknown)[] = [];
  try {
    if (stopRequested) return;
    const admin = await Connection.connect({ address });
    const added = await registerSearchAttributes(admin, env.TEMPORAL_NAMESPACE);
    await setRetention(admin, env.TEMPORAL_NAMESPACE, env.LANTIAN_RETENTION_DAYS);
    await admin.close();

    const connection = await NativeConnection.connect({ address });
    opened.push(() => connection.close());
    const deps = activityDeps(env, policies, address);
    opened.push(() => deps.mailer.close());
    opened.push(() => deps.storageClose?.());
    if (stopRequested) return;
    // Bundling the workflows (first start after a change) takes some seconds: the likeliest moment
    // for an impatient Ctrl-C.
    const { bundle: workflowBundle } = await loadOrBuildBundle();
    const worker = await createWorker({
      connection,
      workflowBundle,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.LANTIAN_TASK_QUEUE,
      deps,
      maxCachedWorkflows: env.LANTIAN_MAX_CACHED_WORKFLOWS,
      workflowThreads: env.LANTIAN_WORKFLOW_THREADS,
    });
    stopWorker = () => worker.shutdown();
    // A worker made but never run still holds the connection: stopped half-way, it runs and drains at once.
    let ran = false;
    opened.push(async () => ran || (worker.shutdown(), await worker.run()));
    if (stopRequested) return;

    // The web app and API beside the worker (LANTIAN_WEB=false to run without it).
    let web: RunningWeb | undefined;
    if (env.LANTIAN_WEB) {
      const webConnection = await Connection.connect({ address });
      opened.push(() => webConnection.close());
      web = await startWeb(
        env,
        new Client({
          connection: webConnection,
          namespace: env.TEMPORAL_NAMESPACE,
          interceptors: actorProofInterceptors(actorKeyConfig(env)),
        }),
        policies,
        calendar,
      );
      opened.push(() => web?.close());
    }
    if (stopRequested) return;

    const season = seasonArgument() ?? currentSeason();
    // The same rules as `campaign launch`: an ended season needs --allow-past, one the calendar
    // cannot plan yet --provisional-calendar (its missing year counts Monday to Friday).
    const flags = new Set<string>();
    const campaigns = [...policies.campaigns.values()].map((c) => {
      const st = seasonStatus(policies, calendar, c.id, season);
      const n = resolveCampaign(policies, c.id, calendar, season, !!st.unplannable).length;
      if (st.ended) flags.add('--allow-past');
      if (st.unplannable) flags.add('--provisional-calendar');
      const notes = [
        ...(st.ended ? [`ended on ${st.end}: its obligations would close at once`] : []),
        ...(st.unplannable
          ? [
              `on a provisional calendar (${st.unplannable.file} has no holiday notice for ${st.unplannable.years.join(', ')} yet: ${st.unplannable.years.length > 1 ? 'those years count' : 'that year counts'} Monday to Friday until added)`,
            ]
          : []),
      ];
      return {
        id: c.id,
        title: c.title,
        detail: `season ${season}–${season + 1}: ${n} obligations${notes.length ? ` ${notes.join('; ')}` : ''}`,
      };
    });
    // A season already launched is running, not ready: the seasons that may be launched and the one shown.
    const window = seasonRange(env.LANTIAN_SEASON_WINDOW);
    const listingConnection = await Connection.connect({ address });
    const listing = await launchedSeasons(
      new Client({ connection: listingConnection, namespace: env.TEMPORAL_NAMESPACE }),
      campaigns.map((c) => c.id),
      [season, ...Array.from({ length: window.to - window.from + 1 }, (_, i) => window.from + i)],
    )
      .then((launched) => campaignListing(campaigns, launched, season))
      .finally(() => listingConnection.close());
    console.log(
      [
        '',
        'Lantian (蓝天) is running',
        `  Temporal gRPC     ${address}${server ? ' (embedded dev server)' : ''}`,
        ...(server
          ? [
              `  Temporal UI       ${server.uiUrl}`,
              `  Temporal HTTP     http://127.0.0.1:${env.LANTIAN_TEMPORAL_HTTP_PORT}`,
            ]
          : []),
        `  namespace         ${env.TEMPORAL_NAMESPACE} (retention ${env.LANTIAN_RETENTION_DAYS} days${added.length ? `; registered ${added.join(', ')}` : ''})`,
        `  task queues       ${env.LANTIAN_TASK_QUEUE}, ${registryTaskQueue(env.LANTIAN_TASK_QUEUE)} (文号 registries)`,
        `  web app and API   ${web ? `${web.url}  (OpenAPI ${web.url}/docs; users: npm run lantian -- user add <name> --role office)` : 'off (LANTIAN_WEB=false)'}`,
        `  data folder       ${data.root}`,
        `  notices           ${env.SMTP_URL ? `SMTP ${env.SMTP_URL.replace(/\/\/[^@]*@/, '//***@')}` : `.eml files in ${data.outbox}`}`,
        '',
        ...listing.lines,
        '',
        ...(listing.ready.length
          ? [
              `Launch one:   npm run lantian -- campaign launch <campaignId> --season ${season}${[...flags].map((f) => ` ${f}`).join('')}`,
            ]
          : []),
        'List:         npm run lantian -- obligation list --status overdue',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );

    ran = true;
    await worker.run();
  } finally {
    for (const close of opened.reverse())
      await Promise.resolve()
        .then(close)
        .catch((e: unknown) => console.error(`lantian: while stopping: ${e instanceof Error ? e.message : e}`));
    await stopServer();
    console.log('stopped.');
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`lantian: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
