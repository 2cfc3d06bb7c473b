// A worker's restart, measured as an operator meets it: the worker process (worker/main.ts) is
// started while an obligation waits for it, and the figure is the time from the process's spawn
// to that obligation's first completed workflow task. With the bundle prebuilt (`npm run bundle`,
// the image build) against the baseline of bundling at start, on the same dev server in one run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { launchCampaign } from '../client/launch';
import type { PolicySet } from '../planner/load';
import type { WorkingCalendar } from '../domain/calendar';
import { devServerEnv, repo } from '../test/support/temporal';
import { loadOrBuildBundle } from '../worker/bundle';
import { median, rowsFor } from './support';

async function firstTaskDone(client: Client, workflowId: string, timeoutMs = 180_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    if (history.events?.some((e) => e.workflowTaskCompletedEventAttributes)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${workflowId}: no workflow task completed within ${timeoutMs / 1000} s`);
}

export async function restartBench(
  set: PolicySet,
  campaignId: string,
  policiesDir: string,
  calendar: WorkingCalendar,
  runs: number,
) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-restart-'));
  const env = await devServerEnv(path.join(tmp, 'temporal.db'));
  const prebuilt = path.join(tmp, 'bundle');
  await loadOrBuildBundle(prebuilt);
  const seconds = { prebuilt: [] as number[], bundling: [] as number[] };
  try {
    for (let run = 0; run < runs; run++) {
      for (const mode of run % 2 ? (['bundling', 'prebuilt'] as const) : (['prebuilt', 'bundling'] as const)) {
        const taskQueue = `restart-${mode}-${run}`;
        const [planned] = rowsFor(set, campaignId, calendar, 1, new Date().getFullYear(), `${mode}${run}`);
        // The worker plans with the policy folder's calendar: years its holiday notices do not
        // cover yet count weekends only, as for a campaign launched with --provisional-calendar.
        const row = { ...planned, input: { ...planned.input, provisionalCalendar: true } };
        await launchCampaign(env.client, [row], { taskQueue });
        const t0 = performance.now();
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'worker', 'main.ts')], {
          cwd: repo,
          stdio: ['ignore', 'ignore', 'inherit'],
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: env.address,
            LANTIAN_TASK_QUEUE: taskQueue,
            LANTIAN_POLICIES_DIR: policiesDir,
            LANTIAN_DATA_DIR: path.join(tmp, `data-${taskQueue}`),
            LANTIAN_BUNDLE_DIR: mode === 'prebuilt' ? prebuilt : path.join(tmp, `empty-${taskQueue}`),
            SMTP_URL: '',
          },
        });
        try {
          await firstTaskDone(env.client, row.workflowId);
          seconds[mode].push((performance.now() - t0) / 1000);
        } finally {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await exited;
        }
      }
    }
  } finally {
    await env.teardown();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { prebuilt: median(seconds.prebuilt), bundling: median(seconds.bundling), runs: seconds };
}
