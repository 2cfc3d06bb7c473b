// Pace from the supervisor's side on the dev server (visibility): the drill campaign launched for
// 2030, 石家庄 reports 11 of its 12 boilers and 唐山 none of its 8; every quantitative obligation's
// colour (what `obligation list --pace` prints) and the ranking (`pace ranking`) put 唐山 first.
// The clock is today's, years before the 2030 deadline, so the expected quantity is still small:
// the colours are computed at chosen instants along the span, as a supervisor would see them then.
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import { launchCampaign } from '../client/launch';
import { resolveCampaign } from '../planner/resolve';
import { submitEvidence, recordQuery } from '../workflows/api';
import { listObligations } from '../client/obligations';
import { paceOfObligations, paceRanking } from '../client/pace';
import type { CampaignTargets } from '../domain/targets';
import { devServerEnv, fixturePolicies, tempDir, testCalendar, testDeps, testWorker } from './support/temporal';

const calendar = testCalendar(2026, 2032, ['2031-01-01']);
const base = fixturePolicies();
const policies = {
  ...base,
  targets: new Map([
    ['drill', { pace: { yellowBehind: 0.1, redBehind: 0.25, checks: [] } } as unknown as CampaignTargets],
  ]),
};
const TQ = 'lantian-pace';

let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;
beforeAll(async () => {
  env = await devServerEnv(path.join(tempDir('pace-dev'), 'temporal.db'));
  worker = await testWorker(env, { ...testDeps(calendar, base), policies }, TQ);
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

test('colours per obligation and organisations ranked by pace, most behind first', async () => {
  const rows = resolveCampaign(base, 'drill', calendar, 2030).filter((r) => r.obligationId === 'coal-boilers');
  await launchCampaign(env.client, rows, { taskQueue: TQ });
  for (
    let i = 0;
    i < 100 &&
    (await listObligations(env.client, { campaign: 'drill', obligation: 'coal-boilers' })).length < rows.length;
    i++
  )
    await new Promise((r) => setTimeout(r, 100));
  const sjz = rows.find((r) => r.assignee === '130100')!;
  await env.client.workflow.getHandle(sjz.workflowId).executeUpdate(submitEvidence, {
    args: [
      {
        actor: { role: 'assignee', id: 'sjz', org: '130100' },
        sha256: 'e'.repeat(64),
        size: 10,
        fileName: 'p.pdf',
        mediaType: 'application/pdf',
        quantity: 11,
      },
    ],
  });

  // Visibility is eventually consistent: wait until the listing shows the report arrived.
  for (let i = 0; i < 100; i++) {
    const listed = await listObligations(env.client, { campaign: 'drill', obligation: 'coal-boilers' });
    if (listed.length === rows.length && listed.some((r) => r.assignee === '130100' && r.status === 'submitted')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // …and until both workflows have planned their schedule (the Update can arrive before that).
  for (const r of rows) {
    for (let i = 0; i < 100 && !(await env.client.workflow.getHandle(r.workflowId).query(recordQuery)).deadline; i++)
      await new Promise((res) => setTimeout(res, 50));
  }
  // Four fifths of the way from launch to the deadline: 9.6 of 12 expected for 石家庄, 6.4 of 8 for 唐山.
  const launched = Date.now();
  const deadline = Date.parse(sjz.deadline);
  const at = launched + 0.8 * (deadline - launched);
  const paced = await paceOfObligations(
    env.client,
    policies,
    tempDir('archive'),
    { campaign: 'drill', obligation: 'coal-boilers' },
    at,
  );
  expect(paced.map((p) => `${p.assignee} ${p.pace.colour} ${p.pace.reported}/${p.pace.target}`).sort()).toEqual([
    '130100 green 11/12',
    '130200 red 0/8',
  ]);

  const ranking = await paceRanking(env.client, policies, tempDir('archive'), 'drill', 2030, at);
  expect(ranking.map((r) => `${r.assignee} ${r.red}/${r.yellow}/${r.green}`)).toEqual(['130200 1/0/0', '130100 0/0/1']);
});
