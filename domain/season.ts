// Re-running a plan in another season: every date moves by whole years. A date that is the
// last day of its month stays the last day of its month (2020-02-29 → 2021-02-28, and
// 2019-02-28 → 2020-02-29), so "end of month" deadlines keep their meaning.
import { DateTime } from 'luxon';
import { daysInMonth } from './local-date';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function shiftDate(date: string, years: number): string {
  if (years === 0) return date;
  const [y, m, d] = date.split('-').map(Number);
  const lastDay = d === daysInMonth(y, m);
  const ny = y + years;
  const nd = lastDay ? daysInMonth(ny, m) : Math.min(d, daysInMonth(ny, m));
  return `${ny}-${pad(m)}-${pad(nd)}`;
}

export function shiftMonth(month: string, years: number): string {
  const [y, m] = month.split('-').map(Number);
  return `${y + years}-${pad(m)}`;
}

export function monthEnd(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return `${y}-${pad(m)}-${pad(daysInMonth(y, m))}`;
}

/** YYYY-MM plus n months. */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  const idx = y * 12 + (m - 1) + n;
  return `${Math.floor(idx / 12)}-${pad((idx % 12) + 1)}`;
}

/** Day `day` of the month, clamped to the month's length. */
export function dayOfMonth(month: string, day: number): string {
  const [y, m] = month.split('-').map(Number);
  return `${y}-${pad(m)}-${pad(Math.min(day, daysInMonth(y, m)))}`;
}

/** The autumn–winter season under way: it is named after the year it starts in (October). */
export function currentSeason(now = DateTime.now().setZone('Asia/Shanghai')): number {
  return now.month >= 7 ? now.year : now.year - 1;
}
