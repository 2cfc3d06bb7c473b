// Air-quality targets and assessment rules of a campaign, as data: policies/targets/<campaign>.yaml.
// The regional figures of each year's text are the default for every city of the region; an
// office adds per-city targets (the texts' 附件1, not in the seeds) or the six-tier rule.
// Resolution for one city and one target key: cities[code] > sixTier > its region's default.
import { z } from 'zod';
import { isoDateDuration, orgCode } from './policy-schema';

const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a local date YYYY-MM-DD');

/** One target: absolute ceilings (2020–21) and/or changes against the baseline (2019–20, six tiers). */
export const target = z
  .strictObject({
    /** Mean PM2.5 over the window at most this (µg/m³). */
    pm25Max: z.number().positive().optional(),
    /** Heavy-pollution days (AQI > threshold) in the window at most this. */
    heavyDaysMax: z.number().int().min(0).optional(),
    /** Mean PM2.5 change against the baseline window at most this many per cent (−4 = down at least 4 %). */
    pm25ChangePctMax: z.number().optional(),
    /** Heavy-day change against the baseline at most this many per cent. */
    heavyDaysChangePctMax: z.number().optional(),
    /** Heavy-day change against the baseline at most this many days (the six-tier rule counts days). */
    heavyDaysChangeMax: z.number().optional(),
    original: z.string().optional(),
  })
  .refine((t) => Object.keys(t).some((k) => k !== 'original'), { message: 'a target needs at least one figure' });
export type Target = z.infer<typeof target>;

export const actKind = z.enum(['warning-letter', 'public-interview', 'accountability']);
export type ActKind = z.infer<typeof actKind>;
export const reasonKind = z.enum(['pm25', 'heavy-days', 'off-the-chart', 'key-tasks-slow', 'falsified']);
export type ReasonKind = z.infer<typeof reasonKind>;

export const assessmentPoint = z.strictObject({
  /** monthly: the ministry's bulletin against the time schedule; stage: quarterly/stage target; final: the end target. */
  kind: z.enum(['monthly', 'stage', 'final']),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case id with dashes'),
  title: z.string().min(1),
  /** Days whose figures count (base season dates; shifted with --season). */
  window: z.strictObject({ start: localDate, end: localDate }),
  /** Which target key of the regions/cities applies (a bulletin without one only ranks). */
  target: z.string().min(1).optional(),
  /** When the assessment is made, counted from the window end; rolled to a working day, at the sending time. */
  after: isoDateDuration,
  /** The act a failed verdict triggers, and which reasons count here (the text names them); none for a bulletin. */
  act: actKind.optional(),
  triggers: z.array(reasonKind).default([]),
  regionalEiaRestriction: z.boolean().default(false),
  clause: z.strictObject({ section: z.string().min(1), item: z.string().optional(), text: z.string().min(1) }),
});
export type AssessmentPoint = z.infer<typeof assessmentPoint>;

export const targetsFile = z.strictObject({
  campaign: z.string().min(1),
  /** absolute: figures against ceilings; year-on-year: against the same window of the previous year (baseline). */
  basis: z.enum(['absolute', 'year-on-year']),
  heavyDay: z
    .strictObject({ aqiAbove: z.number().int().positive().default(200), note: z.string().optional() })
    .default({ aqiAbove: 200 }),
  /** AQI persistently off the chart (爆表): at least `days` consecutive days with AQI above `aqiAbove`. */
  offTheChart: z
    .strictObject({
      aqiAbove: z.number().int().positive().default(500),
      days: z.number().int().min(1),
      note: z.string().optional(),
    })
    .optional(),
  /** Key tasks progressing slowly: the share of the city's obligations overdue above this. */
  keyTasks: z.strictObject({ overdueShareAbove: z.number().min(0).max(1), note: z.string().optional() }),
  regions: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        name: z.string().min(1),
        members: z.array(orgCode).min(1),
        targets: z.record(z.string(), target),
      }),
    )
    .min(1),
  /** 六档: tier 1 gets `tier1`, each further tier is looser by the steps. */
  sixTier: z
    .strictObject({
      pm25StepPct: z.number().positive().default(1),
      heavyDaysStep: z.number().positive().default(2),
      tier1: z.record(z.string(), z.strictObject({ pm25ChangePctMax: z.number(), heavyDaysChangeMax: z.number() })),
      cities: z.record(orgCode, z.number().int().min(1).max(6)),
    })
    .optional(),
  cities: z.record(orgCode, z.record(z.string(), target)).default({}),
  assessments: z.array(assessmentPoint).min(1),
  /** Obligations whose evidence is a daily-figures CSV (the provinces' monthly report): parsed, validated and imported on upload. */
  dataReports: z.array(z.string().min(1)).default([]),
  /** Pace (序时进度) of quantitative obligations. */
  pace: z
    .strictObject({
      /** Yellow when behind the expected quantity by more than this share of the target; red beyond redBehind. */
      yellowBehind: z.number().min(0).max(1).default(0.1),
      redBehind: z.number().min(0).max(1).default(0.25),
      /** Where between launch and deadline the obligation checks its pace (shares of the span). */
      checks: z.array(z.number().gt(0).lt(1)).default([0.5, 0.75]),
    })
    .default({ yellowBehind: 0.1, redBehind: 0.25, checks: [0.5, 0.75] }),
});
export type CampaignTargets = z.infer<typeof targetsFile>;

export interface ResolvedTarget extends Target {
  source: string;
}

export function regionOf(t: CampaignTargets, code: string) {
  return t.regions.find((r) => r.members.includes(code));
}

export function assessedUnits(t: CampaignTargets): string[] {
  return t.regions.flatMap((r) => r.members);
}

export function targetFor(t: CampaignTargets, code: string, key: string): ResolvedTarget | undefined {
  const own = t.cities[code]?.[key];
  if (own) return { ...own, source: `cities.${code}.${key}` };
  const tier = t.sixTier?.cities[code];
  const tier1 = t.sixTier?.tier1[key];
  if (tier && tier1 && t.sixTier) {
    return {
      pm25ChangePctMax: tier1.pm25ChangePctMax + (tier - 1) * t.sixTier.pm25StepPct,
      heavyDaysChangeMax: tier1.heavyDaysChangeMax + (tier - 1) * t.sixTier.heavyDaysStep,
      source: `sixTier tier ${tier}`,
    };
  }
  const region = regionOf(t, code);
  const def = region?.targets[key];
  return def && { ...def, source: `regions.${region!.id}.${key}` };
}
