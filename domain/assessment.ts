// The assessment itself: pure functions from daily figures, targets and marks to a verdict and
// the act the year's text prescribes. No I/O and no clock, so the CLI dry-run, the workflow's
// activity and the benchmark all run exactly this code.
import { shiftDate } from './season';
import { addDays } from './calendar';
import {
  targetFor,
  regionOf,
  type AssessmentPoint,
  type CampaignTargets,
  type ReasonKind,
  type ResolvedTarget,
  type ActKind,
} from './targets';

/** date → [pm25, aqi] for one city. */
export type CityDays = Record<string, [number, number]>;
/** code → that city's days. */
export type Series = Record<string, CityDays>;

export interface FalsifiedMark {
  reason: string;
  evidence: string;
  by: string;
  at: string;
}

export interface WindowFigures {
  /** Days with figures in the window. */
  days: number;
  expectedDays: number;
  pm25Mean: number | null;
  heavyDays: number;
  /** Longest run of consecutive days with AQI above the off-the-chart threshold. */
  offTheChartRun: number;
}

export interface Reason {
  kind: ReasonKind;
  text: string;
}

export interface CityAssessment {
  code: string;
  name: string;
  region: string;
  point: string;
  kind: AssessmentPoint['kind'];
  window: { start: string; end: string };
  figures: WindowFigures;
  baseline?: WindowFigures;
  pm25ChangePct?: number | null;
  heavyDaysChangePct?: number | null;
  target?: ResolvedTarget;
  overdueShare: number | null;
  falsified?: FalsifiedMark;
  verdict: 'pass' | 'fail' | 'no-data' | 'bulletin';
  /** 合格 / 不合格 / 无数据 / 通报 (a bulletin without a target only ranks) */
  verdictCn: string;
  /** Every criterion missed (the ones this assessment acts on are in `act.reasons`). */
  reasons: Reason[];
  act?: { kind: ActKind; reasons: Reason[]; clause: AssessmentPoint['clause']; regionalEiaRestriction: boolean };
  /** Rank by improvement among the assessed cities with data (1 = best). */
  rank?: number;
}

export interface AssessInput {
  targets: CampaignTargets;
  /** The point with its window already shifted to the season. */
  point: AssessmentPoint;
  names: Map<string, string>;
  observed: Series;
  baseline?: Series;
  falsified?: Record<string, FalsifiedMark>;
  /** Share of each city's obligations overdue; absent when it could not be measured. */
  overdueShares?: Record<string, number>;
}

export function datesBetween(start: string, end: string): string[] {
  const out: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) out.push(d);
  return out;
}

export function windowFigures(
  days: CityDays | undefined,
  dates: string[],
  heavyAbove: number,
  offChartAbove: number,
): WindowFigures {
  let n = 0;
  let sum = 0;
  let heavy = 0;
  let run = 0;
  let longest = 0;
  for (const d of dates) {
    const v = days?.[d];
    if (!v) {
      run = 0;
      continue;
    }
    n++;
    sum += v[0];
    if (v[1] > heavyAbove) heavy++;
    run = v[1] > offChartAbove ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return {
    days: n,
    expectedDays: dates.length,
    pm25Mean: n ? round1(sum / n) : null,
    heavyDays: heavy,
    offTheChartRun: longest,
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const pct = (now: number, before: number) => (before === 0 ? null : round1(((now - before) / before) * 100));

export function assessPoint(input: AssessInput): CityAssessment[] {
  const { targets: t, point } = input;
  const dates = datesBetween(point.window.start, point.window.end);
  const baseDates = datesBetween(shiftDate(point.window.start, -1), shiftDate(point.window.end, -1));
  const heavyAbove = t.heavyDay.aqiAbove;
  const offAbove = t.offTheChart?.aqiAbove ?? Infinity;
  const results: CityAssessment[] = [];
  for (const region of t.regions) {
    for (const code of region.members) {
      const figures = windowFigures(input.observed[code], dates, heavyAbove, offAbove);
      const target = point.target ? targetFor(t, code, point.target) : undefined;
      const yoy =
        t.basis === 'year-on-year' ||
        target?.pm25ChangePctMax !== undefined ||
        target?.heavyDaysChangeMax !== undefined;
      const baseline = yoy ? windowFigures(input.baseline?.[code], baseDates, heavyAbove, offAbove) : undefined;
      const falsified = input.falsified?.[code];
      const overdueShare = input.overdueShares?.[code] ?? null;
      const r: CityAssessment = {
        code,
        name: input.names.get(code) ?? code,
        region: region.id,
        point: point.id,
        kind: point.kind,
        window: point.window,
        figures,
        ...(baseline ? { baseline } : {}),
        ...(baseline && figures.pm25Mean !== null && baseline.pm25Mean !== null
          ? {
              pm25ChangePct: pct(figures.pm25Mean, baseline.pm25Mean),
              heavyDaysChangePct: pct(figures.heavyDays, baseline.heavyDays),
            }
          : {}),
        ...(target ? { target } : {}),
        overdueShare,
        ...(falsified ? { falsified } : {}),
        verdict: 'pass',
        verdictCn: '合格',
        reasons: [],
      };
      r.reasons = missed(r, t);
      const noData = figures.days === 0 || (baseline !== undefined && baseline.days === 0);
      // The verdict is on the targets; 爆表 and slow key tasks are triggers of their own, not targets.
      // Falsified data voids the assessment whatever the figures (“考核结果直接认定为不合格”).
      if (falsified) r.verdict = 'fail';
      else if (noData) r.verdict = 'no-data';
      else if (!point.target) r.verdict = 'bulletin';
      else if (r.reasons.some((x) => x.kind === 'pm25' || x.kind === 'heavy-days')) r.verdict = 'fail';
      r.verdictCn = { pass: '合格', fail: '不合格', 'no-data': '无数据', bulletin: '通报' }[r.verdict];
      const acting = r.reasons.filter((x) => point.triggers.includes(x.kind));
      if (acting.length && point.act) {
        r.act = {
          kind: point.act,
          reasons: acting,
          clause: point.clause,
          regionalEiaRestriction: point.regionalEiaRestriction,
        };
      }
      results.push(r);
    }
  }
  rank(results, t.basis);
  return results;
}

/** Every criterion the city misses at this point, worded for the letter. */
function missed(r: CityAssessment, t: CampaignTargets): Reason[] {
  const out: Reason[] = [];
  if (r.falsified)
    out.push({
      kind: 'falsified',
      text: `监测数据被认定篡改、伪造（${r.falsified.reason}），考核结果直接认定为不合格`,
    });
  const f = r.figures;
  const g = r.target;
  if (g && f.days > 0) {
    if (g.pm25Max !== undefined && f.pm25Mean !== null && f.pm25Mean > g.pm25Max) {
      out.push({ kind: 'pm25', text: `PM2.5平均浓度${f.pm25Mean}微克/立方米，高于目标${g.pm25Max}微克/立方米` });
    }
    if (g.heavyDaysMax !== undefined && f.heavyDays > g.heavyDaysMax) {
      out.push({ kind: 'heavy-days', text: `重度及以上污染${f.heavyDays}天，多于目标${g.heavyDaysMax}天` });
    }
    const b = r.baseline;
    if (b && b.days > 0 && b.pm25Mean !== null && f.pm25Mean !== null) {
      if (g.pm25ChangePctMax !== undefined && f.pm25Mean > b.pm25Mean * (1 + g.pm25ChangePctMax / 100)) {
        out.push({
          kind: 'pm25',
          text: `PM2.5平均浓度${f.pm25Mean}微克/立方米，同比${signed(r.pm25ChangePct)}（去年同期${b.pm25Mean}），未达到${signed(g.pm25ChangePctMax)}的目标`,
        });
      }
      if (g.heavyDaysChangePctMax !== undefined && f.heavyDays > b.heavyDays * (1 + g.heavyDaysChangePctMax / 100)) {
        out.push({
          kind: 'heavy-days',
          text: `重度及以上污染${f.heavyDays}天（去年同期${b.heavyDays}天），未达到同比${signed(g.heavyDaysChangePctMax)}的目标`,
        });
      }
      if (g.heavyDaysChangeMax !== undefined && f.heavyDays - b.heavyDays > g.heavyDaysChangeMax) {
        out.push({
          kind: 'heavy-days',
          text: `重度及以上污染${f.heavyDays}天（去年同期${b.heavyDays}天），未达到变化${g.heavyDaysChangeMax}天的目标`,
        });
      }
    }
  }
  if (t.offTheChart && f.offTheChartRun >= t.offTheChart.days) {
    out.push({
      kind: 'off-the-chart',
      text: `空气质量指数（AQI）连续${f.offTheChartRun}天超过${t.offTheChart.aqiAbove}（持续“爆表”）`,
    });
  }
  if (r.overdueShare !== null && r.overdueShare > t.keyTasks.overdueShareAbove) {
    out.push({
      kind: 'key-tasks-slow',
      text: `重点任务逾期比例${Math.round(r.overdueShare * 100)}%，超过${Math.round(t.keyTasks.overdueShareAbove * 100)}%（重点任务进展缓慢）`,
    });
  }
  return out;
}

const signed = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${x > 0 ? '+' : ''}${x}%`);

/** The bulletin's ranking: by improvement year on year, or by mean concentration against absolute targets. */
function rank(results: CityAssessment[], basis: CampaignTargets['basis']): void {
  const key = (r: CityAssessment) => (basis === 'year-on-year' ? (r.pm25ChangePct ?? null) : r.figures.pm25Mean);
  const ranked = results.filter((r) => key(r) !== null).sort((a, b) => key(a)! - key(b)!);
  ranked.forEach((r, i) => (r.rank = i + 1));
}

export { regionOf };
