// Part `live-storm` of `npm run bench`: the deadline storm in real time, on a server that cannot
// skip time (the cluster, Temporal on PostgreSQL, or the dev server), where part 5 skips time on
// the time-skipping server. N obligations whose reminder falls due at the same whole minute, each
// delivered at once by a worker in this process over pooled SMTP to the sink in a second process;
// measured from that minute until the sink has accepted all N. In the same run and on the same
// server, the floor: N bare workflows (bench/floor-workflow.ts) that sleep until an instant and
// send the same message from a local activity; and the same N messages sent directly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { DateTime } from 'luxon';
import { devServerEnv, fixturePoliciesDir, templatesDir } from '../test/support/temporal';
import { inPool } from '../client/launch';
import { loadPolicies } from '../planner/load';
import { resolveCampaign } from '../planner/resolve';
import type { WorkingCalendar } from '../domain/calendar';
import { smtpMailer } from '../notices/mailer';
import { obligationWorkflow } from '../workflows/obligation';
import type { StoredLetter } from '../storage/letters';
import { median, waitForTimers } from './support';
import { countingServer, directOnce, floorWorker, storedSample, stormWorker } from './storm';

type Sink = Awaited<ReturnType<typeof countingServer>>;

/** Time for starting n workflows and their first tasks before the instant, with room to spare. */
const leadMs = (n: number) => 20_000 + 25 * n;

const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

/** The embedded default keeps its state in a SQLite file, as `npm start` does (on the cluster, a namespace of its own). */
async function serverEnv(dir: string) {
  return devServerEnv(path.join(dir, 'temporal.db'));
}

async function stormOnce(calendar: WorkingCalendar, n: number, smtp: Sink) {
  const set = loadPolicies(fixturePoliciesDir, undefined, templatesDir);
  const row = resolveCampaign(set, 'drill', calendar, new Date().getFullYear() + 1).find(
    (r) => r.obligationId === 'coal-boilers',
  )!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-live-storm-'));
  const env = await serverEnv(dir);
  const mailer = smtpMailer(smtp.url, path.join(dir, 'ledger'));
  try {
    const worker = await stormWorker(env, 'live-storm', calendar, dir, mailer);
    const result = await worker.runUntil(async () => {
      // Reminders are sent at a wall-clock minute (`sending.at`): the first whole minute after the lead.
      const dueAt = DateTime.now()
        .setZone(row.input.timezone)
        .plus({ milliseconds: leadMs(n) })
        .startOf('minute')
        .plus({ minutes: 1 });
      const input = {
        ...row.input,
        dueDate: dueAt.plus({ days: 7 }).toISODate()!,
        reminders: ['P7D'],
        sending: { at: dueAt.toFormat('HH:mm'), workingDaysOnly: false },
      };
      const ids = Array.from({ length: n }, (_, i) => `${row.workflowId}:live-${i}`);
      await inPool(ids, 64, async (workflowId) => {
        await env.client.workflow.start(obligationWorkflow, { taskQueue: 'live-storm', workflowId, args: [input] });
      });
      // Sampled (every 20th): reading all 2,000 histories would outlast the lead on the cluster.
      // A workflow not ready by the instant adds its start to the figure; the floor is sampled alike.
      await waitForTimers(env.client, ids, Math.ceil(n / 20));
      const instant = dueAt.toMillis();
      if (Date.now() > instant - 1000)
        throw new Error(`live storm: ${n} obligations were not ready before the instant`);
      await until(instant - 1000);
      await smtp.reset('reminder');
      const cpu0 = process.cpuUsage();
      await smtp.until(n, 'live storm', 600_000);
      const seconds = (Date.now() - instant) / 1000;
      const c = process.cpuUsage(cpu0);
      return { seconds, workerCpuS: (c.user + c.system) / 1e6 };
    });
    const { reminders, duplicates } = await smtp.counts();
    if (reminders !== n) throw new Error(`live storm: server accepted ${reminders} distinct notices, expected ${n}`);
    return { ...result, duplicates, sample: storedSample(dir) };
  } finally {
    mailer.close();
    await env.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function floorOnce(n: number, smtp: Sink, sample: StoredLetter) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-live-floor-'));
  const env = await serverEnv(dir);
  const transport = nodemailer.createTransport(`${smtp.url}?pool=true`);
  const ids = [...Array(n).keys()].map((i) => `live-floor-${i}`);
  try {
    const worker = await floorWorker(env, 'live-floor', transport, sample);
    return await worker.runUntil(async () => {
      const instant = Date.now() + leadMs(n);
      await inPool(ids, 64, async (id) => {
        await env.client.workflow.start('bareReminder', {
          taskQueue: 'live-floor',
          workflowId: id,
          args: [instant, id],
        });
      });
      await waitForTimers(env.client, ids, Math.ceil(n / 20));
      if (Date.now() > instant - 1000) throw new Error(`live floor: ${n} workflows were not ready before the instant`);
      await until(instant - 1000);
      await smtp.reset();
      await smtp.until(n, 'live floor', 600_000);
      return { seconds: (Date.now() - instant) / 1000 };
    });
  } finally {
    transport.close();
    await env.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function liveStormBench(calendar: WorkingCalendar, n: number, runs: number) {
  const smtp = await countingServer();
  const storm: number[] = [];
  const floor: number[] = [];
  const direct: number[] = [];
  const workerCpu: number[] = [];
  let duplicates = 0;
  try {
    let sample: StoredLetter | undefined;
    for (let run = 0; run < runs; run++) {
      // The first storm provides the message the others send; then the order turns each run.
      const order = !sample
        ? ['storm', 'floor', 'direct']
        : run % 2
          ? ['floor', 'direct', 'storm']
          : ['direct', 'storm', 'floor'];
      for (const which of order) {
        if (which === 'storm') {
          const s = await stormOnce(calendar, n, smtp);
          storm.push(s.seconds);
          workerCpu.push(s.workerCpuS);
          duplicates += s.duplicates;
          sample = s.sample;
        } else if (which === 'floor') floor.push((await floorOnce(n, smtp, sample!)).seconds);
        else direct.push((await directOnce(n, smtp.url, smtp, sample!)).seconds);
      }
    }
  } finally {
    await smtp.close();
  }
  return {
    storm: median(storm),
    floor: median(floor),
    direct: median(direct),
    toFloor: median(storm) / median(floor),
    workerCpuS: median(workerCpu),
    duplicates,
    runs: { storm, floor, direct },
  };
}
