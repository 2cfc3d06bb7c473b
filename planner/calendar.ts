// PROVISIONAL (replaced by the full calendar module): working days from the holiday data.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export class CalendarCoverageError extends Error {
  constructor(readonly year: number, readonly file: string, date: string) {
    super(`${file} does not cover ${year}: add that year's holiday notice before planning dates in it (date ${date})`);
    this.name = 'CalendarCoverageError';
  }
}

export interface WorkingCalendar {
  readonly years: number[];
  covers(year: number): boolean;
  isWorkingDay(date: string): boolean;
  nextWorkingDay(date: string): string;
  previousWorkingDay(date: string): string;
  addWorkingDays(date: string, n: number): string;
}

export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function weekday(date: string): number {
  const w = new Date(`${date}T00:00:00Z`).getUTCDay();
  return w === 0 ? 7 : w;
}

export function calendarFromData(data: unknown, file: string): WorkingCalendar {
  const years = (data as { years: Record<string, { holidays?: string[]; workdays?: string[] }> }).years;
  const holidays = new Set<string>();
  const workdays = new Set<string>();
  for (const y of Object.values(years)) {
    (y.holidays ?? []).forEach((d) => holidays.add(String(d)));
    (y.workdays ?? []).forEach((d) => workdays.add(String(d)));
  }
  const covered = Object.keys(years).map(Number);
  const isWorkingDay = (date: string) => {
    const y = Number(date.slice(0, 4));
    if (!covered.includes(y)) throw new CalendarCoverageError(y, file, date);
    if (holidays.has(date)) return false;
    return weekday(date) <= 5 || workdays.has(date);
  };
  return {
    years: covered,
    covers: (y) => covered.includes(y),
    isWorkingDay,
    nextWorkingDay(date) {
      let d = date;
      while (!isWorkingDay(d)) d = addDays(d, 1);
      return d;
    },
    previousWorkingDay(date) {
      let d = date;
      while (!isWorkingDay(d)) d = addDays(d, -1);
      return d;
    },
    addWorkingDays(date, n) {
      let d = date;
      if (n === 0) return this.nextWorkingDay(d);
      for (let i = 0; i < n; ) {
        d = addDays(d, 1);
        if (isWorkingDay(d)) i++;
      }
      return d;
    },
  };
}

const cache = new Map<string, WorkingCalendar>();
export function loadCalendar(file = path.join(__dirname, '..', 'policies', 'calendar', 'cn-public-holidays.yaml')): WorkingCalendar {
  let cal = cache.get(file);
  if (!cal) {
    cal = calendarFromData(parse(fs.readFileSync(file, 'utf8'), { schema: 'core' }), file);
    cache.set(file, cal);
  }
  return cal;
}
