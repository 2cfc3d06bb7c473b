// A standalone worker process (the production topology runs it as its own service).
import { NativeConnection, Runtime } from '@temporalio/worker';
import { readEnv } from '../config/env';
import { activityDeps, createWorker } from './create';
import { loadOrBuildBundle } from './bundle';
import { LantianLogger } from './registry';
import { registryTaskQueue } from '../domain/ids';

async function main() {
  // Signals are ours (below): the SDK's would stop the registries' worker with the obligations'.
  Runtime.install({ logger: new LantianLogger('INFO'), shutdownSignals: [] });
  const env = readEnv();
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const deps = activityDeps(env);
  const { bundle: workflowBundle, built } = await loadOrBuildBundle();
  const worker = await createWorker({
    connection,
    workflowBundle,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.LANTIAN_TASK_QUEUE,
    deps,
    maxCachedWorkflows: env.LANTIAN_MAX_CACHED_WORKFLOWS,
    workflowThreads: env.LANTIAN_WORKFLOW_THREADS,
  });
  console.log(
    `lantian worker: task queues ${env.LANTIAN_TASK_QUEUE} and ${registryTaskQueue(env.LANTIAN_TASK_QUEUE)} on ${env.TEMPORAL_ADDRESS} (${env.TEMPORAL_NAMESPACE})${built ? ', workflow bundle built' : ''}`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => worker.shutdown());
  await worker.run();
  deps.mailer.close();
  await deps.storageClose?.();
  await connection.close();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
