// An office proofs a letter before any is sent: `notice preview` on the shipped policies, as a
// user runs it (tsx cli/main.ts), without a Temporal server and without using up a 文号.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runCli } from './support/cli';
import { tempDir } from './support/temporal';

const dataDir = tempDir('cli-preview');
const cli = (args: string[]) =>
  runCli(args, { TEMPORAL_ADDRESS: '127.0.0.1:1', LANTIAN_DATA_DIR: dataDir, LANTIAN_USER: 'tester' });

// 雄安新区 has a 管理委员会, not a people's government; the 2019–20 plan's cluster remediation
// plan is due 2024-10-31 in season 2024, and its public interview falls on Wed 2025-02-05.
const args = [
  'notice',
  'preview',
  'jjj-2019-2020',
  'cluster-remediation-plan',
  'xiongan',
  'public-interview',
  '--season',
  '2024',
];

test('office previews the public interview notice for 雄安新区 → its administrative committee, 你区, a 文号 placeholder, the day it would go', async () => {
  const r = await cli(args);
  expect(r).toMatchObject({ code: 0, err: '' });
  const lines = r.out.split('\n');
  expect(lines[0]).toBe('To: government.xiongan@placeholder.lantian.invalid');
  expect(lines[1]).toMatch(/^Cc: office@jjj-dqb\.lantian\.local/);
  expect(lines).toContain('Send at: 2025-02-05T09:00:00.000+08:00');
  expect(lines).toContain('Subject: 【约谈通知】关于约谈雄安新区管理委员会主要负责同志的通知');
  expect(lines).toContain('京津冀大气办〔2025〕×号');
  expect(lines).toContain('雄安新区管理委员会：');
  expect(r.out).toContain('你区“制定企业集群综合整治方案”任务');
  expect(r.out).toContain('完成时限为2024年10月31日，截至2025年2月5日仍未完成，已逾期97天');
  // A proof assumes the steps before it were sent; their 文号 are not known yet.
  expect(r.out).toContain('已逾期97天，经督办、预警后整改不到位。');
  expect(r.out).not.toMatch(/人民政府|你市/);

  const html = await cli([...args, '--html']);
  expect(html.out).toMatch(/<p>雄安新区管理委员会：<\/p>/);
  const json = JSON.parse((await cli([...args, '--json'])).out);
  expect(json).toMatchObject({
    template: 'public-interview',
    to: ['government.xiongan@placeholder.lantian.invalid'],
    subject: '【约谈通知】关于约谈雄安新区管理委员会主要负责同志的通知',
  });
});

test('a step the obligation does not have, or an obligation the assignee does not have → refused with what there is', async () => {
  const step = await cli([...args.slice(0, 5), 'accountabilty', '--season', '2024']);
  expect(step.code).not.toBe(0);
  expect(step.err).toMatch(
    /该任务没有步骤 accountabilty；它的步骤有：reminder, urging, warning-letter, public-interview, accountability。/,
  );
  const none = await cli([
    'notice',
    'preview',
    'jjj-2019-2020',
    'cluster-remediation-plan',
    '999999',
    'reminder',
    '--season',
    '2024',
  ]);
  expect(none.code).not.toBe(0);
  expect(none.err).toMatch(/行动方案 jjj-2019-2020 中没有责任单位 999999 的任务 cluster-remediation-plan。/);
});

test('notice preview --pdf writes the PDF the step would issue, its 发文字号 left blank as in a draft', async () => {
  const file = path.join(tempDir('preview-pdf'), 'draft.pdf');
  const r = await cli([
    ...args.slice(0, 2),
    'jjj-2019-2020',
    'coal-boilers-35t',
    '130100',
    'warning-letter',
    '--season',
    '2024',
    '--pdf',
    file,
  ]);
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(r.out).toMatch(new RegExp(`^PDF: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(\\d+ bytes\\)$`, 'm'));
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
  expect(text).toContain('关于石家庄市基本淘汰每小时35蒸吨以下燃煤锅炉逾期的预警通知函');
  expect(text).toContain('抄送：河北省大气污染防治领导小组办公室。');
  expect(text).not.toMatch(/〔\d{4}〕/);
  // The draft's page 1 has the 发文字号's line and nothing on it: the letterhead, then the title.
  expect(text.indexOf('京津冀及周边地区大气污染防治领导小组办公室关于石家庄市')).toBe(0);
});
