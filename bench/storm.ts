// Part `storm` of `npm run bench`: N obligations whose first reminder falls due at the same
// instant on the time-skipping server, each reminder delivered at once (immediate, not digest)
// through smtpMailer (pooled nodemailer + sent ledger) to a real in-process smtp-server.
// Measured: from the skip onto that instant until the server has accepted all N reminder
// messages. Baseline in the same run: N messages of the same content sent directly with
// nodemailer over the same pooled transport settings to the same server. Floor in the same run:
// N bare workflows (bench/floor-workflow.ts) that each sleep until the instant and send the same
// message from a local activity: what Temporal itself costs before any of Lantian's work.
// Storm with PDF letters, against the same floor in the same run: N obligations whose urging
// (督办通知) falls due at one instant, each a letter with its 文号, its PDF in 公文 form made and
// stored, attached and sent, then its 签收 planned.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { fork } from 'node:child_process';
import { Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { timeSkippingEnv, fixturePoliciesDir, templatesDir, workflowBundle } from '../test/support/temporal';
import { inPool } from '../client/launch';
import { loadPolicies } from '../planner/load';
import { resolveCampaign, type PlanRow } from '../planner/resolve';
import { computeSchedule } from '../domain/schedule';
import type { WorkingCalendar } from '../domain/calendar';
import { smtpMailer, type Mailer } from '../notices/mailer';
import { obligationWorkflow } from '../workflows/obligation';
import { documentNumberAllocator } from '../client/document-numbers';
import { readEnv } from '../config/env';
import type { StoredLetter } from '../storage/letters';
import { median, testServerCpuSeconds, waitForTimers } from './support';
import { createWorker, sandboxPath } from '../worker/create';

/** The mail server in its own process (bench/smtp-sink.ts), driven over IPC. */
export async function countingServer() {
  const child = fork(path.join(__dirname, 'smtp-sink.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(pick: (m: Record<string, unknown>) => boolean, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        child.off('message', on);
        child.off('exit', exited);
      };
      const timer = setTimeout(
        () => (done(), reject(new Error(`${what}: no answer from the SMTP sink within ${timeoutMs / 1000} s`))),
        timeoutMs,
      );
      const exited = (code: number | null) => (done(), reject(new Error(`${what}: the SMTP sink exited (${code})`)));
      const on = (m: Record<string, unknown>) => {
        if (!pick(m)) return;
        done();
        resolve(m as T);
      };
      child.on('message', on);
      child.once('exit', exited);
    });
  const { port } = await next<{ port: number }>((m) => 'port' in m, 30_000, 'start');
  const ask = async <T>(
    msg: object,
    pick: (m: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
    what = 'ask',
  ) => {
    const answer = next<T>(pick, timeoutMs, what);
    child.send(msg);
    return answer;
  };
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** Counting from now the messages of reminders, or of escalation letters. */
    reset: (count: 'reminder' | 'escalation' = 'reminder') => ask({ reset: true, count }, (m) => 'reset' in m),
    counts: () =>
      ask<{ reminders: number; other: number; duplicates: number; cpuS: number }>(
        { counts: true },
        (m) => 'reminders' in m,
      ),
    /** Resolves once `target` reminder messages have been accepted since the last reset. */
    until: (target: number, what: string, timeoutMs = 300_000) =>
      ask<{ reached: number; stamps: number[] }>(
        { until: target },
        (m) => 'reached' in m,
        timeoutMs,
        `${what}: ${target} reminders`,
      ),
    close: () =>
      child.exitCode !== null || !child.connected
        ? Promise.resolve()
        : new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.disconnect())),
  };
}

/**
 * n rows of one obligation whose first reminder (or, for `letters`, its urging) is the same
 * instant, distinct by workflow-ID tag. The letters' rows have no reminders: only the letter falls.
 */
function stormRows(
  calendar: WorkingCalendar,
  n: number,
  season: number,
  letters = false,
): { rows: PlanRow[]; instant: number } {
  const set = loadPolicies(fixturePoliciesDir, undefined, templatesDir);
  const first = (r: PlanRow) =>
    Date.parse(
      computeSchedule(r.input, calendar).entries.find((e) =>
        letters ? e.kind === 'escalation' && e.step?.kind === 'urging' : e.kind === 'reminder',
      )!.at,
    );
  const base = resolveCampaign(set, 'drill', calendar, season)
    .filter((r) => r.obligationId === 'coal-boilers')
    .map((r) => (letters ? { ...r, input: { ...r.input, reminders: [] } } : r));
  const instant = Math.min(...base.map(first));
  const same = base.filter((r) => first(r) === instant);
  const rows: PlanRow[] = [];
  for (let t = 0; rows.length < n; t++) {
    for (const r of same) if (rows.length < n) rows.push({ ...r, workflowId: `${r.workflowId}:storm${t}` });
  }
  return { rows, instant };
}

async function stormOnce(
  calendar: WorkingCalendar,
  n: number,
  url: string,
  smtp: Awaited<ReturnType<typeof countingServer>>,
  letters = false,
) {
  const env = await timeSkippingEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-storm-'));
  const mailer = smtpMailer(url, path.join(dir, 'ledger'));
  const { rows, instant } = stormRows(calendar, n, new Date().getFullYear() + 1, letters);
  const worker = await stormWorker(env, 'storm', calendar, dir, mailer);
  try {
    let seconds = 0;
    let stamps: number[] = [];
    let cpu = { worker: 0, server: 0, sink: 0 };
    await worker.runUntil(async () => {
      await inPool(rows, 64, async (r) => {
        await env.client.workflow.start(obligationWorkflow, {
          taskQueue: 'storm',
          workflowId: r.workflowId,
          args: [r.input],
        });
      });
      await waitForTimers(
        env.client,
        rows.map((r) => r.workflowId),
      );
      await env.sleep(instant - 1000 - (await env.currentTimeMs()));
      const server0 = testServerCpuSeconds();
      const cpu0 = process.cpuUsage();
      await smtp.reset(letters ? 'escalation' : 'reminder');
      const t0 = performance.now();
      // A PDF costs about a tenth of a second of CPU: the letters' storm is given longer.
      const all = letters ? smtp.until(n, 'storm with PDF letters', 3_600_000) : smtp.until(n, 'storm');
      await env.sleep(1000);
      stamps = (await all).stamps;
      seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      cpu = {
        worker: (c.user + c.system) / 1e6,
        server: testServerCpuSeconds() - server0,
        sink: (await smtp.counts()).cpuS,
      };
    });
    const { reminders, other, duplicates } = await smtp.counts();
    if (reminders !== n) throw new Error(`storm: server accepted ${reminders} distinct notices, expected ${n}`);
    const sample = storedSample(dir);
    if (letters && !sample.pdf) throw new Error('storm with PDF letters: the letter has no PDF');
    return { seconds, other, duplicates, sample, stamps, cpu };
  } finally {
    mailer.close();
    await env.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const bareMessage = (key: string, sample: StoredLetter) => ({
  messageId: `<${key.replace(/[^A-Za-z0-9-]/g, '.')}-${Date.now()}@bench>`,
  from: 'Lantian <lantian@localhost>',
  to: ['environment-bureau@bench.lantian.local'],
  subject: sample.subject,
  text: sample.text,
  html: sample.html,
  textEncoding: 'base64' as const,
  headers: { 'X-Lantian-Key': `${key}#reminder:P7D` },
});

let floorBundle: Promise<WorkflowBundle> | undefined;
/** The floor's workflow code, bundled once per process as Lantian's own bundle is. */
export const floorWorkflows = () =>
  // Set up as Lantian's own bundle is (bundleWorkflows): workflow stack traces off the same way.
  (floorBundle ??= bundleWorkflowCode({
    workflowsPath: path.join(__dirname, 'floor-workflow.ts'),
    preloadModules: readEnv().LANTIAN_WORKFLOW_STACK_TRACES ? [] : [sandboxPath],
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  }));

/** Lantian's worker as a storm runs it: the fixture policies, its letters and sent ledger under `dir`. */
export async function stormWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  calendar: WorkingCalendar,
  dir: string,
  mailer: Mailer,
) {
  const set = loadPolicies(fixturePoliciesDir, undefined, templatesDir);
  return createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: workflowBundle(),
    workflowThreads: readEnv().LANTIAN_WORKFLOW_THREADS,
    deps: {
      calendar,
      organisations: set.organisations,
      templatesDir: set.templatesDir,
      archiveDir: path.join(dir, 'archive'),
      lettersDir: path.join(dir, 'letters'),
      mailer,
      mailFrom: 'Lantian <lantian@localhost>',
      reminderDelivery: new Map(),
      documentNumbers: documentNumberAllocator(async () => env.client, taskQueue),
    },
  });
}

/** One letter the storm stored under `dir`: the floor and the direct send copy its content. */
export function storedSample(dir: string): StoredLetter {
  const stored = fs.readdirSync(path.join(dir, 'letters')).filter((f) => f.endsWith('.json'));
  return JSON.parse(fs.readFileSync(path.join(dir, 'letters', stored[0]), 'utf8')) as StoredLetter;
}

/** The floor's worker: bare workflows whose local activity sends the sample over `transport`. */
export async function floorWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  transport: Transporter,
  sample: StoredLetter,
) {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await floorWorkflows(),
    workflowThreadPoolSize: readEnv().LANTIAN_WORKFLOW_THREADS,
    activities: {
      async sendReminder(key: string) {
        await transport.sendMail(bareMessage(key, sample));
      },
    },
  });
}

/** N bare workflows on the same kind of server, timer then a local activity sending the sample. */
async function floorOnce(
  n: number,
  url: string,
  smtp: Awaited<ReturnType<typeof countingServer>>,
  sample: StoredLetter,
) {
  const env = await timeSkippingEnv();
  const transport = nodemailer.createTransport(`${url}?pool=true`);
  const ids = [...Array(n).keys()].map((i) => `floor-${i}`);
  try {
    const worker = await floorWorker(env, 'floor', transport, sample);
    const instant = (await env.currentTimeMs()) + 7 * 86_400_000;
    let seconds = 0;
    let cpu = 0;
    await worker.runUntil(async () => {
      await inPool(ids, 64, async (id) => {
        await env.client.workflow.start('bareReminder', { taskQueue: 'floor', workflowId: id, args: [instant, id] });
      });
      await waitForTimers(env.client, ids);
      await env.sleep(instant - 1000 - (await env.currentTimeMs()));
      await smtp.reset();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const all = smtp.until(n, 'floor');
      await env.sleep(1000);
      await all;
      seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      cpu = (c.user + c.system) / 1e6;
    });
    return { seconds, cpu };
  } finally {
    transport.close();
    await env.teardown();
  }
}

/** The same number of messages, the same content shape, straight through a pooled nodemailer transport. */
export async function directOnce(
  n: number,
  url: string,
  smtp: Awaited<ReturnType<typeof countingServer>>,
  sample: StoredLetter,
) {
  const transport = nodemailer.createTransport(`${url}?pool=true`);
  try {
    await smtp.reset();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all([...Array(n).keys()].map((i) => transport.sendMail(bareMessage(`direct:${i}`, sample))));
    await smtp.until(n, 'direct');
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    const { reminders, cpuS } = await smtp.counts();
    if (reminders !== n) throw new Error(`direct: server accepted ${reminders}, expected ${n}`);
    return { seconds, cpu: { sender: (c.user + c.system) / 1e6, sink: cpuS } };
  } finally {
    transport.close();
  }
}

export async function stormBench(calendar: WorkingCalendar, n: number, runs: number) {
  const smtp = await countingServer();
  const storm: number[] = [];
  const pdf: number[] = [];
  const pdfWorkerCpu: number[] = [];
  const direct: number[] = [];
  const floor: number[] = [];
  const floorCpu: number[] = [];
  const first: number[] = [];
  const half: number[] = [];
  const workerCpu: number[] = [];
  const serverCpu: number[] = [];
  const sinkCpu: number[] = [];
  const directCpu: number[] = [];
  let other = 0;
  /** Notices the server received a second time (same key): exactly-once broken, reported, not hidden. */
  let duplicates = 0;
  try {
    let sample: StoredLetter | undefined;
    for (let run = 0; run < runs; run++) {
      // The first storm provides the message the others send; then the order turns each run.
      const order = !sample
        ? ['storm', 'direct', 'floor', 'pdf']
        : run % 3 === 1
          ? ['direct', 'floor', 'pdf', 'storm']
          : ['floor', 'pdf', 'storm', 'direct'];
      for (const which of order) {
        if (which === 'pdf') {
          const s = await stormOnce(calendar, n, smtp.url, smtp, true);
          pdf.push(s.seconds);
          pdfWorkerCpu.push(s.cpu.worker);
          other += s.other;
          duplicates += s.duplicates;
        } else if (which === 'storm') {
          const s = await stormOnce(calendar, n, smtp.url, smtp);
          storm.push(s.seconds);
          first.push(s.stamps[0] / 1000);
          half.push(s.stamps[2] / 1000);
          workerCpu.push(s.cpu.worker);
          serverCpu.push(s.cpu.server);
          sinkCpu.push(s.cpu.sink);
          other += s.other;
          duplicates += s.duplicates;
          sample = s.sample;
        } else if (which === 'floor') {
          const b = await floorOnce(n, smtp.url, smtp, sample!);
          floor.push(b.seconds);
          floorCpu.push(b.cpu);
        } else {
          const d = await directOnce(n, smtp.url, smtp, sample!);
          direct.push(d.seconds);
          directCpu.push(d.cpu.sender + d.cpu.sink);
        }
      }
    }
  } finally {
    await smtp.close();
  }
  return {
    storm: median(storm),
    direct: median(direct),
    ratio: median(storm) / median(direct),
    floor: median(floor),
    floorCpuS: median(floorCpu),
    /** The storm with PDF letters, and its ratio to the same run's floor. */
    pdf: median(pdf),
    pdfToFloor: median(pdf) / median(floor),
    pdfWorkerCpuS: median(pdfWorkerCpu),
    firstS: median(first),
    halfS: median(half),
    workerCpuS: median(workerCpu),
    serverCpuS: median(serverCpu),
    sinkCpuS: median(sinkCpu),
    directCpuS: median(directCpu),
    runs: { storm, pdf, direct, floor },
    other,
    duplicates,
  };
}
