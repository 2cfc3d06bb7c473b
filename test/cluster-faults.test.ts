// Faults on the cluster (Temporal on PostgreSQL, `npm run test:cluster`), in real time: a deadline
// storm is sent by two worker processes while one of them is SIGKILLed every few seconds and a
// replacement started, and the Temporal server itself is killed and restarted in the middle of it.
// Every reminder must arrive; a kill between the SMTP server's acceptance and the ledger write may
// send one copy again, with the same Message-ID, and never more. And PostgreSQL restarted under
// two web instances and a worker on production storage: requests during the restart may be
// refused with 503, none answers 500 once it is back, and a reminder due meanwhile goes out once.
// And the object store down when a letter falls due: it waits, then goes out once with its PDF.
// On the embedded default (npm test) this file is skipped: its dev server is the test's own
// process tree, not a service.
import path from 'node:path';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { startTestSmtp, type TestSmtp } from './support/smtp';
import { exited, startWorkerProcess } from './support/worker-process';
import { devServerEnv, fixturePolicies, fixturePoliciesDir, repo, tempDir, testCalendar } from './support/temporal';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { messageIdFor } from '../notices/mailer';
import { noticeAtNextMinute } from './support/near-due';
import { median } from '../bench/support';
import { readEnv } from '../config/env';
import { startWeb, type RunningWeb } from '../web/start';
import type { PgUserStore } from '../auth/users-pg';
import { productionStores } from './support/stores';
import { call, drillWindow } from './support/web';

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
  /** Whether the message carried a PDF (a letter's 公文). */
  pdf: boolean;
}

const startWorker = (address: string, namespace: string, taskQueue: string, smtpPort: number, dataDir: string) =>
  startWorkerProcess({ address, namespace, taskQueue, smtpPort, dataDir });

let smtp: TestSmtp;
const received: Received[] = [];
beforeAll(async () => {
  smtp = await startTestSmtp({
    onMessage: (m) => {
      received.push({
        key: String(m.headers.get('x-lantian-key')),
        messageId: m.messageId ?? '',
        at: Date.now(),
        pdf: m.attachments.some((a) => a.contentType === 'application/pdf'),
      });
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
      // Every reminder falls due at one instant: the next whole minute at least 30 s away.
      const { row, input, dueAt, entry } = noticeAtNextMinute('reminder', 30);
      const ids = Array.from({ length: N }, (_, i) => `${row.workflowId}#storm-${i}`);
      await Promise.all(
        ids.map((workflowId) =>
          env.client.workflow.start(obligationWorkflow, { taskQueue, workflowId, args: [input] }),
        ),
      );
      const keys = new Set(ids.map((id) => `${id}#${entry}`));
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

(onCluster ? test : test.skip)(
  'PostgreSQL restarted under two web instances and a worker: 503 at most while it is down, no 500 once it is back, a reminder due meanwhile sent once',
  async () => {
    const { schema, objects } = await productionStores();
    const env = await devServerEnv();
    const namespace = env.namespace ?? 'default';
    const taskQueue = 'lantian-pg-restart';
    const calendar = testCalendar(2026, 2032, ['2031-01-01']);
    const webs: RunningWeb<PgUserStore>[] = [];
    const worker = startWorkerProcess({
      address: env.address,
      namespace,
      taskQueue,
      smtpPort: smtp.port,
      dataDir: tempDir('pg-restart'),
      stores: { database: schema.url, objects },
    });
    let polling = true;
    let poller: Promise<void> | undefined;
    // What the web instances logged as a failed request (a 500), to show beside the status.
    const failed: string[] = [];
    const failures = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n'))
          if (line.includes('"request failed"')) failed.push(line.slice(0, 2_000));
        done();
      },
    });
    try {
      await worker.ready;
      const config = (dir: string) =>
        readEnv({
          LANTIAN_DATA_DIR: dir,
          LANTIAN_POLICIES_DIR: fixturePoliciesDir,
          LANTIAN_TASK_QUEUE: taskQueue,
          LANTIAN_WEB_CACHE_SECONDS: '0',
          LANTIAN_SEASON_WINDOW: drillWindow(),
          LANTIAN_SESSION_SECRET: 'pg-restart-session-secret-0123456789abcdef',
          LANTIAN_DATABASE_URL: schema.url,
          LANTIAN_OBJECT_STORE_URL: objects,
        });
      for (const name of ['web-a', 'web-b'])
        webs.push(
          await startWeb<PgUserStore>(config(tempDir(name)), env.client, fixturePolicies(), calendar, 0, {
            logStream: failures,
          }),
        );
      const office = await webs[0].deps.users.add(`office-${Date.now()}`, 'office');

      // Due at the next whole minute at least 30 s away; PostgreSQL goes down just before it.
      const { row, input, dueAt, entry } = noticeAtNextMinute('reminder', 30);
      const workflowId = `${row.workflowId}#pg-restart-${Date.now()}`;
      const h = await env.client.workflow.start(obligationWorkflow, { taskQueue, workflowId, args: [input] });
      const key = `${workflowId}#${entry}`;

      // Both instances asked in turn, every 200 ms, from before the restart until well after it.
      const answers: { at: number; status: number; message?: string }[] = [];
      poller = (async () => {
        for (let i = 0; polling; i++) {
          const at = Date.now();
          // A web instance that stopped answering at all counts as status 0.
          const r = await call(`${webs[i % 2].url}/api/obligations`, { token: office.token }).catch(() => undefined);
          answers.push({ at, status: r?.status ?? 0, message: r?.body?.message });
          await sleep(200);
        }
      })();
      await sleep(Math.max(3_000, dueAt.toMillis() - 2_000 - Date.now()));
      const downAt = Date.now();
      await cluster('kill', 'postgresql');
      await cluster('up');
      const upAt = Date.now();
      log(`PostgreSQL killed and serving again after ${upAt - downAt} ms`);
      await sleep(10_000);
      polling = false;
      await poller;

      // Nobody crashed: the worker process and both web instances still serve.
      expect({ exitCode: worker.child.exitCode, signal: worker.child.signalCode }).toEqual({
        exitCode: null,
        signal: null,
      });
      const status = (from: number, to = Infinity) =>
        answers.filter((a) => a.at >= from && a.at < to).map((a) => a.status);
      expect(status(0, downAt).length).toBeGreaterThan(5);
      expect(new Set(status(0, downAt))).toEqual(new Set([200]));
      // While it restarts: answered, or refused as unavailable in Chinese. No 500 once it is back
      // (the issue allows none for longer than the restart); any 500 is shown with the error the
      // web instance logged for it, so one while it was down is seen too.
      const errors = answers.filter((a) => a.status !== 200 && a.status !== 503);
      if (errors.length) console.log(`answered other than 200 or 503 while PostgreSQL restarted`, errors, failed);
      expect(errors.filter((a) => a.at >= upAt || a.status !== 500)).toEqual([]);
      for (const a of answers.filter((x) => x.status === 503)) expect(a.message).toMatch(/数据库/);
      // Reconnected: two seconds after the restart completed, every answer is a 200.
      const after = status(upAt + 2_000);
      expect(after.length).toBeGreaterThan(10);
      expect(new Set(after)).toEqual(new Set([200]));

      // The reminder due during the outage went out, once.
      for (let i = 0; i < 180 && !received.some((r) => r.key === key); i++) await sleep(1000);
      let sent = 0;
      for (let i = 0; i < 60 && !sent; i++) {
        sent = (await h.query(recordQuery)).timeline.filter((e) => e.type === 'reminder-sent').length;
        if (!sent) await sleep(1000);
      }
      expect(sent).toBe(1);
      expect(received.filter((r) => r.key === key).map((r) => r.messageId)).toEqual([messageIdFor(key)]);
      const refused = answers.filter((a) => a.status === 503).length;
      console.log(
        `PostgreSQL restart: down to serving ${upAt - downAt} ms; ${answers.length} requests, ${refused} refused with 503, ` +
          `last 503 ${Math.max(0, ...answers.filter((a) => a.status === 503).map((a) => a.at - upAt))} ms after it was back; ` +
          `reminder sent ${Math.round((received.find((r) => r.key === key)!.at - dueAt.toMillis()) / 1000)} s after it fell due`,
      );
    } finally {
      polling = false;
      await poller?.catch(() => undefined);
      for (const w of webs) await w.close();
      worker.child.kill('SIGTERM');
      await exited(worker.child);
      await env.teardown();
      await schema.drop();
    }
  },
);

(onCluster ? test : test.skip)(
  'the object store down when a letter falls due: the letter waits, and goes out once, with its PDF, when the store is back',
  async () => {
    const { schema, objects } = await productionStores();
    const env = await devServerEnv();
    const taskQueue = 'lantian-store-down';
    const worker = startWorkerProcess({
      address: env.address,
      namespace: env.namespace ?? 'default',
      taskQueue,
      smtpPort: smtp.port,
      dataDir: tempDir('store-down'),
      stores: { database: schema.url, objects },
    });
    let storeDown = false;
    try {
      await worker.ready;
      // The urging (督办, a letter with its PDF) falls due at the next whole minute at least 30 s away.
      const { row, input, dueAt, entry } = noticeAtNextMinute('escalation', 30);
      const workflowId = `${row.workflowId}#store-down-${Date.now()}`;
      const h = await env.client.workflow.start(obligationWorkflow, { taskQueue, workflowId, args: [input] });
      const key = `${workflowId}#${entry}`;

      await sleep(Math.max(3_000, dueAt.toMillis() - 5_000 - Date.now()));
      await cluster('kill', 's3');
      storeDown = true;
      // Down from before the instant until 20 s after it: nothing may go out meanwhile.
      await sleep(dueAt.toMillis() + 20_000 - Date.now());
      expect(received.filter((r) => r.key === key)).toEqual([]);
      expect((await h.query(recordQuery)).timeline.filter((e) => e.type === 'escalated')).toEqual([]);
      await cluster('up');
      storeDown = false;
      const backAt = Date.now();

      for (let i = 0; i < 240 && !received.some((r) => r.key === key); i++) await sleep(1000);
      let escalated: unknown[] = [];
      for (let i = 0; i < 60 && !escalated.length; i++) {
        escalated = (await h.query(recordQuery)).timeline.filter((e) => e.type === 'escalated');
        if (!escalated.length) await sleep(1000);
      }
      expect(escalated).toHaveLength(1);
      const got = received.filter((r) => r.key === key);
      expect(got.map((r) => r.messageId)).toEqual([messageIdFor(key)]);
      expect(got[0].pdf).toBe(true);
      console.log(
        `object store down: the letter due ${Math.round((backAt - dueAt.toMillis()) / 1000)} s before the store was back ` +
          `went out ${Math.round((got[0].at - backAt) / 1000)} s after it, once, with its PDF`,
      );
    } finally {
      if (storeDown) await cluster('up');
      worker.child.kill('SIGTERM');
      await exited(worker.child);
      await env.teardown();
      await schema.drop();
    }
  },
);
