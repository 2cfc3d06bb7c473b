// Notices over real SMTP (an in-process smtp-server): the letter arrives with its Chinese
// subject intact and both parts, a second delivery of the same key sends nothing, and a
// permanent refusal (550 unknown mailbox) is marked on the obligation's timeline, not retried.
import { addressing } from '../notices/context';
import { systemReasonCn } from '../web/html';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { startTestSmtp, type TestSmtp } from './support/smtp';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { smtpMailer, messageIdFor, PermanentDeliveryError } from '../notices/mailer';
import { resolveCampaign } from '../planner/resolve';
import { loadPolicies } from '../planner/load';
import {
  fixturePoliciesDir,
  testCalendar,
  testDeps,
  testWorker,
  timeSkippingEnv,
  tempDir,
  fixturePolicies,
} from './support/temporal';

let smtp: TestSmtp;
let port: number;
const received: ParsedMail[] = [];
const attempts: string[] = [];

beforeAll(async () => {
  smtp = await startTestSmtp({
    onRcptTo(address) {
      attempts.push(address.address);
      if (address.address.startsWith('nobody'))
        throw Object.assign(new Error('5.1.1 unknown mailbox'), { responseCode: 550 });
    },
    onMessage: (m) => received.push(m),
  });
  port = smtp.port;
});

afterAll(() => smtp.close());

test('the same notice key delivered twice reaches the server once, with a deterministic Message-ID', async () => {
  const mailer = smtpMailer(`smtp://127.0.0.1:${port}`, tempDir('ledger'));
  const mail = {
    key: 'lantian:drill:2030:coal-boilers:130100#escalation:2-warning-letter',
    from: 'Lantian <lantian@localhost>',
    to: ['zfb@sjz.example.gov.cn'],
    cc: ['office@drill.lantian.local'],
    subject: '【预警通知函】关于石家庄市“淘汰燃煤锅炉”任务进展滞后的预警',
    text: '石家庄市人民政府：\n\n正文。\n\n测试大气办\n2031年1月15日\n',
    html: '<p>石家庄市人民政府：</p>',
  };
  const before = received.length;
  const first = await mailer.deliver(mail);
  const second = await mailer.deliver(mail);
  mailer.close();
  expect(first.duplicate).toBe(false);
  expect(second).toMatchObject({ duplicate: true, messageId: first.messageId });
  expect(received.length - before).toBe(1);
  const m = received.at(-1)!;
  expect(m.subject).toBe(mail.subject);
  expect(m.messageId).toBe(messageIdFor(mail.key));
  expect(m.text).toContain('石家庄市人民政府');
  expect(m.html).toContain('<p>石家庄市人民政府：</p>');
  expect(m.headers.get('x-lantian-key')).toBe(mail.key);
});

test('a 550 unknown mailbox is a permanent failure, not a retryable one', async () => {
  const mailer = smtpMailer(`smtp://127.0.0.1:${port}`, tempDir('ledger'));
  await expect(
    mailer.deliver({
      key: 'k-550',
      from: 'lantian@localhost',
      to: ['nobody@example.gov.cn'],
      cc: [],
      subject: 's',
      text: 't',
    }),
  ).rejects.toBeInstanceOf(PermanentDeliveryError);
  mailer.close();
});

/** 唐山市 (130200) with one contact at an address the mail server refuses, and its coal-boilers obligation of 2030. */
function tangshanRefusing(role: string, email: string) {
  const calendar = testCalendar(2026, 2032, ['2031-01-01']);
  const policies = loadPolicies(fixturePoliciesDir);
  const org = policies.organisations.get('130200')!;
  org.contacts = org.contacts.map((c) => (c.role === role ? { ...c, email } : c));
  const deps = testDeps(
    calendar,
    policies,
    smtpMailer(`smtp://127.0.0.1:${port}`, path.join(tempDir('smtp-policies'), 'ledger')),
  );
  const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
    (r) => r.obligationId === 'coal-boilers' && r.assignee === '130200',
  )!;
  return { deps, row };
}

describe('on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  afterEach(async () => env?.teardown());

  test('an addressee refused by the mail server is marked on the timeline, not retried, and the ladder goes on', async () => {
    // 唐山市's (130200) government address is one the mail server does not know.
    const { deps, row } = tangshanRefusing('government', 'nobody@ts.example.gov.cn');
    env = await timeSkippingEnv();
    const worker = await testWorker(env, deps);
    const before = received.length;
    const rec = await worker.runUntil(async () => {
      const h = await env.client.workflow.start(obligationWorkflow, {
        taskQueue: 'lantian-test',
        workflowId: row.workflowId,
        args: [row.input],
      });
      await h.result();
      return h.query(recordQuery);
    });
    deps.mailer.close();
    const failed = rec.timeline.filter((e) => e.type === 'notice-failed');
    // warning letter, interview and accountability go to the government address, which is refused
    expect(failed.map((e) => e.level)).toEqual([2, 3, 4]);
    expect(failed[0].reason).toMatch(/SMTP refused the notice \(550\)/);
    expect(systemReasonCn(failed[0].reason!)).toMatch(/邮件服务器拒收（550）/);
    expect(rec.level).toBe(4);
    // Every notice arrived once: reminders and urging at the environment bureau, the letters at
    // the leading-group office in CC, whose copy is not withheld because the addressee was refused.
    const arrived = received.slice(before).map((m) => m.subject);
    // … and each of the four letters, never acknowledged, was urged once (催签) to the bureau.
    expect(arrived.filter((s) => !s?.startsWith('【催签】'))).toHaveLength(6);
    expect(arrived.filter((s) => s?.startsWith('【催签】'))).toHaveLength(4);
    expect(failed[0].reason).toContain('nobody@ts.example.gov.cn');
    // The delivery log of each notice: queued → sent → accepted with the server's reply, or
    // queued → sent → failed with the reason (the warning letter was refused for its addressee).
    const reminder = rec.notices.find((n) => n.kind === 'reminder')!;
    expect(reminder.delivery!.map((d) => d.state)).toEqual(['queued', 'sent', 'accepted']);
    expect(reminder.delivery![2].response).toMatch(/^250 /);
    // queued is the workflow's (skipped) time the step fell due; sent/accepted are the worker's clock.
    const queuedAt = Date.parse(reminder.delivery![0].at);
    expect(queuedAt).toBeGreaterThanOrEqual(Date.parse('2030-12-24T09:00:00+08:00'));
    expect(queuedAt).toBeLessThanOrEqual(Date.parse(rec.timeline.find((e) => e.type === 'reminder-sent')!.at));
    expect(reminder.delivery!.every((d) => !Number.isNaN(Date.parse(d.at)))).toBe(true);
    // The letter reached its copies (accepted) and was refused for its addressee (failed).
    const letter = rec.notices.find((n) => n.kind === 'warning-letter')!;
    expect(letter).toMatchObject({
      to: ['nobody@ts.example.gov.cn'],
      cc: ['office@drill.lantian.local', 'dqb@hebei.example.gov.cn'],
    });
    expect(letter.delivery!.map((d) => d.state)).toEqual(['queued', 'sent', 'accepted', 'failed']);
    expect(letter.delivery![3].reason).toMatch(/^nobody@ts\.example\.gov\.cn: SMTP refused the notice \(550\)/);
    expect(rec.notices.filter((n) => n.delivery?.at(-1)?.state === 'failed').map((n) => n.level)).toEqual([2, 3, 4]);
    expect(attempts.filter((a) => a === 'nobody@ts.example.gov.cn')).toHaveLength(3);
  });
  test('a notice refused for every addressee fails for good, with its delivery log on the timeline', async () => {
    const { deps, row } = tangshanRefusing('environment-bureau', 'nobody-bureau@ts.example.gov.cn');
    env = await timeSkippingEnv();
    const worker = await testWorker(env, deps);
    const tries = () => attempts.filter((a) => a === 'nobody-bureau@ts.example.gov.cn').length;
    const before = tries();
    const rec = await worker.runUntil(async () => {
      const h = await env.client.workflow.start(obligationWorkflow, {
        taskQueue: 'lantian-test',
        workflowId: row.workflowId,
        args: [row.input],
      });
      await env.sleep(Date.parse('2030-12-31T12:00:00+08:00') - (await env.currentTimeMs()));
      const r = await h.query(recordQuery);
      await h.executeUpdate('waiveObligation', {
        args: [{ actor: { role: 'office', id: 't' }, reason: 'end of test' }],
      });
      return r;
    });
    deps.mailer.close();
    const failed = rec.timeline.filter((e) => e.type === 'notice-failed');
    expect(failed.map((e) => e.entry)).toEqual(['reminder:P7D@2030-12-31', 'reminder:P1D@2030-12-31']);
    // Not retried: one attempt per reminder.
    expect(tries() - before).toBe(2);
    const log = failed[0].notice!.delivery!;
    expect(failed[0].notice).toMatchObject({
      kind: 'reminder',
      to: ['nobody-bureau@ts.example.gov.cn'],
      transport: 'smtp',
    });
    expect(log.map((d) => d.state)).toEqual(['queued', 'sent', 'failed']);
    expect(log[2].reason).toMatch(/SMTP refused the notice \(550\)/);
    expect(rec.notices.map((n) => n.delivery!.at(-1)!.state)).toEqual(['failed', 'failed']);
  });
});

describe('content of each step, as received over SMTP', () => {
  let env: TestWorkflowEnvironment;
  afterEach(async () => env?.teardown());

  test('each message has its addressee, the 文号 in sequence, Chinese dates, the clause and an encoded UTF-8 subject', async () => {
    const raw: { key: string; head: string; mail: ParsedMail }[] = [];
    const content = await startTestSmtp({
      onMessage: (mail, head) => raw.push({ key: String(mail.headers.get('x-lantian-key')), head, mail }),
    });
    const contentPort = content.port;
    const calendar = testCalendar(2026, 2032, ['2031-01-01']);
    const deps = testDeps(
      calendar,
      fixturePolicies(),
      smtpMailer(`smtp://127.0.0.1:${contentPort}`, path.join(tempDir('ledger'), 'l')),
    );
    env = await timeSkippingEnv();
    const worker = await testWorker(env, deps);
    const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
      (r) => r.obligationId === 'coal-boilers' && r.assignee === '130100',
    )!;
    await worker.runUntil(async () => {
      const h = await env.client.workflow.start(obligationWorkflow, {
        taskQueue: 'lantian-test',
        workflowId: row.workflowId,
        args: [row.input],
      });
      await h.result();
    });
    deps.mailer.close();
    await content.close();

    const step = (entry: string) => raw.find((r) => r.key.endsWith(`#${entry}`))!;
    const expected = [
      { entry: 'reminder:P7D@2030-12-31', to: 'sthjj@sjz.example.gov.cn', cc: undefined, number: undefined },
      { entry: 'reminder:P1D@2030-12-31', to: 'sthjj@sjz.example.gov.cn', cc: undefined, number: undefined },
      {
        entry: 'escalation:1-urging',
        to: 'sthjj@sjz.example.gov.cn',
        cc: 'office@drill.lantian.local, dqb@hebei.example.gov.cn',
        number: '测试大气办〔2031〕1号',
      },
      {
        entry: 'escalation:2-warning-letter',
        to: 'zfb@sjz.example.gov.cn',
        cc: 'office@drill.lantian.local, dqb@hebei.example.gov.cn',
        number: '测试大气办〔2031〕2号',
      },
      {
        entry: 'escalation:3-public-interview',
        to: 'zfb@sjz.example.gov.cn',
        cc: 'office@drill.lantian.local, dqb@hebei.example.gov.cn',
        number: '测试大气办〔2031〕3号',
      },
      {
        entry: 'escalation:4-accountability',
        to: 'zfb@sjz.example.gov.cn',
        cc: 'office@drill.lantian.local, dqb@hebei.example.gov.cn',
        number: '测试大气办〔2031〕4号',
      },
    ];
    // Each letter carries its PDF in 公文 form, named by its 文号 and title; a reminder none.
    for (const e of expected) {
      const files = step(e.entry).mail.attachments;
      expect(files.map((a) => [a.contentType, a.filename])).toEqual(
        e.number
          ? [['application/pdf', expect.stringMatching(new RegExp(`^${e.number} 关于.*石家庄市.+\\.pdf$`))]]
          : [],
      );
    }
    expect(step('escalation:2-warning-letter').mail.attachments[0].filename).toBe(
      '测试大气办〔2031〕2号 关于石家庄市淘汰35蒸吨_小时以下燃煤锅炉逾期的预警通知函.pdf',
    );
    // Besides these, one 催签 for each letter nobody acknowledged.
    expect(raw.filter((r) => !r.key.includes('#acknowledgement:'))).toHaveLength(expected.length);
    expect(raw.filter((r) => r.key.includes('#acknowledgement:'))).toHaveLength(4);
    for (const e of expected) {
      const r = step(e.entry);
      expect((r.mail.to as { text: string }).text).toBe(e.to);
      expect((r.mail.cc as { text: string } | undefined)?.text).toBe(e.cc);
      // The subject travels as RFC 2047 encoded words, never raw UTF-8 bytes in the header.
      expect(r.head).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m);
      expect(r.mail.subject).toMatch(/石家庄市/);
      expect(r.mail.text).toContain('2030年12月31日');
      expect(r.mail.text).not.toContain('2030-12-31');
      if (e.number) {
        expect(r.mail.text!.trim().split('\n')[0]).toBe(e.number);
        expect(r.mail.text).toContain('二（一）');
      }
    }
    expect(step('escalation:2-warning-letter').mail.text).toMatch(/^石家庄市人民政府：/m);
    expect(step('reminder:P7D@2030-12-31').mail.text).toMatch(/^石家庄市生态环境局：/m);
    // Reply deadlines are dates, counted in working days from the letter's (weekends and 2031-01-01 off).
    expect(step('escalation:1-urging').mail.text).toContain('于2031年1月9日前报送完成情况');
    expect(step('escalation:2-warning-letter').mail.text).toContain('于2031年1月29日前将整改措施');
  });
});

test("a letter addresses the right body: a province's bureau is a 厅, a new area has an administrative committee, a ministry its own name", () => {
  const org = (
    code: string,
    name: string,
    kind: 'province' | 'city' | 'special-unit' | 'national-body' | 'enterprise',
  ) => ({ code, name, kind, province: code });
  expect(addressing(org('130000', '河北省', 'province'), 'environment-bureau')).toEqual({
    addressee: '河北省生态环境厅',
    you: '你省',
  });
  expect(addressing(org('110000', '北京市', 'province'), 'environment-bureau')).toEqual({
    addressee: '北京市生态环境局',
    you: '你市',
  });
  expect(addressing(org('130100', '石家庄市', 'city'), 'government')).toEqual({
    addressee: '石家庄市人民政府',
    you: '你市',
  });
  expect(addressing(org('xiongan', '雄安新区', 'special-unit'), 'government')).toEqual({
    addressee: '雄安新区管理委员会',
    you: '你区',
  });
  expect(addressing(org('139100', '定州市', 'special-unit'), 'government')).toEqual({
    addressee: '定州市人民政府',
    you: '你市',
  });
  expect(addressing(org('samr', '市场监管总局', 'national-body'), 'government')).toEqual({
    addressee: '市场监管总局',
    you: '你单位',
  });
  expect(addressing(org('shougang', '首钢集团有限公司', 'enterprise'), 'environment-bureau')).toEqual({
    addressee: '首钢集团有限公司',
    you: '你单位',
  });
});

describe('mail server down for a while, on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  afterEach(async () => env?.teardown());

  test('notices wait with backoff, none is lost, and each arrives once, in order, when the server returns', async () => {
    // A port with nothing listening: connections are refused until the server starts on it.
    const probe = await startTestSmtp({ onMessage() {} });
    const downPort = probe.port;
    await probe.close();

    const calendar = testCalendar(2026, 2032, ['2031-01-01']);
    const deps = testDeps(
      calendar,
      fixturePolicies(),
      smtpMailer(`smtp://127.0.0.1:${downPort}`, path.join(tempDir('ledger'), 'l')),
    );
    env = await timeSkippingEnv();
    const worker = await testWorker(env, deps);
    const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
      (r) => r.obligationId === 'coal-boilers' && r.assignee === '130100',
    )!;
    const got: string[] = [];
    let late: TestSmtp | undefined;
    await worker.runUntil(async () => {
      const h = await env.client.workflow.start(obligationWorkflow, {
        taskQueue: 'lantian-test',
        workflowId: row.workflowId,
        args: [row.input],
      });
      // Both reminders (12-24, 12-30) fall due while the server is down.
      const until = Date.parse('2030-12-31T12:00:00+08:00');
      await env.sleep(until - (await env.currentTimeMs()));
      const during = await h.query(recordQuery);
      expect(during.notices).toHaveLength(0);
      // The office sees the notice waiting for the mail server since it fell due (the next waits behind it).
      expect(during.queuedNotices).toEqual([
        {
          key: `${row.workflowId}#reminder:P7D@2030-12-31`,
          kind: 'reminder',
          queuedAt: expect.stringMatching(/^2030-12-24T01:00:00/),
        },
      ]);
      late = await startTestSmtp(
        { onMessage: (m) => got.push(`${m.headers.get('x-lantian-key')} ${m.subject}`) },
        downPort,
      );
      await env.sleep(2 * 3600_000);
      const rec = await h.query(recordQuery);
      expect(rec.timeline.filter((e) => e.type === 'reminder-sent')).toHaveLength(2);
      expect(rec.queuedNotices).toEqual([]);
      await h.executeUpdate('waiveObligation', {
        args: [{ actor: { role: 'office', id: 't' }, reason: 'end of test' }],
      });
    });
    deps.mailer.close();
    await late?.close();
    // Once each, in the order the workflow issued them: the 7-day reminder, then the 1-day one.
    expect(got).toHaveLength(2);
    expect(got[0]).toMatch(/#reminder:P7D@2030-12-31 【到期提醒】石家庄市/);
    expect(got[1]).toMatch(/#reminder:P1D@2030-12-31 【到期提醒】石家庄市/);
  });
});
