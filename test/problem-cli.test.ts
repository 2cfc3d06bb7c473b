// Problems through the CLI as an office and a city run it, on a dev server with a real worker:
// a team's .xlsx refused whole on one bad row and imported once when corrected, then 交办, the
// city's plan and evidence, and 核查 (rejected with a reason, then accepted) with `problem
// assign|submit|verify`. Dates are read off the live clock, since a dev server does not skip time.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import type { ProblemRecord } from '../domain/problem';
import type { Ledger } from '../domain/problem-ledger';
import { blobPath } from '../storage/evidence-store';
import { runCli } from './support/cli';
import {
  devServerEnv,
  fixturePolicies,
  tempDir,
  testCalendar,
  testDeps,
  testWorker,
  type TestDeps,
} from './support/temporal';
import { firstTeam, problemPolicies } from './support/problems';

const TQ = 'lantian-problem-cli';
const calendar = testCalendar(2026, 2032);
const deps: TestDeps = testDeps(calendar, fixturePolicies());
let env: TestWorkflowEnvironment;
let worker: LantianWorker;
let running: Promise<void>;
let policiesDir: string;

beforeAll(async () => {
  policiesDir = problemPolicies('problem-policies', [firstTeam]);
  env = await devServerEnv();
  worker = await testWorker(env, deps, TQ);
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const cli = (...args: string[]) =>
  runCli(args, {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace,
    LANTIAN_POLICIES_DIR: policiesDir,
    LANTIAN_DATA_DIR: deps.dir,
    LANTIAN_TASK_QUEUE: TQ,
    LANTIAN_USER: 'tester',
  });

const HEADERS = ['问题编号', '责任单位', '点位或企业', '统一社会信用代码', '类别', '问题描述', '发现日期', '检查组'];

/** A workbook as teams keep it: codes typed as numbers, dates as date cells. */
async function workbook(file: string, headers: string[], rows: (string | number | Date)[][]): Promise<string> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('问题清单');
  sheet.addRow(headers);
  for (const r of rows) sheet.addRow(r);
  sheet.getColumn(7).numFmt = 'yyyy-mm-dd';
  await book.xlsx.writeFile(file);
  return file;
}

const row = (i: number, category = '扬尘'): (string | number | Date)[] => [
  `XL-${String(i).padStart(4, '0')}`,
  i % 2 ? 130100 : '唐山市',
  `某企业${i}`,
  '',
  category,
  `第${i}处料场未苫盖`,
  new Date(Date.UTC(2026, 10, 1 + (i % 20))),
  '第一检查组',
];

test('import: a 500-row .xlsx with one bad row is refused whole naming it; corrected it starts 500, again none', async () => {
  const dir = tempDir('problem-xlsx');
  const rows = Array.from({ length: 500 }, (_, i) => row(i + 1));
  rows[250] = row(251, '烧烤');
  const bad = await workbook(path.join(dir, 'team.xlsx'), HEADERS, rows);
  const refused = await cli('problem', 'import', bad, '--campaign', 'drill', '--season', '2029', '--json');
  expect(refused.code).toBe(1);
  // Data row 251 is the sheet's row 252, under the header; no other row is named.
  expect(refused.err).toMatch(/team\.xlsx:252 类别/);
  expect(refused.err.match(/team\.xlsx:\d+/g)).toEqual(['team.xlsx:252']);
  expect(refused.out).toBe('');

  rows[250] = row(251);
  const good = await workbook(path.join(dir, 'team.xlsx'), HEADERS, rows);
  const first = await cli('problem', 'import', good, '--campaign', 'drill', '--season', '2029', '--json');
  expect(first.err).toBe('');
  const report = JSON.parse(first.out) as { total: number; started: string[]; existing: string[]; failed: unknown[] };
  expect(report).toMatchObject({ total: 500, existing: [], failed: [] });
  expect(report.started).toHaveLength(500);
  expect(report.started[0]).toBe('lantian-problem:drill:2029:XL-0001');

  const again = JSON.parse(
    (await cli('problem', 'import', good, '--campaign', 'drill', '--season', '2029', '--json')).out,
  ) as typeof report;
  expect(again).toMatchObject({ total: 500, started: [], failed: [] });
  expect(again.existing).toHaveLength(500);

  // Numbers and dates typed as such read as text; a number cell for the code, a name for the city.
  const shown = JSON.parse(
    (await cli('problem', 'show', 'XL-0001', '--campaign', 'drill', '--season', '2029', '--json')).out,
  ) as ProblemRecord;
  expect(shown).toMatchObject({
    assignee: { code: '130100', name: '石家庄市' },
    foundDate: '2026-11-02',
    state: '排查',
  });
  const second = JSON.parse(
    (await cli('problem', 'show', 'XL-0002', '--campaign', 'drill', '--season', '2029', '--json')).out,
  ) as ProblemRecord;
  expect(second.assignee).toEqual({ code: '130200', name: '唐山市' });
});

test('import: English headers in a workbook; a file that is not a workbook or of another kind is refused', async () => {
  const dir = tempDir('problem-xlsx-en');
  const en = await workbook(
    path.join(dir, 'en.xlsx'),
    ['number', 'assignee', 'site', 'credit code', 'category', 'description', 'found date', 'team'],
    [['EN-1', 130200, 'Some works', '', 'VOCs', 'fugitive emissions', new Date(Date.UTC(2026, 10, 3)), 'team 2']],
  );
  const r = await cli('problem', 'import', en, '--campaign', 'drill', '--season', '2030', '--json');
  expect(r.err).toBe('');
  expect(JSON.parse(r.out)).toMatchObject({ started: ['lantian-problem:drill:2030:EN-1'] });

  const fake = path.join(dir, 'fake.xlsx');
  fs.writeFileSync(fake, 'not a zip');
  expect((await cli('problem', 'import', fake, '--campaign', 'drill', '--season', '2030')).err).toMatch(/fake\.xlsx:/);
  const doc = path.join(dir, 'team.docx');
  fs.writeFileSync(doc, 'x');
  const other = await cli('problem', 'import', doc, '--campaign', 'drill', '--season', '2030');
  expect(other.code).toBe(1);
  expect(other.err).toMatch(/team\.docx:/);
});

test('assign, submit (plan and evidence), verify: rejected with a reason, then 销号; another city and a closed problem refused', async () => {
  const dir = tempDir('problem-flow');
  const csv = path.join(dir, 'team.csv');
  fs.writeFileSync(
    csv,
    [
      HEADERS.join(','),
      'CF-1,130100,某建材有限公司,91130100MA0A1B2C3D,扬尘,料场未苫盖,2026-11-20,第一检查组',
      'CF-2,130200,某钢铁有限公司,,散乱污,无手续小作坊,2026-11-20,第二检查组',
    ].join('\n') + '\n',
  );
  const where = ['--campaign', 'drill', '--season', '2028'];
  expect((await cli('problem', 'import', csv, ...where)).code).toBe(0);

  // 交办 by the rule (立行立改 within 3 working days) and by a named date (限期整改).
  const assigned = await cli('problem', 'assign', 'CF-1', ...where, '--note', '请立行立改', '--json');
  expect(assigned.err).toBe('');
  const { dueDate } = JSON.parse(assigned.out) as { dueDate: string };
  expect(dueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(JSON.parse((await cli('problem', 'assign', 'CF-2', ...where, '--due', '2030-12-31', '--json')).out)).toEqual({
    dueDate: '2030-12-31',
  });
  const twice = await cli('problem', 'assign', 'CF-1', ...where);
  expect(twice.code).toBe(1);

  // Another city may not act on this problem; the plan cannot end after the deadline.
  const photo = path.join(dir, '整改后.jpg');
  fs.writeFileSync(photo, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]));
  const wrong = await cli(
    'problem',
    'submit',
    'CF-1',
    ...where,
    '--as',
    '130200',
    '--plan',
    '苫盖',
    '--complete-by',
    dueDate,
  );
  expect(wrong.code).toBe(1);
  const late = await cli(
    'problem',
    'submit',
    'CF-1',
    ...where,
    '--as',
    '130100',
    '--plan',
    '苫盖',
    '--complete-by',
    '2031-01-01',
  );
  expect(late.code).toBe(1);
  // Evidence before a plan is refused, and the file is not kept.
  const early = await cli('problem', 'submit', 'CF-1', ...where, '--as', '130100', '--evidence', photo);
  expect(early.code).toBe(1);
  const sha = crypto.createHash('sha256').update(fs.readFileSync(photo)).digest('hex');
  expect(fs.existsSync(blobPath(path.join(deps.dir, 'evidence'), sha))).toBe(false);

  const both = await cli(
    'problem',
    'submit',
    'CF-1',
    ...where,
    '--as',
    '130100',
    '--plan',
    '料场全部苫盖，道路每日清扫',
    '--complete-by',
    dueDate,
    '--evidence',
    photo,
    '--json',
  );
  expect(both.err).toBe('');
  expect(JSON.parse(both.out)).toMatchObject({ state: '待核查', evidence: { evidenceId: 'e1', sha256: sha } });
  expect(fs.existsSync(blobPath(path.join(deps.dir, 'evidence'), sha))).toBe(true);

  // 核查: a rejection needs a reason; with one it goes back to 整改中 on a new date.
  expect((await cli('problem', 'verify', 'CF-1', ...where, '--reject')).code).toBe(1);
  expect((await cli('problem', 'verify', 'CF-1', ...where, '--accept', '--reject')).code).toBe(1);
  const rejected = await cli(
    'problem',
    'verify',
    'CF-1',
    ...where,
    '--reject',
    '--reason',
    '现场复核仍有裸露土方',
    '--due',
    '2030-12-20',
    '--json',
  );
  expect(JSON.parse(rejected.out)).toEqual({ state: '整改中', dueDate: '2030-12-20' });
  const photo2 = path.join(dir, '复核后.png');
  fs.writeFileSync(photo2, Buffer.from([0x89, 0x50, 0x4e, 0x47, 5, 6, 7]));
  expect((await cli('problem', 'submit', 'CF-1', ...where, '--as', '130100', '--evidence', photo2)).code).toBe(0);
  expect(JSON.parse((await cli('problem', 'verify', 'CF-1', ...where, '--accept', '--json')).out)).toMatchObject({
    state: '已销号',
  });

  // A closed problem takes no more changes; an unknown number is named as such.
  const closed = await cli('problem', 'verify', 'CF-1', ...where, '--accept');
  expect(closed.code).toBe(1);
  expect(closed.err).toMatch(/CF-1/);
  const unknown = await cli('problem', 'assign', 'CF-404', ...where);
  expect(unknown.code).toBe(1);
  expect(unknown.err).toMatch(/CF-404/);

  const rec = JSON.parse((await cli('problem', 'show', 'CF-1', ...where, '--json')).out) as ProblemRecord;
  expect(rec.state).toBe('已销号');
  expect(rec.timeline.map((e) => `${e.type} ${e.actor.role}:${e.actor.id}`)).toEqual([
    'found system:lantian',
    'assigned office:tester',
    'plan-submitted assignee:tester',
    'evidence-submitted assignee:tester',
    'rejected office:tester',
    'evidence-submitted assignee:tester',
    'verified office:tester',
  ]);
  expect(rec.timeline.find((e) => e.type === 'rejected')?.reason).toBe('现场复核仍有裸露土方');
  expect(rec.evidence.map((e) => [e.fileName, e.mediaType, e.state])).toEqual([
    ['整改后.jpg', 'image/jpeg', 'rejected'],
    ['复核后.png', 'image/png', 'accepted'],
  ]);

  // 反弹: the same enterprise (its credit code) found again after 销号 reopens linked to the first.
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const again = path.join(dir, 'again.csv');
  fs.writeFileSync(
    again,
    [
      HEADERS.join(','),
      `CF-3,石家庄市,某建材有限公司（东厂区）,91130100MA0A1B2C3D,扬尘,料场再次未苫盖,${today},第一检查组`,
      `CF-4,130100,另一家企业,,扬尘,道路积尘,${today},第一检查组`,
    ].join('\n') + '\n',
  );
  const reimport = await cli('problem', 'import', again, ...where, '--json');
  expect(reimport.err).toBe('');
  expect(JSON.parse(reimport.out)).toMatchObject({ rebounds: ['CF-3 → CF-1'] });
  const rebound = JSON.parse((await cli('problem', 'show', 'CF-3', ...where, '--json')).out) as ProblemRecord;
  expect(rebound.reboundOf).toEqual({
    workflowId: 'lantian-problem:drill:2028:CF-1',
    number: 'CF-1',
    closedAt: rec.closedAt,
  });

  // The ledger: the season's problems by city and state, the rebound counted; as a workbook too
  // (the imports above are of later seasons, so none is carried over into this one).
  const out = path.join(dir, '台账.xlsx');
  const ledger = await cli('problem', 'ledger', '--campaign', 'drill', '--season', '2028', '--out', out, '--json');
  expect(ledger.err).toBe('');
  const l = JSON.parse(ledger.out) as Ledger;
  expect(l.region).toMatchObject({ total: 4, open: 3, rebounds: 1 });
  expect(l.region.byState).toMatchObject({ 已销号: 1, 交办: 1, 排查: 2 });
  expect(l.cities.map((c) => c.org).sort()).toEqual(['130100', '130200']);
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(out);
  expect(book.getWorksheet('问题清单')!.rowCount).toBe(5);
}, 900_000);

test('a team user is added by its team id in problems.yaml; an unknown team is refused, named, in Chinese', async () => {
  const added = await cli('user', 'add', 'zhang.wei', '--role', 'team', '--team', firstTeam.id, '--json');
  expect(added.code).toBe(0);
  expect(JSON.parse(added.out).user).toMatchObject({ name: 'zhang.wei', role: 'team', org: 'team-1' });
  const unknown = await cli('user', 'add', 'li.na', '--role', 'team', '--team', 'team-9');
  expect(unknown.code).not.toBe(0);
  expect(unknown.err).toMatch(/没有检查组 team-9/);
  expect((await cli('user', 'add', 'li.na', '--role', 'team')).err).toMatch(/须用 --team <检查组编号>/);
  expect((await cli('user', 'add', 'li.na', '--role', 'team', '--org', '130100')).err).toMatch(
    /请用 --team <检查组编号>，不要用 --org/,
  );
  expect((await cli('user', 'add', 'li.na', '--role', 'supervisor', '--team', firstTeam.id)).err).toMatch(
    /--team 只用于检查组用户/,
  );
  expect((await cli('user', 'list', '--json')).out).not.toMatch(/li\.na/);
}, 120_000);
