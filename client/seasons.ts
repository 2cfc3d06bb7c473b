// Which seasons of a campaign may be launched, decided once for the CLI, the API and the web
// form: a season whose period has ended is launched only when the office says so (allow past),
// since its obligations close at once and send their late letters now; a season the holiday
// calendar cannot plan yet is launched only on a provisional calendar, when the office says so
// (its missing years count Monday to Friday until their notice is in the file). Only seasons
// within a window around the one under way may be launched at all (LANTIAN_SEASON_WINDOW): a
// launch cannot be taken back, and 2100 for 2026 is a typo.
import crypto from 'node:crypto';
import { DateTime } from 'luxon';
import type { PolicySet } from '../planner/load';
import { getCampaign, resolveCampaign, type PlanRow } from '../planner/resolve';
import { currentSeason, shiftDate } from '../domain/season';
import { CalendarCoverageError, type WorkingCalendar } from '../domain/calendar';

/**
 * A launch the office did not ask for in these words: the reason says what to do instead.
 * `outside`: a season no one means (a typo); `ended`, `calendar`: a season that can be launched
 * only when the office says so (allow past, provisional calendar).
 */
export class SeasonRefusal extends Error {
  constructor(
    readonly campaignId: string,
    readonly season: number,
    message: string,
    readonly kind: 'outside' | 'ended' | 'calendar' = 'outside',
  ) {
    super(message);
    this.name = 'SeasonRefusal';
  }
}

export interface SeasonChoice {
  season: number;
  /** The last day of its period, local date. */
  end: string;
  ended: boolean;
  /** The holiday calendar lacks a year the season needs; absent when it can be planned. */
  unplannable?: { file: string; years: number[] };
}

const today = (set: PolicySet, campaignId: string, now: DateTime) =>
  now.setZone(getCampaign(set, campaignId).timezone).toISODate()!;

function seasonEnd(set: PolicySet, campaignId: string, season: number): string {
  const c = getCampaign(set, campaignId);
  return shiftDate(c.period.end, season - c.season);
}

// Planning a whole campaign to see whether it can be planned takes up to a second for the
// largest; the launch page asks for every season on each view, so the answer is kept per
// calendar and campaign content (the page reloads the policy files each time).
const gaps = new WeakMap<WorkingCalendar, Map<string, Gap | undefined>>();

/** The calendar file and every year without its notice that a season's plan needs. */
interface Gap {
  file: string;
  years: number[];
}

function coverageGap(set: PolicySet, calendar: WorkingCalendar, campaignId: string, season: number): Gap | undefined {
  const c = getCampaign(set, campaignId);
  // The years the calendar has are part of the key: a live calendar gains one when a notice is added.
  const key = `${season}:${calendar.years.join(',')}:${crypto
    .createHash('sha256')
    .update(JSON.stringify([c, [...set.organisations.values()]]))
    .digest('hex')}`;
  let known = gaps.get(calendar);
  if (!known) gaps.set(calendar, (known = new Map()));
  if (known.has(key)) return known.get(key);
  let gap: Gap | undefined;
  try {
    resolveCampaign(set, campaignId, calendar, season);
  } catch (e) {
    if (!(e instanceof CalendarCoverageError)) throw e;
    // Planned on a provisional calendar to learn every missing year, not only the first one hit.
    const years = new Set<number>([e.year]);
    resolveCampaign(set, campaignId, calendar, season, years);
    gap = { file: e.file, years: [...years].sort() };
  }
  if (known.size >= 256) known.delete(known.keys().next().value!);
  known.set(key, gap);
  return gap;
}

/** How the refusal names the options, in the words of the interface that asked (CLI by default). */
export interface LaunchWords {
  season(n: number): string;
  allowPast: string;
  provisional: string;
  /** Between two options given together: a space on a command line, a comma in JSON. */
  and: string;
  /** A season outside the window, in the interface's own words (default: English). */
  outside?(season: number, w: SeasonRange & SeasonWindow): string;
}
export const cliWords: LaunchWords = {
  season: (n) => `--season ${n}`,
  allowPast: 'pass --allow-past',
  provisional: '--provisional-calendar',
  and: ' ',
};

/** How many seasons before and after the one under way may be launched. */
export interface SeasonWindow {
  back: number;
  ahead: number;
}
export const defaultSeasonWindow: SeasonWindow = { back: 2, ahead: 1 };

export interface SeasonRange {
  current: number;
  from: number;
  to: number;
}

/** The seasons that may be launched now, in the campaign's time zone. */
export function seasonRange(window: SeasonWindow, now = DateTime.now(), zone = 'Asia/Shanghai'): SeasonRange {
  const current = currentSeason(now.setZone(zone));
  return { current, from: current - window.back, to: current + window.ahead };
}

export interface SeasonLaunch {
  /** Launch a season whose period has ended. */
  allowPast: boolean;
  /** Plan years the calendar has no holiday notice for as Monday to Friday. */
  provisionalCalendar: boolean;
  /** Seasons that may be launched at all (default: 2 before the one under way to 1 after it). */
  window?: SeasonWindow;
}

const outsideInEnglish = (season: number, w: SeasonRange & SeasonWindow) =>
  `season ${season} is outside the seasons that may be launched now, ${w.from} to ${w.to} (the season under way, ${w.current}, ${w.back} before it and ${w.ahead} after it; LANTIAN_SEASON_WINDOW=${w.back},${w.ahead}); check the year for a typo`;

/**
 * The plan rows of a season the office may launch, and the years planned Monday to Friday for
 * want of their holiday notice (provisional calendar); otherwise a SeasonRefusal with the way forward.
 */
export function launchableRows(
  set: PolicySet,
  calendar: WorkingCalendar,
  campaignId: string,
  season: number,
  o: SeasonLaunch,
  words = cliWords,
  now = DateTime.now(),
): { rows: PlanRow[]; assumedYears: number[] } {
  const zone = getCampaign(set, campaignId).timezone;
  // Suggest the season under way (autumn–winter starts in the second half of a year), and how
  // it can be launched when the calendar cannot plan it yet.
  const advice = () => {
    const current = currentSeason(now.setZone(zone));
    const gap = coverageGap(set, calendar, campaignId, current);
    return gap
      ? `launch a current season on a provisional calendar (${words.season(current)}${words.and}${words.provisional}: ${gap.file} has no holiday notice for ${gap.years.join(', ')} yet)`
      : `launch a current season (${words.season(current)})`;
  };
  const window = o.window ?? defaultSeasonWindow;
  const range = seasonRange(window, now, zone);
  if (!Number.isInteger(season) || season < range.from || season > range.to) {
    const outside = (words.outside ?? outsideInEnglish)(season, { ...range, ...window });
    throw new SeasonRefusal(campaignId, season, words.outside ? outside : `${outside}, or ${advice()}`, 'outside');
  }
  const end = seasonEnd(set, campaignId, season);
  if (end < today(set, campaignId, now) && !o.allowPast) {
    throw new SeasonRefusal(
      campaignId,
      season,
      `season ${season} of ${campaignId} ended on ${end}; ${advice()}; or ${words.allowPast} to launch season ${season} anyway`,
      'ended',
    );
  }
  try {
    const assumed = new Set<number>();
    const rows = resolveCampaign(set, campaignId, calendar, season, o.provisionalCalendar && assumed);
    return { rows, assumedYears: [...assumed].sort() };
  } catch (e) {
    if (!(e instanceof CalendarCoverageError)) throw e;
    throw new SeasonRefusal(
      campaignId,
      season,
      `${e.message}; or launch season ${season} on a provisional calendar (${words.provisional}): a year without its notice counts Monday to Friday until the notice is added, and each obligation plans its dates again before every step`,
      'calendar',
    );
  }
}

/** Whether a season has ended and whether the calendar can plan it. */
export function seasonStatus(
  set: PolicySet,
  calendar: WorkingCalendar,
  campaignId: string,
  season: number,
  now = DateTime.now(),
): SeasonChoice {
  const end = seasonEnd(set, campaignId, season);
  const gap = coverageGap(set, calendar, campaignId, season);
  return { season, end, ended: end < today(set, campaignId, now), ...(gap ? { unplannable: gap } : {}) };
}

/**
 * The seasons a launch form offers, newest first: those of the window around the season under
 * way, and nothing else. (Each is planned once to know whether the calendar covers it, so the
 * window stays short.)
 */
export function seasonChoices(
  set: PolicySet,
  calendar: WorkingCalendar,
  campaignId: string,
  now = DateTime.now(),
  window = defaultSeasonWindow,
): SeasonChoice[] {
  const c = getCampaign(set, campaignId);
  const { from, to } = seasonRange(window, now, c.timezone);
  const seasons = Array.from({ length: to - from + 1 }, (_, i) => to - i);
  return seasons.map((s) => seasonStatus(set, calendar, campaignId, s, now));
}
