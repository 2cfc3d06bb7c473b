// The official working-day calendar: offices count in working days and notices go out only on
// working days, so every date here is one an official letter could hinge on. The shipped data
// (policies/calendar/cn-public-holidays.yaml) is checked against the State Council notices
// retyped below as ranges, and the calendar's answers against cases worked out by hand.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import {
  addDays,
  weekday,
  calendarFromData,
  loadCalendar,
  CalendarCoverageError,
  defaultCalendarFile,
  liveCalendar,
} from '../domain/calendar';

const cal = loadCalendar();
const FILE = 'policies/calendar/cn-public-holidays.yaml';

function range(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}
const off = (dates: string[]) => dates.filter((d) => cal.isWorkingDay(d));
const worked = (dates: string[]) => dates.filter((d) => !cal.isWorkingDay(d));

describe('date arithmetic on YYYY-MM-DD strings', () => {
  test('weekday: 1 = Monday … 7 = Sunday', () => {
    expect(weekday('2019-09-30')).toBe(1);
    expect(weekday('2019-10-01')).toBe(2);
    expect(weekday('2024-02-29')).toBe(4);
    expect(weekday('2019-12-28')).toBe(6);
    expect(weekday('2019-09-29')).toBe(7);
    expect(weekday('1970-01-01')).toBe(4);
    expect(weekday('1969-12-31')).toBe(3);
  });

  test('leap day 2024-02-29 exists, 2023-02-29 and 1900-02-29 do not, 2000-02-29 does', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-02-29', 1)).toBe('2024-03-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('1900-02-28', 1)).toBe('1900-03-01');
    expect(addDays('2000-02-28', 1)).toBe('2000-02-29');
    expect(addDays('2024-02-29', 365)).toBe('2025-02-28');
    expect(() => weekday('2023-02-29')).toThrow(/not a calendar date/);
    expect(() => weekday('1900-02-29')).toThrow(/not a calendar date/);
    expect(weekday('2000-02-29')).toBe(2);
    expect(() => addDays('2024-02-30', 0)).toThrow(/not a calendar date/);
  });

  test('addDays crosses months and years both ways', () => {
    expect(addDays('2019-12-31', 1)).toBe('2020-01-01');
    expect(addDays('2020-01-01', -1)).toBe('2019-12-31');
    expect(addDays('2019-01-31', 30)).toBe('2019-03-02');
    expect(addDays('2026-03-01', -366)).toBe('2025-02-28');
    expect(addDays('2019-10-01', 0)).toBe('2019-10-01');
  });

  test('agrees with the UTC calendar day by day over 2018–2027, whatever the process time zone', () => {
    let d = '2018-01-01';
    for (let t = Date.UTC(2018, 0, 1); t <= Date.UTC(2027, 11, 31); t += 86_400_000) {
      const utc = new Date(t);
      expect(d).toBe(utc.toISOString().slice(0, 10));
      expect(weekday(d)).toBe(utc.getUTCDay() === 0 ? 7 : utc.getUTCDay());
      d = addDays(d, 1);
    }
  });

  test('malformed dates are refused, not guessed', () => {
    expect(() => weekday('2019-9-30')).toThrow(/not a date written YYYY-MM-DD/);
    expect(() => addDays('2019-09-30T00:00:00Z', 1)).toThrow(/YYYY-MM-DD/);
    expect(() => addDays('2019-13-01', 1)).toThrow(/not a calendar date/);
    expect(() => addDays('2019-09-30', 1.5)).toThrow(/whole number/);
  });
});

describe('the shipped PRC calendar', () => {
  test('covers 2019 through 2026 and nothing else (2027 waits for its notice)', () => {
    expect(cal.years).toEqual([2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]);
    expect(cal.covers(2026)).toBe(true);
    expect(cal.covers(2027)).toBe(false);
    expect(cal.covers(2018)).toBe(false);
  });

  test('National Day 2019: 10-01..07 are off and 2019-09-29 (Sunday) and 2019-10-12 (Saturday) are working days', () => {
    expect(off(range('2019-10-01', '2019-10-07'))).toEqual([]);
    expect(cal.isWorkingDay('2019-09-29')).toBe(true);
    expect(cal.isWorkingDay('2019-10-12')).toBe(true);
    expect(cal.isWorkingDay('2019-10-08')).toBe(true);
    expect(cal.isWorkingDay('2019-10-13')).toBe(false); // an ordinary Sunday
  });

  test('Labour Day 2019 as amended: 05-01..04 off, Sundays 04-28 and 05-05 worked', () => {
    expect(off(range('2019-05-01', '2019-05-04'))).toEqual([]);
    expect(worked(['2019-04-28', '2019-05-05', '2019-04-30', '2019-05-06'])).toEqual([]);
  });

  test('2020-01-23 is the last working day before the COVID-extended Spring Festival; work resumes 2020-02-03', () => {
    expect(cal.isWorkingDay('2020-01-23')).toBe(true);
    expect(off(range('2020-01-24', '2020-02-02'))).toEqual([]);
    // Saturday 02-01 was a make-up working day until the extension made it a day off.
    expect(cal.isWorkingDay('2020-02-01')).toBe(false);
    expect(cal.isWorkingDay('2020-01-19')).toBe(true);
    expect(cal.addWorkingDays('2020-01-23', 1)).toBe('2020-02-03');
    expect(cal.previousWorkingDay('2020-02-02')).toBe('2020-01-23');
  });

  test('2020 National Day and Mid-Autumn combined: 10-01..08 off, Sunday 09-27 and Saturday 10-10 worked', () => {
    expect(off(range('2020-10-01', '2020-10-08'))).toEqual([]);
    expect(worked(['2020-09-27', '2020-10-09', '2020-10-10'])).toEqual([]);
    expect(cal.nextWorkingDay('2020-10-01')).toBe('2020-10-09');
  });

  test('2024: 除夕 (Friday 02-09) is a working day; the Spring Festival runs 02-10..17 with Sundays 02-04 and 02-18 worked', () => {
    expect(cal.isWorkingDay('2024-02-09')).toBe(true);
    expect(off(range('2024-02-10', '2024-02-17'))).toEqual([]);
    expect(worked(['2024-02-04', '2024-02-18'])).toEqual([]);
    expect(cal.isWorkingDay('2024-02-29')).toBe(true); // leap day, an ordinary Thursday
    expect(cal.addWorkingDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  test('2025 new rules: Spring Festival from 除夕 01-28 to 02-04 (8 days), Labour Day 05-01..05, one extra day each', () => {
    expect(off(range('2025-01-28', '2025-02-04'))).toEqual([]);
    expect(worked(['2025-01-26', '2025-01-27', '2025-02-05', '2025-02-08'])).toEqual([]);
    expect(off(range('2025-05-01', '2025-05-05'))).toEqual([]);
    expect(cal.isWorkingDay('2025-04-27')).toBe(true);
    expect(cal.isWorkingDay('2025-05-10')).toBe(false); // no second make-up Saturday in 2025
    expect(off(range('2025-10-01', '2025-10-08'))).toEqual([]);
  });

  test('2026: New Year 01-01..03 with Sunday 01-04 worked; a 9-day Spring Festival 02-15..23', () => {
    expect(off(range('2026-01-01', '2026-01-03'))).toEqual([]);
    expect(cal.isWorkingDay('2026-01-04')).toBe(true);
    expect(off(range('2026-02-15', '2026-02-23'))).toEqual([]);
    expect(worked(['2026-02-14', '2026-02-24', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'])).toEqual([]);
    expect(cal.nextWorkingDay('2026-02-15')).toBe('2026-02-24');
  });

  test('the 2023 New Year block began on Saturday 2022-12-31: the next working day is 2023-01-03', () => {
    expect(cal.isWorkingDay('2022-12-30')).toBe(true);
    expect(cal.nextWorkingDay('2022-12-31')).toBe('2023-01-03');
    expect(cal.addWorkingDays('2022-12-30', 1)).toBe('2023-01-03');
  });

  test('the file loads once per path', () => {
    expect(loadCalendar()).toBe(cal);
    expect(loadCalendar(defaultCalendarFile)).toBe(cal);
    expect(loadCalendar(path.join(__dirname, '..', 'policies', 'calendar', '.', 'cn-public-holidays.yaml'))).toBe(cal);
  });
});

describe('rolling and counting working days', () => {
  test('a deadline on Saturday 2019-12-28 rolls to Monday 2019-12-30', () => {
    expect(cal.nextWorkingDay('2019-12-28')).toBe('2019-12-30');
    expect(cal.nextWorkingDay('2019-12-30')).toBe('2019-12-30'); // a working day stays
  });

  test('a reminder due on 2019-10-05 (mid National Day) goes out the working day before: 2019-09-30', () => {
    expect(cal.previousWorkingDay('2019-10-05')).toBe('2019-09-30');
    expect(cal.previousWorkingDay('2019-09-29')).toBe('2019-09-29'); // a make-up Sunday is a working day
    expect(cal.previousWorkingDay('2019-09-28')).toBe('2019-09-27');
  });

  test('2 working days after 2019-09-30 is 2019-10-09', () => {
    expect(cal.addWorkingDays('2019-09-30', 1)).toBe('2019-10-08');
    expect(cal.addWorkingDays('2019-09-30', 2)).toBe('2019-10-09');
  });

  test('counting starts the day after, and a make-up Saturday counts', () => {
    // Friday 2019-10-11 + 1 → Saturday 2019-10-12 (worked), + 2 → Monday 2019-10-14
    expect(cal.addWorkingDays('2019-10-11', 1)).toBe('2019-10-12');
    expect(cal.addWorkingDays('2019-10-11', 2)).toBe('2019-10-14');
    // From a day off: 1 working day after Sunday 2019-12-29 is Monday 12-30
    expect(cal.addWorkingDays('2019-12-29', 1)).toBe('2019-12-30');
  });

  test('0 working days after a date is that date if it is a working day, else the next one', () => {
    expect(cal.addWorkingDays('2019-09-30', 0)).toBe('2019-09-30');
    expect(cal.addWorkingDays('2019-10-03', 0)).toBe('2019-10-08');
  });

  test('10 working days after 2021-09-17 step over Mid-Autumn and National Day', () => {
    // worked: 09-18 (Sat), 22, 23, 24, 26 (Sun), 27, 28, 29, 30, 10-08
    expect(cal.addWorkingDays('2021-09-17', 10)).toBe('2021-10-08');
  });

  test('negative or fractional counts are refused', () => {
    expect(() => cal.addWorkingDays('2019-09-30', -1)).toThrow(RangeError);
    expect(() => cal.addWorkingDays('2019-09-30', 1.5)).toThrow(RangeError);
  });
});

describe('years the calendar does not cover', () => {
  test('a date in 2035 throws CalendarCoverageError naming the year, the file and the date', () => {
    let err: unknown;
    try {
      cal.isWorkingDay('2035-05-06');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CalendarCoverageError);
    const e = err as CalendarCoverageError;
    expect(e.year).toBe(2035);
    expect(e.file).toBe(FILE);
    expect(e.message).toBe(
      `${FILE} does not cover 2035: add that year's holiday notice before planning dates in it (date 2035-05-06)`,
    );
  });

  test('counting or rolling into 2027 fails instead of assuming weekends only', () => {
    expect(cal.isWorkingDay('2026-12-31')).toBe(true);
    expect(() => cal.addWorkingDays('2026-12-31', 1)).toThrow(/does not cover 2027/);
    expect(() => cal.nextWorkingDay('2027-01-04')).toThrow(CalendarCoverageError);
    expect(() => cal.previousWorkingDay('2018-12-31')).toThrow(/does not cover 2018/);
  });
});

// ---------------------------------------------------------------------------------------------
// The notices retyped as ranges ([first, last] days off; make-up working days), to check the YAML
// day by day against a second, independent transcription.
const notices: Record<number, { off: [string, string?][]; work: string[] }> = {
  2019: {
    off: [
      ['2019-01-01'],
      ['2019-02-04', '2019-02-10'],
      ['2019-04-05'],
      ['2019-05-01', '2019-05-04'],
      ['2019-06-07'],
      ['2019-09-13'],
      ['2019-10-01', '2019-10-07'],
    ],
    work: ['2019-02-02', '2019-02-03', '2019-04-28', '2019-05-05', '2019-09-29', '2019-10-12'],
  },
  2020: {
    off: [
      ['2020-01-01'],
      ['2020-01-24', '2020-02-02'],
      ['2020-04-04', '2020-04-06'],
      ['2020-05-01', '2020-05-05'],
      ['2020-06-25', '2020-06-27'],
      ['2020-10-01', '2020-10-08'],
    ],
    work: ['2020-01-19', '2020-04-26', '2020-05-09', '2020-06-28', '2020-09-27', '2020-10-10'],
  },
  2021: {
    off: [
      ['2021-01-01', '2021-01-03'],
      ['2021-02-11', '2021-02-17'],
      ['2021-04-03', '2021-04-05'],
      ['2021-05-01', '2021-05-05'],
      ['2021-06-12', '2021-06-14'],
      ['2021-09-19', '2021-09-21'],
      ['2021-10-01', '2021-10-07'],
    ],
    work: ['2021-02-07', '2021-02-20', '2021-04-25', '2021-05-08', '2021-09-18', '2021-09-26', '2021-10-09'],
  },
  2022: {
    off: [
      ['2022-01-01', '2022-01-03'],
      ['2022-01-31', '2022-02-06'],
      ['2022-04-03', '2022-04-05'],
      ['2022-04-30', '2022-05-04'],
      ['2022-06-03', '2022-06-05'],
      ['2022-09-10', '2022-09-12'],
      ['2022-10-01', '2022-10-07'],
      ['2022-12-31'],
    ],
    work: ['2022-01-29', '2022-01-30', '2022-04-02', '2022-04-24', '2022-05-07', '2022-10-08', '2022-10-09'],
  },
  2023: {
    off: [
      ['2023-01-01', '2023-01-02'],
      ['2023-01-21', '2023-01-27'],
      ['2023-04-05'],
      ['2023-04-29', '2023-05-03'],
      ['2023-06-22', '2023-06-24'],
      ['2023-09-29', '2023-10-06'],
    ],
    work: ['2023-01-28', '2023-01-29', '2023-04-23', '2023-05-06', '2023-06-25', '2023-10-07', '2023-10-08'],
  },
  2024: {
    off: [
      ['2024-01-01'],
      ['2024-02-10', '2024-02-17'],
      ['2024-04-04', '2024-04-06'],
      ['2024-05-01', '2024-05-05'],
      ['2024-06-10'],
      ['2024-09-15', '2024-09-17'],
      ['2024-10-01', '2024-10-07'],
    ],
    work: [
      '2024-02-04',
      '2024-02-18',
      '2024-04-07',
      '2024-04-28',
      '2024-05-11',
      '2024-09-14',
      '2024-09-29',
      '2024-10-12',
    ],
  },
  2025: {
    off: [
      ['2025-01-01'],
      ['2025-01-28', '2025-02-04'],
      ['2025-04-04', '2025-04-06'],
      ['2025-05-01', '2025-05-05'],
      ['2025-05-31', '2025-06-02'],
      ['2025-10-01', '2025-10-08'],
    ],
    work: ['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11'],
  },
  2026: {
    off: [
      ['2026-01-01', '2026-01-03'],
      ['2026-02-15', '2026-02-23'],
      ['2026-04-04', '2026-04-06'],
      ['2026-05-01', '2026-05-05'],
      ['2026-06-19', '2026-06-21'],
      ['2026-09-25', '2026-09-27'],
      ['2026-10-01', '2026-10-07'],
    ],
    work: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
  },
};

type YearData = { source: string; holidays: string[]; workdays: string[] };
const raw = parse(fs.readFileSync(defaultCalendarFile, 'utf8'), { schema: 'core' }) as {
  timezone: string;
  years: Record<string, YearData>;
};

describe('the YAML data against the notices', () => {
  test('timezone is Asia/Shanghai and every year names its State Council notice', () => {
    expect(raw.timezone).toBe('Asia/Shanghai');
    for (const [year, entry] of Object.entries(raw.years)) {
      expect(entry.source).toMatch(
        new RegExp(`国务院办公厅关于${year}年部分节假日安排的通知 \\(国办发明电〔${Number(year) - 1}〕\\d+号`),
      );
    }
    expect(raw.years['2019'].source).toContain('国办发明电〔2019〕3号');
    expect(raw.years['2020'].source).toContain('国办发明电〔2020〕1号');
  });

  test.each(Object.keys(notices).map(Number))(
    '%i: holidays and make-up working days match the notice day by day',
    (year) => {
      const n = notices[year];
      const expectedOff = n.off.flatMap(([a, b]) => range(a, b ?? a)).sort();
      expect([...raw.years[String(year)].holidays].sort()).toEqual(expectedOff);
      expect([...raw.years[String(year)].workdays].sort()).toEqual([...n.work].sort());
    },
  );

  test.each(Object.keys(notices).map(Number))(
    '%i: weekdays off minus make-up days equal the statutory holidays (11 a year, 13 from 2025; 2020 +2 for the COVID extension)',
    (year) => {
      // Every statutory day on a weekday is a day off, one on a weekend is made up on a weekday,
      // and every other weekday taken off (调休) is paid back with a worked weekend day.
      const entry = raw.years[String(year)];
      const weekdaysOff = entry.holidays.filter((d) => weekday(d) <= 5).length;
      const statutory = year >= 2025 ? 13 : 11;
      const extra = year === 2020 ? 2 : 0; // Friday 01-31 off, Saturday 02-01 no longer worked
      expect(weekdaysOff - entry.workdays.length).toBe(statutory + extra);
    },
  );

  test('a working day in the calendar is exactly: not a holiday, and Monday–Friday or a make-up day', () => {
    const holidays = new Set(Object.values(raw.years).flatMap((y) => y.holidays));
    const workdays = new Set(Object.values(raw.years).flatMap((y) => y.workdays));
    let working = 0;
    for (const d of range('2019-01-01', '2026-12-31')) {
      const expected = !holidays.has(d) && (weekday(d) <= 5 || workdays.has(d));
      if (cal.isWorkingDay(d) !== expected) throw new Error(`${d}: calendar says ${!expected}`);
      if (expected) working++;
    }
    // 2019–2026 span 2922 days, 2088 of them Monday–Friday. The notices take 146 weekdays off
    // and make up 52 weekend days: 94 net, i.e. 8 × 11 statutory days, +2 in 2020 (COVID), +1 in
    // each of 2025 and 2026 twice over (13 instead of 11). 2088 − 146 + 52 = 1994.
    expect(working).toBe(1994);
  });
});

// ---------------------------------------------------------------------------------------------
describe('invalid calendar data is refused, naming the file, the YAML path and the reason', () => {
  const base = () => ({
    timezone: 'Asia/Shanghai',
    years: {
      '2020': { source: 'test', holidays: ['2020-01-01', '2020-01-24'], workdays: ['2020-01-19'] },
      '2021': { source: 'test', holidays: ['2021-01-01'], workdays: [] as string[] },
    },
  });
  const messageOf = (data: unknown, file = 'bad-calendar.yaml'): string => {
    try {
      calendarFromData(data, file);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected the calendar data to be refused');
  };

  test('the valid base is accepted (so each failure below is down to its one change)', () => {
    const c = calendarFromData(base(), 'bad-calendar.yaml');
    expect(c.years).toEqual([2020, 2021]);
    expect(c.isWorkingDay('2020-01-19')).toBe(true);
    expect(c.isWorkingDay('2020-01-24')).toBe(false);
  });

  test('a date listed under the wrong year', () => {
    const d = base();
    d.years['2020'].holidays.push('2021-02-12');
    expect(messageOf(d)).toMatch(/bad-calendar\.yaml years\.2020\.holidays\[2\]: 2021-02-12 belongs to 2021/);
  });

  test('a date both a holiday and a make-up working day', () => {
    const d = base();
    d.years['2021'].holidays.push('2021-02-20');
    d.years['2021'].workdays.push('2021-02-20');
    expect(messageOf(d)).toMatch(
      /bad-calendar\.yaml years\.2021\.workdays\[0\]: 2021-02-20 is both a holiday and a make-up working day/,
    );
  });

  test('a make-up working day that is not a weekend day', () => {
    const d = base();
    d.years['2020'].workdays.push('2020-02-03');
    expect(messageOf(d)).toMatch(
      /bad-calendar\.yaml years\.2020\.workdays\[1\]: 2020-02-03 is a Monday: only Saturdays and Sundays/,
    );
  });

  test('a date that does not exist, or is not written YYYY-MM-DD', () => {
    const d = base();
    d.years['2021'].holidays.push('2021-02-29', '2021-2-12');
    const msg = messageOf(d);
    expect(msg).toMatch(/years\.2021\.holidays\[1\]: "2021-02-29" is not a calendar date/);
    expect(msg).toMatch(/years\.2021\.holidays\[2\]: "2021-2-12" is not a date written YYYY-MM-DD/);
  });

  test('a missing source, a misspelt key, a bad year key and a bad time zone', () => {
    const d = base() as unknown as { timezone: string; years: Record<string, Record<string, unknown>> };
    delete d.years['2020'].source;
    d.years['2021'].holiday = [];
    d.years['21'] = { source: 'test' };
    d.timezone = 'China/Beijing';
    const msg = messageOf(d);
    expect(msg).toMatch(/years\.2020\.source: is required/);
    expect(msg).toMatch(/years\.2021: unknown key holiday/);
    expect(msg).toMatch(/years\.21: is not a year/);
    expect(msg).toMatch(/timezone: is not an IANA time zone/);
    expect(msg).toMatch(/4 errors/);
  });

  test('a date listed twice', () => {
    const d = base();
    d.years['2020'].holidays.push('2020-01-24');
    expect(messageOf(d)).toMatch(/years\.2020\.holidays\[2\]: 2020-01-24 is listed twice/);
  });

  test('from a YAML file, the error also gives the line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-calendar-'));
    const file = path.join(dir, 'holidays.yaml');
    fs.writeFileSync(
      file,
      [
        'timezone: Asia/Shanghai',
        'years:',
        '  2020:',
        '    source: test',
        '    holidays: [2020-01-01]',
        '    workdays:',
        '      - 2020-01-19',
        '      - 2020-01-22',
        '',
      ].join('\n'),
    );
    try {
      expect(() => loadCalendar(file)).toThrow(`${file}:8 years.2020.workdays[1]: 2020-01-22 is a Wednesday`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file that is not YAML is refused with its line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-calendar-'));
    const file = path.join(dir, 'holidays.yaml');
    fs.writeFileSync(file, 'timezone: Asia/Shanghai\nyears:\n  2020: [unclosed\n');
    try {
      expect(() => loadCalendar(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+ YAML:`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a calendar from data names the given file in coverage errors', () => {
    const c = calendarFromData(base(), 'test-calendar');
    expect(() => c.isWorkingDay('2022-01-04')).toThrow(
      "test-calendar does not cover 2022: add that year's holiday notice before planning dates in it (date 2022-01-04)",
    );
  });
});

describe('the calendar a running worker and web app use', () => {
  const yaml = (years: Record<string, string[]>) =>
    `timezone: Asia/Shanghai\nyears:\n${Object.entries(years)
      .map(([y, h]) => `  ${y}:\n    source: "test notice ${y}"\n    holidays: [${h.join(', ')}]\n`)
      .join('')}`;

  test("an office adds next year's notice → it is in force without a restart; an edit that does not load leaves the last good one, and says why", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-cal-')), 'cal.yaml');
    fs.writeFileSync(file, yaml({ 2026: ['2026-10-01'] }));
    const refused: string[] = [];
    const live = liveCalendar(file, { checkEveryMs: 0, onRefused: (e) => refused.push(e.message) });
    expect(live.covers(2027)).toBe(false);
    expect(() => live.isWorkingDay('2027-01-01')).toThrow(CalendarCoverageError);

    const touch = (t: number) => fs.utimesSync(file, t, t);
    fs.writeFileSync(file, yaml({ 2026: ['2026-10-01'], 2027: ['2027-01-01'] }));
    touch(Date.now() / 1000 + 10);
    expect(live.years).toEqual([2026, 2027]);
    expect(live.isWorkingDay('2027-01-01')).toBe(false);
    expect(live.nextWorkingDay('2027-01-01')).toBe('2027-01-04');

    fs.writeFileSync(file, yaml({ 2026: ['2026-10-01'], 2027: ['2027-13-01'] }));
    touch(Date.now() / 1000 + 20);
    expect(live.isWorkingDay('2027-01-01')).toBe(false);
    expect(refused).toEqual([expect.stringMatching(/years\.2027\.holidays\[0\]/)]);
  });
});
