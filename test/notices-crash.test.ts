// Crash safety of notice delivery, with the worker in a child process killed by SIGKILL:
//  - after the SMTP server accepted the message and the sent ledger was written, but before the
//    activity completed: the retry on a restarted worker finds the ledger and sends nothing —
//    exactly one message arrives;
//  - after the server accepted the message but before the worker learnt it (so before the
//    ledger write): the retry sends it again. Two copies arrive, with the same Message-ID, which
//    is what lets a relay or mail client drop the second. This window cannot be closed from the
//    client side of SMTP; the README says so, and this test pins down what happens in it.
// Both for a reminder and, after the ledger write, for an escalation letter (both local
// activities; the letter also takes its 文号 from the registry on its own task queue).
import type { ChildProcess } from 'node:child_process';
import { startTestSmtp, type TestSmtp } from './support/smtp';
import { exited, startWorkerProcess } from './support/worker-process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { messageIdFor } from '../notices/mailer';
import { noticeAtNextMinute } from './support/near-due';
import { devServerEnv, tempDir } from './support/temporal';

// On the dev server, in real time: the time-skipping server never timed out the killed attempt
// (neither its heartbeat nor its start-to-close timeout fired, skipping or not), so the retry
// never came. Here the notice falls due a minute after launch and the dead worker is noticed
// by its workflow task's timeout (10 s): about a minute and a half of real time, all three
// scenarios at once.
jest.setTimeout(300_000);
const step = (s: string) => process.env.LANTIAN_DEBUG && console.log(s);

interface Got {
  key: string;
  messageId: string;
}
/** Per task queue: what the server received, and what to do on acceptance. */
const got: Got[] = [];
const onAccepted = new Map<string, () => void>();
let smtp: TestSmtp;
let port: number;

beforeAll(async () => {
  smtp = await startTestSmtp({
    onMessage(m) {
      // The message is committed here (a real server has queued it to disk by now) ...
      const key = String(m.headers.get('x-lantian-key'));
      got.push({ key, messageId: m.messageId ?? '' });
      onAccepted.get(key)?.();
      // ... and only then is "250" sent.
    },
  });
  port = smtp.port;
});
afterAll(() => smtp.close());

const startWorker = async (
  env: TestWorkflowEnvironment,
  taskQueue: string,
  dataDir: string,
  crashAfterLedger: boolean,
) => {
  const w = startWorkerProcess({
    address: env.address,
    namespace: env.namespace ?? 'default',
    taskQueue,
    smtpPort: port,
    dataDir,
    crashAfterLedger,
  });
  await w.ready;
  return w.child;
};

/**
 * A reminder and an escalation letter are both sent by a local activity: the dead worker is
 * noticed by its workflow task's timeout (10 s), and the send runs again on the new worker.
 */
async function scenario(
  env: TestWorkflowEnvironment,
  crash: 'after-ledger' | 'before-ledger',
  taskQueue: string,
  kind: 'reminder' | 'escalation' = 'reminder',
) {
  const dataDir = tempDir('crash');
  let first: ChildProcess | undefined;
  let second: ChildProcess | undefined;
  try {
    first = await startWorker(env, taskQueue, dataDir, crash === 'after-ledger');
    step('first worker ready');
    const worker = first;
    const { row, input, dueAt, entry } = noticeAtNextMinute(kind, 20);
    const workflowId = `${row.workflowId}#${kind}-${crash}`;
    const h = await env.client.workflow.start(obligationWorkflow, { taskQueue, workflowId, args: [input] });
    const key = `${workflowId}#${entry}`;
    // Server accepted, worker killed before the 250 reaches it, so before its ledger write.
    if (crash === 'before-ledger') onAccepted.set(key, () => worker.kill('SIGKILL'));
    // The reminder falls due and the worker dies while sending it.
    expect(await exited(first)).toBe('SIGKILL');
    step('first exited');
    expect(got.filter((g) => g.key === key)).toHaveLength(1);
    onAccepted.delete(key);

    // A new worker. The send is a local activity, run inside the workflow task that fired its
    // timer: the dead worker never completes that task, the server times it out (10 s) and the
    // new worker replays the workflow and runs the send again.
    second = await startWorker(env, taskQueue, dataDir, false);
    step('second ready');
    const recorded = kind === 'reminder' ? 'reminder-sent' : 'escalated';
    let rec = await h.query(recordQuery);
    for (let i = 0; i < 200 && !rec.timeline.some((e) => e.type === recorded); i++) {
      await new Promise((r) => setTimeout(r, 2000));
      rec = await h.query(recordQuery);
    }
    step(`${kind} retried`);
    const sent = rec.timeline.filter((e) => e.type === recorded);
    expect(sent.map((e) => e.entry)).toEqual([entry]);
    const late = Date.parse(sent[0].at) - dueAt.toMillis();
    step(`${kind} ${crash}: sent ${late / 1000} s after it fell due`);
    // Done well inside the 2-minute start-to-close timeout of the killed send: the workflow
    // task's timeout told the server the worker was dead.
    expect(late).toBeLessThan(60_000);
    // The local activity ran afresh in a new workflow task: its first attempt there, or (killed
    // mid-send) its second, when the first found the dead worker's reservation still within its
    // lease, was refused retryably and left no step in the delivery log.
    const attempt = sent[0].notice!.delivery!.find((d) => d.state === 'sent')!.attempt;
    if (crash === 'after-ledger') expect(attempt).toBe(1);
    else expect([1, 2]).toContain(attempt);
    // A retry the sent ledger answered says so after the first sending's steps; a resend does not.
    expect(sent[0].notice!.delivery!.filter((d) => !d.channel).map((d) => d.state)).toEqual(
      crash === 'after-ledger' ? ['queued', 'sent', 'accepted', 'replayed'] : ['queued', 'sent', 'accepted'],
    );
    return { got: got.filter((g) => g.key === key), messageId: messageIdFor(key) };
  } finally {
    second?.kill('SIGTERM');
    if (second) await exited(second);
    if (first && first.exitCode === null && first.signalCode === null) first.kill('SIGKILL');
  }
}

test('SIGKILL after acceptance: exactly one message when the ledger was written; a same-Message-ID copy when it was not', async () => {
  // One dev server, a task queue per scenario, both at once to pay the real-time wait once.
  const env = await devServerEnv();
  try {
    const [afterLedger, beforeLedger, letterAfterLedger] = await Promise.all([
      scenario(env, 'after-ledger', 'lantian-crash-a'),
      scenario(env, 'before-ledger', 'lantian-crash-b'),
      scenario(env, 'after-ledger', 'lantian-crash-c', 'escalation'),
    ]);
    // Ledger written before the kill: the retry found it and sent nothing.
    expect(afterLedger.got.map((g) => g.messageId)).toEqual([afterLedger.messageId]);
    expect(letterAfterLedger.got.map((g) => g.messageId)).toEqual([letterAfterLedger.messageId]);
    // Killed before the 250 reached the worker: the retry sent it again, with the same Message-ID.
    expect(beforeLedger.got.map((g) => g.messageId)).toEqual([beforeLedger.messageId, beforeLedger.messageId]);
  } finally {
    await env.teardown();
  }
});
