// A closed obligation outlives Temporal's retention: the waived obligation is deleted from
// Temporal, and the supervisor still reads its record, state and timeline, through the API and
// on its page. The namespace's retention is set to the server's least for a local namespace (one
// hour, MinRetentionLocal in go.temporal.io/server common/namespace), still too long to wait for,
// so the test deletes the closed run with the server's own DeleteWorkflowExecution, which is the
// deletion the retention timer schedules. On the dev server and, under `npm run test:cluster`,
// on Temporal with PostgreSQL.
import { msToTs } from '@temporalio/common/lib/time';
import { isGrpcServiceError } from '@temporalio/client';
import { call, enc, login, oid, startWebEnv, type WebEnv } from './support/web';

let w: WebEnv;
jest.setTimeout(180_000);

beforeAll(async () => {
  w = await startWebEnv();
  await w.env.client.workflowService.updateNamespace({
    namespace: w.env.namespace ?? 'default',
    config: { workflowExecutionRetentionTtl: msToTs('1 hour') },
  });
  const launched = await call(`${w.url}/api/campaigns/drill/launch`, {
    method: 'POST',
    token: w.tokens.office1,
    json: { season: 2030 },
  });
  expect(launched.status).toBe(200);
});
afterAll(async () => {
  await w?.teardown();
});

async function deleted(workflowId: string): Promise<boolean> {
  try {
    await w.env.client.workflow.getHandle(workflowId).describe();
    return false;
  } catch (e) {
    if (isGrpcServiceError(e) && e.code === 5) return true; // gRPC NOT_FOUND
    if ((e as Error).name === 'WorkflowNotFoundError') return true;
    throw e;
  }
}

test("a waived obligation deleted by Temporal's retention is still read by the supervisor, whole", async () => {
  const id = oid('voc-bypass', '130100');
  const waived = await call(`${w.url}/api/obligations/${enc(id)}/waive`, {
    method: 'POST',
    token: w.tokens.office1,
    json: { reason: '企业已关停，任务不再适用' },
  });
  expect(waived.status).toBe(200);
  // Closed, and its record archived on the way out.
  let before = await call(`${w.url}/api/obligations/${enc(id)}`, { token: w.tokens.super1 });
  for (let i = 0; i < 100 && !before.body?.closedAt; i++) {
    await new Promise((r) => setTimeout(r, 200));
    before = await call(`${w.url}/api/obligations/${enc(id)}`, { token: w.tokens.super1 });
  }
  expect(before.status).toBe(200);
  expect(before.body.status).toBe('waived');
  expect((await w.env.client.workflow.getHandle(id).describe()).status.name).toBe('COMPLETED');

  await w.env.client.workflowService.deleteWorkflowExecution({
    namespace: w.env.namespace ?? 'default',
    workflowExecution: { workflowId: id },
  });
  // Deletion is asynchronous on the server: wait for it, not for a fixed time.
  const until = Date.now() + 120_000;
  while (!(await deleted(id))) {
    if (Date.now() > until) throw new Error(`${id} still in Temporal two minutes after its deletion`);
    await new Promise((r) => setTimeout(r, 500));
  }

  const after = await call(`${w.url}/api/obligations/${enc(id)}`, { token: w.tokens.super1 });
  expect(after.status).toBe(200);
  expect(after.body.status).toBe('waived');
  expect(after.body.timeline).toEqual(before.body.timeline);
  const { cookie } = await login(w.url, 'super1', w.passwords.super1);
  const page = await fetch(`${w.url}/obligations/${enc(id)}`, { headers: { cookie } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('企业已关停，任务不再适用');
  // The archive does not widen what an assignee may read.
  expect((await call(`${w.url}/api/obligations/${enc(id)}`, { token: w.tokens.tangshan })).status).toBe(404);
});
