// Temporal's frontend is not a door for people: an Update that names its actor is accepted only
// with Lantian's signature of that very Update. Someone who reaches Temporal directly (port 7233,
// the UI, a script) cannot waive an obligation as a made-up office user.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery, waiveObligation } from '../workflows/api';
import { resolveCampaign } from '../planner/resolve';
import { actorKeyConfig, actorProofInterceptors, trustedActorKeys } from '../client/actor-keys';
import { readEnv } from '../config/env';
import type { LantianWorker } from '../worker/registry';
import { devServerEnv, fixturePolicies, tempDir, testCalendar, testDeps, testWorker } from './support/temporal';

const calendar = testCalendar(2026, 2032, ['2031-01-01']);
const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
  (r) => r.obligationId === 'coal-boilers' && r.assignee === '130100',
)!;
const TQ = 'actor-proof';
const fake = { actor: { role: 'office' as const, id: '冒名的办公室' }, reason: '无需办理' };

let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;
beforeAll(async () => {
  env = await devServerEnv(path.join(tempDir('actor-proof'), 'temporal.db'));
  worker = await testWorker(env, testDeps(calendar), TQ);
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

let seq = 0;
async function start() {
  const h = await env.client.workflow.start(obligationWorkflow, {
    taskQueue: TQ,
    workflowId: `${row.workflowId}#proof${++seq}`,
    args: [row.input],
  });
  await h.query(recordQuery);
  return h;
}
/** A client of Temporal's own, as anyone who reaches its port could make. */
const stranger = (interceptors = {}) =>
  new Client({ connection: env.client.connection, namespace: env.namespace, interceptors });
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? String(e.cause?.message) : String(e)),
  );

test('an Update sent straight to Temporal with a made-up actor is refused and leaves no trace', async () => {
  const h = await start();
  const unsigned = stranger().workflow.getHandle(h.workflowId);
  expect(await refusal(unsigned.executeUpdate(waiveObligation, { args: [fake] }))).toMatch(/not signed by Lantian/);
  // Signed, but with a key of its own making.
  const otherKey = path.join(tempDir('other-key'), 'actor-key.pem');
  const forged = stranger(actorProofInterceptors({ keyFile: otherKey })).workflow.getHandle(h.workflowId);
  expect(await refusal(forged.executeUpdate(waiveObligation, { args: [fake] }))).toMatch(/not signed by Lantian/);
  expect(fs.statSync(otherKey).mode & 0o777).toBe(0o600);
  const rec = await h.query(recordQuery);
  expect(rec.status).toBe('open');
  expect(rec.timeline.map((e) => e.type)).toEqual(['launched']);
  // Refused by the validator: nothing entered the history.
  const events = (await h.fetchHistory()).events ?? [];
  expect(events.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
});

test('a real signature does not carry over to another obligation or to other words', async () => {
  const a = await start();
  const b = await start();
  // Capture what Lantian's client sends for obligation a.
  let sent: { args: unknown[] } | undefined;
  const capture = stranger({
    workflow: [
      ...(env.client.options.interceptors.workflow as object[]),
      { startUpdate: async (input: { args: unknown[] }) => ((sent = input), Promise.reject(new Error('captured'))) },
    ],
  });
  await capture.workflow
    .getHandle(a.workflowId)
    .executeUpdate(waiveObligation, { args: [fake] })
    .catch(() => undefined);
  const signed = sent!.args[0] as typeof fake & { proof: unknown };
  expect(signed.proof).toBeDefined();
  const replayed = stranger().workflow.getHandle(b.workflowId);
  expect(await refusal(replayed.executeUpdate(waiveObligation, { args: [signed] }))).toMatch(/not signed by Lantian/);
  const altered = stranger().workflow.getHandle(a.workflowId);
  expect(await refusal(altered.executeUpdate(waiveObligation, { args: [{ ...signed, reason: '另有理由' }] }))).toMatch(
    /not signed by Lantian/,
  );
  // The signed words themselves, sent by anyone, do what the signer asked and nothing else.
  expect(await refusal(altered.executeUpdate(waiveObligation, { args: [signed] }))).toBe('accepted');
  const rec = await a.query(recordQuery);
  expect(rec.status).toBe('waived');
  expect(rec.timeline.at(-1)).toMatchObject({ type: 'waived', actor: fake.actor, reason: fake.reason });
});

test('an obligation trusts the launching key, and a key being replaced beside it; its input says which', async () => {
  const file = process.env.LANTIAN_ACTOR_KEY_FILE!;
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const own = crypto.createPublicKey(fs.readFileSync(file)).export({ type: 'spki', format: 'der' }).subarray(-32);
  const old = 'ab'.repeat(32);
  expect(trustedActorKeys({ keyFile: file, publicKeys: ` ${old.toUpperCase()} ` })).toEqual([own.toString('hex'), old]);
  const h = await start();
  expect((await h.query(recordQuery)).input.actorKeys).toEqual([own.toString('hex')]);
  // Launched by a client of Temporal's own, an obligation trusts nobody: no change can be made to it.
  const orphan = await stranger().workflow.start(obligationWorkflow, {
    taskQueue: TQ,
    workflowId: `${row.workflowId}#orphan${++seq}`,
    args: [row.input],
  });
  const signed = orphan.workflowId;
  expect(await refusal(env.client.workflow.getHandle(signed).executeUpdate(waiveObligation, { args: [fake] }))).toMatch(
    /not signed by Lantian/,
  );
});

test('a key given as text (LANTIAN_ACTOR_KEY) launches and signs as its file would, and text that is no Ed25519 key stops the start', async () => {
  const dir = tempDir('actor-key-text');
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const text = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
  const config = actorKeyConfig(readEnv({ LANTIAN_DATA_DIR: dir, LANTIAN_ACTOR_KEY: text }));
  // Every instance given the text signs alike; none writes a key file of its own.
  const instance = stranger(actorProofInterceptors(config));
  const h = await instance.workflow.start(obligationWorkflow, {
    taskQueue: TQ,
    workflowId: `${row.workflowId}#text-key${++seq}`,
    args: [row.input],
  });
  const other = stranger(
    actorProofInterceptors(actorKeyConfig(readEnv({ LANTIAN_DATA_DIR: tempDir('x'), LANTIAN_ACTOR_KEY: text }))),
  );
  expect(await refusal(other.workflow.getHandle(h.workflowId).executeUpdate(waiveObligation, { args: [fake] }))).toBe(
    'accepted',
  );
  expect(fs.existsSync(config.keyFile)).toBe(false);
  // A key from the environment's own file is trusted by none of these obligations.
  const byFile = stranger(actorProofInterceptors({ keyFile: path.join(dir, 'own.pem') }));
  const second = await instance.workflow.start(obligationWorkflow, {
    taskQueue: TQ,
    workflowId: `${row.workflowId}#text-key${++seq}`,
    args: [row.input],
  });
  expect(
    await refusal(byFile.workflow.getHandle(second.workflowId).executeUpdate(waiveObligation, { args: [fake] })),
  ).toMatch(/not signed by Lantian/);
  for (const bad of [
    'not a key',
    crypto
      .generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'der' })
      .toString('base64'),
  ])
    expect(() => readEnv({ LANTIAN_ACTOR_KEY: bad })).toThrow(/LANTIAN_ACTOR_KEY/);
});
