// The 文号 registries (workflows/document-numbers.ts) get a worker and a task queue of their own.
// An escalation letter is a local activity: it holds its obligation's workflow task while it
// waits for its number. When a deadline falls for hundreds of obligations, those letters take
// every workflow-task slot of the obligations' worker; the registry that must answer them polls
// with slots of its own. LantianWorker runs and stops the two together.
import { DefaultLogger, Worker, type LogLevel, type LogMetadata, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { isRegistryTaskQueue, registryTaskQueue } from '../temporal/ids';

export function createRegistryWorker(o: { connection: NativeConnection; namespace?: string; taskQueue: string; workflowBundle: WorkflowBundle }): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace ?? 'default',
    taskQueue: registryTaskQueue(o.taskQueue),
    workflowBundle: o.workflowBundle,
    // One registry per issuing office and year: a handful of workflows, each with small state.
    maxCachedWorkflows: 50,
    workflowThreadPoolSize: 1,
  });
}

export class LantianWorker {
  constructor(
    readonly main: Worker,
    readonly registry: Worker,
  ) {}

  /** Runs both until either stops (Ctrl-C, shutdown(), a fatal error); stopping one stops the other. */
  async run(): Promise<void> {
    const ended = await Promise.allSettled([this.main, this.registry].map((w) => w.run().finally(() => this.shutdown())));
    const failed = ended.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  runUntil<R>(fn: Promise<R> | (() => Promise<R>)): Promise<R> {
    return this.registry.runUntil(() => this.main.runUntil(fn));
  }

  shutdown(): void {
    for (const w of [this.main, this.registry]) if (w.getState() === 'RUNNING') w.shutdown();
  }
}

/** The SDK's logger, less the warning it gives on every start that the registries' worker polls no
 * activity tasks: it has no activities by design. */
export class LantianLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const queue = meta?.taskQueue;
    if (message === NO_ACTIVITIES && typeof queue === 'string' && isRegistryTaskQueue(queue)) return;
    super.log(level, message, meta);
  }
}

const NO_ACTIVITIES = 'No activities registered, not polling for activity tasks';
