import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { action, print, refusal } from '../context';
import { parseSeason, withProvisionalHint } from './policy';
import { resolveCampaign, type PlanRow } from '../../planner/resolve';
import { computeSchedule } from '../../domain/schedule';
import type { Schedule, ScheduleEntry } from '../../domain/obligation';
import { noticeContext, type NoticeRequest } from '../../notices/context';
import { renderNotice } from '../../notices/render';
import { addresseesFor } from '../../notices/directory';
import { copiedOrganisations, officialLetter, renderLetterPdf } from '../../notices/pdf';
import { writeFileAtomically } from '../../storage/atomic-file';

/** What the obligation's workflow hands to the notice pipeline when `entry` falls due (no evidence, no extension). */
export function stepRequest(row: PlanRow, schedule: Schedule, entry: ScheduleEntry): NoticeRequest {
  const at = Date.parse(entry.at);
  const today = DateTime.fromMillis(at, { zone: row.input.timezone }).toISODate()!;
  return {
    key: `${row.workflowId}#${entry.key}`,
    workflowId: row.workflowId,
    entry,
    obligation: row.input,
    dueDate: row.dueDate,
    originalDueDate: row.dueDate,
    deadlineLocal: schedule.deadlineLocal,
    daysOverdue: Math.max(0, Math.round(DateTime.fromISO(today).diff(DateTime.fromISO(row.dueDate), 'days').days)),
    issuedAt: at,
    evidence: 0,
    // A proof assumes the ladder ran: the steps before this one were sent, their 文号 not yet known.
    ...(entry.kind === 'escalation'
      ? { earlier: row.ladder.slice(0, stepIndex(row, entry)).map((s) => ({ kind: s.kind })) }
      : {}),
  };
}

const stepIndex = (row: PlanRow, entry: ScheduleEntry) =>
  Math.max(
    0,
    row.ladder.findIndex((s) => s.level === entry.step?.level && s.kind === entry.step?.kind),
  );

export function registerNotice(program: Command) {
  program
    .command('notice')
    .description('proof notices')
    .command('preview')
    .description('render the letter a reminder or escalation step would send, without sending it')
    .argument('<campaignId>')
    .argument('<obligationId>')
    .argument('<assigneeCode>')
    .argument('<step>', 'reminder, or an escalation step: urging | warning-letter | public-interview | accountability')
    .option('--season <year>', 'season', parseSeason)
    .option('--period <period>', 'period of a recurring obligation (default: the first)')
    .option('--html', 'print the HTML part instead of the plain text')
    .option('--pdf <file>', "write the letter's PDF in 公文 form to <file>, 文号 blank as in a draft")
    .option('--provisional-calendar', 'count a year the holiday calendar has no notice for yet Monday to Friday')
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (
          ctx,
          campaignId: string,
          obligationId: string,
          assignee: string,
          step: string,
          opts: {
            season?: number;
            period?: string;
            html?: boolean;
            pdf?: string;
            provisionalCalendar?: boolean;
            json?: boolean;
          },
        ) => {
          const policies = ctx.policies();
          const rows = withProvisionalHint(() =>
            resolveCampaign(policies, campaignId, ctx.calendar(), opts.season, opts.provisionalCalendar),
          ).filter(
            (r) =>
              r.obligationId === obligationId && r.assignee === assignee && (!opts.period || r.period === opts.period),
          );
          const row = rows[0];
          if (!row)
            throw refusal('cli_notice_no_obligation', {
              campaign: campaignId,
              obligation: obligationId,
              assignee,
              period: opts.period ?? '',
            });
          const schedule = computeSchedule(row.input, ctx.calendar());
          const entry = schedule.entries.find((e) =>
            step === 'reminder' ? e.kind === 'reminder' : e.step?.kind === step,
          );
          if (!entry) {
            const steps = ['reminder', ...row.ladder.map((s) => s.kind)];
            throw refusal('cli_notice_no_step', { step, steps: steps.join(', ') });
          }
          const request = stepRequest(row, schedule, entry);
          const at = request.issuedAt;
          const today = DateTime.fromMillis(at, { zone: row.input.timezone }).toISODate()!;
          const context = noticeContext(
            {
              ...request,
              // The real number is allocated when the letter is sent; a preview must not consume one.
              documentNumber:
                entry.kind === 'escalation' ? `${row.input.office.abbreviation}〔${today.slice(0, 4)}〕×号` : undefined,
            },
            ctx.calendar(),
            policies,
          );
          const template = entry.step?.template ?? 'reminder';
          const notice = renderNotice(policies.templatesDir, template, context);
          const org = policies.organisations.get(assignee)!;
          const { to, cc } = addresseesFor(
            org,
            entry.step?.recipients ?? ['environment-bureau'],
            row.input.office,
            entry.kind === 'escalation',
          );
          let pdf: { file: string; bytes: number } | undefined;
          if (opts.pdf) {
            if (entry.kind !== 'escalation') throw refusal('cli_notice_pdf_letter_only', {});
            // The same PDF the step would issue, but for the 文号: a draft's line stays blank.
            const letter = officialLetter(
              renderNotice(policies.templatesDir, template, { ...context, documentNumber: '' }),
              {
                copies: copiedOrganisations(
                  org,
                  cc,
                  row.input.office,
                  (code) => policies.organisations.get(code)?.name,
                ),
              },
            );
            const data = await renderLetterPdf(letter, { key: request.key, issuedAt: at });
            await writeFileAtomically(opts.pdf, data);
            pdf = { file: opts.pdf, bytes: data.length };
          }
          print(
            opts.json ?? false,
            {
              workflowId: row.workflowId,
              entry: entry.key,
              sendAt: entry.atLocal,
              template,
              to,
              cc,
              ...notice,
              ...(pdf ? { pdf } : {}),
            },
            () =>
              opts.html
                ? notice.html
                : [
                    `To: ${to.join(', ')}`,
                    ...(cc.length ? [`Cc: ${cc.join(', ')}`] : []),
                    `Send at: ${entry.atLocal}`,
                    `Subject: ${notice.subject}`,
                    ...(pdf ? [`PDF: ${pdf.file} (${pdf.bytes} bytes)`] : []),
                    '',
                    notice.text,
                  ].join('\n'),
          );
        },
      ),
    );
}
