// Crash safety of a webhook delivery, with the worker in a child process killed by SIGKILL
// (test/support/channel-crash-worker.ts), as test/notices-crash.test.ts does for SMTP:
//  - killed after the receiver answered 2xx and the channel ledger was written, before the
//    activity completed: the retry on a new worker finds the ledger and sends nothing — the
//    receiver gets the notice once;
//  - killed after the receiver took the notice but before its answer reached the worker (so
//    before the ledger write): the retry sends it again — at most one duplicate, carrying the same
//    Idempotency-Key, which the receiver drops (it answers {"duplicate":true}).
// On the dev server, in real time, for the reason given there: the time-skipping server never
// times out the killed attempt. The reminder falls due about a minute after launch.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { resolveCampaign } from '../planner/resolve';
import { startChannelServer, type ChannelServer } from './support/channels';
import { devServerEnv, fixturePolicies, testCalendar, tempDir } from './support/temporal';

jest.setTimeout(300_000);

const SECRET = 'hebei-case-system-secret';
let server: ChannelServer;
/** Per notice key: what to do when the receiver has taken it. */
const onTaken = new Map<string, () => void>();

beforeAll(async () => {
  server = await startChannelServer({
    webhooks: { hebei: SECRET },
    onDelivered: (r) => r.key && onTaken.get(r.key)?.(),
  });
});
afterAll(() => server.close());

function startWorker(env: TestWorkflowEnvironment, taskQueue: string, dataDir: string, crashAfterLedger: boolean) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, 'support', 'channel-crash-worker.ts'),
      env.address,
      taskQueue,
      dataDir,
      env.namespace ?? 'default',
      `${server.url}/hooks/hebei`,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        LANTIAN_TEST_WEBHOOK_SECRET_HEBEI: SECRET,
        ...(crashAfterLedger ? { LANTIAN_CRASH_AFTER_CHANNELS: '1' } : {}),
      },
    },
  );
  return new Promise<ChildProcess>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve(child));
    child.on('exit', (code) => reject(new Error(`worker exited before it was ready (${code})`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve(child.signalCode)
      : child.on('exit', (_c, s) => resolve(s)),
  );

async function scenario(env: TestWorkflowEnvironment, crash: 'after-ledger' | 'before-ledger', taskQueue: string) {
  const dataDir = tempDir('channel-crash');
  let first: ChildProcess | undefined;
  let second: ChildProcess | undefined;
  try {
    first = await startWorker(env, taskQueue, dataDir, crash === 'after-ledger');
    const worker = first;
    const calendar = testCalendar(2026, 2032, ['2031-01-01']);
    const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
      (r) => r.obligationId === 'coal-boilers' && r.assignee === '130200',
    )!;
    // A reminder seven days before a due date a week from now, at the next whole minute at least
    // 20 s away (no pace checks: the quantity is left out).
    const dueAt = DateTime.now()
      .setZone(row.input.timezone)
      .plus({ seconds: 20 })
      .startOf('minute')
      .plus({ minutes: 1 });
    const dueDate = dueAt.plus({ days: 7 }).toISODate()!;
    const input = {
      ...row.input,
      quantity: undefined,
      dueDate,
      reminders: ['P7D'],
      sending: { at: dueAt.toFormat('HH:mm'), workingDaysOnly: false },
    };
    const workflowId = `${row.workflowId}#channels-${crash}`;
    const h = await env.client.workflow.start(obligationWorkflow, { taskQueue, workflowId, args: [input] });
    const key = `${workflowId}#reminder:P7D@${dueDate}`;
    // The receiver has taken the notice; the worker dies before the 200 reaches it.
    if (crash === 'before-ledger') onTaken.set(key, () => worker.kill('SIGKILL'));
    expect(await exited(first)).toBe('SIGKILL');
    onTaken.delete(key);
    expect(server.requests.filter((r) => r.key === key)).toHaveLength(1);

    second = await startWorker(env, taskQueue, dataDir, false);
    let rec = await h.query(recordQuery);
    for (let i = 0; i < 200 && !rec.timeline.some((e) => e.type === 'reminder-sent'); i++) {
      await new Promise((r) => setTimeout(r, 2000));
      rec = await h.query(recordQuery);
    }
    expect(rec.timeline.filter((e) => e.type === 'reminder-sent').map((e) => e.entry)).toEqual([
      `reminder:P7D@${dueDate}`,
    ]);
    const mailed = fs.readdirSync(path.join(dataDir, 'outbox')).filter((f) => f.endsWith('.eml'));
    return { key, notice: rec.notices[0], mailed: mailed.length };
  } finally {
    second?.kill('SIGTERM');
    if (second) await exited(second);
    if (first && first.exitCode === null && first.signalCode === null) first.kill('SIGKILL');
  }
}

test('SIGKILL mid-send: one webhook delivery when the ledger was written; one duplicate with the same Idempotency-Key when it was not', async () => {
  const env = await devServerEnv();
  try {
    const [after, before] = await Promise.all([
      scenario(env, 'after-ledger', 'lantian-channel-crash-a'),
      scenario(env, 'before-ledger', 'lantian-channel-crash-b'),
    ]);
    const seen = (key: string) =>
      server.requests
        .filter((r) => r.key === key)
        .map((r) => [r.status, r.headers['idempotency-key'], r.duplicate ?? false, r.delivered]);
    // Ledger written before the kill: the retry found it and sent nothing.
    expect(seen(after.key)).toEqual([[200, after.key, false, true]]);
    expect(after.notice.delivery!.find((d) => d.channel === 'webhook' && d.state === 'accepted')!.response).toBe(
      'HTTP 200 {"ok":true}',
    );
    // Killed before the answer reached the worker: sent again, with the same Idempotency-Key,
    // and dropped by the receiver as a duplicate. The log records the receiver's answer.
    expect(seen(before.key)).toEqual([
      [200, before.key, false, true],
      [200, before.key, true, false],
    ]);
    expect(before.notice.delivery!.find((d) => d.channel === 'webhook' && d.state === 'accepted')!.response).toBe(
      'HTTP 200 {"ok":true,"duplicate":true}',
    );
    // The e-mail went out once in both: the outbox is its ledger.
    expect([after.mailed, before.mailed]).toEqual([1, 1]);
  } finally {
    await env.teardown();
  }
});
