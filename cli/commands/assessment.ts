// Air-quality data and assessment commands:
//   data import <csv> --campaign <id> [--season] [--baseline] [--replace --reason]
//   data falsify <code> --campaign <id> --reason --evidence
//   assessment plan|run|launch|show <campaignId> …
//   pace ranking --campaign <id>   (supervisors: organisations by pace of their quantitative obligations)
import readline from 'node:readline/promises';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { action, print, Refusal, refusal as refused, type Ctx } from '../context';
import { parseSeason } from './policy';
import {
  importCsv,
  runPoint,
  campaignTargets,
  overdueSharesFromVisibility,
  AssessmentRefused,
} from '../../planner/assessment';
import { CsvRefused } from '../../storage/air-quality-csv';
import { ImportRefused } from '../../storage/air-quality';
import { openAssessmentStores } from '../../storage/stores';
import { assessedUnits } from '../../domain/targets';
import { planAssessments } from '../../planner/assessment-plan';
import { localIso } from '../../domain/schedule';
import { figureLines } from '../../notices/assessment-letters';
import { actLabels } from '../../notices/assessment-letters';
import type { CityAssessment } from '../../domain/assessment';
import { assessmentWorkflow, assessmentWorkflowId, type AssessmentRecord } from '../../workflows/assessment';
import { paceRanking } from '../../client/pace';

const who = () => process.env.LANTIAN_USER ?? process.env.USER ?? 'office';

function refusal(e: unknown): unknown {
  if (e instanceof CsvRefused || e instanceof ImportRefused || e instanceof AssessmentRefused)
    return new Refusal(e.message);
  if ((e as NodeJS.ErrnoException).code === 'ENOENT')
    return refused('cli_file_unreadable', { file: String((e as NodeJS.ErrnoException).path) });
  return e;
}

/** Refusals of the data layer are the user's to fix: stderr, non-zero, no stack. */
function refusing<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw refusal(e);
  }
}

/** The same for the stores' asynchronous work. */
const refusingAsync = <T>(p: Promise<T>): Promise<T> =>
  p.catch((e) => {
    throw refusal(e);
  });

/** The air-quality store and the timelines (data folder or PostgreSQL) for one command. */
async function withAssessmentStores<T>(
  ctx: Ctx,
  fn: (s: Awaited<ReturnType<typeof openAssessmentStores>>) => Promise<T>,
): Promise<T> {
  const stores = await openAssessmentStores(ctx.env);
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}

export function registerData(program: Command) {
  const data = program.command('data').description('daily air-quality figures and baselines');
  data
    .command('import')
    .description('import daily figures (CSV date,code,pm25,aqi); a bad file is refused whole')
    .argument('<csv>')
    .requiredOption('--campaign <id>')
    .option('--season <year>', "season (default: the plan's own)", parseSeason)
    .option('--baseline', 'the same period of the previous year (year-on-year targets)')
    .option('--replace', 'correct days already stored with different figures (needs --reason)')
    .option('--reason <text>', 'why the stored figures are replaced (kept in the import log)')
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (
          ctx,
          file: string,
          opts: {
            campaign: string;
            season?: number;
            baseline?: boolean;
            replace?: boolean;
            reason?: string;
            json?: boolean;
          },
        ) => {
          if (opts.replace && !opts.reason?.trim()) throw refused('cli_replace_needs_reason', {});
          const policies = refusing(() => ctx.policies());
          const r = await withAssessmentStores(ctx, (s) =>
            refusingAsync(
              importCsv({
                policies,
                store: s.airQuality,
                campaignId: opts.campaign,
                season: opts.season,
                file,
                baseline: opts.baseline,
                ...(opts.replace ? { replaceReason: opts.reason } : {}),
                by: who(),
              }),
            ),
          );
          print(opts.json ?? false, r, () =>
            r.noop
              ? `${file}: nothing new (${r.unchanged} day(s) already stored with the same figures)`
              : `${file}: ${r.rows} row(s) → ${r.kind} ${opts.campaign} ${r.season}: ${r.added} added, ${r.unchanged} unchanged, ${r.replaced.length} replaced${r.replaced.length ? ` (reason: ${opts.reason})` : ''}`,
          );
        },
      ),
    );
  data
    .command('falsify')
    .description("mark a city's monitoring data as falsified: its assessment is 不合格 whatever the figures")
    .argument('<code>')
    .requiredOption('--campaign <id>')
    .option('--season <year>', 'season', parseSeason)
    .requiredOption('--reason <text>')
    .requiredOption('--evidence <ref>', 'the evidence (a case number, an inspection report)')
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (
          ctx,
          code: string,
          opts: { campaign: string; season?: number; reason: string; evidence: string; json?: boolean },
        ) => {
          const { campaign, targets } = refusing(() => campaignTargets(ctx.policies(), opts.campaign));
          if (!assessedUnits(targets).includes(code))
            throw refused('cli_not_assessed_city', { code, campaign: opts.campaign });
          const season = opts.season ?? campaign.season;
          const mark = { reason: opts.reason, evidence: opts.evidence, by: who(), at: new Date().toISOString() };
          await withAssessmentStores(ctx, (s) =>
            refusingAsync(s.airQuality.markFalsified(opts.campaign, season, code, mark)),
          );
          print(
            opts.json ?? false,
            { code, season, ...mark },
            () =>
              `${code}: monitoring data marked falsified for ${opts.campaign} ${season} — every assessment is 不合格`,
          );
        },
      ),
    );
}

function resultText(r: CityAssessment): string {
  const f = r.figures;
  const change =
    r.pm25ChangePct !== undefined
      ? ` (${r.pm25ChangePct === null ? '—' : `${r.pm25ChangePct > 0 ? '+' : ''}${r.pm25ChangePct}%`} yoy)`
      : '';
  const act = r.act
    ? `→ ${r.act.kind} ${actLabels[r.act.kind]}${r.act.regionalEiaRestriction ? ' + 区域环评限批' : ''}`
    : '';
  return `${r.code.padEnd(8)} ${r.name.padEnd(8, '　')} PM2.5 ${String(f.pm25Mean ?? '—').padStart(5)}${change} heavy ${String(f.heavyDays).padStart(3)}d  ${r.verdictCn}${r.falsified ? '（数据造假）' : ''} ${act}`;
}

/** The bulletin as CSV, best first; cities without data last. */
export function bulletinCsv(results: CityAssessment[]): string {
  const rows = [...results].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.code.localeCompare(b.code));
  const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return (
    ['rank,code,name,days,pm25,pm25_change_pct,heavy_days,verdict,act']
      .concat(
        rows.map((r) =>
          [
            r.rank,
            r.code,
            r.name,
            r.figures.days,
            r.figures.pm25Mean,
            r.pm25ChangePct,
            r.figures.heavyDays,
            r.verdictCn,
            r.act?.kind,
          ]
            .map(cell)
            .join(','),
        ),
      )
      .join('\n') + '\n'
  );
}

async function tryClient(ctx: Ctx): Promise<Client | undefined> {
  try {
    return await ctx.client();
  } catch {
    return undefined;
  }
}

export function registerAssessment(program: Command) {
  const assessment = program.command('assessment').description('air-quality assessment of a campaign season');

  assessment
    .command('plan')
    .description('the assessment points of a season and when each is made (Asia/Shanghai)')
    .argument('<campaignId>')
    .option('--season <year>', 'season', parseSeason)
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, id: string, opts: { season?: number; json?: boolean }) => {
        const { campaign, targets } = refusing(() => campaignTargets(ctx.policies(), id));
        const plan = planAssessments(campaign, targets, opts.season ?? campaign.season, ctx.calendar());
        print(opts.json ?? false, plan, () =>
          plan
            .map(
              (p) =>
                `${p.atLocal.slice(0, 16)}  ${p.point.id.padEnd(16)} ${p.point.window.start}..${p.point.window.end}  → ${p.point.act ?? 'bulletin (ranking, no act)'}`,
            )
            .join('\n'),
        );
      }),
    );

  assessment
    .command('run')
    .description('assess every city at one point; --dry-run prints verdicts and acts without issuing anything')
    .argument('<campaignId>')
    .requiredOption('--stage <pointId>', 'assessment point (see `assessment plan`), e.g. stage-1, final, month-2019-10')
    .option('--season <year>', 'season', parseSeason)
    .option('--dry-run', 'issue nothing')
    .option('--yes', 'issue without asking for confirmation')
    .option('--csv', 'with --dry-run: the bulletin as CSV, ranked by improvement')
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (
          ctx,
          id: string,
          opts: { stage: string; season?: number; dryRun?: boolean; yes?: boolean; csv?: boolean; json?: boolean },
        ) => {
          const policies = ctx.policies();
          const { campaign, targets } = refusing(() => campaignTargets(policies, id));
          const season = opts.season ?? campaign.season;
          const client = await tryClient(ctx);
          const shares = client
            ? await overdueSharesFromVisibility(client, id, season, assessedUnits(targets)).catch(() => undefined)
            : undefined;
          if (!shares)
            process.stderr.write(
              'lantian: Temporal not reachable: the share of overdue obligations (key tasks) is not measured\n',
            );
          const run = await withAssessmentStores(ctx, (s) =>
            refusingAsync(
              runPoint({
                policies,
                calendar: ctx.calendar(),
                store: s.airQuality,
                campaignId: id,
                season,
                pointId: opts.stage,
                overdueShares: shares,
              }),
            ),
          );
          const acts = run.results.filter((r) => r.act);
          const out = {
            campaignId: id,
            season,
            point: run.planned.point.id,
            assessedOn: run.planned.date,
            dryRun: !!opts.dryRun,
            results: run.results.map((r) => ({ ...r, figureLines: figureLines(r) })),
          };
          if (opts.dryRun && opts.csv) {
            process.stdout.write(bulletinCsv(run.results));
            return;
          }
          if (opts.dryRun || opts.json) {
            print(opts.json ?? false, out, () =>
              [
                `${id} ${season} ${run.planned.point.title} (${run.planned.point.window.start}..${run.planned.point.window.end}), dry run: nothing issued`,
                ...run.results.map(resultText),
                `${acts.length} act(s) would be issued`,
              ].join('\n'),
            );
            if (opts.dryRun) return;
          } else {
            process.stdout.write([...run.results.map(resultText), `${acts.length} act(s) to issue`].join('\n') + '\n');
          }
          if (!acts.length) return;
          if (!opts.yes) {
            const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
            const answer = await rl.question(`Issue ${acts.length} act(s) for ${run.planned.point.title}? [y/N] `);
            rl.close();
            if (!/^y(es)?$/i.test(answer.trim())) throw refused('cli_not_confirmed', {});
          }
          if (!client) throw refused('cli_acts_need_worker', {});
          // The acts go out through the same workflow and activities as the season's schedule, with the
          // same idempotency keys, so issuing a point twice (or here and on schedule) sends each act once.
          const workflowId = `${assessmentWorkflowId(id, season)}:run:${opts.stage}`;
          const nowIso = new Date().toISOString();
          const point = {
            id: run.planned.point.id,
            kind: run.planned.point.kind,
            title: run.planned.point.title,
            at: nowIso,
            atLocal: localIso(nowIso, campaign.timezone),
          };
          const handle = await client.workflow
            .start(assessmentWorkflow, {
              workflowId,
              taskQueue: ctx.env.LANTIAN_TASK_QUEUE,
              args: [{ campaignId: id, season, points: [point] }],
            })
            .catch((e) => {
              if (e instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(workflowId);
              throw e;
            });
          const record: AssessmentRecord = await handle.result();
          const issued = record.points.flatMap((p) => p.acts);
          const failed = record.points.flatMap((p) => p.failed);
          process.stdout.write(
            issued
              .map((a) => `issued ${a.documentNumber ?? ''} ${a.act} → ${a.code} ${a.name}: ${a.subject}`)
              .concat(failed.map((f) => `FAILED ${f.code}: ${f.reason}`))
              .join('\n') + '\n',
          );
          if (failed.length) process.exitCode = 1;
        },
      ),
    );

  assessment
    .command('launch')
    .description("start the season's durable assessment: each point waits for its date, assesses and issues the acts")
    .argument('<campaignId>')
    .option('--season <year>', 'season', parseSeason)
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, id: string, opts: { season?: number; json?: boolean }) => {
        const { campaign, targets } = refusing(() => campaignTargets(ctx.policies(), id));
        const season = opts.season ?? campaign.season;
        const points = planAssessments(campaign, targets, season, ctx.calendar()).map((p) => ({
          id: p.point.id,
          kind: p.point.kind,
          title: p.point.title,
          at: p.at,
          atLocal: p.atLocal,
        }));
        const client = await ctx.client();
        const workflowId = assessmentWorkflowId(id, season);
        let started = true;
        await client.workflow
          .start(assessmentWorkflow, {
            workflowId,
            taskQueue: ctx.env.LANTIAN_TASK_QUEUE,
            args: [{ campaignId: id, season, points }],
          })
          .catch((e) => {
            if (e instanceof WorkflowExecutionAlreadyStartedError) started = false;
            else throw e;
          });
        print(
          opts.json ?? false,
          { workflowId, started, points },
          () =>
            `${workflowId}: ${started ? 'started' : 'already running'}\n${points.map((p) => `  ${p.atLocal.slice(0, 16)}  ${p.id}`).join('\n')}`,
        );
      }),
    );

  assessment
    .command('show')
    .description('the acts issued to each city (its assessment timeline), from the durable record')
    .argument('<campaignId>')
    .option('--season <year>', 'season', parseSeason)
    .option('--city <code>')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, id: string, opts: { season?: number; city?: string; json?: boolean }) => {
        const { campaign } = refusing(() => campaignTargets(ctx.policies(), id));
        const season = opts.season ?? campaign.season;
        const acts = await withAssessmentStores(ctx, (s) => s.assessmentTimeline.read(id, season, opts.city));
        print(opts.json ?? false, acts, () =>
          acts
            .map(
              (a) =>
                `${a.issuedAtLocal.slice(0, 16)}  ${a.code} ${a.name}  ${a.point}  ${a.verdictCn}${a.falsified ? '（数据造假）' : ''}  ${a.act} ${a.documentNumber ?? ''}\n    ${a.reasons.join('；')}`,
            )
            .concat(`${acts.length} act(s)`)
            .join('\n'),
        );
      }),
    );
}

export function registerPace(program: Command) {
  const pace = program.command('pace').description('pace (序时进度) of quantitative obligations');
  pace
    .command('ranking')
    .description('organisations ranked by pace (most behind first): red, yellow and green obligations')
    .requiredOption('--campaign <id>')
    .option('--season <year>', 'season', parseSeason)
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, opts: { campaign: string; season?: number; json?: boolean }) => {
        const rows = await paceRanking(
          await ctx.client(),
          ctx.policies(),
          ctx.archive(),
          opts.campaign,
          opts.season,
          Date.now(),
        );
        print(opts.json ?? false, rows, () =>
          rows
            .map(
              (r, i) =>
                `${String(i + 1).padStart(3)}. ${r.assignee.padEnd(10)} red ${r.red}  yellow ${r.yellow}  green ${r.green}  behind ${(r.meanBehind * 100).toFixed(1)}%`,
            )
            .concat(`${rows.length} organisation(s)`)
            .join('\n'),
        );
      }),
    );
}
