// `npm run bench`: throughput, simulation time and memory, each beside a baseline measured in
// the same run. Not a test: it prints figures (median of several runs) for the README.
//   1. launch: N obligation workflows through Lantian's launcher vs N no-op workflows started
//      with the bare client, same dev server, same concurrency → ratio (target ≥ 0.9); beside
//      them no-op workflows carrying the obligations' input and search attributes
//   2. simulation: the largest campaign, every assignee ignoring every obligation, a whole
//      season on the time-skipping server (target < 60 s)
//   3. memory: the worker's resident set with 5,000 open obligation workflows
//   4. assessment: a season's air-quality CSV validated, imported and assessed (bench/assessment.ts)
//   5. storm: 2,000 reminders due at one instant vs nodemailer direct, and the floor: as many
//      bare workflows, each a timer and a local activity that sends, and as many urgings with
//      their PDF letters against the same floor (bench/storm.ts)
//   6. web: scoreboard, list page, 1 MB uploads and evidence downloads with 5,000 open obligations (bench/web.ts)
//   7. restart: a worker process's spawn to its first workflow task, bundle prebuilt vs bundled
//      at start (bench/restart.ts)
// `npm run bench -- cluster`: launch and web on Temporal with PostgreSQL beside the embedded
// default, in one run (bench/cluster.ts).
//   8. problems: importing N problems vs bare no-op starts, and the ledger page p95 with OPEN open
//      problems beside OPEN open obligations (bench/problems.ts)
// Diagnostics: LANTIAN_BENCH_SIM_ROWS limits the simulation to its first rows;
// LANTIAN_BENCH_SIM_SHARDS spreads it over several time-skipping servers;
// LANTIAN_BENCH_DOCNUM=memory numbers letters from a counter instead of the registry workflow,
// to isolate what the registry's Updates cost.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readArchive } from '../storage/archive';
import {
  devServerEnv,
  timeSkippingEnv,
  fixturePoliciesDir,
  templatesDir,
  repo,
  workflowBundle,
} from '../test/support/temporal';
import bundleSetup from '../test/support/global-setup';
import { launchCampaign, inPool, searchAttributesFor } from '../client/launch';
import { loadPolicies, type PolicySet } from '../planner/load';
import { resolveCampaign } from '../planner/resolve';
import { median, rowsFor, testServerCpuSeconds, waitForTimers, workerProcess, stopProcess } from './support';
import { outboxMailer } from '../notices/mailer';
import { obligationWorkflow } from '../workflows/obligation';
import { benchCalendar } from './calendar';
import { readEnv } from '../config/env';
import { documentNumberAllocator } from '../client/document-numbers';
import { assessmentBench } from './assessment';
import { stormBench } from './storm';
import { liveStormBench } from './live-storm';
import { webBench } from './web';
import { restartBench } from './restart';
import { clusterBench } from './cluster';
import { problemsBench } from './problems';
import { createWorker } from '../worker/create';

const N = Number(process.env.LANTIAN_BENCH_N ?? 2000);
const RUNS = Number(process.env.LANTIAN_BENCH_RUNS ?? 3);
const OPEN = Number(process.env.LANTIAN_BENCH_OPEN ?? 5000);
const { calendar, synthetic } = benchCalendar();

function policies(): { set: PolicySet; campaignId: string; dir: string } {
  // The largest shipped campaign when the policy folder loads; the drill fixture otherwise.
  try {
    const set = loadPolicies(path.join(repo, 'policies'));
    const largest = [...set.campaigns.values()].sort(
      (a, b) => resolveCampaign(set, b.id, calendar).length - resolveCampaign(set, a.id, calendar).length,
    )[0];
    if (largest) return { set, campaignId: largest.id, dir: path.join(repo, 'policies') };
  } catch {
    /* fall through */
  }
  return {
    set: loadPolicies(fixturePoliciesDir, undefined, templatesDir),
    campaignId: 'drill',
    dir: fixturePoliciesDir,
  };
}

async function launchBench(set: PolicySet, campaignId: string) {
  const env = await devServerEnv(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-bench-')), 'temporal.db'));
  const client = env.client;
  const lantian: number[] = [];
  const bare: number[] = [];
  const carrying: number[] = [];
  const planning: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      // Turn the order each run so none always meets a warmer server.
      const order = (['bare', 'lantian', 'carrying'] as const).map((_, k, all) => all[(k + run) % all.length]);
      for (const which of order) {
        const r0 = performance.now();
        const rows = which === 'bare' ? [] : rowsFor(set, campaignId, calendar, N, 2040, `${which}${run}`);
        if (which === 'lantian') planning.push(performance.now() - r0);
        const t0 = performance.now();
        if (which === 'lantian') {
          const report = await launchCampaign(client, rows, { taskQueue: 'bench-idle' });
          if (report.started.length !== N) throw new Error(`launcher started ${report.started.length} of ${N}`);
          lantian.push(N / ((performance.now() - t0) / 1000));
        } else if (which === 'carrying') {
          // Diagnostic: no-op workflows carrying what an obligation carries (its input, search
          // attributes and memo), started with the bare client: the server's cost of that data.
          await inPool(rows, 64, async (r) => {
            await client.workflow.start('noop', {
              taskQueue: 'bench-idle',
              workflowId: r.workflowId,
              args: [r.input],
              typedSearchAttributes: searchAttributesFor(r),
              memo: { planHash: r.input.planHash },
            });
          });
          carrying.push(N / ((performance.now() - t0) / 1000));
        } else {
          await inPool([...Array(N).keys()], 64, async (i) => {
            await client.workflow.start('noop', { taskQueue: 'bench-idle', workflowId: `noop-${run}-${i}`, args: [] });
          });
          bare.push(N / ((performance.now() - t0) / 1000));
        }
      }
    }
  } finally {
    await env.teardown();
  }
  return {
    lantian: median(lantian),
    bare: median(bare),
    carrying: median(carrying),
    ratio: median(lantian) / median(bare),
    planningMs: median(planning),
    runs: { lantian, bare, carrying },
  };
}

async function simulationBench(set: PolicySet, campaignId: string) {
  const times: number[] = [];
  let rows = 0;
  let notices = 0;
  let unmet = 0;
  let open = 0;
  const phases = { started: [] as number[] };
  const cpu = { worker: [] as number[], server: [] as number[] };
  // Diagnostic: LANTIAN_BENCH_SIM_SHARDS=K splits the assignees over K time-skipping servers (and
  // numbers letters from one shared counter), to show what the test server's own bookkeeping,
  // which grows with everything that ran on it, costs a single large run.
  const shards = Number(process.env.LANTIAN_BENCH_SIM_SHARDS ?? 1);
  for (let run = 0; run < RUNS; run++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-sim-'));
    const season = new Date().getFullYear() + 1;
    const plan = resolveCampaign(set, campaignId, calendar, season).slice(
      0,
      Number(process.env.LANTIAN_BENCH_SIM_ROWS ?? Infinity),
    );
    rows = plan.length;
    const assignees = [...new Set(plan.map((r) => r.assignee))];
    const numbers = shards > 1 || process.env.LANTIAN_BENCH_DOCNUM === 'memory' ? memoryNumbers() : undefined;
    const parts = await Promise.all(
      [...Array(shards).keys()].map(async (k) => {
        const env = await timeSkippingEnv();
        const mine = plan.filter((r) => assignees.indexOf(r.assignee) % shards === k);
        const worker = await createWorker({
          connection: env.nativeConnection,
          namespace: 'default',
          taskQueue: 'sim',
          workflowBundle: workflowBundle(),
          workflowThreads: readEnv().LANTIAN_WORKFLOW_THREADS,
          deps: {
            calendar,
            organisations: set.organisations,
            templatesDir: set.templatesDir,
            archiveDir: path.join(dir, 'archive'),
            lettersDir: path.join(dir, 'letters'),
            mailer: outboxMailer(path.join(dir, 'outbox')),
            mailFrom: 'sim@localhost',
            documentNumbers: numbers ?? documentNumberAllocator(async () => env.client, 'sim'),
          },
        });
        return { env, worker, mine };
      }),
    );
    const server0 = testServerCpuSeconds();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let started = 0;
    await Promise.all(
      parts.map(({ env, worker, mine }) =>
        worker.runUntil(async () => {
          await inPool(mine, 64, async (r) => {
            await env.client.workflow.start(obligationWorkflow, {
              taskQueue: 'sim',
              workflowId: r.workflowId,
              args: [r.input],
            });
          });
          started = Math.max(started, (performance.now() - t0) / 1000);
          // One skip to past the last close, rather than many concurrent result() calls each
          // unlocking time skipping (the test server stalls on that).
          const end = Math.max(...mine.map((r) => Date.parse(r.deadline))) + 400 * 86_400_000;
          await env.sleep(end - (await env.currentTimeMs()));
        }),
      ),
    );
    const c = process.cpuUsage(cpu0);
    cpu.worker.push((c.user + c.system) / 1e6);
    cpu.server.push(testServerCpuSeconds() - server0);
    phases.started.push(started);
    // Each closed obligation archived its own record: read the outcomes there rather than
    // query 1,000 closed workflows (each query on a closed workflow replays its whole history).
    const outcomes = plan.map((r) => readArchive(path.join(dir, 'archive'), r.workflowId));
    unmet = outcomes.filter((o) => o?.status === 'unmet').length;
    open = outcomes.filter((o) => !o).length;
    times.push((performance.now() - t0) / 1000);
    notices = fs.readdirSync(path.join(dir, 'outbox')).length;
    for (const { env } of parts) await env.teardown();
  }
  return {
    seconds: median(times),
    runs: times,
    rows,
    notices,
    unmet,
    open,
    startedS: median(phases.started),
    workerCpuS: median(cpu.worker),
    serverCpuS: median(cpu.server),
    shards,
  };
}

function memoryNumbers() {
  const m = new Map<string, number>();
  let n = 0;
  return async (_o: string, _y: number, key: string) => m.get(key) ?? (m.set(key, ++n), n);
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function memoryBench(set: PolicySet, campaignId: string, dir: string) {
  const env = await devServerEnv(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-mem-')), 'temporal.db'));
  const child = await workerProcess(env.address, 'mem', dir, set.templatesDir, env.namespace);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const idle = rssOf(child.pid!);
    const rows = rowsFor(set, campaignId, calendar, OPEN, new Date().getFullYear() + 2, 'mem');
    await launchCampaign(env.client, rows, { taskQueue: 'mem' });
    await waitForTimers(
      env.client,
      rows.map((r) => r.workflowId),
      Math.ceil(rows.length / 20),
    );
    const loaded = rssOf(child.pid!);
    return {
      idleMiB: idle / 2 ** 20,
      openMiB: loaded / 2 ** 20,
      perWorkflowKiB: (loaded - idle) / OPEN / 1024,
      open: OPEN,
    };
  } finally {
    await stopProcess(child);
    await env.teardown();
  }
}

async function main() {
  const f = (x: number, d = 1) => x.toFixed(d);
  // Parts by name: LANTIAN_BENCH_ONLY=launch,memory or `npm run bench -- assessment`.
  const only = (
    process.env.LANTIAN_BENCH_ONLY ?? (process.argv.length > 2 ? process.argv.slice(2).join(',') : undefined)
  )?.split(',');
  const want = (part: string) => !only || only.includes(part);
  if (only?.includes('cluster')) return clusterBench();
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${f(os.totalmem() / 2 ** 30, 0)} GiB, node ${process.version}`,
  );
  if (want('assessment')) {
    const a = await assessmentBench(Number(process.env.LANTIAN_BENCH_ASSESSMENT_RUNS ?? 7));
    console.log(
      `4. assessment: ${a.units} units × ${a.days} days (${a.rows} rows), validate + import + ${a.points} assessment points: ${f(a.fullMs)} ms wall (target < 1000 ms); reading the same CSV alone ${f(a.readMs)} ms; ratio ${f(a.fullMs / a.readMs)}×; of which assessing ${f(a.assessMs)} ms; ${a.acts} acts  runs ${a.runs.full.map((x) => f(x)).join(', ')}`,
    );
    if (only && only.every((p) => p === 'assessment')) return;
  }
  await bundleSetup();
  const { set, campaignId, dir } = policies();
  console.log(
    `campaign: ${campaignId}; runs per figure: ${RUNS} (median)${synthetic.length ? `; years without an official calendar count weekends only: ${synthetic[0]}–${synthetic.at(-1)}` : ''}`,
  );

  if (want('launch')) {
    const l = await launchBench(set, campaignId);
    console.log(
      `1. launch N=${N}: Lantian launcher ${f(l.lantian)} workflows/s, bare client no-op ${f(l.bare)} workflows/s, ratio ${f(l.ratio, 2)} (target ≥ 0.9); no-op workflows carrying the obligations' input, search attributes and memo, bare client: ${f(l.carrying)} workflows/s (${f(l.carrying / l.bare, 2)} of the no-op rate; Lantian ${f(l.lantian / l.carrying, 2)} of it); resolving the ${N} plan rows beforehand ${f(l.planningMs, 0)} ms  runs ${JSON.stringify(l.runs, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
    );
  }
  if (want('simulation')) {
    const s = await simulationBench(set, campaignId);
    console.log(
      `2. whole season, every obligation ignored: ${s.rows} workflows (${s.unmet} closed unmet, ${s.open} not closed; all started after ${f(s.startedS)} s), ${s.notices} notices, ${f(s.seconds)} s wall (target < 60 s); CPU: worker process ${f(s.workerCpuS)} s, time-skipping server ${f(s.serverCpuS)} s${s.shards > 1 ? `; split over ${s.shards} time-skipping servers (a diagnostic, not the figure)` : ''}  runs ${s.runs.map((x) => f(x)).join(', ')}`,
    );
  }
  if (want('storm')) {
    const d = await stormBench(calendar, N, RUNS);
    console.log(
      `5. deadline storm: ${N} reminders due at one instant, immediate delivery over pooled SMTP to smtp-server in a second process: ${f(d.storm, 2)} s until all accepted vs ${f(d.direct, 2)} s sending ${N} directly with nodemailer (same pool, same server), ratio ${f(d.ratio, 2)}× (target ≤ 1.5×); floor: ${N} bare workflows, each a timer and a local activity sending the same message, ${f(d.floor, 2)} s = ${f(d.floor / d.direct, 2)}× direct (worker CPU ${f(d.floorCpuS)} s), Lantian ${f(d.storm / d.floor, 2)}× the floor; with PDF letters (${N} urgings due at one instant, each numbered, its PDF made, stored and attached): ${f(d.pdf, 2)} s = ${f(d.pdfToFloor, 2)}× the same floor (worker CPU ${f(d.pdfWorkerCpuS)} s); first reminder accepted after ${f(d.firstS, 2)} s, half after ${f(d.halfS, 2)} s; CPU during the storm: worker process ${f(d.workerCpuS)} s, time-skipping server ${f(d.serverCpuS)} s, SMTP sink ${f(d.sinkCpuS)} s (direct: ${f(d.directCpuS)} s sender + sink)${d.other ? `; ${d.other} other messages` : ''}${d.duplicates ? `; ${d.duplicates} notices received twice` : ''}  runs ${JSON.stringify(d.runs, (_k, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v))}`,
    );
  }
  // In real time, minutes per run: only when named (the cluster bench names it).
  if (only?.includes('live-storm')) {
    const d = await liveStormBench(calendar, N, RUNS);
    console.log(
      `9. deadline storm in real time: ${N} reminders due at one wall-clock minute, immediate delivery over pooled SMTP to smtp-server in a second process: ${f(d.storm, 2)} s from that minute until all accepted; floor on the same server: ${N} bare workflows, each a timer and a local activity sending the same message, ${f(d.floor, 2)} s; Lantian ${f(d.toFloor, 2)}× the floor; sending the ${N} directly with nodemailer ${f(d.direct, 2)} s; worker CPU during the storm ${f(d.workerCpuS)} s${d.duplicates ? `; ${d.duplicates} notices received twice` : ''}  runs ${JSON.stringify(d.runs, (_k, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v))}`,
    );
  }
  if (want('web')) {
    const w = await webBench(set, campaignId, dir, calendar, {
      open: OPEN,
      requests: Number(process.env.LANTIAN_BENCH_WEB_REQUESTS ?? 200),
      concurrency: Number(process.env.LANTIAN_BENCH_WEB_CLIENTS ?? 4),
      uploads: Number(process.env.LANTIAN_BENCH_WEB_UPLOADS ?? 200),
      fileBytes: 2 ** 20,
      runs: RUNS,
    });
    const ms = (
      s: { p50: number; p95: number; p99: number; p95Runs: number[]; p99Runs: number[] },
      tail: 'p95' | 'p99',
    ) => `p50 ${f(s.p50)} ms, ${tail} ${f(s[tail])} ms [runs ${s[`${tail}Runs`].map((x) => f(x)).join(', ')}]`;
    console.log(
      `6. web, ${w.open} open obligations, ${w.concurrency} clients from a load generator in a second process, ${w.runs} runs of ${w.pages.scoreboard.n} requests per page (median of the runs' percentiles): scoreboard ${ms(w.pages.scoreboard, 'p95')} (first request ${f(w.pages.scoreboard.coldMs)} ms); list page ${ms(w.pages.list, 'p95')} (${f(w.pages.list.bytes / 1024, 0)} KiB) (target p95 < ${process.env.LANTIAN_TEST_TEMPORAL_ADDRESS || w.open > 5000 ? 300 : 200} ms); an authenticated no-op request ${ms(w.floor, 'p95')}; the app's longest event-loop pause per run ${w.loopMaxMs.map((x) => f(x, 0)).join(', ')} ms`,
    );
    console.log(
      `   evidence upload of ${w.fileBytes / 2 ** 20} MiB, HTTP request to Update accepted, ${w.uploads.n} uploads: ${ms(w.uploads, 'p99')} (target p99 < 500 ms); the same Update from as many Temporal clients at once, without HTTP or file, ${ms(w.directUpdates, 'p99')}`,
    );
    console.log(
      `   evidence download of ${w.fileBytes / 2 ** 20} MiB by the supervisor (page route, whole file read), ${w.downloads.n} downloads: ${ms(w.downloads, 'p99')} (target p99 < 100 ms)`,
    );
  }
  if (want('problems')) {
    const p = await problemsBench(set, campaignId, dir, calendar, {
      n: Number(process.env.LANTIAN_BENCH_PROBLEMS ?? 5000),
      open: OPEN,
      runs: RUNS,
      requests: Number(process.env.LANTIAN_BENCH_WEB_REQUESTS ?? 200),
      concurrency: Number(process.env.LANTIAN_BENCH_WEB_CLIENTS ?? 4),
    });
    console.log(
      `8. problems: importing ${p.n} problems ${f(p.importRate)} workflows/s vs bare client no-op ${f(p.bareRate)} workflows/s, ratio ${f(p.ratio, 2)}; ledger page with ${p.open} open problems beside ${p.open} open obligations: p50 ${f(p.ledger.p50)} ms, p95 ${f(p.ledger.p95)} ms [runs ${p.ledger.p95Runs.map((x) => f(x)).join(', ')}] (target p95 < 200 ms; first request ${f(p.ledger.coldMs)} ms, ${f(p.ledger.bytes / 1024, 0)} KiB)  runs ${JSON.stringify(p.runs, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
    );
  }
  if (want('restart')) {
    const r = await restartBench(set, campaignId, dir, calendar, RUNS);
    const runs = (xs: number[]) => xs.map((x) => f(x, 2)).join(', ');
    console.log(
      `7. worker restart, spawn to the first workflow task of a waiting obligation: bundle prebuilt ${f(r.prebuilt, 2)} s (target < 5 s), bundling at start ${f(r.bundling, 2)} s, ratio ${f(r.prebuilt / r.bundling, 2)}  runs prebuilt ${runs(r.runs.prebuilt)}; bundling ${runs(r.runs.bundling)}`,
    );
  }
  if (want('memory')) {
    // A fresh dev server and worker process per run.
    const ms: Awaited<ReturnType<typeof memoryBench>>[] = [];
    for (let run = 0; run < RUNS; run++) ms.push(await memoryBench(set, campaignId, dir));
    const mid = (pick: (x: (typeof ms)[number]) => number) => median(ms.map(pick));
    console.log(
      `3. worker memory: idle ${f(mid((x) => x.idleMiB))} MiB, with ${OPEN} open obligations ${f(mid((x) => x.openMiB))} MiB (${f(
        mid((x) => x.perWorkflowKiB),
        2,
      )} KiB per open workflow)  runs ${ms.map((x) => `${f(x.idleMiB, 0)}→${f(x.openMiB, 0)}`).join(', ')}`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
