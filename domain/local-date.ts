// Local dates written 'YYYY-MM-DD' (a calendar day in the campaign's time zone), and time zone
// names. Pure integer arithmetic, no Date in the machine's zone: workflows (Update validation),
// the policy schema and the working-day calendar share it.
import { z } from 'zod';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Written YYYY-MM-DD and a day that exists (not 2019-13-31, not 2027-02-30). */
export function isLocalDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

/** An IANA time zone name the runtime knows (Asia/Shanghai), not any string. */
export const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not an IANA time zone' },
);

export const localDate = z
  .string()
  .regex(DATE_RE, 'expected a local date YYYY-MM-DD')
  .refine(isLocalDate, { message: 'is not a date' });
