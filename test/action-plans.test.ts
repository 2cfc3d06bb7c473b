// The two shipped action plans, checked against their documents: who is assigned, what they
// owe and by when, how a re-run season lands on the official calendar, and — on the
// time-skipping server — the escalation a city that ignores every obligation receives.
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadPolicies } from '../planner/load';
import { resolveCampaign, getCampaign, type PlanRow } from '../planner/resolve';
import { loadCalendar, calendarFromData } from '../domain/calendar';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { inPool } from '../client/launch';
import type { ObligationRecord } from '../domain/obligation';
import { repo, testDeps, testWorker, timeSkippingEnv } from './support/temporal';
import { parse } from 'yaml';
import fs from 'node:fs';

const policies = loadPolicies(path.join(repo, 'policies'));
const calendar = loadCalendar();
const jjj19 = getCampaign(policies, 'jjj-2019-2020');
const jjj20 = getCampaign(policies, 'jjj-fenwei-2020-2021');
const kinds = (codes: string[]) =>
  codes.reduce<Record<string, number>>(
    (n, c) => ({ ...n, [policies.organisations.get(c)!.kind]: (n[policies.organisations.get(c)!.kind] ?? 0) + 1 }),
    {},
  );

test('2019–20 covers the "2+26" cities with Xiong\'an, Dingzhou, Xinji and Jiyuan; 2020–21 adds the 11 Fenwei cities and 3 units', () => {
  const cities19 = jjj19.scope.filter((c) => policies.organisations.get(c)!.kind === 'city');
  const cities20 = jjj20.scope.filter((c) => policies.organisations.get(c)!.kind === 'city');
  // 28 minus Beijing and Tianjin, which are provinces in the registry
  expect(cities19).toHaveLength(26);
  expect(cities20).toHaveLength(37);
  expect(cities20).toEqual(expect.arrayContaining(['610100', '610500', '140800', '141000', '410300', '411200']));
  expect(kinds(jjj19.scope)['special-unit']).toBe(4);
  expect(kinds(jjj20.scope)['special-unit']).toBe(7);
  expect(jjj19.scope).toEqual(
    expect.arrayContaining([
      '110000',
      '120000',
      '130000',
      '140000',
      '370000',
      '410000',
      'xiongan',
      '130682',
      '130181',
      '419001',
    ]),
  );
  expect(jjj20.scope).toEqual(expect.arrayContaining(['610000', 'yangling', 'xixian', '610581']));
  // the province → city hierarchy is kept
  expect(policies.organisations.get('140800')).toMatchObject({ name: '运城市', parent: '140000' });
});

test('2019–20 quantities as the text gives them', () => {
  const rows = resolveCampaign(policies, 'jjj-2019-2020', calendar);
  const q = (o: string, a: string) => rows.find((r) => r.obligationId === o && r.assignee === a)?.quantity;
  // 其中，天津市36.3万户、河北省203.2万户、山西省39.7万户、山东省114.3万户、河南省130.7万户
  expect(q('coal-replacement-2019', '130000')).toEqual({ value: 203.2, unit: '万户' });
  expect(q('coal-replacement-2019', '410000')).toEqual({ value: 130.7, unit: '万户' });
  // 河北省压减退出钢铁产能1400万吨 … 山西省压减钢铁产能175万吨
  expect(q('steel-capacity-cut', '130000')?.value).toBe(1400);
  expect(q('steel-capacity-cut', '140000')?.value).toBe(175);
  // 天津市不少于15个，河北省各城市不少于5个
  expect(q('emission-checkpoints-beijing-tianjin', '120000')?.value).toBe(15);
  expect(q('emission-checkpoints-hebei', '130100')?.value).toBe(5);
  expect(q('diesel-truck-phase-out-40', '130100')?.value).toBe(40);
  // 2019年12月底前 → end of 31 December 2019, Shanghai time
  expect(rows.find((r) => r.obligationId === 'steel-capacity-cut')!.deadline).toBe('2019-12-31T23:59:59.999+08:00');
});

test('the monthly air-quality report due on a Sunday rolls to the next working day; in 2019 National Day week it rolls past the holiday', () => {
  const rows = resolveCampaign(policies, 'jjj-2019-2020', calendar).filter(
    (r) => r.obligationId === 'monthly-county-aq-data' && r.assignee === '130000',
  );
  const due = Object.fromEntries(rows.map((r) => [r.period, [r.statedDueDate, r.dueDate]]));
  expect(due['2019-10']).toEqual(['2019-11-10', '2019-11-11']); // Sunday → Monday
  expect(due['2019-12']).toEqual(['2020-01-10', '2020-01-10']); // a Friday stays
  // The same plan re-run for 2024–25: 2025-02-10 is a Monday and stays; February is covered.
  const rerun = resolveCampaign(policies, 'jjj-2019-2020', calendar, 2024).filter(
    (r) => r.obligationId === 'monthly-county-aq-data' && r.assignee === '130000',
  );
  expect(rerun.find((r) => r.period === '2025-01')?.dueDate).toBe('2025-02-10');
  // 2024-10-10 … the report covering 2024-09 is due on the 10th, a Thursday after National Day
  expect(rerun.find((r) => r.period === '2024-09')?.dueDate).toBe('2024-10-10');
});

test('re-running 2020–21 in 2024–25 keeps end of February as end of February (leap year 2024 → 2025)', () => {
  const rows = resolveCampaign(policies, 'jjj-fenwei-2020-2021', calendar, 2024);
  expect(rows.length).toBe(resolveCampaign(policies, 'jjj-fenwei-2020-2021', calendar).length);
  expect(rows.every((r) => r.workflowId.startsWith('lantian:jjj-fenwei-2020-2021:2024:'))).toBe(true);
  const voc = rows.find((r) => r.obligationId === 'voc-bypass-removal' && r.assignee === '130100')!;
  expect(voc.dueDate).toBe('2025-03-31');
});

describe('2020–21 on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  afterAll(async () => env?.teardown());

  test("石家庄 ignores every obligation → urging, then warning letters and public interviews only as this year's text prescribes, never accountability", async () => {
    // A future season (the server's clock starts today). Years the official calendar does not
    // cover yet count weekends only here; every instant is then checked against the same calendar.
    const official = (
      parse(fs.readFileSync(path.join(repo, 'policies', 'calendar', 'cn-public-holidays.yaml'), 'utf8')) as {
        years: Record<string, unknown>;
      }
    ).years;
    const years: Record<string, unknown> = {};
    for (let y = 2019; y <= 2040; y++)
      years[String(y)] = official[y] ??
        official[String(y)] ?? { source: 'test: weekends only', holidays: [], workdays: [] };
    const cal = calendarFromData({ timezone: 'Asia/Shanghai', years }, 'test-calendar');
    const season = new Date().getFullYear() + 1;
    const rows = resolveCampaign(policies, 'jjj-fenwei-2020-2021', cal, season).filter((r) => r.assignee === '130100');
    expect(rows.length).toBeGreaterThan(5);

    env = await timeSkippingEnv();
    const worker = await testWorker(env, testDeps(cal, policies));
    const records: [PlanRow, ObligationRecord][] = await worker.runUntil(async () => {
      const handles: [PlanRow, Awaited<ReturnType<typeof env.client.workflow.start>>][] = [];
      await inPool(rows, 8, async (r) => {
        handles.push([
          r,
          await env.client.workflow.start(obligationWorkflow, {
            taskQueue: 'lantian-test',
            workflowId: r.workflowId,
            args: [r.input],
          }),
        ]);
      });
      const end = Math.max(...rows.map((r) => Date.parse(r.deadline))) + 400 * 86_400_000;
      await env.sleep(end - (await env.currentTimeMs()));
      return Promise.all(handles.map(async ([r, h]) => [r, await h.query(recordQuery)] as [PlanRow, ObligationRecord]));
    });

    for (const [row, rec] of records) {
      expect(rec.status).toBe('unmet');
      const escalations = rec.timeline.filter((e) => e.type === 'escalated');
      // Each step of its ladder, in order, once — and nothing beyond the ladder.
      expect(escalations.map((e) => e.notice?.kind)).toEqual(
        row.ladder.filter((s) => escalations.some((e) => e.level === s.level)).map((s) => s.kind),
      );
      expect(escalations.map((e) => e.level)).toEqual(row.ladder.map((s) => s.level));
      for (const e of escalations) {
        // 09:00 Shanghai, on a working day of the calendar
        expect(e.atLocal.slice(11, 16)).toBe('09:00');
        expect(cal.isWorkingDay(e.atLocal.slice(0, 10))).toBe(true);
      }
      expect(escalations.some((e) => e.notice?.kind === 'accountability')).toBe(false);
    }
    // Key tasks climb to a public interview; a quarterly target miss brings a warning letter.
    const kindsSent = new Set(records.flatMap(([, r]) => r.notices.map((n) => n.kind)));
    // Besides the ladder's letters, one 催签 for each letter 石家庄 never acknowledged.
    expect([...kindsSent].sort()).toEqual([
      'acknowledgement-urging',
      'public-interview',
      'reminder',
      'urging',
      'warning-letter',
    ]);
    const quarterly = records.find(([r]) => r.obligationId === 'aq-quarterly-target');
    expect(quarterly?.[1].notices.map((n) => n.kind)).toContain('warning-letter');
  });
});
