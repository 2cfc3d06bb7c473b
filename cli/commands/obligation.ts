import fs from 'node:fs';
import path from 'node:path';
import { cleanText, parseQuantity as parsePlainQuantity } from '../../client/input';
import { isLocalDate } from '../../domain/local-date';
import { DateTime } from 'luxon';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { statuses } from '../../domain/statuses';
import { action, explain, explainChange, print, Refusal, refusal, type Ctx } from '../context';
import { PolicyError, type PolicySet } from '../../planner/load';
import { parseSeason } from './policy';
import {
  listObligations,
  obligationRecord,
  extend,
  correctDueDate,
  acknowledge,
  waive,
  submitEvidenceFile,
  review,
} from '../../client/obligations';
import { submissionRefusal } from '../../domain/submission';
import { message } from '../../i18n/messages';
import { WorkflowNotFoundError } from '@temporalio/client';
import crypto from 'node:crypto';
import type { Actor, ObligationRecord } from '../../domain/obligation';
import { paceForRecord, paceOfObligations } from '../../client/pace';
import { prepareReportCsv } from '../../planner/assessment';
import { lazyAssessmentStores } from '../../storage/stores';
import { CsvRefused } from '../../storage/air-quality-csv';

const office = (): Actor => ({ role: 'office', id: process.env.LANTIAN_USER ?? process.env.USER ?? 'office' });

function parseLevel(v: string): number {
  if (!/^\d$/.test(v)) throw new InvalidArgumentError(`expected a level 0–9, not ${v}`);
  return Number(v);
}
function parseDate(v: string): string {
  if (!isLocalDate(v)) throw new InvalidArgumentError(`expected a date YYYY-MM-DD that exists, not ${v}`);
  return v;
}
/** A plain decimal within bounds, as the web app takes it (client/input.ts): not 0x10, 1e300 or Infinity. */
function parseQuantity(v: string): number {
  const q = parsePlainQuantity(v);
  if ('refused' in q) throw new InvalidArgumentError(q.refused);
  return q.value;
}

const localInstant = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');

export function timelineText(r: ObligationRecord): string {
  const i = r.input;
  const head = [
    `${r.workflowId}`,
    `  ${i.title} — ${i.assignee.name} (${i.assignee.code})${i.period ? `, period ${i.period}` : ''}`,
    `  clause ${i.clause.section}${i.clause.item ?? ''}${i.clause.text ? ` “${i.clause.text}”` : ''}`,
    `  status ${r.status}${r.overdue && r.status === 'submitted' ? ' (overdue)' : ''}, level ${r.level}, due ${r.dueDate} (deadline ${r.deadlineLocal ?? r.deadline})${i.quantity ? `, ${r.accepted}/${i.quantity.value} ${i.quantity.unit} accepted` : ''}`,
    ...(r.assumedYears?.length
      ? [
          `  planned on a provisional calendar: ${r.assumedYears.join(', ')} counted Monday to Friday until its holiday notice is in the calendar`,
        ]
      : []),
    '',
    'timeline (Asia/Shanghai):',
  ];
  const lines = r.timeline.map((e) => {
    const who = e.actor.role === 'system' ? '' : ` by ${e.actor.role} ${e.actor.org ?? e.actor.id}`;
    const what = [
      e.entry,
      e.evidenceId,
      e.dueDate && `due ${e.dueDate}`,
      e.previousDueDate && `was ${e.previousDueDate}`,
      e.level && `level ${e.level}`,
    ]
      .filter(Boolean)
      .join(', ');
    const notice = e.notice
      ? `\n      notice “${e.notice.subject}” → ${e.notice.to.join(', ')}${e.notice.cc.length ? ` cc ${e.notice.cc.join(', ')}` : ''} (${e.notice.transport})` +
        (e.notice.delivery ?? [])
          .map(
            (d) =>
              `\n        ${localInstant(d.at, r.input.timezone)}  ${d.state}${d.attempt && d.attempt > 1 ? ` (attempt ${d.attempt})` : ''}${d.response ? `: ${d.response}` : ''}${d.reason ? `: ${d.reason}` : ''}`,
          )
          .join('')
      : '';
    return `  ${e.atLocal.slice(0, 16).replace('T', ' ')}  ${e.type}${what ? ` [${what}]` : ''}${who}${e.reason ? `: ${e.reason}` : ''}${notice}`;
  });
  const queued = (r.queuedNotices ?? []).map(
    (q) =>
      `  ${localInstant(q.queuedAt, r.input.timezone)}  ${q.kind}${q.level ? ` (level ${q.level})` : ''}: queued, not yet delivered (retrying)  ${q.key}`,
  );
  const pending = r.schedule
    .filter((e) => !e.done)
    .map((e) => `  ${e.atLocal.slice(0, 16).replace('T', ' ')}  ${e.key}`);
  return [
    ...head,
    ...lines,
    ...(queued.length ? ['', 'notices waiting for delivery:', ...queued] : []),
    ...(pending.length && !r.closedAt ? ['', 'still to come:', ...pending] : []),
  ].join('\n');
}

export function registerObligation(program: Command) {
  const obligation = program.command('obligation').description('list, inspect, extend and waive obligations');

  obligation
    .command('list')
    .description('obligations through Temporal visibility, by deadline')
    .option('--campaign <id>')
    .option('--season <year>', 'season', parseSeason)
    .option('--obligation <id>')
    .option('--assignee <code>')
    .option('--province <code>')
    .addOption(new Option('--status <status>', 'status now').choices(statuses))
    .option('--level <n>', 'escalation level reached, at least', parseLevel)
    .option('--pace', 'also the pace colour of quantitative obligations (green / yellow / red; reads each record)')
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (
          ctx,
          opts: {
            json?: boolean;
            pace?: boolean;
            campaign?: string;
            season?: number;
            obligation?: string;
            assignee?: string;
            province?: string;
            status?: string;
            level?: number;
          },
        ) => {
          // A filter naming what the policies do not know is a typo, not an empty answer.
          withPolicies(ctx, undefined, (p) => {
            if (opts.campaign && !p.campaigns.has(opts.campaign))
              throw refusal('cli_no_campaign', {
                flag: '--campaign',
                campaign: opts.campaign,
                known: [...p.campaigns.keys()].join(', '),
              });
            const campaigns = opts.campaign ? [p.campaigns.get(opts.campaign)!] : [...p.campaigns.values()];
            if (opts.obligation && !campaigns.some((c) => c.obligations.some((o) => o.id === opts.obligation))) {
              throw refusal('cli_no_obligation', { obligation: opts.obligation, campaign: opts.campaign ?? '' });
            }
            for (const [flag, code] of [
              ['--assignee', opts.assignee],
              ['--province', opts.province],
            ] as const) {
              if (code && !p.organisations.has(code)) throw refusal('cli_no_organisation', { flag, code });
              const org = code ? p.organisations.get(code) : undefined;
              if (flag === '--province' && org && org.kind !== 'province')
                throw refusal('cli_not_a_province', { code: org.code, name: org.name });
            }
          });
          if (opts.pace) {
            const paced = await paceOfObligations(await ctx.client(), ctx.policies(), ctx.archive(), opts, Date.now());
            print(opts.json ?? false, paced, () =>
              paced
                .map(
                  (p) =>
                    `${p.pace.colour.padEnd(6)} ${String(p.pace.reported).padStart(8)} / ${p.pace.target} (expected ${Math.round(p.pace.expected * 100) / 100})  ${p.workflowId}`,
                )
                .concat(`${paced.length} quantitative obligations`)
                .join('\n'),
            );
            return;
          }
          const rows = await listObligations(await ctx.client(), opts);
          print(opts.json ?? false, rows, () =>
            rows
              .map(
                (r) =>
                  `${(r.deadline ?? '').slice(0, 10)}  ${(r.status ?? '').padEnd(9)} L${r.level ?? 0}  ${r.workflowId}`,
              )
              .concat(`${rows.length} obligation${rows.length === 1 ? '' : 's'}`)
              .join('\n'),
          );
        },
      ),
    );

  obligation
    .command('show')
    .description('status and the full timeline of one obligation')
    .argument('<workflowId>')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, id: string, opts: { json?: boolean }) => {
        const r = await obligationRecord(await ctx.client(), ctx.archive(), id).catch((e) => {
          throw explain(e, id);
        });
        // Reading a timeline must not depend on every policy file being valid: pace needs them, the timeline does not.
        const pace = withPolicies(ctx, 'pace not shown', (p) => paceForRecord(p, r, Date.now()));
        print(
          opts.json ?? false,
          pace ? { ...r, pace } : r,
          () =>
            timelineText(r) +
            (pace
              ? `\n\npace (序时进度): ${pace.colour} — ${pace.reported} reported of ${pace.target}, ${Math.round(pace.expected * 100) / 100} expected by now`
              : ''),
        );
      }),
    );

  obligation
    .command('extend')
    .description('move the deadline; every later reminder and escalation step moves with it')
    .argument('<workflowId>')
    .requiredOption('--to <date>', 'new due date (YYYY-MM-DD, local)', parseDate)
    .requiredOption('--reason <text>', 'why', cleanText)
    .option('--confirm', "the date is past the end of the campaign's next season, and meant")
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, id: string, opts: { to: string; reason: string; confirm?: boolean; json?: boolean }) => {
        const client = await ctx.client();
        const r = await extend(client, id, office(), opts.to, opts.reason, opts.confirm).catch(async (e) => {
          throw await explainChange(client, e, id);
        });
        print(opts.json ?? false, { workflowId: id, ...r }, () => `${id}: due ${r.dueDate}`);
      }),
    );

  obligation
    .command('correct')
    .description('correct a due date entered wrong (earlier or later); every step moves with it')
    .argument('<workflowId>')
    .requiredOption('--to <date>', 'the right due date (YYYY-MM-DD, local)', parseDate)
    .requiredOption('--reason <text>', 'why', cleanText)
    .option('--confirm', "the date is past the end of the campaign's next season, and meant")
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, id: string, opts: { to: string; reason: string; confirm?: boolean; json?: boolean }) => {
        const client = await ctx.client();
        const r = await correctDueDate(client, id, office(), opts.to, opts.reason, opts.confirm).catch(async (e) => {
          throw await explainChange(client, e, id);
        });
        print(opts.json ?? false, { workflowId: id, ...r }, () => `${id}: due ${r.dueDate}`);
      }),
    );

  obligation
    .command('acknowledge')
    .description('签收: the addressee acknowledges receipt of a letter, by its 文号')
    .argument('<workflowId>')
    .argument('<documentNumber>', "the letter's 文号, e.g. 京津冀大气办〔2026〕5号")
    .requiredOption('--as <assigneeCode>', 'the addressed organisation')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, id: string, documentNumber: string, opts: { as: string; json?: boolean }) => {
        const client = await ctx.client();
        const rec = await obligationRecord(client, ctx.archive(), id).catch(async (e) => {
          throw await explainChange(client, e, id);
        });
        const letter = rec.notices.find((n) => n.documentNumber === documentNumber);
        if (!letter)
          throw refusal('cli_no_letter', {
            id,
            documentNumber,
            letters: rec.notices.flatMap((n) => n.documentNumber ?? []).join(', '),
          });
        const actor: Actor = { role: 'assignee', id: process.env.LANTIAN_USER ?? opts.as, org: opts.as };
        const r = await acknowledge(client, id, actor, letter.key).catch(async (e) => {
          throw await explainChange(client, e, id);
        });
        print(
          opts.json ?? false,
          { workflowId: id, ...r },
          () => `${id}: ${documentNumber} acknowledged at ${r.acknowledged?.at ?? ''}`,
        );
      }),
    );

  obligation
    .command('waive')
    .description('waive an obligation; escalation stops')
    .argument('<workflowId>')
    .requiredOption('--reason <text>', 'why', cleanText)
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, id: string, opts: { reason: string; json?: boolean }) => {
        const client = await ctx.client();
        const r = await waive(client, id, office(), opts.reason).catch(async (e) => {
          throw await explainChange(client, e, id);
        });
        print(opts.json ?? false, { workflowId: id, ...r }, () => `${id}: ${r.status}`);
      }),
    );
}

export function registerEvidence(program: Command) {
  const evidence = program.command('evidence').description('submit and review evidence');

  evidence
    .command('submit')
    .description('upload a file as evidence for an obligation; prints the receipt')
    .argument('<workflowId>')
    .argument('<file>')
    .requiredOption('--as <assigneeCode>', 'the assignee submitting')
    .option('--note <text>', 'a note for the office', cleanText)
    .option('--quantity <n>', 'quantity achieved to date', parseQuantity)
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (
          ctx,
          id: string,
          file: string,
          opts: { as: string; note?: string; quantity?: number; json?: boolean },
        ) => {
          const actor: Actor = { role: 'assignee', id: process.env.LANTIAN_USER ?? opts.as, org: opts.as };
          // A data report's CSV is checked whole before it is sent, and its figures stored once received.
          // Evidence goes in even when some policy file is broken; only a data report's figures wait (for `data import`).
          // Opened only for a data report's figures (PostgreSQL or the data folder).
          const figures = lazyAssessmentStores(ctx.env);
          const report = await (async () => {
            try {
              return fs.existsSync(file)
                ? await withPolicies(
                    ctx,
                    file.toLowerCase().endsWith('.csv')
                      ? 'figures of a data report not checked or imported (import them later with `data import`)'
                      : undefined,
                    (p) => prepareReportCsv(p, figures.airQuality, id, file, actor.id),
                  )
                : undefined;
            } catch (e) {
              throw e instanceof CsvRefused ||
                (e as Error).name === 'ImportRefused' ||
                (e as Error).name === 'AssessmentRefused'
                ? new Refusal((e as Error).message)
                : e;
            }
          })();
          const client = await ctx.client();
          if (!fs.existsSync(file)) throw refusal('cli_file_unreadable', { file });
          // What the record already refuses is refused before the file is stored. A record that
          // cannot be read now (a busy worker) leaves the judging to the Update, which waits.
          const rec = await obligationRecord(client, ctx.archive(), id).catch(async (e) => {
            if (e instanceof WorkflowNotFoundError) throw await explainChange(client, e, id);
            return undefined;
          });
          const sha256 = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
          withPolicies(ctx, undefined, (p) => {
            if (!p.organisations.has(opts.as)) throw refusal('cli_no_organisation', { flag: '--as', code: opts.as });
          });
          const refused = rec && submissionRefusal(rec, { actor, quantity: opts.quantity, sha256 });
          if (refused)
            throw refusal('cli_evidence_refused', {
              id,
              reason: message(refused.code, refused.params as never),
              hint: refused.code === 'evidence_quantity_missing' ? '--quantity <n>' : '',
            });
          const receipt = await submitEvidenceFile(client, ctx.evidence(), id, file, actor, {
            note: opts.note,
            quantity: opts.quantity,
          }).catch(async (e) => {
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw refusal('cli_file_unreadable', { file });
            throw await explainChange(client, e, id);
          });
          const imported = await report?.apply().finally(() => figures.close());
          print(
            opts.json ?? false,
            imported ? { ...receipt, imported } : receipt,
            () =>
              (imported ? `daily figures: ${imported.added} added, ${imported.unchanged} unchanged\n` : '') +
              `receipt ${receipt.evidenceId} for ${id}\n  sha256 ${receipt.sha256}\n  size ${receipt.size} bytes\n  received ${receipt.receivedAtLocal}\n  state ${receipt.state}`,
          );
        },
      ),
    );

  evidence
    .command('get')
    .description(
      'copy an evidence file out of the store (checked against its sha256); by default under its original name in this folder',
    )
    .argument('<workflowId>')
    .argument('<evidenceId>')
    .option('--out <file>', 'where to write it (- for standard output)')
    .option('--force', 'overwrite --out if it exists')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, id: string, evidenceId: string, opts: { out?: string; force?: boolean; json?: boolean }) => {
        const client = await ctx.client();
        const rec = await obligationRecord(client, ctx.archive(), id).catch(async (e) => {
          if (e instanceof WorkflowNotFoundError) throw await explainChange(client, e, id);
          throw e;
        });
        const ev = rec.evidence.find((e) => e.id === evidenceId);
        if (!ev)
          throw refusal('cli_no_evidence', {
            id,
            evidence: evidenceId,
            known: rec.evidence.map((e) => e.id).join(', '),
          });
        const bytes = await ctx.evidence().get(ev.sha256);
        if (!bytes) throw refusal('cli_evidence_missing', { id, evidence: evidenceId, sha256: ev.sha256 });
        if (crypto.createHash('sha256').update(bytes).digest('hex') !== ev.sha256)
          throw refusal('cli_evidence_corrupt', { id, evidence: evidenceId, sha256: ev.sha256 });
        if (opts.out === '-') {
          process.stdout.write(bytes);
          return;
        }
        const out = opts.out ?? path.basename(ev.fileName.replace(/\\/g, '/'));
        if (fs.existsSync(out) && !opts.force) throw refusal('cli_out_exists', { file: out });
        fs.writeFileSync(out, bytes);
        print(
          opts.json ?? false,
          {
            workflowId: id,
            evidenceId,
            fileName: ev.fileName,
            mediaType: ev.mediaType,
            sha256: ev.sha256,
            size: bytes.length,
            out,
          },
          () => `${id} ${evidenceId}: ${ev.fileName} (${ev.mediaType}, ${bytes.length} bytes) written to ${out}`,
        );
      }),
    );

  evidence
    .command('review')
    .description('accept or reject submitted evidence')
    .argument('<workflowId>')
    .argument('<evidenceId>')
    .option('--accept')
    .option('--reject')
    .option('--reason <text>', 'required for a rejection', cleanText)
    .option('--json', 'machine-readable output')
    .action(
      action(
        async (
          ctx,
          id: string,
          evidenceId: string,
          opts: { accept?: boolean; reject?: boolean; reason?: string; json?: boolean },
        ) => {
          if (!!opts.accept === !!opts.reject) throw refusal('cli_review_decision', {});
          const client = await ctx.client();
          const ev = await review(
            client,
            id,
            office(),
            evidenceId,
            opts.accept ? 'accept' : 'reject',
            opts.reason,
          ).catch(async (e) => {
            throw await explainChange(client, e, id);
          });
          print(opts.json ?? false, ev, () => `${id} ${ev.id}: ${ev.state}`);
        },
      ),
    );
}

/** `fn` over the loaded policies; when they do not load, a note on stderr saying what is skipped (if it matters), and undefined. */
function withPolicies<T>(ctx: Ctx, skipped: string | undefined, fn: (p: PolicySet) => T): T | undefined {
  let policies: PolicySet;
  try {
    policies = ctx.policies();
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    if (skipped)
      process.stderr.write(
        `lantian: ${skipped}: the policies do not load (${e.issues.length} error${e.issues.length === 1 ? '' : 's'}; see \`policy validate\`)\n`,
      );
    return undefined;
  }
  return fn(policies);
}
