// A Lantian worker in a child process of its own (test/support/crash-worker.ts), for the tests that
// SIGKILL one: real activities, the real SMTP mailer and its sent ledger in `dataDir`.
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

export interface WorkerProcessOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  smtpPort: number;
  dataDir: string;
  /** The process SIGKILLs itself as soon as its first delivery has been recorded in the ledger. */
  crashAfterLedger?: boolean;
  /** Production storage (PostgreSQL and the object store) instead of the data folder. */
  stores?: { database: string; objects: string };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Milliseconds from spawn until the worker polls; rejects if it exits first. */
  ready: Promise<number>;
}

export function startWorkerProcess(o: WorkerProcessOptions): WorkerProcess {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, 'crash-worker.ts'),
      o.address,
      o.taskQueue,
      `smtp://127.0.0.1:${o.smtpPort}`,
      o.dataDir,
      o.namespace,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        ...(o.crashAfterLedger ? { LANTIAN_CRASH_AFTER_LEDGER: '1' } : {}),
        ...(o.stores
          ? {
              LANTIAN_CRASH_WORKER_DATABASE_URL: o.stores.database,
              LANTIAN_CRASH_WORKER_OBJECT_STORE_URL: o.stores.objects,
            }
          : {}),
      },
    },
  );
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve(performance.now() - t0));
    child.on('exit', (code, signal) => reject(new Error(`worker exited before it was ready (${code ?? signal})`)));
  });
  // A worker killed on purpose after it was ready must not leave an unhandled rejection behind.
  ready.catch(() => undefined);
  return { child, ready };
}

/** Resolves with the signal that ended the process (null for a plain exit), at once if it has ended. */
export const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve(child.signalCode)
      : child.once('exit', (_c, s) => resolve(s)),
  );
