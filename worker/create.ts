// Wiring: the worker on the Lantian task queue with the obligation workflow and its activities,
// and beside it the document-number registries' worker (worker/registry.ts).
import path from 'node:path';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { loadPolicies, type PolicySet } from '../planner/load';
import { liveCalendar } from '../domain/calendar';
import { outboxMailer, smtpMailer } from '../notices/mailer';
import { channelDelivery } from '../notices/channels';
import { dataPaths, readEnv, type Env } from '../config/env';
import { Client, Connection } from '@temporalio/client';
import { documentNumberAllocator } from '../client/document-numbers';
import { airQualityDir } from '../storage/air-quality';
import { digestEnqueuer } from '../client/digests';
import { createRegistryWorker, LantianWorker } from './registry';

export const workflowsPath = path.join(__dirname, '..', 'workflows', 'index.ts');
/** Preloaded into every workflow thread's context (workflows/sandbox.ts): stack traces off. */
export const sandboxPath = path.join(__dirname, '..', 'workflows', 'sandbox.ts');

export function activityDeps(
  env: Env,
  policies: PolicySet = loadPolicies(env.LANTIAN_POLICIES_DIR),
  address = env.TEMPORAL_ADDRESS,
): ActivityDeps {
  const data = dataPaths(env.LANTIAN_DATA_DIR);
  let client: Promise<Client> | undefined;
  const connect = () =>
    (client ??= Connection.connect({ address }).then(
      (connection) => new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }),
    ));
  return {
    documentNumbers: documentNumberAllocator(connect, env.LANTIAN_TASK_QUEUE),
    calendar: liveCalendar(),
    organisations: policies.organisations,
    templatesDir: policies.templatesDir,
    archiveDir: data.archive,
    lettersDir: data.letters,
    mailer: env.SMTP_URL ? smtpMailer(env.SMTP_URL, data.ledger) : outboxMailer(data.outbox),
    mailFrom: env.LANTIAN_MAIL_FROM,
    channels: channelDelivery({ directory: policies.channels, ledgerDir: path.join(data.ledger, 'channels') }),
    policies,
    airQualityDir: airQualityDir(data.root),
    temporalClient: connect,
    reminderDelivery: policies.reminderDelivery,
    digests: digestEnqueuer(connect, env.LANTIAN_TASK_QUEUE),
    digestWindowMs: env.LANTIAN_DIGEST_WINDOW_MINUTES * 60_000,
  };
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A pre-built bundle (tests build it once); otherwise workflows are bundled from source. */
  workflowBundle?: WorkflowBundle;
  maxCachedWorkflows?: number;
  workflowThreads?: number;
}

export async function createWorker(o: WorkerOptions): Promise<LantianWorker> {
  // Bundled here with a quiet logger: webpack's report is noise in `npm start`.
  const workflowBundle = o.workflowBundle ?? (await bundleWorkflows());
  const main = await Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    workflowBundle,
    activities: createActivities(o.deps),
    ...(o.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: o.maxCachedWorkflows } : {}),
    ...(o.workflowThreads !== undefined ? { workflowThreadPoolSize: o.workflowThreads } : {}),
  });
  return new LantianWorker(main, await createRegistryWorker({ ...o, workflowBundle }));
}

/** Workflow stack traces off (workflows/sandbox.ts) unless LANTIAN_WORKFLOW_STACK_TRACES=true. */
export const bundleWorkflows = (stackTraces = readEnv().LANTIAN_WORKFLOW_STACK_TRACES) =>
  bundleWorkflowCode({ workflowsPath, logger: quietLogger, preloadModules: stackTraces ? [] : [sandboxPath] });

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(m: string) {
    console.warn(m);
  },
  error(m: string) {
    console.error(m);
  },
};
