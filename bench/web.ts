// Part `web` of `npm run bench`: the supervisor's scoreboard and list page, and evidence uploads,
// with OPEN open obligation workflows on a dev server. The worker runs in a process of its own
// and the load generator (bench/web-load.ts) in another, as in production where the worker,
// the web app and the browsers are apart; the web app runs here, with its default settings.
// The supervisor also opens one stored 1 MB evidence file as many times as each page.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { devServerEnv } from '../test/support/temporal';
import { login } from '../test/support/web';
import { inPool, launchCampaign } from '../client/launch';
import type { PolicySet } from '../planner/load';
import type { WorkingCalendar } from '../domain/calendar';
import { readEnv } from '../config/env';
import { startWeb } from '../web/start';
import { visibilityQuery } from '../client/obligations';
import { submitEvidence } from '../workflows/api';
import { rowsFor, waitForTimers, workerProcess, stopProcess, median, percentile } from './support';
import type { LoadPlan, LoadResult } from './web-load';

/** A PDF-looking file of `bytes` bytes (random, so the store keeps it as it is). */
function benchPdf(bytes: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n%lantian-bench\n', 'latin1');
  return Buffer.concat([head, crypto.randomBytes(bytes - head.length)]);
}

export interface WebBenchOptions {
  open: number;
  requests: number;
  concurrency: number;
  uploads: number;
  fileBytes: number;
  runs: number;
}

export async function webBench(
  set: PolicySet,
  campaignId: string,
  policiesDir: string,
  calendar: WorkingCalendar,
  o: WebBenchOptions,
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-web-bench-'));
  const env = await devServerEnv(path.join(dir, 'temporal.db'));
  const taskQueue = 'web-bench';
  const worker = await workerProcess(env.address, taskQueue, policiesDir, set.templatesDir, env.namespace);
  try {
    const rows = rowsFor(set, campaignId, calendar, o.open, new Date().getFullYear() + 2, 'web');
    await launchCampaign(env.client, rows, { taskQueue });
    await waitForTimers(
      env.client,
      rows.map((r) => r.workflowId),
      Math.ceil(rows.length / 20),
    );
    for (const started = Date.now(); ;) {
      const { count } = await env.client.workflow.count(visibilityQuery({}));
      if (count >= o.open) break;
      if (Date.now() - started > 300_000)
        throw new Error(`visibility lists ${count} of ${o.open} obligations after 300 s`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const config = readEnv({
      LANTIAN_DATA_DIR: path.join(dir, 'data'),
      LANTIAN_TASK_QUEUE: taskQueue,
      LANTIAN_POLICIES_DIR: policiesDir,
    });
    const web = await startWeb(config, env.client, set, calendar, 0);
    try {
      const supervisor = web.deps.users.add('bench-supervisor', 'supervisor');
      // The app shares this process with the bench: after 50,000 launches a pause of the event
      // loop can outlast the server's keep-alive, closing the connection the login reuses. A
      // browser sends again on a fresh connection; so does the bench, once.
      const session = await login(web.url, 'bench-supervisor', supervisor.password).catch((e: Error) => {
        if ((e.cause as { code?: string } | undefined)?.code !== 'UND_ERR_SOCKET') throw e;
        return login(web.url, 'bench-supervisor', supervisor.password);
      });
      // Uploads go to distinct workflows, each as its own assignee, half of them to be sent
      // straight to the workflow without HTTP (the baseline).
      const tokens = new Map<string, string>();
      const tokenOf = (org: string) =>
        tokens.get(org) ??
        (tokens.set(org, web.deps.users.add(`bench-${org}`, 'assignee', org).token), tokens.get(org)!);
      // Each run uploads to workflows of its own (a workflow takes a file once).
      const step = Math.floor(rows.length / (2 * o.uploads * o.runs));
      if (step < 1)
        throw new Error(`${2 * o.uploads * o.runs} uploads need as many open obligations; there are ${rows.length}`);
      const picked = [...Array(2 * o.uploads * o.runs).keys()].map((i) => rows[i * step]);
      // One file the supervisor opens again and again: uploaded once, outside the timed runs.
      const taken = new Set(picked.map((r) => r.workflowId));
      const shelf = rows.find((r) => !taken.has(r.workflowId))!;
      const stored = new FormData();
      if (shelf.input.quantity) stored.append('quantity', '1');
      stored.append('file', new Blob([benchPdf(o.fileBytes)], { type: 'application/pdf' }), 'evidence.pdf');
      const receipt = await fetch(`${web.url}/api/obligations/${encodeURIComponent(shelf.workflowId)}/evidence`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenOf(shelf.input.assignee.code)}` },
        body: stored,
      });
      if (receipt.status !== 200)
        throw new Error(`evidence for the download: ${receipt.status} ${await receipt.text()}`);
      const evidenceId = ((await receipt.json()) as { receipt: { evidenceId: string } }).receipt.evidenceId;
      const download = {
        path: `/obligations/${encodeURIComponent(shelf.workflowId)}/evidence/${encodeURIComponent(evidenceId)}`,
        bytes: o.fileBytes,
      };
      const runs: { load: LoadResult; updates: number[]; loopMaxMs: number }[] = [];
      for (let run = 0; run < o.runs; run++) {
        const mine = picked.slice(run * 2 * o.uploads, (run + 1) * 2 * o.uploads);
        const viaHttp = mine.filter((_, i) => i % 2 === 0);
        const direct = mine.filter((_, i) => i % 2 === 1);
        const plan: LoadPlan = {
          url: web.url,
          cookie: session.cookie,
          pages: [
            { name: 'scoreboard', path: '/scoreboard' },
            { name: 'list', path: '/obligations' },
          ],
          requests: o.requests,
          concurrency: o.concurrency,
          uploads: viaHttp.map((r) => ({
            workflowId: r.workflowId,
            token: tokenOf(r.input.assignee.code),
            ...(r.input.quantity ? { quantity: 1 } : {}),
          })),
          fileBytes: o.fileBytes,
          download,
        };
        // How long the app's event loop stalled while it answered (the longest pause, per run).
        const loop = monitorEventLoopDelay({ resolution: 10 });
        loop.enable();
        const planFile = path.join(dir, `load-plan-${run}.json`);
        fs.writeFileSync(planFile, JSON.stringify(plan));
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ['--import', 'tsx', path.join(__dirname, 'web-load.ts'), planFile],
          { maxBuffer: 64 * 2 ** 20, timeout: 1_800_000 },
        );
        loop.disable();
        const load = JSON.parse(stdout) as LoadResult;

        // Baseline: the same Update straight from a Temporal client, no HTTP, no file, from as
        // many clients at once as the uploads came from.
        const updates: number[] = [];
        await inPool(direct, o.concurrency, async (r) => {
          const t0 = performance.now();
          await env.client.workflow.getHandle(r.workflowId).executeUpdate(submitEvidence, {
            args: [
              {
                actor: { role: 'assignee', id: `bench-${r.input.assignee.code}`, org: r.input.assignee.code },
                sha256: '0'.repeat(64),
                size: o.fileBytes,
                fileName: 'direct.pdf',
                mediaType: 'application/pdf',
                ...(r.input.quantity ? { quantity: 1 } : {}),
              },
            ],
          });
          updates.push(performance.now() - t0);
        });
        runs.push({ load, updates, loopMaxMs: loop.max / 1e6 });
      }
      // Percentiles within each run; the figure is the median of the runs.
      const stats = (of: (r: (typeof runs)[number]) => number[]) => {
        const each = runs.map((r) => of(r));
        return {
          p50: median(each.map((xs) => median(xs))),
          p95: median(each.map((xs) => percentile(xs, 0.95))),
          p99: median(each.map((xs) => percentile(xs, 0.99))),
          n: each[0].length,
          p95Runs: each.map((xs) => percentile(xs, 0.95)),
          p99Runs: each.map((xs) => percentile(xs, 0.99)),
        };
      };
      const page = (name: string) => ({
        ...stats((r) => r.load.pages[name].ms),
        coldMs: median(runs.map((r) => r.load.pages[name].coldMs)),
        bytes: runs[0].load.pages[name].bytes,
      });
      return {
        open: o.open,
        runs: o.runs,
        concurrency: o.concurrency,
        pages: { scoreboard: page('scoreboard'), list: page('list') },
        floor: stats((r) => r.load.floor),
        uploads: stats((r) => r.load.uploads),
        downloads: stats((r) => r.load.downloads),
        directUpdates: stats((r) => r.updates),
        fileBytes: o.fileBytes,
        loopMaxMs: runs.map((r) => r.loopMaxMs),
      };
    } finally {
      await web.close();
    }
  } finally {
    await stopProcess(worker);
    await env.teardown();
  }
}
