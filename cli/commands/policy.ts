import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { action, print, refusal } from '../context';
import { formatIssue, loadPolicies, PolicyError, type PolicyIssue, type PolicySet } from '../../planner/load';
import { loadCalendar, CalendarDataError, CalendarCoverageError } from '../../domain/calendar';
import { resolveCampaign, type PlanRow } from '../../planner/resolve';
import { coverageMarkdown, coverageTable } from '../../planner/coverage';
import { repoRoot } from '../../config/env';

export function planView(r: PlanRow) {
  return {
    workflowId: r.workflowId,
    obligationId: r.obligationId,
    clause: r.clause,
    assignee: r.assignee,
    assigneeName: r.assigneeName,
    ...(r.period ? { period: r.period } : {}),
    dueDate: r.dueDate,
    ...(r.statedDueDate !== r.dueDate ? { statedDueDate: r.statedDueDate } : {}),
    deadline: r.deadline,
    ...(r.quantity ? { quantity: r.quantity } : {}),
    ladder: r.ladder,
  };
}

export function registerPolicy(program: Command) {
  const policy = program.command('policy').description('validate and inspect policy files');

  policy
    .command('validate')
    .description('validate a campaign file, or a whole policy folder; every error is listed')
    .argument('<path>', 'a campaign YAML file or a policy folder')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, target: string, opts: { json?: boolean }) => {
        if (!fs.existsSync(target)) throw refusal('cli_path_missing', { path: target });
        const abs = path.resolve(target);
        const isDir = fs.statSync(abs).isDirectory();
        // A campaign file (or the campaigns folder) is checked against the policy folder it lies
        // in — its organisations, directory and templates — or else the configured one.
        const campaignsDir = isDir ? abs : path.dirname(abs);
        const inPolicyFolder =
          path.basename(campaignsDir) === 'campaigns' && fs.existsSync(path.join(campaignsDir, '..', 'organisations'));
        const root = inPolicyFolder ? path.dirname(campaignsDir) : ctx.env.LANTIAN_POLICIES_DIR;
        // The holiday calendar of that folder is policy too: its errors are reported with the rest.
        const calendarFile = path.join(isDir && !inPolicyFolder ? abs : root, 'calendar', 'cn-public-holidays.yaml');
        const issues: PolicyIssue[] = [];
        if (fs.existsSync(calendarFile)) {
          try {
            loadCalendar(calendarFile);
          } catch (e) {
            if (!(e instanceof CalendarDataError)) throw e;
            issues.push(...e.issues);
          }
        }
        let set: PolicySet | undefined;
        try {
          // A campaigns folder is all of its policy folder's campaigns: check that folder whole.
          set = isDir ? loadPolicies(inPolicyFolder ? root : abs) : loadPolicies(root, [abs]);
        } catch (e) {
          if (!(e instanceof PolicyError)) throw e;
          issues.push(...e.issues);
        }
        if (issues.length || !set) {
          if (opts.json) print(true, { valid: false, issues }, () => '');
          throw refusal('cli_policy_invalid', {
            count: issues.length,
            issues: issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
          });
        }
        const loaded = set;
        const obligations = [...loaded.campaigns.values()].reduce((n, c) => n + c.obligations.length, 0);
        print(
          opts.json ?? false,
          {
            valid: true,
            campaigns: [...loaded.campaigns.keys()],
            organisations: loaded.organisations.size,
            obligations,
          },
          () =>
            `valid: ${loaded.campaigns.size} campaign(s) (${[...loaded.campaigns.keys()].join(', ')}), ${loaded.organisations.size} organisations, ${obligations} obligations, holiday calendar ${fs.existsSync(calendarFile) ? 'checked' : 'not in this folder'}`,
        );
      }),
    );

  registerCoverage(policy);

  policy
    .command('list')
    .description('the campaigns in the policy folder')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, opts: { json?: boolean }) => {
        const list = [...ctx.policies().campaigns.values()].map((c) => ({
          id: c.id,
          title: c.title,
          season: c.season,
          period: c.period,
          obligations: c.obligations.length,
          file: c.file,
        }));
        print(opts.json ?? false, list, () =>
          list
            .map(
              (c) =>
                `${c.id}  season ${c.season}  ${c.period.start}…${c.period.end}  ${c.obligations} obligations  ${c.title}`,
            )
            .join('\n'),
        );
      }),
    );

  policy
    .command('show')
    .description('the resolved plan: one row per obligation × assignee × period')
    .argument('<campaignId>')
    .option('--season <year>', "the autumn–winter starting in this year (default: the campaign's own)", parseSeason)
    .option(
      '--provisional-calendar',
      'count a year the holiday calendar has no notice for yet Monday to Friday (as `campaign launch --provisional-calendar` plans it)',
    )
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (ctx, campaignId: string, opts: { season?: number; provisionalCalendar?: boolean; json?: boolean }) => {
          const rows = withProvisionalHint(() =>
            resolveCampaign(ctx.policies(), campaignId, ctx.calendar(), opts.season, opts.provisionalCalendar),
          ).map(planView);
          print(opts.json ?? false, rows, () =>
            rows
              .map(
                (r) =>
                  `${r.dueDate}  ${r.obligationId.padEnd(40)} ${r.assignee.padEnd(14)} ${r.period ?? ''}${r.quantity ? `  ${r.quantity.value} ${r.quantity.unit}` : ''}`,
              )
              .concat(`${rows.length} rows`)
              .join('\n'),
          );
        },
      ),
    );
}

export function registerCoverage(policy: Command) {
  policy
    .command('coverage')
    .description('the clause → obligation table of every campaign (docs/policy-coverage.md)')
    .option('--seeds <dir>', 'folder of the source documents', path.join(repoRoot, '..', 'shared', 'seeds'))
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, opts: { seeds: string; json?: boolean }) => {
        const campaigns = [...ctx.policies().campaigns.values()];
        const docs = new Map<string, string>();
        for (const c of campaigns) {
          const file = c.source.file && path.join(opts.seeds, c.source.file);
          if (file && fs.existsSync(file)) docs.set(c.id, fs.readFileSync(file, 'utf8'));
        }
        if (opts.json) print(true, coverageTable(campaigns, docs), () => '');
        else process.stdout.write(coverageMarkdown(campaigns, docs));
      }),
    );
}

export function parseSeason(v: string): number {
  const n = Number(v);
  if (!/^\d{4}$/.test(v) || n < 2000 || n > 2100)
    throw new InvalidArgumentError(`expected a year such as 2026, not ${v}`);
  return n;
}

/** A plan the calendar cannot make yet: say how to see it on a provisional calendar. */
export function withProvisionalHint<T>(plan: () => T): T {
  try {
    return plan();
  } catch (e) {
    if (e instanceof CalendarCoverageError) throw refusal('cli_provisional_hint', { detail: e.message });
    throw e;
  }
}
