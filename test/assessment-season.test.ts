// A whole season of each year's assessment on the time-skipping server, with synthetic daily
// figures for three cities. The plans are re-run for season 2030 on a weekends-only calendar,
// so every expected date below can be read off a 2030–31 calendar (09:00 Shanghai):
//   2020–21 plan: stage 1 (Oct–Dec) + P15D → Wed 2031-01-15; stage 2 (Jan–Mar) + P15D → Tue 04-15;
//                 final (stage-2 target) + P1M → Wed 04-30.
//   2019–20 plan: monthly bulletins on the 15th (Fri 2030-11-15, Sun 12-15 → Mon 12-16, Wed 01-15,
//                 Sat 02-15 → Mon 02-17, Sat 03-15 → Mon 03-17); quarters Wed 01-15 and Tue 04-15;
//                 final Wed 04-30.
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import { loadPolicies } from '../planner/load';
import {
  assessmentWorkflow,
  assessmentRecordQuery,
  cityAssessmentQuery,
  assessmentWorkflowId,
} from '../workflows/assessment';
import { campaignTargets, importCsv } from '../planner/assessment';
import { planAssessments } from '../planner/assessment-plan';
import { datesBetween } from '../domain/assessment';
import type { Pool } from 'pg';
import { fileTimelineStore, pgTimelineStore, type AssessmentTimelineStore } from '../storage/assessment-timeline';
import { fileAirQualityStore, type AirQualityStore } from '../storage/air-quality';
import { pgAirQualityStore } from '../storage/air-quality-pg';
import { openPool } from '../db/pool';
import { migrate } from '../db/migrate';
import { freshSchema, productionUrls } from './support/stores';
import { readLetter } from '../storage/letters';
import { recordHistory } from './support/histories';
import { repo, testCalendar, testDeps, testWorker, timeSkippingEnv, tempDir, type TestDeps } from './support/temporal';

const SEASON = 2030;
const calendar = testCalendar(2028, 2032);
const policies = loadPolicies(path.join(repo, 'policies'));

/** date,code,pm25,aqi rows for one city: figures by day from a function. */
function csv(
  rows: { code: string; from: string; to: string; pm25: (d: string) => number; aqi: (d: string) => number }[],
): string {
  const lines = ['date,code,pm25,aqi'];
  for (const r of rows)
    for (const d of datesBetween(r.from, r.to)) lines.push(`${d},${r.code},${r.pm25(d)},${r.aqi(d)}`);
  return lines.join('\n') + '\n';
}

let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;
let deps: TestDeps & { airQuality: AirQualityStore; assessmentTimeline: AssessmentTimelineStore };

// The figures and the timeline in files (the embedded default) and, under npm run test:cluster, in
// PostgreSQL: the same seasons must come out the same on either.
type SeasonStores = Pick<typeof deps, 'airQuality' | 'assessmentTimeline'>;
const urls = productionUrls();
let schema: Awaited<ReturnType<typeof freshSchema>> | undefined;
let pool: Pool | undefined;
const storeKinds: [string, (dir: string) => Promise<SeasonStores>][] = [
  ['file', async (dir) => ({ airQuality: fileAirQualityStore(dir), assessmentTimeline: fileTimelineStore(dir) })],
];
if (urls)
  storeKinds.push([
    'PostgreSQL',
    async () => {
      if (!pool) {
        schema = await freshSchema(urls.database);
        pool = openPool(schema.url, 4);
        await migrate(pool);
      }
      return { airQuality: pgAirQualityStore(pool), assessmentTimeline: pgTimelineStore(pool) };
    },
  ]);
afterAll(async () => {
  await pool?.end();
  await schema?.drop();
});

async function load(campaignId: string, text: string, baseline = false) {
  const file = path.join(tempDir('csv'), baseline ? 'baseline.csv' : 'observed.csv');
  fs.writeFileSync(file, text);
  return importCsv({ policies, store: deps.airQuality, campaignId, season: SEASON, file, baseline, by: 'test' });
}

async function runSeason(campaignId: string) {
  const { campaign, targets } = campaignTargets(policies, campaignId);
  const points = planAssessments(campaign, targets, SEASON, calendar).map((p) => ({
    id: p.point.id,
    kind: p.point.kind,
    title: p.point.title,
    at: p.at,
    atLocal: p.atLocal,
  }));
  const h = await env.client.workflow.start(assessmentWorkflow, {
    taskQueue: 'lantian-test',
    workflowId: assessmentWorkflowId(campaignId, SEASON),
    args: [{ campaignId, season: SEASON, points }],
  });
  // One sleep past the last point, then queries (many awaited results can upset the test server).
  const last = Date.parse(points.at(-1)!.at);
  await env.sleep(last - (await env.currentTimeMs()) + 3_600_000);
  const record = await h.query(assessmentRecordQuery);
  // LANTIAN_RECORD_HISTORIES=1 stores the season's history for the replay test (never overwriting).
  if (process.env.LANTIAN_RECORD_HISTORIES) recordHistory(`assessment-season-${campaignId}`, await h.fetchHistory());
  return { h, record, points };
}

const actsOf = (record: Awaited<ReturnType<typeof runSeason>>['record']) =>
  record.points.flatMap((p) => p.acts.map((a) => `${a.issuedAtLocal.slice(0, 16)} ${a.code} ${p.id} ${a.act}`));

describe.each(storeKinds)('%s stores', (_kind, storesIn) => {
  beforeEach(async () => {
    const base = testDeps(calendar, policies);
    deps = { ...base, policies, ...(await storesIn(path.join(base.dir, 'air-quality'))) };
    env = await timeSkippingEnv();
    worker = await testWorker(env, deps);
    running = worker.run();
  });

  afterEach(async () => {
    worker.shutdown();
    await running;
    await env.teardown();
  });

  test('2020–21 plan: on target → nothing; Oct–Dec stage missed → warning letter on 2031-01-15; final missed → warning letter and public interview', async () => {
    const S = 'jjj-fenwei-2020-2021';
    await load(
      S,
      csv([
        // 石家庄: on target in both stages (jjj targets 63 then 86 µg/m³, 5 then 12 heavy days).
        { code: '130100', from: '2030-10-01', to: '2031-03-31', pm25: () => 50, aqi: () => 90 },
        // 唐山: 70 µg/m³ in Oct–Dec (target 63), fine in Jan–Mar.
        {
          code: '130200',
          from: '2030-10-01',
          to: '2031-03-31',
          pm25: (d) => (d < '2031-01-01' ? 70 : 60),
          aqi: () => 120,
        },
        // 西安 (Fenwei): fine in Oct–Dec, 95 µg/m³ in Jan–Mar (target 90).
        {
          code: '610100',
          from: '2030-10-01',
          to: '2031-03-31',
          pm25: (d) => (d < '2031-01-01' ? 50 : 95),
          aqi: () => 130,
        },
      ]),
    );
    const { record, h } = await runSeason(S);
    expect(record.pending).toEqual([]);
    expect(actsOf(record)).toEqual([
      '2031-01-15T09:00 130200 stage-1 warning-letter',
      '2031-04-15T09:00 610100 stage-2 warning-letter',
      '2031-04-30T09:00 610100 final public-interview',
    ]);
    // Every other city has no data: no verdict, no act.
    const stage1 = record.points.find((p) => p.id === 'stage-1')!;
    expect(stage1.results.find((r) => r.code === '130100')!.verdictCn).toBe('合格');
    expect(stage1.results.find((r) => r.code === '130200')!.verdictCn).toBe('不合格');
    expect(stage1.results.filter((r) => r.verdict === 'no-data')).toHaveLength(43);

    // The letter carries the figures that caused it, its 文号 and the clause.
    const act = stage1.acts[0];
    expect(act.documentNumber).toMatch(/〔2031〕\d+号$/);
    const letter = readLetter(deps.lettersDir, act.key)!;
    expect(letter.subject).toContain('预警通知函');
    // Addressed to the city's government, and speaking to it as 你市.
    expect(letter.text).toMatch(/^唐山市人民政府：$/m);
    expect(letter.text).toContain('你市考核结果为“不合格”');
    expect(letter.text).toContain('PM2.5平均浓度70微克/立方米，高于目标63微克/立方米');
    expect(letter.text).toContain('四、（二十二）');
    expect(letter.text).toContain('2031年1月15日');

    // The city's timeline: from the workflow's query and from the durable store.
    const xian = await h.query(cityAssessmentQuery, '610100');
    expect(xian.points.map((p) => `${p.id} ${p.verdictCn} ${p.act?.act ?? '-'}`)).toEqual([
      'bulletin-2020-10 通报 -',
      'bulletin-2020-11 通报 -',
      'bulletin-2020-12 通报 -',
      'stage-1 合格 -',
      'bulletin-2021-01 通报 -',
      'bulletin-2021-02 通报 -',
      'bulletin-2021-03 通报 -',
      'stage-2 不合格 warning-letter',
      'final 不合格 public-interview',
    ]);
    // The monthly bulletin ranks by mean PM2.5 (no act this year): 石家庄 50 < 唐山 60 < 西安 95 in January.
    const january = record.points.find((p) => p.id === 'bulletin-2021-01')!;
    expect(
      january.results
        .filter((r) => r.rank)
        .sort((a, b) => a.rank! - b.rank!)
        .map((r) => r.code),
    ).toEqual(['130100', '130200', '610100']);
    expect((await deps.assessmentTimeline.read(S, SEASON, '610100')).map((a) => a.act)).toEqual([
      'warning-letter',
      'public-interview',
    ]);
  });

  test('2019–20 plan (year on year): a monthly lag → warning letter, a quarter missed → public interview, the final missed → accountability and regional EIA restriction', async () => {
    const S = 'jjj-2019-2020';
    // Baseline: the same days a year earlier, 100 µg/m³ for each city.
    await load(
      S,
      csv(
        ['130100', '130200', '131000'].map((code) => ({
          code,
          from: '2029-10-01',
          to: '2030-03-31',
          pm25: () => 100,
          aqi: () => 150,
        })),
      ),
      true,
    );
    await load(
      S,
      csv([
        // 石家庄: October flat (0 %, the time schedule asks −4 %), then −20 %: only October's bulletin lags.
        {
          code: '130100',
          from: '2030-10-01',
          to: '2031-03-31',
          pm25: (d) => (d < '2030-11-01' ? 100 : 80),
          aqi: () => 150,
        },
        // 唐山: −20 % in Oct–Dec, flat in Jan–Mar: the first quarter of 2031 is missed, the cumulative months and final hold.
        {
          code: '130200',
          from: '2030-10-01',
          to: '2031-03-31',
          pm25: (d) => (d < '2031-01-01' ? 80 : 100),
          aqi: () => 150,
        },
        // 衡水: flat all season: every bulletin, both quarters and the final are missed.
        { code: '131000', from: '2030-10-01', to: '2031-03-31', pm25: () => 100, aqi: () => 150 },
      ]),
    );
    const { record } = await runSeason(S);
    expect(actsOf(record)).toEqual([
      '2030-11-15T09:00 130100 month-2019-10 warning-letter',
      '2030-11-15T09:00 131000 month-2019-10 warning-letter',
      '2030-12-16T09:00 131000 month-2019-11 warning-letter',
      '2031-01-15T09:00 131000 month-2019-12 warning-letter',
      '2031-01-15T09:00 131000 quarter-2019-q4 public-interview',
      '2031-02-17T09:00 131000 month-2020-01 warning-letter',
      '2031-03-17T09:00 131000 month-2020-02 warning-letter',
      '2031-04-15T09:00 130200 quarter-2020-q1 public-interview',
      '2031-04-15T09:00 131000 quarter-2020-q1 public-interview',
      '2031-04-30T09:00 131000 final accountability',
    ]);
    const final = record.points.find((p) => p.id === 'final')!.acts[0];
    const letter = readLetter(deps.lettersDir, final.key)!;
    expect(letter.subject).toContain('区域环评限批');
    expect(letter.text).toContain('实行区域环评限批');
    expect(letter.text).toContain('同比0%（去年同期100）');
  });
});
