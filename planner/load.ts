// Loads and validates the policy folder: organisations, campaigns and notice templates.
// Every problem of every file is collected (file, line, YAML path, reason) before anything is
// returned, so an office fixes a file in one pass and nothing launches from an invalid one.
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { z } from 'zod';
import {
  campaign as campaignSchema,
  obligation as obligationSchema,
  organisationsFile,
  type Campaign,
  type Obligation,
  type Organisation,
  type EscalationStep,
  escalationStep,
  builtInLadder,
  ladderNamed,
} from '../domain/policy-schema';
import { checkTemplate, TemplateError } from '../notices/render';
import { loadTargets } from './load-targets';
import type { CampaignTargets } from '../domain/targets';
import { sampleDigestContext, sampleNoticeContext } from '../notices/context';
import { directoryFile, rolesNeeded, type RecipientChannels, type ReminderDelivery } from '../notices/directory';
import { selectAssignees } from './resolve';

export interface PolicyIssue {
  file: string;
  line?: number;
  path: string;
  reason: string;
}

export function formatIssue(i: PolicyIssue): string {
  return `${i.file}${i.line ? `:${i.line}` : ''} ${i.path ? `${i.path}: ` : ''}${i.reason}`;
}

export class PolicyError extends Error {
  constructor(readonly issues: PolicyIssue[]) {
    super(
      `${issues.length} policy error${issues.length === 1 ? '' : 's'}:\n${issues.map((i) => '  ' + formatIssue(i)).join('\n')}`,
    );
    this.name = 'PolicyError';
  }
}

export interface LoadedCampaign extends Campaign {
  file: string;
}

export interface PolicySet {
  dir: string;
  organisations: Map<string, Organisation>;
  campaigns: Map<string, LoadedCampaign>;
  templatesDir: string;
  templates: Set<string>;
  /** Air-quality targets and assessment rules per campaign id (policies/targets). */
  targets: Map<string, CampaignTargets>;
  /** How each recipient (organisation code) takes its reminders (policies/directory). */
  reminderDelivery: Map<string, ReminderDelivery>;
  /** Each recipient's chat and webhook channels besides e-mail (policies/directory `channels`). */
  channels: Map<string, RecipientChannels>;
}

export interface ParsedFile {
  file: string;
  doc: Document;
  counter: LineCounter;
}

/** Path as offices read it: obligations[3].deadline. */
export function formatPath(p: ReadonlyArray<PropertyKey>): string {
  return p.map((k, idx) => (typeof k === 'number' ? `[${k}]` : idx === 0 ? String(k) : `.${String(k)}`)).join('');
}

function lineOf(parsed: ParsedFile, p: ReadonlyArray<PropertyKey>): number | undefined {
  // Walk up from the full path until a node exists (a missing key reports its parent's line).
  for (let n = p.length; n >= 0; n--) {
    const node = parsed.doc.getIn(p.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return parsed.counter.linePos(node.range[0]).line;
  }
  return undefined;
}

function parseYaml(file: string, rel: string, issues: PolicyIssue[]): ParsedFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    issues.push({ file: rel, path: '', reason: `cannot be read: ${(e as Error).message}` });
    return undefined;
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    for (const err of doc.errors) {
      issues.push({
        file: rel,
        line: counter.linePos(err.pos[0]).line,
        path: '',
        reason: `YAML: ${err.message.split('\n')[0]}`,
      });
    }
    return undefined;
  }
  return { file: rel, doc, counter };
}

function validate<T extends z.ZodType>(schema: T, parsed: ParsedFile, issues: PolicyIssue[]): z.infer<T> | undefined {
  const result = schema.safeParse(parsed.doc.toJS());
  if (result.success) return result.data;
  for (const issue of result.error.issues.flatMap((i) => unfoldUnion(i))) {
    // An unknown key is shown on its own line, where the typo is.
    const at =
      issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...issue.path, issue.keys[0]] : issue.path;
    issues.push({
      file: parsed.file,
      line: lineOf(parsed, at),
      path: formatPath(issue.path),
      reason: describe(issue, parsed),
    });
  }
  return undefined;
}

/**
 * "matches none of the allowed forms" helps nobody: report the issues of the form the value
 * came closest to (the branch whose problems lie deepest, i.e. whose keys matched).
 */
function unfoldUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || !('errors' in issue) || !issue.errors?.length) return [issue];
  const depth = (branch: z.core.$ZodIssue[]) =>
    Math.min(
      ...branch.map((i) =>
        i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.path.length === 0) ? -1 : i.path.length,
      ),
    );
  const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0];
  if (depth(best) < 0) return [issue];
  return best.flatMap((i) => unfoldUnion({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue));
}

function describe(issue: z.core.$ZodIssue, parsed: ParsedFile): string {
  const value = parsed.doc.getIn(issue.path as unknown[]);
  const shown = value === undefined || typeof value === 'object' ? '' : `${JSON.stringify(value)} `;
  if (issue.code === 'invalid_union' && value === undefined) return 'is required';
  if (issue.code === 'invalid_union') return `${shown}matches none of the allowed forms`.trim();
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && value === undefined) return `is required (${issue.expected})`;
  return `${shown}${issue.message}`;
}

function yamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Loads the whole policy folder. With `only`, campaign files are limited to those paths
 * (organisations and templates always come from the folder, unless templatesDir says otherwise).
 */
export function loadPolicies(dir: string, only?: string[], templatesDir = path.join(dir, 'templates')): PolicySet {
  const issues: PolicyIssue[] = [];
  // Relative to where the command runs; a file outside it by its full path (no ../../ chains).
  const rel = (f: string) => {
    const r = path.relative(process.cwd(), f);
    return !r ? f : r.startsWith('..') ? path.resolve(f) : r;
  };

  const organisations = new Map<string, Organisation>();
  for (const file of yamlFiles(path.join(dir, 'organisations'))) {
    const parsed = parseYaml(file, rel(file), issues);
    const data = parsed && validate(organisationsFile, parsed, issues);
    if (!parsed || !data) continue;
    data.organisations.forEach((org, i) => {
      if (organisations.has(org.code)) {
        issues.push({
          file: parsed.file,
          line: lineOf(parsed, ['organisations', i, 'code']),
          path: `organisations[${i}].code`,
          reason: `duplicate organisation code ${org.code}`,
        });
      }
      organisations.set(org.code, org);
    });
  }
  for (const [code, org] of organisations) {
    if (org.parent && !organisations.has(org.parent)) {
      issues.push({
        file: rel(path.join(dir, 'organisations')),
        path: code,
        reason: `parent ${org.parent} of ${org.name} is not a known organisation`,
      });
    }
  }

  const beforeDirectory = issues.length;
  const channels = new Map<string, RecipientChannels>();
  const reminderDelivery = loadDirectory(path.join(dir, 'directory'), organisations, rel, issues, channels);
  // A broken directory would make every assignee look contact-less: report it alone.
  const directoryValid = issues.length === beforeDirectory;

  const templates = new Set(
    fs.existsSync(templatesDir)
      ? fs
          .readdirSync(templatesDir)
          .filter((f) => f.endsWith('.hbs'))
          .map((f) => f.replace(/\.hbs$/, ''))
      : [],
  );

  checkTemplates(templatesDir, templates, rel, issues);
  if ([...reminderDelivery.values()].includes('daily-digest') && !templates.has('digest')) {
    issues.push({
      file: rel(templatesDir),
      path: '',
      reason: 'template digest.hbs is missing (a recipient in policies/directory takes daily digests)',
    });
  }

  const campaigns = new Map<string, LoadedCampaign>();
  const failed = new Set<string>();
  const files = only ?? yamlFiles(path.join(dir, 'campaigns'));
  for (const file of files) {
    const parsed = parseYaml(file, rel(file), issues);
    if (!parsed) continue;
    const data = validate(campaignSchema, parsed, issues);
    if (!data) {
      // Every error of the file in one run: the cross-checks still look at the parts that parsed.
      const part = partialCampaign(parsed.doc.toJS());
      checkCampaign(part, parsed, organisations, templates, issues);
      if (part.id) failed.add(part.id);
      continue;
    }
    const before = issues.length;
    checkCampaign(data, parsed, organisations, templates, issues);
    if (issues.length === before && directoryValid)
      checkContacts({ ...data, file: parsed.file }, parsed, organisations, issues);
    if (campaigns.has(data.id)) {
      issues.push({
        file: parsed.file,
        line: lineOf(parsed, ['id']),
        path: 'id',
        reason: `campaign id ${data.id} is also used by ${campaigns.get(data.id)!.file}`,
      });
    }
    if (issues.length === before) campaigns.set(data.id, { ...data, file: parsed.file });
    else failed.add(data.id);
  }

  const targets = loadTargets(
    path.join(dir, 'targets'),
    templatesDir,
    campaigns,
    organisations,
    {
      parse: (file) => parseYaml(file, rel(file), issues),
      validate: (schema, parsed) => validate(schema, parsed, issues),
      at: (parsed, p, reason) =>
        issues.push({ file: parsed.file, line: lineOf(parsed, p), path: formatPath(p), reason }),
      issue: (i) => issues.push(i),
      rel,
    },
    only !== undefined,
    failed,
  );

  if (issues.length) throw new PolicyError(issues);
  return { dir, organisations, campaigns, templatesDir, templates, targets, reminderDelivery, channels };
}

/**
 * policies/directory/*.yaml: contacts per organisation and role, merged into the organisations
 * (contacts written inline on an organisation still count). Returns each recipient's reminder mode;
 * its channels go into `channels`.
 */
function loadDirectory(
  dir: string,
  orgs: Map<string, Organisation>,
  rel: (f: string) => string,
  issues: PolicyIssue[],
  channels: Map<string, RecipientChannels>,
): Map<string, ReminderDelivery> {
  const modes = new Map<string, ReminderDelivery>();
  const seen = new Map<string, string>();
  for (const file of yamlFiles(dir)) {
    const parsed = parseYaml(file, rel(file), issues);
    const data = parsed && validate(directoryFile, parsed, issues);
    if (!parsed || !data) continue;
    data.entries.forEach((e, i) => {
      const at = (p: (string | number)[], reason: string) =>
        issues.push({ file: parsed.file, line: lineOf(parsed, p), path: formatPath(p), reason });
      const org = orgs.get(e.organisation);
      if (!org)
        return at(
          ['entries', i, 'organisation'],
          `${e.organisation} is not a known organisation (policies/organisations)`,
        );
      if (seen.has(e.organisation))
        return at(['entries', i, 'organisation'], `${e.organisation} is already listed (${seen.get(e.organisation)})`);
      seen.set(e.organisation, `${parsed.file} entries[${i}]`);
      for (const [role, c] of Object.entries(e.contacts)) {
        for (const one of Array.isArray(c) ? c : c ? [c] : []) {
          org.contacts.push({
            role: role as Organisation['contacts'][number]['role'],
            email: one.email,
            ...(one.name ? { name: one.name } : {}),
          });
        }
      }
      modes.set(e.organisation, e.reminders ?? data.defaults.reminders);
      if (e.channels) channels.set(e.organisation, e.channels);
    });
  }
  return modes;
}

/**
 * Every assignee has a contact for every role its notices go to: reminders to the environment
 * bureau, each ladder step to its recipients. One issue per organisation and role, at the first
 * obligation that needs it — a notice is never silently dropped or sent to a made-up address.
 */
function checkContacts(
  c: LoadedCampaign,
  parsed: ParsedFile,
  orgs: Map<string, Organisation>,
  issues: PolicyIssue[],
): void {
  const reported = new Set<string>();
  c.obligations.forEach((o, i) => {
    const ladder = Array.isArray(o.ladder)
      ? o.ladder
      : (ladderNamed(c.ladders, typeof o.ladder === 'string' ? o.ladder : c.defaults.ladder) ?? []);
    const needs: { role: string; why: string }[] = [
      ...((o.reminders ?? c.defaults.reminders).length
        ? rolesNeeded([], false).map((role) => ({ role, why: 'reminders' }))
        : []),
      ...ladder.flatMap((s) =>
        rolesNeeded(s.recipients, true).map((role) => ({ role, why: `escalation step ${s.kind}` })),
      ),
    ];
    for (const org of selectAssignees(o.assignees, c, orgs)) {
      for (const n of needs) {
        const k = `${org.code}/${n.role}`;
        if (reported.has(k) || org.contacts.some((x) => x.role === n.role)) continue;
        reported.add(k);
        issues.push({
          file: parsed.file,
          line: lineOf(parsed, ['obligations', i, 'assignees']),
          path: formatPath(['obligations', i, 'assignees']),
          reason: `assignee ${org.code} ${org.name} has no contact for role ${n.role} (needed by ${n.why} of ${o.id}); add it to policies/directory/`,
        });
      }
    }
  });
}

/** Every template renders against a sample notice in strict mode: no unknown variable, no blank. */
function checkTemplates(dir: string, templates: Set<string>, rel: (f: string) => string, issues: PolicyIssue[]): void {
  if (!templates.has('reminder'))
    issues.push({ file: rel(dir), path: '', reason: 'template reminder.hbs is missing (every reminder uses it)' });
  for (const name of templates) {
    try {
      checkTemplate(
        dir,
        name,
        name === 'digest'
          ? sampleDigestContext()
          : sampleNoticeContext(name === 'reminder' ? 'reminder' : 'escalation'),
      );
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      issues.push({ file: rel(path.join(dir, `${name}.hbs`)), path: '', reason: e.message });
    }
  }
}

/** Cross-references a schema cannot see: codes, ladders, rules, templates, periods. */
/**
 * What a campaign file that failed its schema still offers to the cross-checks: each top-level
 * field that parses on its own, and each obligation that does (the others are holes in the
 * array, so the reported indices stay those of the file).
 */
type PartialCampaign = Partial<Omit<Campaign, 'obligations'>> & { obligations: Obligation[] };

function partialCampaign(raw: unknown): PartialCampaign {
  const obj = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(campaignSchema.shape)) {
    if (key === 'obligations') continue;
    const r = (schema as z.ZodType).safeParse(obj[key]);
    if (r.success) out[key] = r.data;
  }
  // A ladder with a bad step is still a ladder by name: obligations naming it are not in error.
  if (!out.ladders && obj.ladders && typeof obj.ladders === 'object') {
    out.ladders = Object.fromEntries(
      Object.entries(obj.ladders).map(([name, steps]) => [name, z.array(escalationStep).safeParse(steps).data ?? []]),
    );
  }
  const obligations: Obligation[] = [];
  if (Array.isArray(obj.obligations)) {
    obj.obligations.forEach((o, i) => {
      const r = obligationSchema.safeParse(o);
      if (r.success) obligations[i] = r.data;
    });
  }
  return { ...(out as Partial<Omit<Campaign, 'obligations'>>), obligations };
}

function checkCampaign(
  c: PartialCampaign,
  parsed: ParsedFile,
  orgs: Map<string, Organisation>,
  templates: Set<string>,
  issues: PolicyIssue[],
): void {
  const at = (p: (string | number)[], reason: string) =>
    issues.push({ file: parsed.file, line: lineOf(parsed, p), path: formatPath(p), reason });
  // A field that did not parse has its own error already; checks that need it are skipped.
  const scope = c.scope && new Set(c.scope);
  const ladders = c.ladders ?? {};

  if (c.period && c.period.end < c.period.start)
    at(['period', 'end'], `${c.period.end} is before the period start ${c.period.start}`);
  c.scope?.forEach((code, i) => {
    if (!orgs.has(code)) at(['scope', i], `${code} is not a known organisation (policies/organisations)`);
  });
  const checkLadder = (steps: EscalationStep[], p: (string | number)[]) =>
    steps.forEach((s, i) => {
      if (!templates.has(s.template))
        at([...p, i, 'template'], `template ${s.template} not found in policies/templates/`);
    });
  for (const [name, steps] of Object.entries(ladders)) checkLadder(steps, ['ladders', name]);
  if (c.defaults && !ladderNamed(ladders, c.defaults.ladder))
    at(['defaults', 'ladder'], `ladder ${c.defaults.ladder} is not defined under ladders`);
  // The built-in ladder's templates, where the campaign uses it.
  const usesBuiltIn =
    !ladders.default && (c.defaults?.ladder === 'default' || c.obligations.some((o) => o.ladder === 'default'));
  if (usesBuiltIn)
    builtInLadder.forEach(
      (s) =>
        templates.has(s.template) ||
        at(['defaults', 'ladder'], `template ${s.template} of the built-in ladder not found in policies/templates/`),
    );

  const ids = new Set<string>();
  c.obligations.forEach((o, i) => {
    const p = ['obligations', i];
    if (ids.has(o.id)) at([...p, 'id'], `duplicate obligation id ${o.id}`);
    ids.add(o.id);
    if (Array.isArray(o.assignees)) {
      o.assignees.forEach((code, j) => {
        if (!orgs.has(code)) at([...p, 'assignees', j], `${code} is not a known organisation`);
        else if (scope && !scope.has(code)) at([...p, 'assignees', j], `${code} is not in the campaign scope`);
      });
    } else {
      for (const key of ['in', 'except'] as const) {
        o.assignees[key]?.forEach((code, j) => {
          if (!orgs.has(code)) at([...p, 'assignees', key, j], `${code} is not a known organisation`);
        });
      }
    }
    if (c.ladders && typeof o.ladder === 'string' && !ladderNamed(ladders, o.ladder))
      at([...p, 'ladder'], `ladder ${o.ladder} is not defined under ladders`);
    if (Array.isArray(o.ladder)) checkLadder(o.ladder, [...p, 'ladder']);
    if (c.dateRules && 'rule' in o.deadline && !c.dateRules[o.deadline.rule]) {
      at([...p, 'deadline', 'rule'], `date rule ${o.deadline.rule} is not defined under dateRules`);
    }
    if ('recurring' in o.deadline && o.deadline.recurring.until < o.deadline.recurring.from) {
      at(
        [...p, 'deadline', 'recurring', 'until'],
        `${o.deadline.recurring.until} is before ${o.deadline.recurring.from}`,
      );
    }
    for (const code of Object.keys(o.quantity?.perAssignee ?? {})) {
      if (!orgs.has(code)) at([...p, 'quantity', 'perAssignee', code], `${code} is not a known organisation`);
    }
  });
}
