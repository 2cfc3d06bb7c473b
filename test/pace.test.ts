// Pace (序时进度) of a quantitative obligation: the drill's coal-boilers (12 台 for 石家庄, due
// 2030-12-31) run on the time-skipping server with pace checks at half and three quarters of
// the span from launch to deadline (09:00 Shanghai on a working day). The colour follows the
// progress reports; the city receives a pace warning when it turns red or yellow, before its deadline.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import { obligationWorkflow } from '../workflows/obligation';
import { submitEvidence, reviewEvidence, recordQuery } from '../workflows/api';
import { resolveCampaign } from '../planner/resolve';
import { paceOf, paceOfRecord, type PaceSettings } from '../domain/pace';
import { rankByPace } from '../client/pace';
import type { CampaignTargets } from '../domain/targets';
import type { Actor } from '../domain/obligation';
import { systemReasonCn } from '../web/html';
import { recordHistory } from './support/histories';
import { noticeKey } from '../domain/ids';
import { readLetter } from '../storage/letters';
import {
  fixturePolicies,
  testCalendar,
  testDeps,
  testWorker,
  timeSkippingEnv,
  outboxMessages,
} from './support/temporal';

const settings: PaceSettings = { yellowBehind: 0.1, redBehind: 0.25, checks: [0.5, 0.75] };

describe('pace colour (pure)', () => {
  const at = (share: number) => ({ launchedAt: 0, deadline: 1000, now: share * 1000, target: 12, settings });
  test('green on pace, yellow beyond 10 % behind, red beyond 25 % or overdue', () => {
    expect(paceOf({ ...at(0.5), reported: 6 }).colour).toBe('green');
    expect(paceOf({ ...at(0.5), reported: 5 }).colour).toBe('green'); // 8.3 % behind
    expect(paceOf({ ...at(0.5), reported: 4 }).colour).toBe('yellow'); // 16.7 %
    expect(paceOf({ ...at(0.5), reported: 2 }).colour).toBe('red'); // 33 %
    expect(paceOf({ ...at(1.1), reported: 11.9 }).colour).toBe('red'); // overdue and unmet
    expect(paceOf({ ...at(1.1), reported: 12 }).colour).toBe('green');
  });
  test('a schedule in the policy replaces the straight line', () => {
    const sched = {
      ...settings,
      schedule: [
        { at: 100, share: 0.5 },
        { at: 900, share: 1 },
      ],
    };
    expect(paceOf({ ...at(0.2), settings: sched, reported: 2 }).colour).toBe('red'); // 6 due by t=100, 33 % behind
    expect(paceOf({ ...at(0.2), settings: sched, reported: 6 }).colour).toBe('green');
  });
  test('ranking: most red first, then yellow, then the mean shortfall', () => {
    const p = (colour: 'green' | 'yellow' | 'red', behind: number) => ({
      colour,
      behind,
      expected: 0,
      reported: 0,
      target: 1,
    });
    const rows = rankByPace([
      { assignee: 'a', pace: p('green', 0) },
      { assignee: 'b', pace: p('yellow', 0.2) },
      { assignee: 'c', pace: p('red', 0.5) },
      { assignee: 'b', pace: p('green', 0) },
      { assignee: 'd', pace: p('yellow', 0.15) },
    ]);
    expect(rows.map((r) => `${r.assignee} ${r.red}/${r.yellow}/${r.green}`)).toEqual([
      'c 1/0/0',
      'd 0/1/0',
      'b 0/1/1',
      'a 0/0/1',
    ]);
  });
});

describe('pace warnings on the time-skipping server', () => {
  const calendar = testCalendar(2026, 2032, ['2031-01-01']);
  const base = fixturePolicies();
  // The drill campaign with pace settings, as policies/targets/<campaign>.yaml would give them.
  const policies = { ...base, targets: new Map([['drill', { pace: settings } as unknown as CampaignTargets]]) };
  const deps = { ...testDeps(calendar, base), policies };
  const row = resolveCampaign(base, 'drill', calendar, 2030).find(
    (r) => r.obligationId === 'coal-boilers' && r.assignee === '130100',
  )!;
  const sjz: Actor = { role: 'assignee', id: 'sjz-user', org: '130100' };
  const office: Actor = { role: 'office', id: 'reviewer' };
  const report = (quantity: number, sha: string) => ({
    actor: sjz,
    sha256: sha.repeat(64),
    size: 100,
    fileName: 'progress.pdf',
    mediaType: 'application/pdf',
    quantity,
  });

  let env: TestWorkflowEnvironment;
  let worker: LantianWorker;
  let running: Promise<void>;
  beforeAll(async () => {
    env = await timeSkippingEnv();
    worker = await testWorker(env, deps);
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await env.teardown();
  });

  test('colours change as progress reports arrive; a warning when it turns red, another when yellow, none while green', async () => {
    const h = await env.client.workflow.start(obligationWorkflow, {
      taskQueue: 'lantian-test',
      workflowId: `${row.workflowId}#pace`,
      args: [row.input],
    });
    let rec = await h.query(recordQuery);
    // The first workflow task plans the schedule; wait (real time, the server's clock stays put) until it has.
    for (let i = 0; i < 100 && !rec.schedule.some((e) => e.kind === 'pace'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      rec = await h.query(recordQuery);
    }
    const colour = async () =>
      paceOfRecord((rec = await h.query(recordQuery)), settings, await env.currentTimeMs())!.colour;
    const checks = rec.schedule.filter((e) => e.kind === 'pace');
    expect(checks).toHaveLength(2);
    for (const c of checks) {
      expect(c.atLocal).toMatch(/T09:00:00\.000\+08:00$/);
      expect(Date.parse(c.at)).toBeLessThan(Date.parse(rec.deadline));
    }
    expect(await colour()).toBe('green');

    // Nothing reported by half time: red at the first check, and a warning.
    await env.sleep(Date.parse(checks[0].at) - (await env.currentTimeMs()) + 60_000);
    expect(await colour()).toBe('red');
    await h.executeUpdate(submitEvidence, { args: [report(5, 'a')] });
    expect(await colour()).toBe('green'); // 5 of ~6 expected: under 10 % behind
    await h.executeUpdate(submitEvidence, { args: [report(2, 'b')] });

    // Three quarters of the time, 7 of 9 expected: yellow (16.7 % behind), and a warning.
    await env.sleep(Date.parse(checks[1].at) - (await env.currentTimeMs()) + 60_000);
    expect(await colour()).toBe('yellow');
    await h.executeUpdate(submitEvidence, { args: [report(5, 'c')] });
    expect(await colour()).toBe('green');
    for (const id of ['E1', 'E2', 'E3'])
      await h.executeUpdate(reviewEvidence, { args: [{ actor: office, evidenceId: id, decision: 'accept' }] });
    expect(await h.result()).toMatchObject({ status: 'met', level: 0 });

    rec = await h.query(recordQuery);
    const checked = rec.timeline
      .filter((e) => e.type === 'pace-checked')
      .map((e) => `${e.atLocal.slice(0, 16)} ${e.reason!.split(':')[0]}`);
    expect(checked).toEqual([`${checks[0].atLocal.slice(0, 16)} red`, `${checks[1].atLocal.slice(0, 16)} yellow`]);
    const warnings = rec.notices.filter((n) => n.kind === 'pace-warning');
    expect(warnings.map((n) => n.key)).toEqual([
      noticeKey(h.workflowId, checks[0].key),
      noticeKey(h.workflowId, checks[1].key),
    ]);
    expect(outboxMessages(deps).filter((m) => m.subject.includes('序时进度预警'))).toHaveLength(2);
    // To the city's environment bureau, which the letter calls 你市.
    expect(readLetter(deps.lettersDir, warnings[0].key)!.text).toMatch(/^石家庄市生态环境局：\n+你市“/m);
    expect(readLetter(deps.lettersDir, warnings[0].key)!.text).toMatch(
      /已报送完成0台，按序时进度应完成\d+(\.\d+)?台，进度状态为红色/,
    );
    expect(readLetter(deps.lettersDir, warnings[1].key)!.text).toMatch(
      /已报送完成7台，按序时进度应完成\d+(\.\d+)?台，进度状态为黄色/,
    );
    expect(rec.notices.filter((n) => n.kind === 'reminder')).toHaveLength(0);
    // The pages show the pace checks' reasons in Chinese.
    expect(
      rec.timeline
        .filter((e) => e.actor.role === 'system' && systemReasonCn(e.reason!) === e.reason)
        .map((e) => e.reason),
    ).toEqual([]);

    if (process.env.LANTIAN_RECORD_HISTORIES)
      recordHistory('pace-warnings-red-then-yellow-then-met-coal-boilers', await h.fetchHistory());
  });
});
