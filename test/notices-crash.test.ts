// Crash safety of notice delivery, with the worker in a child process killed by SIGKILL:
//  - after the SMTP server accepted the message and the sent ledger was written, but before the
//    activity completed: the retry on a restarted worker finds the ledger and sends nothing —
//    exactly one message arrives;
//  - after the server accepted the message but before the worker learnt it (so before the
//    ledger write): the retry sends it again. Two copies arrive, with the same Message-ID, which
//    is what lets a relay or mail client drop the second. This window cannot be closed from the
//    client side of SMTP; the README says so, and this test pins down what happens in it.
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { messageIdFor } from '../notices/mailer';
import { resolveCampaign } from '../planner/resolve';
import { fixturePolicies, testCalendar, timeSkippingEnv, tempDir } from './support/temporal';

// The time-skipping server does not skip time while an activity is outstanding, so the retry
// after the crash waits the activity's real start-to-close timeout (2 minutes).
jest.setTimeout(480_000);
const step = (s: string) => process.env.LANTIAN_DEBUG && console.log(s);

interface Got {
  key: string;
  messageId: string;
}
/** Per task queue: what the server received, and what to do on acceptance. */
const got: Got[] = [];
const onAccepted = new Map<string, () => void>();
let server: SMTPServer;
let port: number;

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _s, cb) {
      simpleParser(stream).then((m) => {
        // The message is committed here (a real server has queued it to disk by now) ...
        const key = String(m.headers.get('x-lantian-key'));
        got.push({ key, messageId: m.messageId ?? '' });
        onAccepted.get(key)?.();
        // ... and only then is "250" sent.
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

function startWorker(env: TestWorkflowEnvironment, taskQueue: string, dataDir: string, crashAfterLedger: boolean): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'support', 'crash-worker.ts'), env.address, taskQueue, `smtp://127.0.0.1:${port}`, dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...(crashAfterLedger ? { LANTIAN_CRASH_AFTER_LEDGER: '1' } : {}) } },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve(child));
    child.on('exit', (code) => reject(new Error(`worker exited before it was ready (${code})`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.signalCode) : child.on('exit', (_c, s) => resolve(s))));

async function scenario(crash: 'after-ledger' | 'before-ledger', taskQueue: string) {
  const env = await timeSkippingEnv();
  const dataDir = tempDir('crash');
  let first: ChildProcess | undefined;
  let second: ChildProcess | undefined;
  try {
    first = await startWorker(env, taskQueue, dataDir, crash === 'after-ledger');
    step('first worker ready');
    const worker = first;
    const calendar = testCalendar(2026, 2032, ['2031-01-01']);
    const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find((r) => r.obligationId === 'voc-bypass')!;
    const workflowId = `${row.workflowId}#${crash}`;
    const h = await env.client.workflow.start(obligationWorkflow, { taskQueue, workflowId, args: [row.input] });
    const reminderKey = `${workflowId}#reminder:P7D@2031-03-31`;
    // Server accepted, worker killed before the 250 reaches it, so before its ledger write.
    if (crash === 'before-ledger') onAccepted.set(reminderKey, () => worker.kill('SIGKILL'));
    // The first reminder falls due on 2031-03-24 09:00; skip to just before, then real time
    // takes it there and the worker dies while sending it.
    await env.sleep(Date.parse('2031-03-24T08:59:58+08:00') - (await env.currentTimeMs()));
    step('slept');
    expect(await exited(first)).toBe('SIGKILL');
    step('first exited');
    expect(got.filter((g) => g.key === reminderKey)).toHaveLength(1);
    onAccepted.delete(reminderKey);

    // A new worker; the activity times out on the server (2 minutes) and is retried there.
    second = await startWorker(env, taskQueue, dataDir, false);
    step('second ready');
    let rec = await h.query(recordQuery);
    for (let i = 0; i < 200 && !rec.timeline.some((e) => e.type === 'reminder-sent'); i++) {
      await new Promise((r) => setTimeout(r, 2000));
      rec = await h.query(recordQuery);
    }
    step('retried');
    const sent = rec.timeline.filter((e) => e.type === 'reminder-sent');
    expect(sent.map((e) => e.entry)).toEqual(['reminder:P7D@2031-03-31']);
    expect(sent[0].notice!.delivery!.find((d) => d.state === 'sent')!.attempt).toBe(2);
    return { got: got.filter((g) => g.key === reminderKey), messageId: messageIdFor(reminderKey) };
  } finally {
    second?.kill('SIGTERM');
    if (second) await exited(second);
    if (first && first.exitCode === null && first.signalCode === null) first.kill('SIGKILL');
    await env.teardown();
  }
}

// UNFINISHED (skipped unless LANTIAN_CRASH_TEST=1): the kill points work (both workers die right
// after the server accepted; the first copy arrives), but on the time-skipping server the retry of
// the killed activity had not come 4 minutes (real time) after its 2-minute start-to-close
// timeout, so the test never reaches its assertions. Next step: run it on the dev server, or give
// sendNotice a heartbeat timeout (a patched workflow change) so a dead worker is noticed sooner.
(process.env.LANTIAN_CRASH_TEST ? test : test.skip)('SIGKILL after acceptance: exactly one message when the ledger was written; a same-Message-ID copy when it was not', async () => {
  // Both run at once (each on a server and task queue of its own) to pay the 2-minute wait once.
  const [afterLedger, beforeLedger] = await Promise.all([scenario('after-ledger', 'lantian-crash-a'), scenario('before-ledger', 'lantian-crash-b')]);
  expect(afterLedger.got.map((g) => g.messageId)).toEqual([afterLedger.messageId]);
  expect(beforeLedger.got.map((g) => g.messageId)).toEqual([beforeLedger.messageId, beforeLedger.messageId]);
});
