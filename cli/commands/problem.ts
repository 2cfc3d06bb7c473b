// `problem import|list|show`: an inspection team's spreadsheet (CSV) becomes one workflow per
// problem; the whole file is refused, `file:row column: reason`, on any bad row.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { action, print, Refusal } from '../context';
import { parseSeason } from './policy';
import { loadProblemPolicy, ProblemFileError, readProblemCsv } from '../../planner/problems';
import { importProblems, listProblems, problemRecord } from '../../client/problems';
import { problemWorkflowId, type ProblemRecord } from '../../domain/problem';

export function registerProblem(program: Command) {
  const problem = program.command('problem').description('problems found on inspection (问题台账), 交办 to 销号');

  problem
    .command('import')
    .description(
      'start one workflow per problem of a team’s CSV (问题编号,责任单位,点位或企业,类别,问题描述,发现日期,检查组)',
    )
    .argument('<file>', 'a .csv file')
    .requiredOption('--campaign <id>', 'campaign')
    .requiredOption('--season <year>', 'season', parseSeason)
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, file: string, opts: { campaign: string; season: number; json?: boolean }) => {
        if (!file.toLowerCase().endsWith('.csv'))
          throw new Refusal(`${path.basename(file)}: only .csv files are read (save the spreadsheet as CSV)`);
        const policies = ctx.policies();
        const campaign = policies.campaigns.get(opts.campaign);
        if (!campaign) throw new Refusal(`no campaign ${opts.campaign}`);
        let inputs;
        try {
          inputs = readProblemCsv(file, fs.readFileSync(file, 'utf8'), {
            campaign,
            season: opts.season,
            policy: loadProblemPolicy(path.join(policies.dir, 'problems.yaml')),
            organisations: policies.organisations,
          });
        } catch (e) {
          if (e instanceof ProblemFileError) throw new Refusal(`the file is refused whole:\n${e.message}`);
          throw e;
        }
        const report = await importProblems(await ctx.client(), inputs, { taskQueue: ctx.env.LANTIAN_TASK_QUEUE });
        print(
          !!opts.json,
          report,
          () =>
            `${report.total} problems: ${report.started.length} started, ${report.existing.length} already there` +
            (report.failed.length
              ? `, ${report.failed.length} failed:\n${report.failed.map((f) => `  ${f.workflowId}: ${f.error}`).join('\n')}`
              : ''),
        );
        if (report.failed.length) process.exitCode = 1;
      }),
    );

  problem
    .command('list')
    .description("a campaign's problems with their state")
    .option('--campaign <id>', 'campaign')
    .option('--season <year>', 'season', parseSeason)
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, opts: { campaign?: string; season?: number; json?: boolean }) => {
        const client = await ctx.client();
        const ids = await listProblems(client, opts.campaign, opts.season);
        const records: ProblemRecord[] = [];
        for (const id of ids) records.push(await problemRecord(client, id));
        records.sort((a, b) => a.foundDate.localeCompare(b.foundDate) || a.number.localeCompare(b.number));
        print(!!opts.json, records, () =>
          records.length
            ? records
                .map(
                  (r) =>
                    `${r.number}\t${r.state}${r.overdue ? '（逾期）' : ''}\t${r.assignee.name}\t${r.category}\t${r.site.name}\t${r.dueDate ?? '-'}`,
                )
                .join('\n')
            : 'no problems',
        );
      }),
    );

  problem
    .command('show')
    .description("a problem's record and timeline")
    .argument('<number>', '问题编号')
    .requiredOption('--campaign <id>', 'campaign')
    .requiredOption('--season <year>', 'season', parseSeason)
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, number: string, opts: { campaign: string; season: number; json?: boolean }) => {
        const r = await problemRecord(await ctx.client(), problemWorkflowId(opts.campaign, opts.season, number));
        print(!!opts.json, r, () =>
          [
            `${r.number} ${r.state}${r.overdue ? '（逾期）' : ''} level ${r.level}`,
            `${r.assignee.name} (${r.assignee.code}) · ${r.site.name}${r.site.creditCode ? ` (${r.site.creditCode})` : ''}`,
            `${r.category}: ${r.description}`,
            `found ${r.foundDate} by ${r.team}; due ${r.dueDate ?? '-'} (${r.rule.type})`,
            ...r.timeline.map(
              (e) => `  ${e.at} ${e.type}${e.step ? ` ${e.step}` : ''}${e.reason ? `: ${e.reason}` : ''}`,
            ),
          ].join('\n'),
        );
      }),
    );
}
