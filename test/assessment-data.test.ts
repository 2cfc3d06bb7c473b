// Air-quality data in and the assessment's pure rules: CSV refusals (each with its line, column
// and reason), the durable store (same figures a no-op, different ones refused unless replaced
// with a reason), targets from the policy (regional default, per-city, six tiers), falsified
// data overriding good figures, 爆表 and slow key tasks as triggers, and loader errors.
import fs from 'node:fs';
import path from 'node:path';
import { loadPolicies, PolicyError } from '../planner/load';
import { parseDailyCsv, CsvRefused } from '../storage/air-quality-csv';
import { importSeries, readSeries, ImportRefused, fileAirQualityStore } from '../storage/air-quality';
import { assessPoint, datesBetween, type Series } from '../domain/assessment';
import { targetFor, type CampaignTargets } from '../domain/targets';
import { importCsv, prepareReportCsv } from '../planner/assessment';
import { repo, tempDir } from './support/temporal';

const policies = loadPolicies(path.join(repo, 'policies'));
const t2020 = policies.targets.get('jjj-fenwei-2020-2021')!;
const t2019 = policies.targets.get('jjj-2019-2020')!;
const names = new Map([...policies.organisations.values()].map((o) => [o.code, o.name]));
const rules = { codes: new Set(['130100', '610100']), from: '2020-10-01', to: '2021-03-31' };

function refusal(text: string): string[] {
  try {
    parseDailyCsv('aq.csv', text, rules);
  } catch (e) {
    expect(e).toBeInstanceOf(CsvRefused);
    return (e as CsvRefused).problems.map((p) => `${p.line} ${p.column}: ${p.reason}`);
  }
  throw new Error('not refused');
}

describe('CSV refusals name line, column and reason; the file is refused whole', () => {
  const ok = '2020-10-01,130100,50,90';
  test.each([
    [
      'unknown code',
      `date,code,pm25,aqi\n${ok}\n2020-10-01,999999,50,90\n`,
      '3 code: unknown code "999999" (not a city assessed in this campaign)',
    ],
    [
      'date outside the campaign',
      `date,code,pm25,aqi\n${ok}\n2021-04-01,130100,50,90\n`,
      '3 date: 2021-04-01 is outside the campaign period 2020-10-01..2021-03-31',
    ],
    ['negative value', `date,code,pm25,aqi\n${ok}\n2020-10-02,130100,-3,90\n`, '3 pm25: -3 is negative'],
    ['negative AQI', `date,code,pm25,aqi\n${ok}\n2020-10-02,130100,3,-90\n`, '3 aqi: -90 is negative'],
    [
      'duplicate day',
      `date,code,pm25,aqi\n${ok}\n2020-10-01,130100,51,90\n`,
      '3 date: duplicate day: 130100 2020-10-01 already on line 2',
    ],
    ['not a date', `date,code,pm25,aqi\n2020-02-30,130100,50,90\n`, '2 date: "2020-02-30" is not a date YYYY-MM-DD'],
    ['not a number', `date,code,pm25,aqi\n2020-10-01,130100,abc,90\n`, '2 pm25: "abc" is not a number'],
    [
      'wrong column count',
      `date,code,pm25,aqi\n2020-10-01,130100,50\n`,
      '2 row: expected 4 columns (date,code,pm25,aqi), found 3',
    ],
    [
      'bad header',
      `day,code,pm25,aqi\n${ok}\n`,
      '1 header: expected the header "date,code,pm25,aqi", found "day,code,pm25,aqi"',
    ],
  ])('%s', (_name, text, problem) => {
    expect(refusal(text)).toEqual([problem]);
  });

  test('every problem of a file is listed, not only the first', () => {
    expect(refusal('date,code,pm25,aqi\n2020-10-01,x,1,1\n2020-10-01,130100,-1,1\n')).toHaveLength(2);
  });
});

describe("the provinces' monthly data report: its evidence CSV is validated on upload and its figures imported", () => {
  const wf = 'lantian:jjj-2019-2020:2019:monthly-county-aq-data:130000:2019-11';
  const write = (text: string) => {
    const file = path.join(tempDir('report'), 'report.csv');
    fs.writeFileSync(file, text);
    return file;
  };
  test("Hebei reports November for its cities; another province's city or another month is refused", async () => {
    const dir = tempDir('aq');
    const store = fileAirQualityStore(dir);
    const good = write('date,code,pm25,aqi\n2019-11-01,130100,80,150\n2019-11-01,xiongan,60,120\n');
    const prepared = (await prepareReportCsv(policies, store, wf, good, 'hebei'))!;
    expect(readSeries(dir, 'jjj-2019-2020', 2019, 'observed').days).toEqual({}); // nothing until the evidence is received
    expect(await prepared.apply()).toMatchObject({ added: 2 });
    expect(readSeries(dir, 'jjj-2019-2020', 2019, 'observed').days['130100']).toEqual({ '2019-11-01': [80, 150] });
    const other = write('date,code,pm25,aqi\n2019-11-01,140100,80,150\n2019-12-01,130100,80,150\n');
    await expect(prepareReportCsv(policies, store, wf, other, 'hebei')).rejects.toThrow(
      /report\.csv:2 code: unknown code "140100" \(not a city of 130000 assessed in this campaign\)\n.*report\.csv:3 date: 2019-12-01 is outside the month this report covers 2019-11-01..2019-11-30/,
    );
    const changed = write('date,code,pm25,aqi\n2019-11-01,130100,81,150\n');
    await expect(prepareReportCsv(policies, store, wf, changed, 'hebei')).rejects.toThrow(
      /already stored with different figures/,
    );
    expect(
      await prepareReportCsv(policies, store, 'lantian:jjj-2019-2020:2019:steel-capacity-cut:130000', good, 'hebei'),
    ).toBeUndefined();
  });
});

describe('the store: all or nothing, same figures a no-op, corrections only with a reason', () => {
  const rows = (pm25: number) =>
    datesBetween('2020-10-01', '2020-10-10').map((date, i) => ({ date, code: '130100', pm25, aqi: 100, line: i + 2 }));
  const req = (pm25: number, replace?: { reason: string }) => ({
    campaignId: 'c',
    season: 2020,
    kind: 'observed' as const,
    rows: rows(pm25),
    source: 'a.csv',
    sha256: 'x',
    by: 'test',
    ...(replace ? { replace } : {}),
  });

  test('import, re-import, refused change, replacement with reason', () => {
    const dir = tempDir('aq');
    expect(importSeries(dir, req(50))).toMatchObject({ added: 10, noop: false });
    const before = fs.readFileSync(path.join(dir, 'c.2020.observed.json'), 'utf8');
    expect(importSeries(dir, req(50))).toMatchObject({ added: 0, unchanged: 10, noop: true });
    expect(() => importSeries(dir, req(55))).toThrow(ImportRefused);
    expect(() => importSeries(dir, req(55))).toThrow(
      /10 day\(s\) already stored with different figures.*\n {2}130100 2020-10-01: stored pm25=50 aqi=100, file pm25=55 aqi=100/,
    );
    // Refused: the stored file is byte for byte what it was.
    expect(fs.readFileSync(path.join(dir, 'c.2020.observed.json'), 'utf8')).toBe(before);
    expect(() => importSeries(dir, req(55, { reason: ' ' }))).toThrow('--replace needs a --reason');
    expect(importSeries(dir, req(55, { reason: '站点校准后更正' }))).toMatchObject({ added: 0, noop: false });
    const stored = readSeries(dir, 'c', 2020, 'observed');
    expect(stored.days['130100']['2020-10-01']).toEqual([55, 100]);
    expect(stored.log.map((l) => [l.added, l.replaced.length, l.reason])).toEqual([
      [10, 0, undefined],
      [0, 10, '站点校准后更正'],
    ]);
    expect(stored.log[1].replaced[0]).toEqual({ code: '130100', date: '2020-10-01', was: [50, 100], now: [55, 100] });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a refused CSV leaves nothing behind; baselines are checked against the previous year', async () => {
    const dir = tempDir('aq');
    const store = fileAirQualityStore(dir);
    const file = path.join(dir, 'in.csv');
    fs.writeFileSync(file, 'date,code,pm25,aqi\n2020-10-01,130100,50,90\n2020-10-02,130100,-1,90\n');
    await expect(importCsv({ policies, store, campaignId: 'jjj-fenwei-2020-2021', file, by: 't' })).rejects.toThrow(
      CsvRefused,
    );
    expect(readSeries(dir, 'jjj-fenwei-2020-2021', 2020, 'observed').days).toEqual({});
    fs.writeFileSync(file, 'date,code,pm25,aqi\n2020-10-01,130100,50,90\n');
    await expect(
      importCsv({ policies, store, campaignId: 'jjj-fenwei-2020-2021', file, baseline: true, by: 't' }),
    ).rejects.toThrow(/outside the campaign period 2019-10-01..2020-03-31/);
  });
});

function series(
  codes: Record<string, { pm25: number; aqi: number | ((d: string) => number) }>,
  from = '2020-10-01',
  to = '2021-03-31',
): Series {
  const out: Series = {};
  for (const [code, v] of Object.entries(codes)) {
    out[code] = {};
    for (const d of datesBetween(from, to)) out[code][d] = [v.pm25, typeof v.aqi === 'function' ? v.aqi(d) : v.aqi];
  }
  return out;
}
const point = (t: CampaignTargets, id: string) => t.assessments.find((p) => p.id === id)!;

describe('verdicts and acts', () => {
  test('falsified monitoring data: 不合格 and the act, whatever the figures', () => {
    const observed = series({ '130100': { pm25: 30, aqi: 60 } });
    const clean = assessPoint({ targets: t2020, point: point(t2020, 'stage-1'), names, observed }).find(
      (r) => r.code === '130100',
    )!;
    expect(clean).toMatchObject({ verdict: 'pass', verdictCn: '合格' });
    expect(clean.act).toBeUndefined();
    const falsified = {
      '130100': { reason: '采样头被遮挡', evidence: '现场检查记录', by: 'office', at: '2020-12-03T02:00:00Z' },
    };
    const r = assessPoint({ targets: t2020, point: point(t2020, 'stage-1'), names, observed, falsified }).find(
      (x) => x.code === '130100',
    )!;
    expect(r).toMatchObject({ verdict: 'fail', verdictCn: '不合格', falsified: falsified['130100'] });
    expect(r.act).toMatchObject({ kind: 'warning-letter' });
    expect(r.act!.reasons.map((x) => x.kind)).toEqual(['falsified']);
  });

  test('2020–21 regional defaults: 京津冀及周边 63 µg/m³ vs 汾渭平原 62 in stage 1; heavy day = AQI above 200', () => {
    const observed = series({
      '130100': { pm25: 62.5, aqi: 150 },
      '610100': { pm25: 62.5, aqi: (d) => (d <= '2020-10-06' ? 201 : 200) },
    });
    const rs = assessPoint({ targets: t2020, point: point(t2020, 'stage-1'), names, observed });
    const sjz = rs.find((r) => r.code === '130100')!;
    const xian = rs.find((r) => r.code === '610100')!;
    expect(sjz.verdict).toBe('pass');
    expect(xian.figures.heavyDays).toBe(6);
    expect(xian.reasons.map((r) => r.text)).toEqual([
      'PM2.5平均浓度62.5微克/立方米，高于目标62微克/立方米',
      '重度及以上污染6天，多于目标5天',
    ]);
  });

  test('爆表 (AQI above 500 on 3 consecutive days) triggers the stage letter but not the final interview', () => {
    const observed = series({
      '130100': { pm25: 40, aqi: (d) => (d >= '2021-01-10' && d <= '2021-01-12' ? 501 : 100) },
    });
    const stage = assessPoint({ targets: t2020, point: point(t2020, 'stage-2'), names, observed }).find(
      (r) => r.code === '130100',
    )!;
    expect(stage.verdict).toBe('pass');
    expect(stage.act?.reasons.map((r) => r.kind)).toEqual(['off-the-chart']);
    const final = assessPoint({ targets: t2020, point: point(t2020, 'final'), names, observed }).find(
      (r) => r.code === '130100',
    )!;
    expect(final.act).toBeUndefined();
  });

  test('key tasks slow: overdue share above the threshold triggers the act on its own', () => {
    const observed = series({ '130100': { pm25: 40, aqi: 100 } });
    const rs = assessPoint({
      targets: t2020,
      point: point(t2020, 'stage-1'),
      names,
      observed,
      overdueShares: { '130100': 0.5 },
    });
    expect(rs.find((r) => r.code === '130100')!.act?.reasons.map((r) => r.text)).toEqual([
      '重点任务逾期比例50%，超过30%（重点任务进展缓慢）',
    ]);
  });

  test('2019–20 year on year: −4 % PM2.5 and −6 % heavy days against the baseline', () => {
    const baseline = series(
      { '130100': { pm25: 100, aqi: (d) => (d.endsWith('-01') ? 250 : 100) } },
      '2019-10-01',
      '2020-03-31',
    );
    const observed = series(
      { '130100': { pm25: 95, aqi: (d) => (d.endsWith('-01') ? 250 : 100) } },
      '2020-10-01',
      '2021-03-31',
    );
    const t = { ...t2019 };
    const shifted = { ...point(t2019, 'final'), window: { start: '2020-10-01', end: '2021-03-31' } };
    const r = assessPoint({ targets: t, point: shifted, names, observed, baseline }).find((x) => x.code === '130100')!;
    expect(r.pm25ChangePct).toBe(-5);
    expect(r.reasons.map((x) => x.kind)).toEqual(['heavy-days']);
    expect(r.act).toMatchObject({ kind: 'accountability', regionalEiaRestriction: true });
  });

  test('targets: per-city override > six tiers > regional default', () => {
    const t: CampaignTargets = {
      ...t2020,
      cities: { '130100': { 'stage-1': { pm25Max: 70, heavyDaysMax: 8 } } },
      sixTier: {
        pm25StepPct: 1,
        heavyDaysStep: 2,
        tier1: { 'stage-1': { pm25ChangePctMax: -6, heavyDaysChangeMax: -10 } },
        cities: { '130100': 1, '130200': 3 },
      },
    };
    expect(targetFor(t, '130100', 'stage-1')).toMatchObject({
      pm25Max: 70,
      heavyDaysMax: 8,
      source: 'cities.130100.stage-1',
    });
    expect(targetFor(t, '130200', 'stage-1')).toMatchObject({
      pm25ChangePctMax: -4,
      heavyDaysChangeMax: -6,
      source: 'sixTier tier 3',
    });
    expect(targetFor(t, '610100', 'stage-1')).toMatchObject({
      pm25Max: 62,
      heavyDaysMax: 5,
      source: 'regions.fenwei-plain.stage-1',
    });
  });

  test('46 units are assessed in 2020–21, 32 in 2019–20', () => {
    const none = assessPoint({ targets: t2020, point: point(t2020, 'stage-1'), names, observed: {} });
    expect(none).toHaveLength(46);
    expect(none.every((r) => r.verdict === 'no-data' && !r.act)).toBe(true);
    expect(assessPoint({ targets: t2019, point: point(t2019, 'final'), names, observed: {} })).toHaveLength(32);
  });
});

describe('targets files are policy: errors with file:line path: reason', () => {
  function withTargets(yaml: string, template?: string): string[] {
    const dir = tempDir('policies');
    fs.cpSync(path.join(repo, 'policies'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'targets', 'jjj-fenwei-2020-2021.yaml'), yaml);
    if (template) fs.writeFileSync(path.join(dir, 'templates', 'assessment', 'warning-letter.hbs'), template);
    try {
      loadPolicies(dir);
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyError);
      return (e as PolicyError).issues.map((i) => `${path.basename(i.file)}:${i.line ?? ''} ${i.path}: ${i.reason}`);
    }
    return [];
  }
  const good = fs.readFileSync(path.join(repo, 'policies', 'targets', 'jjj-fenwei-2020-2021.yaml'), 'utf8');

  test('the shipped files load', () => {
    expect(withTargets(good)).toEqual([]);
  });
  test('a bad figure, an unknown member and a window outside the period', () => {
    const bad = good
      .replace('pm25Max: 63', 'pm25Max: -63')
      .replace('members: ["140700"', 'members: ["999999"')
      .replace('window: { start: 2020-10-01, end: 2020-12-31 }', 'window: { start: 2020-09-01, end: 2020-12-31 }');
    const issues = withTargets(bad);
    const line = (s: string) => good.split('\n').findIndex((l) => l.includes(s)) + 1;
    expect(issues).toEqual([
      `jjj-fenwei-2020-2021.yaml:${line('pm25Max: 63')} regions[0].targets.stage-1.pm25Max: -63 Too small: expected number to be >0`,
    ]);
    const issues2 = withTargets(
      good
        .replace('members: ["140700"', 'members: ["999999"')
        .replace('window: { start: 2020-10-01, end: 2020-12-31 }', 'window: { start: 2020-09-01, end: 2020-12-31 }'),
    );
    expect(issues2).toEqual([
      `jjj-fenwei-2020-2021.yaml:${line('members: ["140700"')} regions[1].members[0]: 999999 is not a known organisation`,
      `jjj-fenwei-2020-2021.yaml:${line('window: { start: 2020-10-01, end: 2020-12-31 }')} assessments[6].window: 2020-09-01..2020-12-31 is outside the campaign period 2020-10-01..2021-03-31`,
    ]);
  });
  test('an assessment letter template with a misspelt variable is a load error', () => {
    const tpl = fs
      .readFileSync(path.join(repo, 'policies', 'templates', 'assessment', 'warning-letter.hbs'), 'utf8')
      .replace('{{addressee}}：', '{{adressee}}：');
    expect(withTargets(good, tpl)).toEqual([
      'warning-letter.hbs: : template warning-letter: variable adressee is not provided',
    ]);
  });
});
