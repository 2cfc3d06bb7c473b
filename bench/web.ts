// Part `web` of `npm run bench`: the supervisor's scoreboard and list page, and evidence uploads,
// with OPEN open obligation workflows on a dev server. The worker runs in a process of its own
// and the load generator (bench/web-load.ts) in another, as in production where the worker,
// the web app and the browsers are apart; the web app runs here, with its default settings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { devServerEnv } from '../test/support/temporal';
import { login } from '../test/support/web';
import { launchCampaign } from '../launcher/launch';
import type { PolicySet } from '../planner/load';
import type { WorkingCalendar } from '../planner/calendar';
import { readEnv } from '../config/env';
import { startWeb } from '../web/start';
import { visibilityQuery } from '../services/obligations';
import { submitEvidence } from '../workflows/api';
import { rowsFor, waitForTimers, workerProcess, stopProcess, median, percentile } from './support';
import type { LoadPlan, LoadResult } from './web-load';

export interface WebBenchOptions {
  open: number;
  requests: number;
  concurrency: number;
  uploads: number;
  fileBytes: number;
}

export async function webBench(set: PolicySet, campaignId: string, policiesDir: string, calendar: WorkingCalendar, o: WebBenchOptions) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-web-bench-'));
  const env = await devServerEnv(path.join(dir, 'temporal.db'));
  const taskQueue = 'web-bench';
  const worker = await workerProcess(env.address, taskQueue, policiesDir, set.templatesDir);
  try {
    const rows = rowsFor(set, campaignId, calendar, o.open, new Date().getFullYear() + 2, 'web');
    await launchCampaign(env.client, rows, { taskQueue });
    await waitForTimers(env.client, rows.map((r) => r.workflowId), Math.ceil(rows.length / 20));
    for (;;) {
      const { count } = await env.client.workflow.count(visibilityQuery({}));
      if (count >= o.open) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const config = readEnv({ LANTIAN_DATA_DIR: path.join(dir, 'data'), LANTIAN_TASK_QUEUE: taskQueue, LANTIAN_POLICIES_DIR: policiesDir });
    const web = await startWeb(config, env.client, set, calendar, 0);
    try {
      const supervisor = web.deps.users.add('bench-supervisor', 'supervisor');
      const session = await login(web.url, 'bench-supervisor', supervisor.password);
      // Uploads go to distinct workflows, each as its own assignee, half of them to be sent
      // straight to the workflow without HTTP (the baseline).
      const tokens = new Map<string, string>();
      const tokenOf = (org: string) => tokens.get(org) ?? (tokens.set(org, web.deps.users.add(`bench-${org}`, 'assignee', org).token), tokens.get(org)!);
      const step = Math.floor(rows.length / (2 * o.uploads));
      const picked = [...Array(2 * o.uploads).keys()].map((i) => rows[i * step]);
      const viaHttp = picked.filter((_, i) => i % 2 === 0);
      const direct = picked.filter((_, i) => i % 2 === 1);
      const plan: LoadPlan = {
        url: web.url,
        cookie: session.cookie,
        pages: [
          { name: 'scoreboard', path: '/scoreboard' },
          { name: 'list', path: '/obligations' },
        ],
        requests: o.requests,
        concurrency: o.concurrency,
        uploads: viaHttp.map((r) => ({ workflowId: r.workflowId, token: tokenOf(r.input.assignee.code), ...(r.input.quantity ? { quantity: 1 } : {}) })),
        fileBytes: o.fileBytes,
      };
      const planFile = path.join(dir, 'load-plan.json');
      fs.writeFileSync(planFile, JSON.stringify(plan));
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(__dirname, 'web-load.ts'), planFile], { maxBuffer: 64 * 2 ** 20 });
      const load = JSON.parse(stdout) as LoadResult;

      // Baseline: the same Update straight from a Temporal client, no HTTP, no file.
      const updates: number[] = [];
      for (const r of direct) {
        const t0 = performance.now();
        await env.client.workflow.getHandle(r.workflowId).executeUpdate(submitEvidence, {
          args: [{ actor: { role: 'assignee', id: `bench-${r.input.assignee.code}`, org: r.input.assignee.code }, sha256: '0'.repeat(64), size: o.fileBytes, fileName: 'direct.pdf', mediaType: 'application/pdf', ...(r.input.quantity ? { quantity: 1 } : {}) }],
        });
        updates.push(performance.now() - t0);
      }
      const stats = (xs: number[]) => ({ p50: median(xs), p95: percentile(xs, 0.95), p99: percentile(xs, 0.99), n: xs.length });
      return {
        open: o.open,
        concurrency: o.concurrency,
        pages: Object.fromEntries(Object.entries(load.pages).map(([k, v]) => [k, { ...stats(v.ms), coldMs: v.coldMs, bytes: v.bytes }])),
        floor: stats(load.floor),
        uploads: stats(load.uploads),
        directUpdates: stats(updates),
        fileBytes: o.fileBytes,
      };
    } finally {
      await web.close();
    }
  } finally {
    await stopProcess(worker);
    await env.teardown();
  }
}
