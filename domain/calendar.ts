// The official PRC working-day calendar: which local dates offices work, from the State
// Council's yearly holiday notices (policies/calendar/cn-public-holidays.yaml).
//
// Everything here is pure, synchronous and deterministic over local dates written 'YYYY-MM-DD'.
// Dates are turned into day numbers (days since 1970-01-01) with integer arithmetic on the
// proleptic Gregorian calendar, so neither the machine's time zone nor Date objects play any
// part. A date in a year the data does not cover is an error (CalendarCoverageError), never a
// guess: planning past the last published notice must fail loudly.
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { z } from 'zod';
import { daysInMonth, timeZone } from './local-date';

const repoRoot = path.join(__dirname, '..');
export const defaultCalendarFile = path.join(repoRoot, 'policies', 'calendar', 'cn-public-holidays.yaml');

/** The file as people read it: repo-relative when it lies inside the repository. */
function displayFile(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(repoRoot, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}

export class CalendarCoverageError extends Error {
  /** The calendar file, repo-relative when it lies inside the repository. */
  readonly file: string;
  constructor(
    readonly year: number,
    file: string,
    readonly date: string,
  ) {
    const shown = displayFile(file);
    super(`${shown} does not cover ${year}: add that year's holiday notice before planning dates in it (date ${date})`);
    this.name = 'CalendarCoverageError';
    this.file = shown;
  }
}

export interface CalendarIssue {
  file: string;
  line?: number;
  /** YAML path, e.g. years.2020.holidays[3] */
  path: string;
  reason: string;
}

/** The calendar data is invalid: every problem found, each with file, (line,) YAML path and reason. */
export class CalendarDataError extends Error {
  constructor(readonly issues: CalendarIssue[]) {
    const fmt = (i: CalendarIssue) =>
      `${i.file}${i.line ? `:${i.line}` : ''} ${i.path ? `${i.path}: ` : ''}${i.reason}`;
    super(
      issues.length === 1
        ? `invalid holiday calendar: ${fmt(issues[0])}`
        : `invalid holiday calendar, ${issues.length} errors:\n${issues.map((i) => '  ' + fmt(i)).join('\n')}`,
    );
    this.name = 'CalendarDataError';
  }
}

export interface WorkingCalendar {
  readonly years: number[];
  covers(year: number): boolean;
  /** Throws CalendarCoverageError if the date's year is not covered. */
  isWorkingDay(date: string): boolean;
  /** date itself if it is a working day (inclusive) or the next one after it */
  nextWorkingDay(date: string): string;
  /** date itself if it is a working day, else the last working day before it */
  previousWorkingDay(date: string): string;
  /** n >= 0 working days after date (n = 0 → nextWorkingDay(date)); counting starts the day after date */
  addWorkingDays(date: string, n: number): string;
}

// ---------------------------------------------------------------------------------------------
// Date arithmetic on 'YYYY-MM-DD' strings (H. Hinnant's days_from_civil / civil_from_days).

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Why s is not a local date, or undefined when it is one. */
function dateProblem(s: string): string | undefined {
  const m = DATE_RE.exec(s);
  if (!m) return `${JSON.stringify(s)} is not a date written YYYY-MM-DD`;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return `${JSON.stringify(s)} is not a calendar date`;
  return undefined;
}

function toDayNumber(date: string): number {
  const problem =
    typeof date === 'string' ? dateProblem(date) : `${JSON.stringify(date)} is not a date written YYYY-MM-DD`;
  if (problem) throw new RangeError(problem);
  let y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  const d = Number(date.slice(8, 10));
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function fromDayNumber(n: number): string {
  const z0 = n + 719468;
  const era = Math.floor(z0 / 146097);
  const doe = z0 - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 0 || y > 9999) throw new RangeError(`date out of range (year ${y})`);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The date n calendar days after date (n may be negative). */
export function addDays(date: string, n: number): string {
  if (!Number.isInteger(n)) throw new RangeError(`addDays: ${n} is not a whole number of days`);
  return fromDayNumber(toDayNumber(date) + n);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function weekday(date: string): number {
  // Day 0 (1970-01-01) was a Thursday.
  return ((((toDayNumber(date) + 3) % 7) + 7) % 7) + 1;
}

const WEEKDAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

// ---------------------------------------------------------------------------------------------
// Validation.

const dateString = z.string().superRefine((s, ctx) => {
  const problem = dateProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const yearEntry = z.strictObject({
  source: z.string().trim().min(1, 'must name the notice the dates come from'),
  holidays: z.array(dateString).default([]),
  workdays: z.array(dateString).default([]),
});

const calendarFile = z.strictObject({
  timezone: timeZone,
  years: z.record(z.string().regex(/^\d{4}$/, 'a year key must be a four-digit year'), yearEntry),
});

interface RuleIssue {
  path: (string | number)[];
  message: string;
}

/**
 * The rules between dates, checked on the raw data so that they are reported together with any
 * shape problem elsewhere in the file: a date under the wrong year, a date listed twice, a date
 * both a holiday and a make-up working day, a make-up working day that is not a weekend day.
 * Entries that are not dates are skipped here (the schema reports them).
 */
function crossRules(data: unknown): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!obj(data) || !obj(data.years)) return issues;
  const dates = (v: unknown): (string | undefined)[] =>
    Array.isArray(v) ? v.map((d) => (typeof d === 'string' && !dateProblem(d) ? d : undefined)) : [];
  for (const [key, entry] of Object.entries(data.years)) {
    if (!obj(entry)) continue;
    const lists = { holidays: dates(entry.holidays), workdays: dates(entry.workdays) };
    for (const [list, ds] of Object.entries(lists)) {
      const seen = new Map<string, number>();
      ds.forEach((date, i) => {
        if (!date) return;
        const at = ['years', key, list, i];
        const year = date.slice(0, 4);
        if (year !== key) issues.push({ path: at, message: `${date} belongs to ${year}: list it under years.${year}` });
        if (seen.has(date))
          issues.push({ path: at, message: `${date} is listed twice (also ${list}[${seen.get(date)}])` });
        else seen.set(date, i);
      });
    }
    lists.workdays.forEach((date, i) => {
      if (!date) return;
      const at = ['years', key, 'workdays', i];
      const h = lists.holidays.indexOf(date);
      if (h >= 0)
        issues.push({ path: at, message: `${date} is both a holiday and a make-up working day (also holidays[${h}])` });
      const wd = weekday(date);
      if (wd <= 5) {
        issues.push({
          path: at,
          message: `${date} is a ${WEEKDAY_NAMES[wd]}: only Saturdays and Sundays can be make-up working days (a weekday is worked unless it is a holiday)`,
        });
      }
    });
  }
  return issues;
}

/** Path as offices read it: years.2020.holidays[3]. */
function formatPath(p: ReadonlyArray<PropertyKey>): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_key') return 'is not a year: a year key must be a four-digit year (e.g. 2027)';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `is required (${issue.expected})`;
  return issue.message;
}

type Locate = (p: ReadonlyArray<PropertyKey>) => number | undefined;

function build(data: unknown, file: string, locate?: Locate): WorkingCalendar {
  const shown = displayFile(file);
  const result = calendarFile.safeParse(data);
  const found = [
    ...(result.success ? [] : result.error.issues.map((i) => ({ path: i.path, reason: describe(i) }))),
    ...crossRules(data).map((i) => ({ path: i.path, reason: i.message })),
  ];
  if (!result.success || found.length) {
    const issues = found.map((i) => ({
      file: shown,
      line: locate?.(i.path),
      path: formatPath(i.path),
      reason: i.reason,
    }));
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new CalendarDataError(issues);
  }
  const holidays = new Set<string>();
  const workdays = new Set<string>();
  for (const entry of Object.values(result.data.years)) {
    entry.holidays.forEach((d) => holidays.add(d));
    entry.workdays.forEach((d) => workdays.add(d));
  }
  const years = Object.keys(result.data.years)
    .map(Number)
    .sort((a, b) => a - b);
  const covered = new Set(years);

  const isWorkingDay = (date: string): boolean => {
    const wd = weekday(date); // validates the date first
    const year = Number(date.slice(0, 4));
    if (!covered.has(year)) throw new CalendarCoverageError(year, file, date);
    if (holidays.has(date)) return false;
    return wd <= 5 || workdays.has(date);
  };
  return calendarFrom(years, (year) => covered.has(year), isWorkingDay);
}

/** The working-day arithmetic, on any rule for which days are worked. */
function calendarFrom(
  years: number[],
  covers: (year: number) => boolean,
  isWorkingDay: (date: string) => boolean,
): WorkingCalendar {
  const step = (date: string, dir: 1 | -1): string => {
    let d = date;
    while (!isWorkingDay(d)) d = addDays(d, dir);
    return d;
  };
  return {
    years,
    covers,
    isWorkingDay,
    nextWorkingDay: (date) => step(date, 1),
    previousWorkingDay: (date) => step(date, -1),
    addWorkingDays(date, n) {
      if (!Number.isInteger(n) || n < 0)
        throw new RangeError(`addWorkingDays: n must be a whole number >= 0, got ${n}`);
      if (n === 0) return step(date, 1);
      let d = date;
      weekday(d); // a bad date fails here, not after counting
      for (let left = n; left > 0;) {
        d = addDays(d, 1);
        if (isWorkingDay(d)) left--;
      }
      return d;
    },
  };
}

/**
 * A provisional calendar, for a season launched before the State Council's holiday notice for
 * one of its years is out: a year the calendar covers keeps its holidays and make-up days; a
 * year it does not is counted Monday to Friday, and is noted in `assumed`, so the plan can say
 * so and be made again once the notice is in the file.
 */
export function assumingWeekends(cal: WorkingCalendar): { calendar: WorkingCalendar; assumed: Set<number> } {
  const assumed = new Set<number>();
  const calendar = calendarFrom(
    cal.years,
    () => true,
    (date) => {
      const wd = weekday(date);
      const year = Number(date.slice(0, 4));
      if (cal.covers(year)) return cal.isWorkingDay(date);
      assumed.add(year);
      return wd <= 5;
    },
  );
  return { calendar, assumed };
}

/**
 * A calendar from already-parsed data ({ timezone, years: { YYYY: { source, holidays, workdays } } }).
 * Invalid data throws CalendarDataError naming the file, the YAML path and the reason of each problem.
 */
export function calendarFromData(data: unknown, file: string): WorkingCalendar {
  return build(data, file);
}

function lineLocator(doc: Document, counter: LineCounter): Locate {
  return (p) => {
    // The deepest node that exists (a missing key reports its parent's line).
    for (let n = p.length; n >= 0; n--) {
      const node = doc.getIn(
        p.slice(0, n).map((k) => (typeof k === 'string' && /^\d+$/.test(k) ? Number(k) : k)) as unknown[],
        true,
      );
      if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
      const raw = doc.getIn(p.slice(0, n) as unknown[], true);
      if (isNode(raw) && raw.range) return counter.linePos(raw.range[0]).line;
    }
    return undefined;
  };
}

const cache = new Map<string, WorkingCalendar>();

/** The calendar in a YAML file (default: policies/calendar/cn-public-holidays.yaml), parsed once per path. */
export function loadCalendar(file: string = defaultCalendarFile): WorkingCalendar {
  const key = path.resolve(file);
  const hit = cache.get(key);
  if (hit) return hit;
  const cal = readCalendar(key);
  cache.set(key, cal);
  return cal;
}

function readCalendar(key: string): WorkingCalendar {
  const shown = displayFile(key);
  let text: string;
  try {
    text = fs.readFileSync(key, 'utf8');
  } catch (e) {
    throw new CalendarDataError([{ file: shown, path: '', reason: `cannot be read: ${(e as Error).message}` }]);
  }
  const counter = new LineCounter();
  // YAML 1.2 core schema: 2020-01-24 stays the string '2020-01-24' (no timestamps, no time zones).
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true, schema: 'core' });
  if (doc.errors.length) {
    throw new CalendarDataError(
      doc.errors.map((err) => ({
        file: shown,
        line: counter.linePos(err.pos[0]).line,
        path: '',
        reason: `YAML: ${err.message.split('\n')[0]}`,
      })),
    );
  }
  return build(doc.toJS(), key, lineLocator(doc, counter));
}

/**
 * The calendar file as it is now, for the long-running worker and web app: read again when the
 * file has changed (an office adding a year's holiday notice, which obligations launched on a
 * provisional calendar then plan with at their next step), looked at no more than once a second.
 * An edit that does not load leaves the calendar that did in force, and `onRefused` says why.
 */
export function liveCalendar(
  file: string = defaultCalendarFile,
  {
    checkEveryMs = 1000,
    onRefused = (e: Error) => console.error(`lantian: the edited holiday calendar is not used: ${e.message}`),
  } = {},
): WorkingCalendar {
  const key = path.resolve(file);
  const mtime = () => fs.statSync(key, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  let current = readCalendar(key);
  let seen = mtime();
  let lookedAt = Date.now();
  const now = () => {
    if (Date.now() - lookedAt >= checkEveryMs) {
      lookedAt = Date.now();
      const m = mtime();
      if (m !== seen) {
        seen = m;
        try {
          current = readCalendar(key);
        } catch (e) {
          onRefused(e as Error);
        }
      }
    }
    return current;
  };
  return {
    get years() {
      return now().years;
    },
    covers: (year) => now().covers(year),
    isWorkingDay: (date) => now().isWorkingDay(date),
    nextWorkingDay: (date) => now().nextWorkingDay(date),
    previousWorkingDay: (date) => now().previousWorkingDay(date),
    addWorkingDays: (date, n) => now().addWorkingDays(date, n),
  };
}
