// Assessment benchmark: every city of the 2020–21 campaign over a full season of daily data
// (46 units × 182 days = 8,372 rows). Wall time of CSV validation + atomic import into the
// store + assessing every point of the season (target < 1 s), beside the time to read the same
// CSV alone (read the file, split lines and cells) in the same run; median of several runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadPolicies } from '../planner/load';
import { readRows } from '../storage/air-quality-csv';
import { importCsv, runPoint, campaignTargets } from '../planner/assessment';
import { fileAirQualityStore } from '../storage/air-quality';
import { assessedUnits } from '../domain/targets';
import { datesBetween } from '../domain/assessment';
import { loadCalendar } from '../domain/calendar';

const CAMPAIGN = 'jjj-fenwei-2020-2021';

export async function assessmentBench(runs: number) {
  const policies = loadPolicies(path.join(__dirname, '..', 'policies'));
  const calendar = loadCalendar();
  const { campaign, targets } = campaignTargets(policies, CAMPAIGN);
  const codes = assessedUnits(targets);
  const dates = datesBetween(campaign.period.start, campaign.period.end);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-bench-aq-'));
  const file = path.join(work, 'season.csv');
  // Deterministic synthetic figures: a seasonal curve per city with a weekly wobble.
  const lines = ['date,code,pm25,aqi'];
  dates.forEach((d, i) =>
    codes.forEach((c, j) => {
      const pm25 = Math.round((40 + 30 * Math.sin((i / dates.length) * Math.PI) + ((i * 7 + j * 13) % 23)) * 10) / 10;
      lines.push(`${d},${c},${pm25},${Math.round(pm25 * 1.6 + ((i + j) % 5) * 20)}`);
    }),
  );
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const points = targets.assessments.map((p) => p.id);

  const readOnly: number[] = [];
  const full: number[] = [];
  const assessOnly: number[] = [];
  let acts = 0;
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    const { lines: rows } = readRows(fs.readFileSync(file, 'utf8'));
    if (rows.length !== codes.length * dates.length) throw new Error('bench CSV has the wrong size');
    readOnly.push(performance.now() - t);

    const store = fileAirQualityStore(fs.mkdtempSync(path.join(work, 'store-')));
    t = performance.now();
    await importCsv({ policies, store, campaignId: CAMPAIGN, file, by: 'bench' });
    acts = 0;
    const a = performance.now();
    for (const id of points)
      acts += (await runPoint({ policies, calendar, store, campaignId: CAMPAIGN, pointId: id })).results.filter(
        (x) => x.act,
      ).length;
    assessOnly.push(performance.now() - a);
    full.push(performance.now() - t);
  }
  fs.rmSync(work, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    units: codes.length,
    days: dates.length,
    rows: codes.length * dates.length,
    points: points.length,
    acts,
    readMs: median(readOnly),
    fullMs: median(full),
    assessMs: median(assessOnly),
    runs: { readOnly, full },
  };
}
