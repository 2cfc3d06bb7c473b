// Loads policies/targets/*.yaml for the policy loader: schema errors and cross-references
// (campaign, member codes, target keys, windows inside the campaign period) reported with
// file:line path: reason like every other policy file; the assessment letter templates under
// policies/templates/assessment are rendered against a sample at load, so a misspelt variable
// is a load error and never a blank in a sent letter.
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { LoadedCampaign, ParsedFile, PolicyIssue } from './load';
import type { Organisation } from '../domain/policy-schema';
import { targetsFile, type CampaignTargets } from '../domain/targets';
import { checkTemplate, TemplateError } from '../notices/render';
import { actTemplates, sampleActContext, samplePaceContext } from '../notices/assessment-letters';

export interface YamlHelpers {
  parse(file: string): ParsedFile | undefined;
  validate<T extends z.ZodType>(schema: T, parsed: ParsedFile): z.infer<T> | undefined;
  at(parsed: ParsedFile, p: (string | number)[], reason: string): void;
  issue(i: PolicyIssue): void;
  rel(file: string): string;
}

export const assessmentTemplatesDir = (templatesDir: string) => path.join(templatesDir, 'assessment');

export function loadTargets(
  dir: string,
  templatesDir: string,
  campaigns: Map<string, LoadedCampaign>,
  orgs: Map<string, Organisation>,
  h: YamlHelpers,
  /** Only some campaign files were loaded (`policy validate <file>`): other campaigns' targets are skipped. */
  partial = false,
  /** Campaigns whose files have errors of their own: their targets are not checked against them. */
  failed: ReadonlySet<string> = new Set(),
): Map<string, CampaignTargets> {
  const out = new Map<string, CampaignTargets>();
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join(dir, f))
    : [];
  if (files.length) checkTemplates(assessmentTemplatesDir(templatesDir), h);
  for (const file of files) {
    const parsed = h.parse(file);
    const t = parsed && h.validate(targetsFile, parsed);
    if (!parsed || !t) continue;
    const at = (p: (string | number)[], reason: string) => h.at(parsed, p, reason);
    const c = campaigns.get(t.campaign);
    if (!c) {
      if (!partial && !failed.has(t.campaign))
        at(
          ['campaign'],
          `campaign ${t.campaign} is not defined in ${h.rel(path.join(path.dirname(dir), 'campaigns'))}`,
        );
      continue;
    }
    if (out.has(t.campaign)) at(['campaign'], `targets for ${t.campaign} are defined twice`);
    const seen = new Set<string>();
    t.regions.forEach((r, i) =>
      r.members.forEach((code, j) => {
        if (!orgs.has(code)) at(['regions', i, 'members', j], `${code} is not a known organisation`);
        else if (!c.scope.includes(code)) at(['regions', i, 'members', j], `${code} is not in the scope of ${c.id}`);
        if (seen.has(code)) at(['regions', i, 'members', j], `${code} is a member of two regions`);
        seen.add(code);
      }),
    );
    for (const code of Object.keys(t.cities))
      if (!seen.has(code)) at(['cities', code], `${code} is not a member of any region`);
    for (const code of Object.keys(t.sixTier?.cities ?? {}))
      if (!seen.has(code)) at(['sixTier', 'cities', code], `${code} is not a member of any region`);
    const ids = new Set<string>();
    t.assessments.forEach((a, i) => {
      if (ids.has(a.id)) at(['assessments', i, 'id'], `duplicate assessment id ${a.id}`);
      ids.add(a.id);
      if (a.window.end < a.window.start)
        at(['assessments', i, 'window', 'end'], `${a.window.end} is before ${a.window.start}`);
      if (a.window.start < c.period.start || a.window.end > c.period.end) {
        at(
          ['assessments', i, 'window'],
          `${a.window.start}..${a.window.end} is outside the campaign period ${c.period.start}..${c.period.end}`,
        );
      }
      const key = a.target;
      if (key) {
        t.regions.forEach((r) => {
          if (!r.targets[key] && !t.sixTier?.tier1[key])
            at(['assessments', i, 'target'], `region ${r.id} has no target ${key}`);
        });
      }
      if (a.act && !a.triggers.length)
        at(['assessments', i, 'triggers'], `an assessment with an act (${a.act}) needs its triggers`);
    });
    t.dataReports.forEach((id, i) => {
      if (!c.obligations.some((o) => o.id === id)) at(['dataReports', i], `obligation ${id} is not defined in ${c.id}`);
    });
    if (t.pace.redBehind < t.pace.yellowBehind)
      at(['pace', 'redBehind'], `${t.pace.redBehind} is below yellowBehind ${t.pace.yellowBehind}`);
    out.set(t.campaign, t);
  }
  return out;
}

function checkTemplates(dir: string, h: YamlHelpers): void {
  for (const name of [...actTemplates, 'pace-warning']) {
    try {
      checkTemplate(dir, name, name === 'pace-warning' ? samplePaceContext() : sampleActContext(name));
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      h.issue({ file: h.rel(path.join(dir, `${name}.hbs`)), path: '', reason: e.message });
    }
  }
}
