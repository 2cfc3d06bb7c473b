// `problem import|list|show|assign|submit|verify`: an inspection team's spreadsheet (.xlsx or CSV)
// becomes one workflow per problem, the whole file refused, `file:row column: reason`, on any bad
// row; then 交办, the city's plan and evidence, and 核查, each signed like every other change.
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { action, explain, print, refusal, type Ctx } from '../context';
import { parseSeason } from './policy';
import { cleanText } from '../../client/input';
import { isLocalDate } from '../../domain/local-date';
import { loadProblemPolicy, ProblemFileError } from '../../planner/problems';
import {
  assign,
  closedProblems,
  importProblems,
  markRebounds,
  listProblems,
  problemLedgerItems,
  problemRecord,
  readProblemSpreadsheet,
  submitPlan,
  submitProblemEvidenceFile,
  verify,
} from '../../client/problems';
import { problemWorkflowId, type Actor, type ProblemRecord } from '../../domain/problem';
import { buildLedger } from '../../domain/problem-ledger';
import { ledgerCsv, ledgerText, ledgerXlsx } from '../../client/problem-ledger-export';

function parseDate(v: string): string {
  if (!isLocalDate(v)) throw new InvalidArgumentError(`expected a date YYYY-MM-DD that exists, not ${v}`);
  return v;
}

/** The office (or an inspection team working for it) at the CLI: LANTIAN_USER names the person. */
const office = (): Actor => ({ role: 'office', id: process.env.LANTIAN_USER ?? process.env.USER ?? 'office' });

/** Temporal's "not found" for a change means no such problem, or one already closed (its workflow ended). */
async function explainProblem(client: Client, err: unknown, workflowId: string, number: string): Promise<Error> {
  if (err instanceof WorkflowNotFoundError) {
    const d = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    return d ? refusal('cli_problem_closed', { number }) : refusal('cli_problem_unknown', { number });
  }
  return explain(err, workflowId);
}

interface Where {
  campaign: string;
  season: number;
  json?: boolean;
}

/** Runs one change on problem `number`, turning Temporal's failures into a sentence. */
async function change<T>(ctx: Ctx, number: string, o: Where, fn: (client: Client, id: string) => Promise<T>) {
  const client = await ctx.client();
  const id = problemWorkflowId(o.campaign, o.season, number);
  return fn(client, id).catch(async (e: unknown) => {
    throw await explainProblem(client, e, id, number);
  });
}

const where = (c: Command) =>
  c
    .argument('<number>', '问题编号')
    .requiredOption('--campaign <id>', 'campaign')
    .requiredOption('--season <year>', 'season', parseSeason)
    .option('--json', 'machine-readable output');

export function registerProblem(program: Command) {
  const problem = program.command('problem').description('problems found on inspection (问题台账), 交办 to 销号');

  problem
    .command('import')
    .description(
      'start one workflow per problem of a team’s spreadsheet, .xlsx or .csv (问题编号,责任单位,点位或企业,类别,问题描述,发现日期,检查组)',
    )
    .argument('<file>', 'a .xlsx (its first sheet) or .csv file')
    .requiredOption('--campaign <id>', 'campaign')
    .requiredOption('--season <year>', 'season', parseSeason)
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, file: string, opts: { campaign: string; season: number; json?: boolean }) => {
        const policies = ctx.policies();
        const campaign = policies.campaigns.get(opts.campaign);
        if (!campaign) throw refusal('cli_problem_campaign', { campaign: opts.campaign });
        let inputs;
        const policy = loadProblemPolicy(path.join(policies.dir, 'problems.yaml'));
        try {
          inputs = await readProblemSpreadsheet(file, {
            campaign,
            season: opts.season,
            policy,
            organisations: policies.organisations,
          });
        } catch (e) {
          if (e instanceof ProblemFileError) throw refusal('cli_problem_file_refused', { errors: e.message });
          throw e;
        }
        const client = await ctx.client();
        // 反弹: a site whose problem was closed within the window is found again.
        markRebounds(inputs, await closedProblems(client, campaign.id), policy.rebound.windowDays);
        const rebounds = inputs.filter((i) => i.reboundOf).map((i) => `${i.number} → ${i.reboundOf!.number}`);
        const report = await importProblems(client, inputs, { taskQueue: ctx.env.LANTIAN_TASK_QUEUE });
        print(
          !!opts.json,
          { ...report, rebounds },
          () =>
            `${report.total} problems: ${report.started.length} started, ${report.existing.length} already there` +
            (rebounds.length ? `; 反弹 (found again after 销号): ${rebounds.join(', ')}` : '') +
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

  where(problem.command('assign').description('交办: assign the problem to its city, with its deadline'))
    .option('--due <date>', 'the date it must be rectified by (限期整改; the category’s rule otherwise)', parseDate)
    .option('--note <text>', 'a note for the city', cleanText)
    .action(
      action(async (ctx, number: string, opts: Where & { due?: string; note?: string }) => {
        const r = await change(ctx, number, opts, (client, id) =>
          assign(client, id, office(), {
            ...(opts.due ? { dueDate: opts.due } : {}),
            ...(opts.note ? { note: opts.note } : {}),
          }),
        );
        print(!!opts.json, r, () => `${number}: 交办, due ${r.dueDate}`);
      }),
    );

  where(
    problem
      .command('submit')
      .description('the city’s 整改方案 (--plan with --complete-by) and/or its evidence of completion (--evidence)'),
  )
    .requiredOption('--as <assigneeCode>', 'the city submitting')
    .option('--plan <text>', '整改方案', cleanText)
    .option('--complete-by <date>', 'the date the plan finishes by (no later than the deadline)', parseDate)
    .option('--evidence <file>', 'a photo or document showing the rectification done')
    .option('--note <text>', 'a note with the evidence', cleanText)
    .action(
      action(
        async (
          ctx,
          number: string,
          opts: Where & { as: string; plan?: string; completeBy?: string; evidence?: string; note?: string },
        ) => {
          if (!opts.plan && !opts.evidence) throw refusal('cli_problem_submit_what', {});
          if (!!opts.plan !== !!opts.completeBy) throw refusal('cli_problem_plan_date', {});
          if (opts.evidence && !fs.existsSync(opts.evidence))
            throw refusal('cli_file_unreadable', { file: opts.evidence });
          if (!ctx.policies().organisations.has(opts.as))
            throw refusal('cli_no_organisation', { flag: '--as', code: opts.as });
          const actor: Actor = { role: 'assignee', id: process.env.LANTIAN_USER ?? opts.as, org: opts.as };
          const out: { state?: string; evidence?: Awaited<ReturnType<typeof submitProblemEvidenceFile>> } = {};
          if (opts.plan)
            out.state = (
              await change(ctx, number, opts, (client, id) =>
                submitPlan(client, id, actor, opts.plan!, opts.completeBy!),
              )
            ).state;
          if (opts.evidence) {
            out.evidence = await change(ctx, number, opts, (client, id) =>
              submitProblemEvidenceFile(client, ctx.evidence(), id, opts.evidence!, actor, opts.note),
            );
            out.state = '待核查';
          }
          print(!!opts.json, out, () =>
            [
              ...(opts.plan ? [`${number}: 整改方案 received, finishing by ${opts.completeBy}`] : []),
              ...(out.evidence
                ? [
                    `${number}: evidence ${out.evidence.evidenceId} (${out.evidence.fileName}, sha256 ${out.evidence.sha256}) awaits 核查`,
                  ]
                : []),
            ].join('\n'),
          );
        },
      ),
    );

  where(problem.command('verify').description('核查: accept the rectification (销号) or reject it with a reason'))
    .option('--accept')
    .option('--reject')
    .option('--reason <text>', 'required for a rejection', cleanText)
    .option('--due <date>', 'with --reject: a new date it must be rectified by', parseDate)
    .action(
      action(
        async (
          ctx,
          number: string,
          opts: Where & { accept?: boolean; reject?: boolean; reason?: string; due?: string },
        ) => {
          if (!!opts.accept === !!opts.reject) throw refusal('cli_review_decision', {});
          const r = await change(ctx, number, opts, (client, id) =>
            verify(client, id, office(), {
              decision: opts.accept ? 'accept' : 'reject',
              ...(opts.reason ? { reason: opts.reason } : {}),
              ...(opts.due ? { dueDate: opts.due } : {}),
            }),
          );
          print(!!opts.json, r, () => `${number}: ${r.state}${r.state === '整改中' ? `, due ${r.dueDate}` : ''}`);
        },
      ),
    );

  problem
    .command('ledger')
    .description('问题台账: problems by city and state (交办, 整改中, 逾期, 待核查, 已销号; 反弹, 举一反三, 遗留)')
    .option('--campaign <id>', 'campaign')
    .option('--season <year>', 'season: its problems and the earlier seasons’ still open (遗留)', parseSeason)
    .option('--assignee <code>', 'one city')
    .option('--out <file>', 'write the ledger as .xlsx (summary and problems) or .csv (problems)')
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (ctx, opts: { campaign?: string; season?: number; assignee?: string; out?: string; json?: boolean }) => {
          const out = opts.out;
          if (out && !/\.(xlsx|csv)$/i.test(out)) throw refusal('cli_out_format', { file: out });
          const client = await ctx.client();
          const records = (await problemLedgerItems(client, opts.campaign)).filter(
            (r) => !opts.assignee || r.assignee.code === opts.assignee,
          );
          const ledger = buildLedger(records, { season: opts.season, regionName: '合计' });
          if (out) {
            if (out.toLowerCase().endsWith('.csv')) fs.writeFileSync(out, ledgerCsv(ledger));
            else
              fs.writeFileSync(
                out,
                await ledgerXlsx(ledger, `问题台账${opts.season ? ` ${opts.season}–${opts.season + 1}年秋冬季` : ''}`),
              );
          }
          print(!!opts.json, ledger, () => ledgerText(ledger) + (out ? `\nwritten to ${out}` : ''));
        },
      ),
    );
}
