// Daily digests over real SMTP (in-process smtp-server) on the time-skipping server: 30
// reminders due for one city on one day arrive as ONE message listing all 30, an escalation
// letter the same day arrives on its own, and every obligation's delivery log shows the digest.
import { readLetter } from '../storage/letters';
import fs from 'node:fs';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { startTestSmtp, type TestSmtp } from './support/smtp';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { digestWorkflowId } from '../workflows/digest';
import { smtpMailer } from '../notices/mailer';
import { resolveCampaign } from '../planner/resolve';
import { loadPolicies } from '../planner/load';
import { recordHistory } from './support/histories';
import {
  fixturePoliciesDir,
  templatesDir,
  testCalendar,
  testDeps,
  testWorker,
  timeSkippingEnv,
  tempDir,
} from './support/temporal';

const received: ParsedMail[] = [];
let smtp: TestSmtp;
let port: number;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  smtp = await startTestSmtp({ onMessage: (m) => received.push(m) });
  port = smtp.port;
});
afterAll(async () => {
  await env?.teardown();
  await smtp.close();
});

/** 唐山市 takes daily digests; 30 obligations due 2030-12-31 (reminder P1D → Mon 12-30), one overdue since 12-27. */
function digestPolicies(): string {
  const dir = tempDir('digest-policies');
  fs.cpSync(path.join(fixturePoliciesDir, 'organisations'), path.join(dir, 'organisations'), { recursive: true });
  fs.cpSync(path.join(fixturePoliciesDir, 'directory'), path.join(dir, 'directory'), { recursive: true });
  const directory = path.join(dir, 'directory', 'contacts.yaml');
  fs.writeFileSync(
    directory,
    fs
      .readFileSync(directory, 'utf8')
      .replace('  - organisation: "130200"\n', '  - organisation: "130200"\n    reminders: daily-digest\n'),
  );
  fs.cpSync(templatesDir, path.join(dir, 'templates'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'campaigns'));
  const drill = fs.readFileSync(path.join(fixturePoliciesDir, 'campaigns', 'drill.yaml'), 'utf8');
  const head = drill.slice(0, drill.indexOf('obligations:'));
  const tasks = Array.from({ length: 30 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    return `  - { id: task-${n}, title: 第${n}项整治任务, clause: { section: 二, item: （${i + 1}） }, assignees: ["130200"], deadline: { date: 2030-12-31 }, reminders: [P1D] }`;
  });
  const late =
    '  - { id: late-one, title: 逾期任务, clause: { section: 三, item: （一） }, assignees: ["130200"], deadline: { date: 2030-12-27 }, reminders: [] }';
  fs.writeFileSync(path.join(dir, 'campaigns', 'drill.yaml'), `${head}obligations:\n${[...tasks, late].join('\n')}\n`);
  return dir;
}

test('30 reminders for one city on one day go out as one digest; the escalation letter that day goes alone', async () => {
  const calendar = testCalendar(2026, 2032, ['2031-01-01']);
  const policies = loadPolicies(digestPolicies());
  expect(policies.reminderDelivery.get('130200')).toBe('daily-digest');
  const deps = {
    ...testDeps(calendar, policies, smtpMailer(`smtp://127.0.0.1:${port}`, path.join(tempDir('ledger'), 'l'))),
    digestWindowMs: 5 * 60_000,
  };
  env = await timeSkippingEnv();
  const worker = await testWorker(env, deps);
  const rows = resolveCampaign(policies, 'drill', calendar, 2030);
  expect(rows).toHaveLength(31);
  const before = received.length;

  const { records, digestHistory, oneHistory } = await worker.runUntil(async () => {
    const handles = await Promise.all(
      rows.map((r) =>
        env.client.workflow.start(obligationWorkflow, {
          taskQueue: 'lantian-test',
          workflowId: r.workflowId,
          args: [r.input],
        }),
      ),
    );
    await env.sleep(Date.parse('2030-12-30T18:00:00+08:00') - (await env.currentTimeMs()));
    const records = await Promise.all(handles.map((h) => h.query(recordQuery)));
    const digest = env.client.workflow.getHandle(digestWorkflowId('130200', '2030-12-30'));
    const digestHistory = await digest.fetchHistory();
    const one = handles[0];
    await one.executeUpdate('waiveObligation', {
      args: [{ actor: { role: 'office', id: 't' }, reason: 'end of test' }],
    });
    await env.sleep(60_000);
    const oneHistory = await one.fetchHistory();
    await Promise.all(handles.slice(1).map((h) => h.terminate('end of test')));
    return { records, digestHistory, oneHistory };
  });
  deps.mailer.close();

  const arrived = received.slice(before);
  expect(arrived.map((m) => m.subject).sort()).toEqual([
    '【到期提醒汇总】唐山市：2030年12月30日到期提醒30项',
    '【督办通知】唐山市：逾期任务已逾期3天',
  ]);
  const digest = arrived.find((m) => m.subject?.startsWith('【到期提醒汇总】'))!;
  expect((digest.to as { text: string }).text).toBe('sthjj@ts.example.gov.cn');
  for (let i = 1; i <= 30; i++) expect(digest.text).toContain(`第${String(i).padStart(2, '0')}项整治任务`);
  expect(digest.text).toContain('完成时限：2030年12月31日');
  const letter = arrived.find((m) => m.subject?.startsWith('【督办通知】'))!;
  expect(letter.text).not.toContain('整治任务');

  // Each of the 30 obligations shows its reminder listed in the digest, then sent and accepted.
  const reminders = records.flatMap((r) => r.notices.filter((n) => n.kind === 'reminder'));
  expect(reminders).toHaveLength(30);
  for (const n of reminders) {
    expect(n.digest).toBe('digest:130200:2030-12-30');
    expect(n.delivery!.map((d) => d.state)).toEqual(['queued', 'sent', 'accepted']);
    expect(n.delivery![2].response).toMatch(/^250 /);
    expect(n.messageId).toBe(digest.messageId);
    // Its letter is the digest's: the page that shows a notice's letter finds it there.
    expect(readLetter(deps.lettersDir, n.letter!)?.subject).toBe(digest.subject);
  }
  const urging = records.flatMap((r) => r.notices.filter((n) => n.kind === 'urging'));
  expect(urging).toHaveLength(1);
  expect(urging[0].digest).toBeUndefined();
  expect(urging[0].delivery!.map((d) => d.state)).toEqual(['queued', 'sent', 'accepted']);

  recordHistory('digest-thirty-reminders-one-day', digestHistory);
  recordHistory('obligation-reminder-delivered-by-digest', oneHistory);
});
