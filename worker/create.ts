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
import { openPool, redactedUrl } from '../db/pool';
import { requireCurrentSchema, SchemaBehind } from '../db/migrate';
import { ensureBucket, s3FromUrl } from '../storage/object-store';
import { productionStores } from '../storage/stores';

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
  const production = productionStorage(env);
  return {
    ...production.deps,
    documentNumbers: documentNumberAllocator(connect, env.LANTIAN_TASK_QUEUE),
    calendar: liveCalendar(),
    organisations: policies.organisations,
    templatesDir: policies.templatesDir,
    archiveDir: data.archive,
    lettersDir: data.letters,
    mailer: env.SMTP_URL ? smtpMailer(env.SMTP_URL, production.ledger ?? data.ledger) : outboxMailer(data.outbox),
    mailFrom: env.LANTIAN_MAIL_FROM,
    channels: channelDelivery({
      directory: policies.channels,
      ledgerDir: path.join(data.ledger, 'channels'),
      ...(production.ledger ? { ledger: production.ledger } : {}),
    }),
    policies,
    airQualityDir: airQualityDir(data.root),
    temporalClient: connect,
    reminderDelivery: policies.reminderDelivery,
    digests: digestEnqueuer(connect, env.LANTIAN_TASK_QUEUE),
    digestWindowMs: env.LANTIAN_DIGEST_WINDOW_MINUTES * 60_000,
  };
}

/**
 * With LANTIAN_DATABASE_URL and LANTIAN_OBJECT_STORE_URL: the letters, the archive, the sent
 * ledger, the air-quality figures and the assessment timelines every worker shares, checked
 * (schema current, bucket there) by createWorker before it takes any task. Without them: nothing, and the data folder's paths serve.
 */
function productionStorage(env: Env): {
  deps: Pick<
    ActivityDeps,
    'letters' | 'archive' | 'airQuality' | 'assessmentTimeline' | 'storageReady' | 'storageClose'
  >;
  ledger?: ReturnType<typeof productionStores>['ledger'];
} {
  const db = env.LANTIAN_DATABASE_URL;
  const objects = env.LANTIAN_OBJECT_STORE_URL;
  if (!db || !objects) return { deps: {} };
  const pool = openPool(db);
  const s3 = s3FromUrl(objects);
  const stores = productionStores(pool, s3, { database: db, objects });
  return {
    deps: {
      letters: stores.letters,
      archive: stores.archive,
      airQuality: stores.airQuality,
      assessmentTimeline: stores.assessmentTimeline,
      storageClose: () => stores.close(),
      async storageReady() {
        await requireCurrentSchema(pool).catch((e: Error) => {
          throw e instanceof SchemaBehind
            ? e
            : new Error(`cannot use the database at ${redactedUrl(db)}: ${e.message}`);
        });
        await ensureBucket(s3.client, s3.bucket).catch((e) => {
          throw new Error(`cannot use the object store at ${redactedUrl(objects)}: ${(e as Error).message}`);
        });
      },
    },
    ledger: stores.ledger,
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
  // A database behind this version's migrations is refused before any task is taken.
  await o.deps.storageReady?.();
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
  bundleWorkflowCode({ workflowsPath, logger: quietLogger, preloadModules: preloadModules(stackTraces) });

/**
 * Modules loaded once per workflow thread and shared by every workflow on it; any other module is
 * evaluated afresh in each workflow. The signature check is one: evaluated per workflow, the
 * curve built its 4,000-point table for the base point again on the first Update of every
 * workflow, some 60 ms of worker time. It holds no state of any workflow, only that table of
 * pure arithmetic. zod cannot be shared: the SDK freezes shared modules, and zod 4 adds methods
 * to its schemas when they are first used.
 */
export const sharedModules = ['actor-proof.ts'].map((f) => path.join(__dirname, '..', 'domain', f));

/** The sandbox settings (workflows/sandbox.ts), unless stack traces are wanted, and the shared modules. */
export const preloadModules = (stackTraces: boolean) => [...(stackTraces ? [] : [sandboxPath]), ...sharedModules];

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
