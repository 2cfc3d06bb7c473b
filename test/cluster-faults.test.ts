// Faults on the cluster (Temporal on PostgreSQL, `npm run test:cluster`), in real time: a deadline
// storm is sent by two worker processes while one of them is SIGKILLed every few seconds and a
// replacement started, and the Temporal server itself is killed and restarted in the middle of it.
// Every reminder must arrive; a kill between the SMTP server's acceptance and the ledger write may
// send one copy again, with the same Message-ID, and never more. On the embedded default (npm
// test) this file is skipped: its dev server is the test's own process tree, not a service.
import path from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { startTestSmtp, type TestSmtp } from './support/smtp';
import { devServerEnv, fixturePolicies, repo, tempDir, testCalendar } from './support/temporal';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { messageIdFor } from '../notices/mailer';
import { resolveCampaign } from '../planner/resolve';
import { median } from '../bench/support';

const onCluster = Boolean(process.env.LANTIAN_TEST_TEMPORAL_ADDRESS);
const N = 200;
const KILLS = 4;
const KILL_EVERY_MS = 5_000;
jest.setTimeout(600_000);
const log = (s: string) => process.env.LANTIAN_DEBUG && console.log(s);
const cluster = (...args: string[]) => promisify(execFile)('bash', [path.join(repo, 'scripts', 'cluster.sh'), ...args]);

interface Received {
  key: string;
  messageId: string;
  at: number;
}

function startWorker(address: string, namespace: string, taskQueue: string, smtpPort: number, dataDir: string) {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, 'support', 'crash-worker.ts'),
      address,
      taskQueue,
      `smtp://127.0.0.1:${smtpPort}`,
      dataDir,
      namespace,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve(performance.now() - t0));
    child.on('exit', (code, signal) => reject(new Error(`worker exited before it was ready (${code ?? signal})`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );

let smtp: TestSmtp;
const received: Received[] = [];
beforeAll(async () => {
  smtp = await startTestSmtp({
    onMessage: (m) => {
      received.push({ key: String(m.headers.get('x-lantian-key')), messageId: m.messageId ?? '', at: Date.now() });
    },
  });
});
afterAll(() => smtp?.close());

(onCluster ? test : test.skip)(
  'a deadline storm survives workers SIGKILLed every few seconds and a Temporal server restart: every reminder once, a repeat only with the same Message-ID',
  async () => {
    const env = await devServerEnv();
    const namespace = env.namespace ?? 'default';
    const taskQueue = 'lantian-faults';
    const dataDir = tempDir('faults');
    const workers: ChildProcess[] = [];
    const restartMs: number[] = [];
    const killToNextDelivery: number[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const w = startWorker(env.address, namespace, taskQueue, smtp.port, dataDir);
        await w.ready;
        workers.push(w.child);
      }
      const calendar = testCalendar(2026, 2032, ['2031-01-01']);
      const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
        (r) => r.obligationId === 'voc-bypass',
      )!;
      // Every reminder falls due at one instant: the next whole minute at least 30 s away.
      const dueAt = DateTime.now()
        .setZone(row.input.timezone)
        .plus({ seconds: 30 })
        .startOf('minute')
        .plus({ minutes: 1 });
      const dueDate = dueAt.plus({ days: 7 }).toISODate()!;
      const input = {
        ...row.input,
        dueDate,
        reminders: ['P7D'],
        sending: { at: dueAt.toFormat('HH:mm'), workingDaysOnly: false },
      };
      const ids = Array.from({ length: N }, (_, i) => `${row.workflowId}#storm-${i}`);
      await Promise.all(
        ids.map((workflowId) =>
          env.client.workflow.start(obligationWorkflow, { taskQueue, workflowId, args: [input] }),
        ),
      );
      const keys = new Set(ids.map((id) => `${id}#reminder:P7D@${dueDate}`));
      const arrived = () => new Set(received.filter((r) => keys.has(r.key)).map((r) => r.key)).size;

      // The chaos: from a few seconds before the instant until every reminder has arrived.
      await new Promise((r) => setTimeout(r, Math.max(0, dueAt.toMillis() - 3_000 - Date.now())));
      let serverRestarted = false;
      let serverDownMs = 0;
      for (let round = 0; arrived() < keys.size || round < KILLS; round++) {
        if (round > 60) throw new Error(`after ${round} rounds only ${arrived()} of ${N} reminders arrived`);
        const victim = round % workers.length;
        const killedAt = Date.now();
        workers[victim].kill('SIGKILL');
        await exited(workers[victim]);
        const replacement = startWorker(env.address, namespace, taskQueue, smtp.port, dataDir);
        workers[victim] = replacement.child;
        restartMs.push(await replacement.ready);
        if (!serverRestarted && Date.now() > dueAt.toMillis() + 5_000) {
          // Mid-storm: the Temporal server dies and comes back; workers and client reconnect.
          const t0 = Date.now();
          await cluster('kill', 'temporal');
          await cluster('up');
          serverDownMs = Date.now() - t0;
          serverRestarted = true;
          log(`Temporal killed and serving again after ${serverDownMs} ms`);
        }
        await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
        const next = received.find((r) => r.at > killedAt && keys.has(r.key));
        if (next) killToNextDelivery.push(next.at - killedAt);
        log(`round ${round}: ${arrived()} of ${N} arrived`);
      }
      expect(serverRestarted).toBe(true);

      // Each workflow recorded its reminder once, and nothing arrived more than twice.
      for (const id of ids) {
        const h = env.client.workflow.getHandle(id);
        let sent = 0;
        for (let i = 0; i < 60; i++) {
          sent = (await h.query(recordQuery)).timeline.filter((e) => e.type === 'reminder-sent').length;
          if (sent) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        expect({ id, sent }).toEqual({ id, sent: 1 });
      }
      for (const key of keys) {
        const copies = received.filter((r) => r.key === key);
        expect(copies.length).toBeGreaterThanOrEqual(1);
        expect(copies.length).toBeLessThanOrEqual(2);
        for (const c of copies) expect(c.messageId).toBe(messageIdFor(key));
      }
      const duplicates = [...keys].filter((k) => received.filter((r) => r.key === k).length > 1).length;
      console.log(
        `faults: ${N} reminders, ${restartMs.length} worker kills, Temporal down ${serverDownMs} ms; ` +
          `restarted worker ready in median ${Math.round(median(restartMs))} ms (max ${Math.round(Math.max(...restartMs))}); ` +
          `kill to the next delivery median ${Math.round(median(killToNextDelivery))} ms; ${duplicates} same-Message-ID repeats`,
      );
    } finally {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
      await Promise.all(workers.map(exited));
      await env.teardown();
    }
  },
);
