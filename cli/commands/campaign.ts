import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { DateTime } from 'luxon';
import { action, print, Refusal } from '../context';
import { parseSeason } from './policy';
import { getCampaign, resolveCampaign } from '../../planner/resolve';
import { currentSeason, shiftDate } from '../../planner/season';
import { CalendarCoverageError } from '../../planner/calendar';
import { launchCampaign } from '../../launcher/launch';

export function registerCampaign(program: Command) {
  const campaign = program.command('campaign').description('launch campaigns');

  campaign
    .command('launch')
    .description('start one workflow per obligation × assignee × period; a second launch starts nothing twice')
    .argument('<campaignId>')
    .option('--season <year>', 'the autumn–winter starting in this year (default: the campaign\'s own)', parseSeason)
    .option('--allow-past', 'launch a season whose period has already ended')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, campaignId: string, opts: { season?: number; allowPast?: boolean; json?: boolean }) => {
        const c = getCampaign(ctx.policies(), campaignId);
        const season = opts.season ?? c.season;
        const end = shiftDate(c.period.end, season - c.season);
        const today = DateTime.now().setZone(c.timezone).toISODate()!;
        if (end < today && !opts.allowPast) {
          // Suggest the season under way (autumn–winter starts in the second half of a year), and
          // say so when the calendar cannot plan it yet: suggesting it would only fail next.
          const current = currentSeason(DateTime.now().setZone(c.timezone));
          let advice = `launch a current season (--season ${current})`;
          try {
            resolveCampaign(ctx.policies(), campaignId, ctx.calendar(), current);
          } catch (e) {
            if (!(e instanceof CalendarCoverageError)) throw e;
            advice = `the current season ${current} cannot be planned until ${e.file} has the holiday notice for ${e.year}`;
          }
          throw new Refusal(`season ${season} of ${campaignId} ended on ${end}; ${advice}; or pass --allow-past to launch season ${season} anyway`);
        }
        const rows = resolveCampaign(ctx.policies(), campaignId, ctx.calendar(), season);
        const client = await ctx.client();
        const bar = !opts.json && process.stderr.isTTY ? new SingleBar({ format: 'launching {bar} {value}/{total}', stream: process.stderr }, Presets.shades_classic) : undefined;
        bar?.start(rows.length, 0);
        const report = await launchCampaign(client, rows, {
          taskQueue: ctx.env.LANTIAN_TASK_QUEUE,
          onProgress: (done) => bar?.update(done),
        });
        bar?.stop();
        print(opts.json ?? false, { campaignId, season, ...report }, () =>
          [
            `campaign ${campaignId}, season ${season}: ${report.total} obligations`,
            `  started  ${report.started.length}`,
            `  already running or done  ${report.existing.length}`,
            ...(report.changed.length ? [`  changed in the policy since launch  ${report.changed.length}:`, ...report.changed.map((x) => `    ${x.workflowId}`)] : []),
            ...(report.failed.length ? [`  failed  ${report.failed.length}:`, ...report.failed.map((x) => `    ${x.workflowId}: ${x.error}`)] : []),
          ].join('\n'),
        );
        if (report.failed.length) throw new Refusal(`${report.failed.length} obligations could not be started`);
      }),
    );
}
