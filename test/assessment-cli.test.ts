// The office's command line for the assessment, as a user runs it (tsx cli/main.ts), without a
// Temporal server (the dry-run does not need one): a season of figures imported, refusals with
// their reasons and a non-zero exit, the dry-run's verdicts and acts, falsified data shown.
import fs from 'node:fs';
import path from 'node:path';
import { datesBetween } from '../domain/assessment';
import { tempDir } from './support/temporal';
import { runCli } from './support/cli';

const dataDir = tempDir('cli-aq');
// Nothing listens on port 1: the dry-run says the overdue share is not measured and goes on.
const cli = (args: string[]) =>
  runCli(args, { TEMPORAL_ADDRESS: '127.0.0.1:1', LANTIAN_DATA_DIR: dataDir, LANTIAN_USER: 'tester' });
function csvFile(name: string, text: string) {
  const file = path.join(dataDir, name);
  fs.writeFileSync(file, text);
  return file;
}
const S = 'jjj-fenwei-2020-2021';

test('import a season, refuse a bad file and a silent correction, dry-run the Oct–Dec stage', async () => {
  const lines = ['date,code,pm25,aqi'];
  for (const d of datesBetween('2020-10-01', '2021-03-31')) {
    lines.push(
      `${d},130100,50,90`,
      `${d},130200,70,150`,
      `${d},610100,${d < '2021-01-01' ? 50 : 95},${d === '2020-11-02' ? 230 : 120}`,
    );
  }
  const season = csvFile('season.csv', lines.join('\n') + '\n');
  let r = await cli(['data', 'import', season, '--campaign', S, '--json']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out)).toMatchObject({ added: 546, noop: false, kind: 'observed', season: 2020 });
  r = await cli(['data', 'import', season, '--campaign', S]);
  expect(r.out).toContain('nothing new (546 day(s) already stored with the same figures)');

  const bad = csvFile('bad.csv', 'date,code,pm25,aqi\n2020-10-01,130100,-5,90\n');
  r = await cli(['data', 'import', bad, '--campaign', S]);
  expect(r.code).not.toBe(0);
  expect(r.err).toContain('bad.csv:2 pm25: -5 is negative');
  const changed = csvFile('changed.csv', 'date,code,pm25,aqi\n2020-10-01,130100,55,90\n');
  r = await cli(['data', 'import', changed, '--campaign', S]);
  expect(r.code).not.toBe(0);
  expect(r.err).toContain('130100 2020-10-01: stored pm25=50 aqi=90, file pm25=55 aqi=90');
  r = await cli(['data', 'import', changed, '--campaign', S, '--replace']);
  expect(r.err).toContain('--replace 须同时用 --reason <理由> 说明为何替换已保存的数据。');
  r = await cli(['data', 'import', changed, '--campaign', S, '--replace', '--reason', '站点校准后更正']);
  expect(r.out).toContain('1 replaced (reason: 站点校准后更正)');

  r = await cli([
    'data',
    'falsify',
    '130100',
    '--campaign',
    S,
    '--reason',
    '采样头被遮挡',
    '--evidence',
    '督察组检查记录',
  ]);
  expect(r.code).toBe(0);

  r = await cli(['assessment', 'run', S, '--stage', 'stage-1', '--dry-run', '--json']);
  expect(r.code).toBe(0);
  expect(r.err).toContain('not measured');
  const run = JSON.parse(r.out) as {
    dryRun: boolean;
    assessedOn: string;
    results: {
      code: string;
      verdictCn: string;
      figures: { pm25Mean: number; heavyDays: number };
      target?: { pm25Max: number };
      act?: { kind: string };
    }[];
  };
  expect(run).toMatchObject({ dryRun: true, assessedOn: '2021-01-15' });
  const by = (code: string) => run.results.find((x) => x.code === code)!;
  expect(by('130100')).toMatchObject({ verdictCn: '不合格', act: { kind: 'warning-letter' } }); // falsified, whatever its 50.1 µg/m³
  expect(by('130200')).toMatchObject({
    verdictCn: '不合格',
    figures: { pm25Mean: 70 },
    target: { pm25Max: 63 },
    act: { kind: 'warning-letter' },
  });
  expect(by('610100')).toMatchObject({
    verdictCn: '合格',
    figures: { pm25Mean: 50, heavyDays: 1 },
    target: { pm25Max: 62 },
  });
  expect(by('610100').act).toBeUndefined();
  expect(run.results.filter((x) => x.act)).toHaveLength(2);

  r = await cli(['assessment', 'run', S, '--stage', 'final', '--dry-run']);
  expect(r.out).toMatch(/610100\s+西安市.*不合格 → public-interview 公开约谈通知/);
  expect(r.out).toContain('act(s) would be issued');
  // Nothing was issued by the dry-runs.
  r = await cli(['assessment', 'show', S]);
  expect(r.out.trim()).toBe('0 act(s)');
});
