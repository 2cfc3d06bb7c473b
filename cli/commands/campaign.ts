import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { action, print, Refusal, refusal } from '../context';
import { parseSeason } from './policy';
import { getCampaign } from '../../planner/resolve';
import { launchableRows, SeasonRefusal } from '../../client/seasons';
import { launchCampaign } from '../../client/launch';

export function registerCampaign(program: Command) {
  const campaign = program.command('campaign').description('launch campaigns');

  campaign
    .command('launch')
    .description('start one workflow per obligation × assignee × period; a second launch starts nothing twice')
    .argument('<campaignId>')
    .option('--season <year>', "the autumn–winter starting in this year (default: the campaign's own)", parseSeason)
    .option('--allow-past', 'launch a season whose period has already ended')
    .option(
      '--provisional-calendar',
      'plan a year the holiday calendar has no notice for yet as Monday to Friday; each obligation plans again before every step until the notice is added',
    )
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (
          ctx,
          campaignId: string,
          opts: { season?: number; allowPast?: boolean; provisionalCalendar?: boolean; json?: boolean },
        ) => {
          const season = opts.season ?? getCampaign(ctx.policies(), campaignId).season;
          let planned;
          try {
            planned = launchableRows(ctx.policies(), ctx.calendar(), campaignId, season, {
              allowPast: opts.allowPast ?? false,
              provisionalCalendar: opts.provisionalCalendar ?? false,
              window: ctx.env.LANTIAN_SEASON_WINDOW,
            });
          } catch (e) {
            if (e instanceof SeasonRefusal) throw new Refusal(e.message);
            throw e;
          }
          const { rows, assumedYears } = planned;
          const client = await ctx.client();
          const bar =
            !opts.json && process.stderr.isTTY
              ? new SingleBar(
                  { format: 'launching {bar} {value}/{total}', stream: process.stderr },
                  Presets.shades_classic,
                )
              : undefined;
          bar?.start(rows.length, 0);
          const report = await launchCampaign(client, rows, {
            taskQueue: ctx.env.LANTIAN_TASK_QUEUE,
            onProgress: (done) => bar?.update(done),
          });
          bar?.stop();
          print(
            opts.json ?? false,
            { campaignId, season, ...report, ...(opts.provisionalCalendar ? { assumedYears } : {}) },
            () =>
              [
                `campaign ${campaignId}, season ${season}: ${report.total} obligations`,
                ...(assumedYears.length
                  ? [
                      `  provisional calendar: ${assumedYears.join(', ')} counted Monday to Friday until its holiday notice is added to the calendar; each obligation plans its dates again before every step`,
                    ]
                  : []),
                `  started  ${report.started.length}`,
                `  already running or done  ${report.existing.length}`,
                ...(report.changed.length
                  ? [
                      `  changed in the policy since launch  ${report.changed.length}:`,
                      ...report.changed.map((x) => `    ${x.workflowId}`),
                    ]
                  : []),
                ...(report.failed.length
                  ? [
                      `  failed  ${report.failed.length}:`,
                      ...report.failed.map((x) => `    ${x.workflowId}: ${x.error}`),
                    ]
                  : []),
              ].join('\n'),
          );
          if (report.failed.length) throw refusal('cli_launch_failed', { count: report.failed.length });
        },
      ),
    );
}
