// The benchmark simulates seasons in the future of the day it runs; where the official holiday
// calendar does not yet cover a year, that year counts weekends only (the output says which).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { calendarFromData, type WorkingCalendar } from '../domain/calendar';

export function benchCalendar(toYear = 2400): { calendar: WorkingCalendar; synthetic: number[] } {
  const file = path.join(__dirname, '..', 'policies', 'calendar', 'cn-public-holidays.yaml');
  const official = fs.existsSync(file)
    ? (parse(fs.readFileSync(file, 'utf8')) as { years: Record<string, unknown> }).years
    : {};
  const years: Record<string, unknown> = {};
  for (const [y, v] of Object.entries(official)) years[String(y)] = v;
  const synthetic: number[] = [];
  for (let y = 2019; y <= toYear; y++) {
    if (!years[String(y)]) {
      years[String(y)] = { source: 'benchmark: weekends only', holidays: [], workdays: [] };
      synthetic.push(y);
    }
  }
  return { calendar: calendarFromData({ timezone: 'Asia/Shanghai', years }, 'bench-calendar'), synthetic };
}
