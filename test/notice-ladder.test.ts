// What a letter says about what comes next, and how it names itself: the next step of the
// assignee's own ladder with its date (or nothing when the ladder ends), a 督办事项编号 instead of
// the workflow ID, and the issuing office as the sender, over real SMTP on the time-skipping server.
import fs from 'node:fs';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadPolicies } from '../planner/load';
import { resolveCampaign, type PlanRow } from '../planner/resolve';
import { loadCalendar, type WorkingCalendar } from '../domain/calendar';
import { computeSchedule } from '../domain/schedule';
import type { ProblemInput } from '../domain/problem';
import { noticeContext, problemNoticeContext, sampleDigestContext, supervisionNumber } from '../notices/context';
import { paceContext, sampleActContext } from '../notices/assessment-letters';
import { renderNotice } from '../notices/render';
import { officeSender, smtpMailer } from '../notices/mailer';
import { readLetter } from '../storage/letters';
import { problemTemplatesDir } from '../planner/problems';
import { assessmentTemplatesDir } from '../planner/load-targets';
import { obligationWorkflow } from '../workflows/obligation';
import { startTestSmtp } from './support/smtp';
import { fixturePolicies, tempDir, testCalendar, testDeps, testWorker, timeSkippingEnv } from './support/temporal';

const repoPolicies = path.join(__dirname, '..', 'policies');
const policies = loadPolicies(repoPolicies);
const calendar = loadCalendar();
const FENWEI = 'jjj-fenwei-2020-2021';
const rows = resolveCampaign(policies, FENWEI, calendar, 2020);
/** Internal identifiers a person should never have to read in a letter. */
const INTERNAL = /任务编号|lantian[:-]|workflow/i;

/** The letter an escalation step of `row` issues on the day it falls due, numbered. */
function letterOf(row: PlanRow, kind: string, cal: WorkingCalendar = calendar) {
  const schedule = computeSchedule(row.input, cal);
  const entry = schedule.entries.find((e) => e.kind === 'escalation' && e.step?.kind === kind)!;
  const issuedAt = Date.parse(entry.at);
  const context = noticeContext(
    {
      key: `${row.workflowId}#${entry.key}`,
      workflowId: row.workflowId,
      entry,
      obligation: row.input,
      dueDate: row.input.dueDate,
      originalDueDate: row.input.dueDate,
      deadlineLocal: schedule.deadlineLocal,
      daysOverdue: Math.round((issuedAt - Date.parse(schedule.deadline)) / 86_400_000),
      issuedAt,
      evidence: 0,
      documentNumber: '京津冀汾渭大气办〔2020〕8号',
    },
    cal,
    policies,
  );
  return { context, schedule, rendered: renderNotice(policies.templatesDir, entry.step!.template, context) };
}

test('a province on an urging-only ladder receives an urging that promises no warning letter', () => {
  const row = rows.find((r) => r.obligationId === 'plain-area-bulk-coal-replacement' && r.assignee === '130000')!;
  expect(row.ladder.map((s) => s.kind)).toEqual(['urging']);
  const { context, rendered } = letterOf(row, 'urging');
  expect(context.nextStep).toBeNull();
  expect(rendered.text).toMatch(/^河北省生态环境厅：/m);
  expect(rendered.text).not.toMatch(/预警|约谈|问责|按程序/);
  expect(rendered.text).toContain('（督办事项编号：JFW2020-03-130000）');
  expect(rendered.text).not.toMatch(INTERNAL);
});

test('a public interview on a ladder of its own claims no urging or warning before it', () => {
  const row = rows.find((r) => r.ladder.length === 1 && r.ladder[0].kind === 'public-interview')!;
  const { context, rendered } = letterOf(row, 'public-interview');
  expect(context.earlierSteps).toBe('');
  expect(rendered.text).toContain('已逾期');
  expect(rendered.text).not.toMatch(/督办（|预警|经.*后整改/);
});

test("a city's urging names the warning letter and the date the plan gives it", () => {
  const row = rows.find((r) => r.obligationId === 'coal-boilers-below-35t' && r.assignee === '130100')!;
  expect(row.ladder.map((s) => s.kind)).toEqual(['urging', 'warning-letter', 'public-interview']);
  const { context, schedule, rendered } = letterOf(row, 'urging');
  // Due 2020-12-31; the warning letter 15 days later, 2021-01-15 (a Friday), at 09:00 Beijing time.
  const planned = schedule.entries.find((e) => e.step?.kind === 'warning-letter')!;
  expect(planned.atLocal).toBe('2021-01-15T09:00:00.000+08:00');
  expect(context.nextStep).toMatchObject({ kind: 'warning-letter', name: '预警通知函', date: '2021-01-15' });
  expect(rendered.text).toContain('逾期仍未完成的，将于2021年1月15日按程序发出预警通知函。');
  expect(rendered.text).toContain(`（督办事项编号：JFW2020-${String(10).padStart(2, '0')}-130100）`);
  // The warning letter names the interview after it; the interview, the ladder's last step, nothing.
  const warning = letterOf(row, 'warning-letter').rendered.text;
  const interviewAt = schedule.entries.find((e) => e.step?.kind === 'public-interview')!.atLocal.slice(0, 10);
  expect(interviewAt).toBe('2021-02-01');
  expect(warning).toContain('仍未完成的，将于2021年2月1日按程序公开约谈主要负责同志。');
  const interview = letterOf(row, 'public-interview');
  expect(interview.context.nextStep).toBeNull();
  expect(interview.rendered.text).not.toMatch(/问责|限批|按程序/);
});

test('a 督办事项编号 is stable for the obligation and assignee, and carries the period of a recurring one', () => {
  const quarterly = rows.filter((r) => r.obligationId === 'aq-quarterly-target' && r.assignee === '130100');
  const campaign = policies.campaigns.get(FENWEI)!;
  const numbers = quarterly.map((r) => supervisionNumber(r.input, campaign));
  expect(numbers[0]).toBe('JFW2020-01-130100-2020Q4');
  expect(new Set(numbers).size).toBe(quarterly.length);
  // Resolved again (a relaunch), the same obligation and assignee get the same number.
  const again = resolveCampaign(policies, FENWEI, calendar, 2020).find(
    (r) => r.workflowId === quarterly[0].workflowId,
  )!;
  expect(supervisionNumber(again.input, campaign)).toBe(numbers[0]);
  // Without the campaign's policy: the code from the campaign's ID, the obligation's ID for its position.
  expect(supervisionNumber(quarterly[0].input)).toBe('JJJFENWEI2020-aq-quarterly-target-130100-2020Q4');
});

test('no rendered letter, reminder, digest, act, pace warning or problem letter shows an internal ID', () => {
  const city = rows.find((r) => r.obligationId === 'coal-boilers-below-35t' && r.assignee === '130100')!;
  const texts: string[] = [];
  for (const kind of ['urging', 'warning-letter', 'public-interview']) {
    const r = letterOf(city, kind).rendered;
    texts.push(r.subject, r.text, r.html);
  }
  const schedule = computeSchedule(city.input, calendar);
  const reminder = schedule.entries.find((e) => e.kind === 'reminder')!;
  const reminderContext = noticeContext(
    {
      key: `${city.workflowId}#${reminder.key}`,
      workflowId: city.workflowId,
      entry: reminder,
      obligation: city.input,
      dueDate: city.input.dueDate,
      originalDueDate: city.input.dueDate,
      deadlineLocal: schedule.deadlineLocal,
      daysOverdue: 0,
      issuedAt: Date.parse(reminder.at),
      evidence: 0,
    },
    calendar,
    policies,
  );
  const r = renderNotice(policies.templatesDir, 'reminder', reminderContext);
  // A reminder names the first step of the ladder and its date.
  expect(r.text).toContain('逾期仍未完成的，将于2021年1月4日按程序发出督办通知。');
  expect(r.text).toContain('（督办事项编号：JFW2020-10-130100）');
  texts.push(r.text, renderNotice(policies.templatesDir, 'digest', sampleDigestContext()).text);
  const acts = assessmentTemplatesDir(policies.templatesDir);
  for (const act of ['warning-letter', 'public-interview', 'accountability'])
    texts.push(renderNotice(acts, act, sampleActContext(act)).text);
  const pace = renderNotice(
    acts,
    'pace-warning',
    paceContext({
      key: `${city.workflowId}#pace:1@2020-12-31`,
      reference: supervisionNumber(city.input, policies.campaigns.get(FENWEI)),
      assignee: { code: '130100', name: '石家庄市' },
      addressing: { addressee: '石家庄市生态环境局', you: '你市' },
      obligation: { title: city.input.title, clause: '三、（十五）', unit: '台' },
      office: city.input.office,
      colour: 'red',
      reported: 1,
      expected: 5,
      target: 10,
      dueDate: '2020-12-31',
      issuedDate: '2020-11-30',
    }),
  );
  expect(pace.text).toContain('（督办事项编号：JFW2020-10-130100）');
  texts.push(pace.text);
  for (const t of texts) expect(t).not.toMatch(INTERNAL);
});

test("a problem's letters name its next step with its date, and the 问题编号 rather than the workflow", () => {
  const problem: ProblemInput = {
    number: 'HB-2031-0001',
    assignee: { code: '130100', name: '石家庄市' },
    site: { name: '某某建材厂' },
    category: '散乱污',
    description: '无环保手续，露天堆放物料',
    foundDate: '2031-01-06',
    team: '第一检查组',
    campaignId: 'drill',
    season: 2030,
    rule: { type: '限期整改', defaultDays: 30 },
    ladder: [
      { kind: '催办', workingDays: 1, template: 'urging' },
      { kind: '预警', workingDays: 5, template: 'warning' },
      { kind: '约谈', workingDays: 10, template: 'interview' },
      { kind: '专项督察', workingDays: 20, template: 'inspection' },
    ],
    office: { name: '测试大气污染防治领导小组办公室', abbreviation: '测试大气办', email: 'office@drill.lantian.local' },
    timezone: 'Asia/Shanghai',
    sending: { at: '09:00' },
  };
  const cal = testCalendar(2030, 2032, ['2031-01-01']);
  const dir = problemTemplatesDir(policies.templatesDir);
  const letter = (entry: string, template: string, issued: string) =>
    renderNotice(
      dir,
      template,
      problemNoticeContext(
        { entry, problem, dueDate: '2031-02-05', issuedAt: Date.parse(`${issued}T09:00:00+08:00`) },
        '测试大气办〔2031〕7号',
        '石家庄市',
        cal,
      ),
    ).text;
  // Due Wed 2031-02-05: 催办 1 working day later (02-06), 预警 5 (02-12), 约谈 10 (02-19), 专项督察 20 (03-05).
  expect(letter('assignment', 'assignment', '2031-01-06')).toContain('将于2031年2月6日按程序发出催办通知');
  expect(letter('step:1@2031-02-05', 'urging', '2031-02-06')).toContain('将于2031年2月12日按程序发出预警通知');
  expect(letter('step:2@2031-02-05', 'warning', '2031-02-12')).toContain('将于2031年2月19日按程序发出约谈通知');
  expect(letter('step:3@2031-02-05', 'interview', '2031-02-19')).toContain('将于2031年3月5日按程序发出专项督察通知');
  const last = letter('step:4@2031-02-05', 'inspection', '2031-03-05');
  expect(last).not.toMatch(/将于|按程序/);
  for (const [entry, t] of [
    ['assignment', 'assignment'],
    ['step:1@2031-02-05', 'urging'],
    ['step:4@2031-02-05', 'inspection'],
  ]) {
    const text = letter(entry, t, '2031-03-05');
    expect(text).toContain('（问题编号：HB-2031-0001）');
    expect(text).not.toMatch(INTERNAL);
  }
});

test('the sender is the office by name at its address, or the configured sender without one', () => {
  expect(officeSender({ name: '测试大气污染防治领导小组办公室', email: 'office@drill.lantian.local' }, 'x')).toBe(
    '"测试大气污染防治领导小组办公室" <office@drill.lantian.local>',
  );
  expect(officeSender({ name: '', email: 'office@drill.lantian.local' }, 'x')).toBe('office@drill.lantian.local');
  expect(officeSender({ name: '办公室' }, 'Lantian <lantian@localhost>')).toBe('Lantian <lantian@localhost>');
});

describe('over real SMTP, on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  afterEach(async () => env?.teardown());

  test("every notice of an obligation comes from its campaign's office address, and none shows the workflow ID", async () => {
    const received: ParsedMail[] = [];
    const smtp = await startTestSmtp({ onMessage: (m) => received.push(m) });
    const cal = testCalendar(2026, 2032, ['2031-01-01']);
    const fixtures = fixturePolicies();
    const deps = testDeps(
      cal,
      fixtures,
      smtpMailer(`smtp://127.0.0.1:${smtp.port}`, path.join(tempDir('ledger'), 'l')),
    );
    deps.policies = fixtures;
    env = await timeSkippingEnv();
    const worker = await testWorker(env, deps);
    const row = resolveCampaign(fixtures, 'drill', cal, 2030).find(
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
    await smtp.close();

    // Two reminders, four letters and a 催签 for each letter.
    expect(received).toHaveLength(10);
    for (const m of received) {
      expect(m.from?.value).toEqual([
        { name: '测试大气污染防治领导小组办公室', address: 'office@drill.lantian.local' },
      ]);
      for (const part of [m.subject ?? '', m.text ?? '', typeof m.html === 'string' ? m.html : ''])
        expect(part).not.toMatch(INTERNAL);
    }
    const text = (entry: string) =>
      received.find((m) => String(m.headers.get('x-lantian-key')).endsWith(`#${entry}`))!.text!;
    // drill is the fixture's campaign without a code: DRILL, season 2030, first obligation, 130100.
    expect(text('reminder:P7D@2030-12-31')).toContain('（督办事项编号：DRILL2030-01-130100）');
    expect(text('escalation:1-urging')).toContain('逾期仍未完成的，将于2031年1月15日按程序发出预警通知函。');
    expect(text('escalation:2-warning-letter')).toContain('将于2031年1月31日按程序公开约谈主要负责同志。');
    expect(text('escalation:3-public-interview')).toContain('将于2031年2月28日按程序移交问责并实施区域环评限批。');
    expect(text('escalation:4-accountability')).not.toMatch(/将于/);
    // The stored letters (what the print page shows) say the same.
    const stored = fs.readdirSync(deps.lettersDir).filter((f) => f.endsWith('.json'));
    expect(stored.length).toBeGreaterThanOrEqual(6);
    for (const f of stored) {
      const letter = readLetter(
        deps.lettersDir,
        JSON.parse(fs.readFileSync(path.join(deps.lettersDir, f), 'utf8')).key,
      )!;
      expect(letter.text).not.toMatch(INTERNAL);
    }
  });
});
