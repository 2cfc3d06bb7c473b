// The embedded Temporal: the CLI's dev server on a SQLite file under the data folder, so state
// survives restarts. Ports are checked before starting, so a taken port is a clear error.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalCli } from './binaries';

export interface DevServerOptions {
  dbFile: string;
  ip?: string;
  port: number;
  uiPort: number;
  httpPort: number;
  logFile: string;
  /** Called as soon as the server process exists, before it answers: who must stop it meanwhile. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export class PortTakenError extends Error {
  constructor(
    readonly port: number,
    readonly purpose: string,
    readonly envVar: string,
    leftover?: number,
  ) {
    super(
      leftover
        ? `port ${port} (${purpose}) is already in use by a Temporal dev server an earlier start left running (pid ${leftover}, same data folder): stop it with \`kill ${leftover}\`, then start again`
        : `port ${port} (${purpose}) is already in use: stop what uses it, or choose another with ${envVar}=<port>`,
    );
    this.name = 'PortTakenError';
  }
}

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pid of a dev server an earlier start on this database left running (it was killed itself), if any. */
function leftoverServer(pidFile: string): number | undefined {
  const [pid, owner] = (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '').split(/\s+/).map(Number);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  // The start that ran it still runs: not a leftover, just a second start on the same data folder.
  if (Number.isInteger(owner) && owner > 0 && alive(owner)) return undefined;
  // A pid is reused after its process ends: only a process running the Temporal CLI counts.
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-dev') ? pid : undefined;
  } catch {
    return pid;
  }
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const ip = o.ip ?? '127.0.0.1';
  const pidFile = `${o.dbFile}.pid`;
  for (const [port, purpose, envVar] of [
    [o.port, 'Temporal gRPC', 'LANTIAN_TEMPORAL_PORT'],
    [o.uiPort, 'Temporal UI', 'LANTIAN_TEMPORAL_UI_PORT'],
    [o.httpPort, 'Temporal HTTP API', 'LANTIAN_TEMPORAL_HTTP_PORT'],
  ] as const) {
    if (!(await portFree(port, ip))) throw new PortTakenError(port, purpose, envVar, leftoverServer(pidFile));
  }
  fs.mkdirSync(path.dirname(o.dbFile), { recursive: true });
  const log = fs.openSync(o.logFile, 'a');
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    o.dbFile,
    '--ip',
    ip,
    '--port',
    String(o.port),
    '--ui-port',
    String(o.uiPort),
    '--http-port',
    String(o.httpPort),
    '--log-level',
    'warn',
    '--ui-disable-news-fetch',
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
  ];
  // Own process group, so Ctrl-C in the terminal reaches us first and we stop it in order.
  const child = spawn(temporalCli(), args, { stdio: ['ignore', log, log], detached: true });
  let exited: number | null | undefined;
  o.onSpawn?.(child);
  // Our own pid beside the server's: a server is left over only when the start that ran it is gone.
  if (child.pid) fs.writeFileSync(pidFile, `${child.pid} ${process.pid}\n`);
  child.once('exit', (code) => {
    exited = code;
    fs.rmSync(pidFile, { force: true });
  });
  const address = `${ip}:${o.port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined)
      throw new Error(`the Temporal dev server exited (code ${exited}) while starting; see ${o.logFile}`);
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.workflowService.getSystemInfo({});
      await c.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(`the Temporal dev server did not answer on ${address} within 60 s; see ${o.logFile}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return {
    address,
    uiUrl: `http://${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${o.uiPort}`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== undefined) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
