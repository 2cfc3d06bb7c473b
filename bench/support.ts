// What the benchmark parts share: plan rows to launch, waiting until launched workflows sit on
// their timers, a worker in a child process, and the median.
import path from 'node:path';
import fs from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { inPool } from '../client/launch';
import type { PolicySet } from '../planner/load';
import { resolveCampaign, type PlanRow } from '../planner/resolve';
import type { WorkingCalendar } from '../domain/calendar';

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The value below which a share `q` (0..1) of the samples fall (nearest rank). */
export function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** n distinct plan rows: the campaign's rows, repeated over seasons as needed. */
export function rowsFor(
  set: PolicySet,
  campaignId: string,
  calendar: WorkingCalendar,
  n: number,
  firstSeason: number,
  tag: string,
): PlanRow[] {
  const out: PlanRow[] = [];
  for (let s = firstSeason; out.length < n; s++) {
    for (const r of resolveCampaign(set, campaignId, calendar, s)) {
      if (out.length >= n) break;
      out.push({ ...r, workflowId: `${r.workflowId}:${tag}` });
    }
  }
  return out;
}

/**
 * Until every workflow looked at has planned its schedule and waits on a timer. `every` 1 looks
 * at all (a time skip must not start before the last timer is set); larger values sample.
 */
export async function waitForTimers(client: Client, ids: string[], every = 1): Promise<void> {
  await waitForEvent(client, ids, every, (e) => !!e.timerStartedEventAttributes);
}

/** Until the workflows (every `every`-th, and the first and last) have completed a workflow task. */
export async function waitForFirstTask(client: Client, ids: string[], every = 1): Promise<void> {
  await waitForEvent(client, ids, every, (e) => !!e.workflowTaskCompletedEventAttributes);
}

async function waitForEvent(
  client: Client,
  ids: string[],
  every: number,
  has: (e: temporal.api.history.v1.IHistoryEvent) => boolean,
): Promise<void> {
  const look = every <= 1 ? ids : [ids[0], ids[ids.length - 1], ...ids.filter((_, i) => i % every === 0)];
  await inPool(look, 32, async (id) => {
    for (;;) {
      const h = await client.workflow.getHandle(id).fetchHistory();
      if (h.events?.some(has)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

/**
 * bench/worker-process.ts on `taskQueue` in `namespace` (on the cluster, the test namespace the
 * bench's environment made; the dev server's is `default`), resolved once it polls.
 */
export async function workerProcess(
  address: string,
  taskQueue: string,
  policiesDir: string,
  templatesDir: string,
  namespace = 'default',
): Promise<ChildProcess> {
  // LANTIAN_BENCH_WORKER_NODE_ARGS: extra node flags for the worker, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const extra = process.env.LANTIAN_BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [
      ...extra,
      '--import',
      'tsx',
      path.join(__dirname, 'worker-process.ts'),
      address,
      taskQueue,
      policiesDir,
      templatesDir,
      namespace,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => (child.kill('SIGKILL'), reject(new Error('worker process not ready within 120 s'))),
      120_000,
    );
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && (clearTimeout(timer), resolve()));
    child.once('exit', (c) => (clearTimeout(timer), reject(new Error(`worker exited ${c}`))));
  });
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU seconds (user + system) the time-skipping servers, our child processes, have used so far. */
export function testServerCpuSeconds(): number {
  let pids: string[];
  try {
    pids = execFileSync('pgrep', ['-P', String(process.pid), '-x', 'temporal-test-s'])
      .toString()
      .trim()
      .split('\n');
  } catch (e) {
    // pgrep exits 1 when nothing matches; anything else (no pgrep, a renamed binary) must not read as 0.
    if ((e as { status?: number }).status === 1)
      throw new Error('no time-skipping server (temporal-test-s) runs as a child of this process');
    throw e;
  }
  return pids.reduce((sum, pid) => {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return sum + (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (CLK_TCK = 100 on Linux)
  }, 0);
}
