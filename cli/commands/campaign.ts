import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { action, print, Refusal } from '../context';
import { parseSeason } from './policy';
import { getCampaign } from '../../planner/resolve';
import { launchableRows, SeasonRefusal } from '../../launcher/seasons';
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
        const season = opts.season ?? getCampaign(ctx.policies(), campaignId).season;
        let rows;
        try {
          rows = launchableRows(ctx.policies(), ctx.calendar(), campaignId, season, opts.allowPast ?? false);
        } catch (e) {
          if (e instanceof SeasonRefusal) throw new Refusal(e.message);
          throw e;
        }
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
