// Daily city air-quality figures as CSV: `date,code,pm25,aqi` (local date, organisation code,
// daily mean PM2.5 in µg/m³, daily AQI). A file is taken whole or refused whole: every problem
// is reported with its line, column and reason before anything is stored.

export interface DailyRow {
  date: string;
  code: string;
  pm25: number;
  aqi: number;
  line: number;
}

export interface CsvProblem {
  line: number;
  column: string;
  reason: string;
}

export class CsvRefused extends Error {
  constructor(
    readonly file: string,
    readonly problems: CsvProblem[],
  ) {
    super(
      `${file} refused, nothing imported (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems
          .slice(0, 50)
          .map((p) => `  ${file}:${p.line} ${p.column}: ${p.reason}`)
          .join('\n') +
        (problems.length > 50 ? `\n  … and ${problems.length - 50} more` : ''),
    );
    this.name = 'CsvRefused';
  }
}

export interface CsvRules {
  /** Codes that may appear (the campaign's assessed cities). */
  codes: Set<string>;
  /** How the allowed codes are described in a refusal. */
  codesAre?: string;
  /** How the allowed dates are described in a refusal. */
  datesAre?: string;
  /** Inclusive local dates the figures must fall in. */
  from: string;
  to: string;
}

export const HEADER = 'date,code,pm25,aqi';
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

function realDate(s: string): boolean {
  const [y, m, d] = s.split('-').map(Number);
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** Splits only; the format has no quoting (codes and numbers never contain commas). */
export function readRows(text: string): { header: string; lines: { line: number; cells: string[] }[] } {
  const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const lines: { line: number; cells: string[] }[] = [];
  for (let i = 1; i < raw.length; i++) {
    if (raw[i].trim() === '') continue;
    lines.push({ line: i + 1, cells: raw[i].split(',').map((c) => c.trim()) });
  }
  return { header: (raw[0] ?? '').trim(), lines };
}

export function parseDailyCsv(file: string, text: string, rules: CsvRules): DailyRow[] {
  const problems: CsvProblem[] = [];
  const { header, lines } = readRows(text);
  if (header.replace(/\s/g, '') !== HEADER) {
    throw new CsvRefused(file, [
      { line: 1, column: 'header', reason: `expected the header "${HEADER}", found ${JSON.stringify(header)}` },
    ]);
  }
  const rows: DailyRow[] = [];
  const seen = new Map<string, number>();
  for (const { line, cells } of lines) {
    const at = (column: string, reason: string) => problems.push({ line, column, reason });
    if (cells.length !== 4) {
      at('row', `expected 4 columns (${HEADER}), found ${cells.length}`);
      continue;
    }
    const [date, code, pm25s, aqis] = cells;
    const before = problems.length;
    if (!DATE.test(date) || !realDate(date)) at('date', `${JSON.stringify(date)} is not a date YYYY-MM-DD`);
    else if (date < rules.from || date > rules.to)
      at('date', `${date} is outside ${rules.datesAre ?? 'the campaign period'} ${rules.from}..${rules.to}`);
    if (!rules.codes.has(code))
      at('code', `unknown code ${JSON.stringify(code)} (${rules.codesAre ?? 'not a city assessed in this campaign'})`);
    const num = (s: string, column: string, integer: boolean): number => {
      if (!NUMBER.test(s)) {
        at(column, `${JSON.stringify(s)} is not a number`);
        return NaN;
      }
      const n = Number(s);
      if (n < 0) at(column, `${s} is negative`);
      else if (integer && !Number.isInteger(n)) at(column, `${s} is not a whole number`);
      return n;
    };
    const pm25 = num(pm25s, 'pm25', false);
    const aqi = num(aqis, 'aqi', true);
    const key = `${code}|${date}`;
    const first = seen.get(key);
    if (first !== undefined) at('date', `duplicate day: ${code} ${date} already on line ${first}`);
    else seen.set(key, line);
    if (problems.length === before) rows.push({ date, code, pm25, aqi, line });
  }
  if (!lines.length) problems.push({ line: 1, column: 'row', reason: 'no data rows' });
  if (problems.length) throw new CsvRefused(file, problems);
  return rows;
}
