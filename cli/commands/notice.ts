import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { action, print, Refusal } from '../context';
import { parseSeason, withProvisionalHint } from './policy';
import { resolveCampaign } from '../../planner/resolve';
import { computeSchedule } from '../../domain/schedule';
import { noticeContext } from '../../notices/context';
import { renderNotice } from '../../notices/render';
import { addresseesFor } from '../../notices/directory';

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
          opts: { season?: number; period?: string; html?: boolean; provisionalCalendar?: boolean; json?: boolean },
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
            throw new Refusal(
              `${campaignId} has no obligation ${obligationId} for ${assignee}${opts.period ? ` in ${opts.period}` : ''}`,
            );
          const schedule = computeSchedule(row.input, ctx.calendar());
          const entry = schedule.entries.find((e) =>
            step === 'reminder' ? e.kind === 'reminder' : e.step?.kind === step,
          );
          if (!entry) {
            const steps = ['reminder', ...row.ladder.map((s) => s.kind)];
            throw new Refusal(`no step ${step} for this obligation; it has: ${steps.join(', ')}`);
          }
          const at = Date.parse(entry.at);
          const today = DateTime.fromMillis(at, { zone: row.input.timezone }).toISODate()!;
          const daysOverdue = Math.max(
            0,
            Math.round(DateTime.fromISO(today).diff(DateTime.fromISO(row.dueDate), 'days').days),
          );
          const context = noticeContext(
            {
              key: `${row.workflowId}#${entry.key}`,
              workflowId: row.workflowId,
              entry,
              obligation: row.input,
              dueDate: row.dueDate,
              originalDueDate: row.dueDate,
              deadlineLocal: schedule.deadlineLocal,
              daysOverdue,
              issuedAt: at,
              evidence: 0,
              // The real number is allocated when the letter is sent; a preview must not consume one.
              documentNumber:
                entry.kind === 'escalation' ? `${row.input.office.abbreviation}〔${today.slice(0, 4)}〕×号` : undefined,
            },
            ctx.calendar(),
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
          print(
            opts.json ?? false,
            { workflowId: row.workflowId, entry: entry.key, sendAt: entry.atLocal, template, to, cc, ...notice },
            () =>
              opts.html
                ? notice.html
                : [
                    `To: ${to.join(', ')}`,
                    ...(cc.length ? [`Cc: ${cc.join(', ')}`] : []),
                    `Send at: ${entry.atLocal}`,
                    `Subject: ${notice.subject}`,
                    '',
                    notice.text,
                  ].join('\n'),
          );
        },
      ),
    );
}
