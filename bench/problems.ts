// Part `problems` of `npm run bench`: importing N problems (one workflow each, through the same
// importer as `problem import`) against starting as many no-op workflows with the bare client,
// same dev server, same concurrency, same run; then the ledger page (/problems) with OPEN open
// problems beside OPEN open obligations, requested by a supervisor from a load generator in a
// second process (bench/web-load.ts), the worker in a third.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { devServerEnv } from '../test/support/temporal';
import { login } from '../test/support/web';
import { inPool, launchCampaign } from '../client/launch';
import { importProblems, listProblems } from '../client/problems';
import { loadProblemPolicy } from '../planner/problems';
import type { PolicySet } from '../planner/load';
import type { WorkingCalendar } from '../domain/calendar';
import type { ProblemInput } from '../domain/problem';
import { readEnv } from '../config/env';
import { startWeb } from '../web/start';
import { median, percentile, rowsFor, stopProcess, waitForFirstTask, waitForTimers, workerProcess } from './support';
import type { LoadPlan, LoadResult } from './web-load';

/** n problems spread over the campaign's organisations and the policy's categories. */
export function problemInputs(
  set: PolicySet,
  campaignId: string,
  policiesDir: string,
  n: number,
  tag: string,
  season: number,
) {
  const campaign = set.campaigns.get(campaignId)!;
  const policy = loadProblemPolicy(path.join(policiesDir, 'problems.yaml'), set.templatesDir);
  const orgs = campaign.scope.map((code) => set.organisations.get(code)).filter((o) => !!o);
  return [...Array(n).keys()].map((i): ProblemInput => {
    const org = orgs[i % orgs.length];
    const category = policy.categories[i % policy.categories.length];
    return {
      number: `${tag}-${i}`,
      assignee: { code: org.code, name: org.name },
      site: { name: `企业${i}` },
      category: category.name,
      description: '料场未苫盖',
      foundDate: `${season}-11-${String(1 + (i % 28)).padStart(2, '0')}`,
      team: '第一检查组',
      campaignId,
      season,
      rule: category.rule,
      ladder: category.ladder ?? policy.ladder,
      office: campaign.office,
      timezone: campaign.timezone,
      sending: policy.sending,
    };
  });
}

export async function problemsBench(
  set: PolicySet,
  campaignId: string,
  policiesDir: string,
  calendar: WorkingCalendar,
  o: { n: number; open: number; runs: number; requests: number; concurrency: number },
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-problems-bench-'));
  const env = await devServerEnv(path.join(dir, 'temporal.db'));
  const season = new Date().getFullYear() + 2;
  const imported: number[] = [];
  const bare: number[] = [];
  try {
    // 1. Start rates, on a task queue no worker polls: what is measured is starting, as for launches.
    for (let run = 0; run < o.runs; run++) {
      for (const which of run % 2 ? (['bare', 'import'] as const) : (['import', 'bare'] as const)) {
        const t0 = performance.now();
        if (which === 'import') {
          const inputs = problemInputs(set, campaignId, policiesDir, o.n, `idle${run}`, season);
          const report = await importProblems(env.client, inputs, { taskQueue: 'bench-idle' });
          if (report.started.length !== o.n) throw new Error(`import started ${report.started.length} of ${o.n}`);
          imported.push(o.n / ((performance.now() - t0) / 1000));
        } else {
          await inPool([...Array(o.n).keys()], 64, async (i) => {
            await env.client.workflow.start('noop', {
              taskQueue: 'bench-idle',
              workflowId: `noop-problems-${run}-${i}`,
              args: [],
            });
          });
          bare.push(o.n / ((performance.now() - t0) / 1000));
        }
      }
    }
    // Those workflows never run: end them so the ledger below reads only the open problems.
    for (const id of await listProblems(env.client))
      await env.client.workflow
        .getHandle(id)
        .terminate('bench: start rate only')
        .catch(() => undefined);

    // 2. The ledger page with OPEN open problems beside OPEN open obligations, on a worker.
    const taskQueue = 'problems-bench';
    const worker = await workerProcess(env.address, taskQueue, policiesDir, set.templatesDir, env.namespace);
    try {
      const rows = rowsFor(set, campaignId, calendar, o.open, season, 'problems');
      await launchCampaign(env.client, rows, { taskQueue });
      await waitForTimers(
        env.client,
        rows.map((r) => r.workflowId),
        Math.ceil(rows.length / 20),
      );
      const report = await importProblems(
        env.client,
        problemInputs(set, campaignId, policiesDir, o.open, 'open', season),
        {
          taskQueue,
        },
      );
      if (report.started.length !== o.open) throw new Error(`started ${report.started.length} of ${o.open} problems`);
      // Listed at once (each starts with its ledger facts), but measured once the worker has run
      // every problem's first task, as the obligations above: the steady state, not the backlog.
      await waitForFirstTask(env.client, report.started, Math.ceil(report.started.length / 20));
      for (const started = Date.now(); ;) {
        const listed = (await listProblems(env.client)).length;
        if (listed >= o.open) break;
        if (Date.now() - started > 300_000) throw new Error(`visibility lists ${listed} of ${o.open} problems`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const web = await startWeb(
        readEnv({
          LANTIAN_DATA_DIR: path.join(dir, 'data'),
          LANTIAN_TASK_QUEUE: taskQueue,
          LANTIAN_POLICIES_DIR: policiesDir,
        }),
        env.client,
        set,
        calendar,
        0,
      );
      try {
        const supervisor = await web.deps.users.add('bench-supervisor', 'supervisor');
        const session = await login(web.url, 'bench-supervisor', supervisor.password);
        const runs: LoadResult[] = [];
        for (let run = 0; run < o.runs; run++) {
          const plan: LoadPlan = {
            url: web.url,
            cookie: session.cookie,
            pages: [{ name: 'ledger', path: `/problems?season=${season}` }],
            requests: o.requests,
            concurrency: o.concurrency,
            uploads: [],
            fileBytes: 1,
          };
          const planFile = path.join(dir, `problems-plan-${run}.json`);
          fs.writeFileSync(planFile, JSON.stringify(plan));
          const { stdout } = await promisify(execFile)(
            process.execPath,
            ['--import', 'tsx', path.join(__dirname, 'web-load.ts'), planFile],
            { maxBuffer: 64 * 2 ** 20, timeout: 1_800_000 },
          );
          runs.push(JSON.parse(stdout) as LoadResult);
        }
        const ledger = runs.map((r) => r.pages.ledger);
        return {
          n: o.n,
          open: o.open,
          importRate: median(imported),
          bareRate: median(bare),
          ratio: median(imported) / median(bare),
          runs: { imported, bare },
          ledger: {
            coldMs: ledger[0].coldMs,
            p50: median(ledger.map((l) => median(l.ms))),
            p95: median(ledger.map((l) => percentile(l.ms, 0.95))),
            p95Runs: ledger.map((l) => percentile(l.ms, 0.95)),
            requests: ledger[0].ms.length,
            bytes: ledger[0].bytes,
          },
        };
      } finally {
        await web.close();
      }
    } finally {
      await stopProcess(worker);
    }
  } finally {
    await env.teardown();
  }
}
