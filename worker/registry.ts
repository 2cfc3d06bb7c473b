// The 文号 registries (workflows/document-numbers.ts) get a worker and a task queue of their own.
// An escalation letter is a local activity: it holds its obligation's workflow task while it
// waits for its number. When a deadline falls for hundreds of obligations, those letters take
// every workflow-task slot of the obligations' worker; the registry that must answer them polls
// with slots of its own. LantianWorker runs the two and stops them in order.
import {
  DefaultLogger,
  Worker,
  type LogLevel,
  type LogMetadata,
  type NativeConnection,
  type WorkflowBundle,
} from '@temporalio/worker';
import { isRegistryTaskQueue, registryTaskQueue } from '../domain/ids';

export function createRegistryWorker(o: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  workflowBundle: WorkflowBundle;
}): Promise<Worker> {
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
  private stopRequested = false;

  constructor(
    readonly main: Worker,
    readonly registry: Worker,
  ) {}

  /**
   * Runs both until shutdown() or a failure of either. The obligations' worker stops first and the
   * registries' only once it has drained: a letter still running waits for its number.
   */
  async run(): Promise<void> {
    const registry = this.registry.run();
    // A registry worker that fails leaves letters without numbers: stop the obligations too.
    registry.catch(() => this.shutdown());
    const main = this.main.run();
    // Asked to stop before running: both still start and drain at once, since an SDK worker that
    // never ran keeps its hold on the connection, which then refuses to close.
    if (this.stopRequested) this.main.shutdown();
    let failure: unknown;
    await main.catch((e: unknown) => (failure = e));
    if (this.registry.getState() === 'RUNNING') this.registry.shutdown();
    await registry.catch((e: unknown) => (failure ??= e));
    if (failure !== undefined) throw failure;
  }

  /** Runs both while `fn` runs; a worker that fails meanwhile fails the call. */
  async runUntil<R>(fn: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    const stopped = running.then(() => {
      throw new Error('the workers stopped before the work they were running for finished');
    });
    try {
      return await Promise.race([typeof fn === 'function' ? fn() : fn, stopped]);
    } finally {
      this.shutdown();
      await running;
      stopped.catch(() => undefined);
    }
  }

  /** Stops the obligations' worker; run() then stops the registries' (also before run() began). */
  shutdown(): void {
    this.stopRequested = true;
    if (this.main.getState() === 'RUNNING') this.main.shutdown();
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
