// The assessment's entry points for the CLI, the activities and the benchmark: import a CSV
// into the air-quality store (data folder or PostgreSQL), and assess one point of a campaign's
// season from the stored figures.
import fs from 'node:fs';
import crypto from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PolicySet, LoadedCampaign } from './load';
import type { WorkingCalendar } from '../domain/calendar';
import { getCampaign } from './resolve';
import { shiftDate } from '../domain/season';
import { parseDailyCsv } from '../storage/air-quality-csv';
import type { AirQualityStore, ImportResult, SeriesKind } from '../storage/air-quality';
import { assessPoint, type CityAssessment } from '../domain/assessment';
import { assessedUnits, type CampaignTargets } from '../domain/targets';
import { planAssessments, seasonPeriod, type PlannedPoint } from './assessment-plan';

export class AssessmentRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssessmentRefused';
  }
}

export function campaignTargets(
  set: PolicySet,
  campaignId: string,
): { campaign: LoadedCampaign; targets: CampaignTargets } {
  const campaign = getCampaign(set, campaignId);
  const targets = set.targets.get(campaignId);
  if (!targets)
    throw new AssessmentRefused(
      `campaign ${campaignId} has no air-quality targets (policies/targets/${campaignId}.yaml)`,
    );
  return { campaign, targets };
}

export interface ImportCsvRequest {
  policies: PolicySet;
  store: AirQualityStore;
  campaignId: string;
  season?: number;
  file: string;
  baseline?: boolean;
  replaceReason?: string;
  by: string;
}

export async function importCsv(
  r: ImportCsvRequest,
): Promise<ImportResult & { kind: SeriesKind; season: number; rows: number }> {
  const { campaign, targets } = campaignTargets(r.policies, r.campaignId);
  const season = r.season ?? campaign.season;
  const period = seasonPeriod(campaign, season);
  // Baselines are the same days of the year before.
  const from = r.baseline ? shiftDate(period.start, -1) : period.start;
  const to = r.baseline ? shiftDate(period.end, -1) : period.end;
  const bytes = fs.readFileSync(r.file);
  const rows = parseDailyCsv(r.file, bytes.toString('utf8'), { codes: new Set(assessedUnits(targets)), from, to });
  const kind: SeriesKind = r.baseline ? 'baseline' : 'observed';
  const result = await r.store.importSeries({
    campaignId: r.campaignId,
    season,
    kind,
    rows,
    source: r.file,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    by: r.by,
    ...(r.replaceReason !== undefined ? { replace: { reason: r.replaceReason } } : {}),
  });
  return { ...result, kind, season, rows: rows.length };
}

export interface RunRequest {
  policies: PolicySet;
  calendar: WorkingCalendar;
  store: AirQualityStore;
  campaignId: string;
  season?: number;
  pointId: string;
  overdueShares?: Record<string, number>;
}

export interface PointRun {
  campaignId: string;
  season: number;
  planned: PlannedPoint;
  results: CityAssessment[];
}

export function plannedPoint(
  set: PolicySet,
  cal: WorkingCalendar,
  campaignId: string,
  season: number,
  pointId: string,
): PlannedPoint {
  const { campaign, targets } = campaignTargets(set, campaignId);
  const all = planAssessments(campaign, targets, season, cal);
  const p = all.find((x) => x.point.id === pointId);
  if (!p)
    throw new AssessmentRefused(
      `campaign ${campaignId} has no assessment ${pointId}; known: ${all.map((x) => x.point.id).join(', ')}`,
    );
  return p;
}

export async function runPoint(r: RunRequest): Promise<PointRun> {
  const { campaign, targets } = campaignTargets(r.policies, r.campaignId);
  const season = r.season ?? campaign.season;
  const planned = plannedPoint(r.policies, r.calendar, r.campaignId, season, r.pointId);
  const names = new Map([...r.policies.organisations.values()].map((o) => [o.code, o.name]));
  const [observed, baseline, falsified] = await Promise.all([
    r.store.readSeries(r.campaignId, season, 'observed'),
    r.store.readSeries(r.campaignId, season, 'baseline'),
    r.store.readFalsified(r.campaignId, season),
  ]);
  const results = assessPoint({
    targets,
    point: planned.point,
    names,
    observed: observed.days,
    baseline: baseline.days,
    falsified: falsified.marks,
    overdueShares: r.overdueShares,
  });
  return { campaignId: r.campaignId, season, planned, results };
}

/**
 * Share of each city's obligations in the campaign season that are overdue or closed unmet,
 * counted through Temporal visibility (the dev server or production; the time-skipping test
 * server has no visibility, so callers there pass no shares and the criterion reads "not measured").
 */
export async function overdueSharesFromVisibility(
  client: Client,
  campaignId: string,
  season: number,
  codes: string[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const base = `LantianCampaign = '${campaignId}' AND LantianSeason = ${season}`;
  for (const code of codes) {
    const total = (await client.workflow.count(`${base} AND LantianAssignee = '${code}'`)).count;
    if (!total) continue;
    const late = (
      await client.workflow.count(`${base} AND LantianAssignee = '${code}' AND LantianStatus IN ('overdue', 'unmet')`)
    ).count;
    out[code] = late / total;
  }
  return out;
}

/** The parts of an obligation workflow ID: lantian:<campaign>:<season>:<obligation>:<assignee>[:<period>]. */
function parseWorkflowId(id: string) {
  const [prefix, campaignId, season, obligationId, assignee, period] = id.split(':');
  if (prefix !== 'lantian' || !campaignId || !obligationId || !assignee) return undefined;
  return { campaignId, season: Number(season), obligationId, assignee, period };
}

export interface PreparedReport {
  rows: number;
  /** Store the figures (after the evidence was received). */
  apply(): Promise<ImportResult>;
}

/**
 * Evidence of a data-report obligation (policies/targets dataReports) is a daily-figures CSV for
 * the reporting province's cities and the month it covers: validated whole before the upload, and
 * imported once the obligation has received it. Undefined for every other obligation.
 */
export async function prepareReportCsv(
  set: PolicySet,
  store: AirQualityStore,
  workflowId: string,
  file: string,
  by: string,
): Promise<PreparedReport | undefined> {
  const ref = parseWorkflowId(workflowId);
  if (!ref) return undefined;
  const targets = set.targets.get(ref.campaignId);
  if (!targets?.dataReports.includes(ref.obligationId)) return undefined;
  const campaign = getCampaign(set, ref.campaignId);
  const units = assessedUnits(targets).filter(
    (code) => code === ref.assignee || set.organisations.get(code)?.parent === ref.assignee,
  );
  if (!ref.period || !/^\d{4}-\d{2}$/.test(ref.period))
    throw new AssessmentRefused(`${workflowId}: a data report needs a monthly period`);
  const from = `${ref.period}-01`;
  const to = datesOfMonth(ref.period).at(-1)!;
  const bytes = fs.readFileSync(file);
  const rows = parseDailyCsv(file, bytes.toString('utf8'), {
    codes: new Set(units),
    from,
    to,
    codesAre: `not a city of ${ref.assignee} assessed in this campaign`,
    datesAre: 'the month this report covers',
  });
  const period = seasonPeriod(campaign, ref.season);
  const inSeason = rows.filter((r) => r.date >= period.start && r.date <= period.end);
  const req = {
    campaignId: ref.campaignId,
    season: ref.season,
    kind: 'observed' as const,
    rows: inSeason,
    source: `${workflowId} ${file}`,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    by,
  };
  // Conflicting figures are refused now, before the evidence is received.
  await store.importSeries({ ...req, dryRun: true });
  return { rows: rows.length, apply: () => store.importSeries(req) };
}

function datesOfMonth(month: string): string[] {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return Array.from({ length: last }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}
