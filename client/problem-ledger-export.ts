// The problem ledger (问题台账) as a workbook or CSV: a sheet of cities with their counts by state
// and category, and a sheet of the problems themselves, open ones oldest first, 遗留 and 反弹 marked.
// Cells that look like formulas are written as text (a site name typed as "=…" must not run).
import ExcelJS from 'exceljs';
import { ledgerStates, type Ledger, type LedgerEntry, type LedgerRow } from '../domain/problem-ledger';

const safe = (v: string | number): string | number => (typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

function cityRows(l: Ledger, categories: string[]): { header: string[]; rows: (string | number)[][] } {
  const header = ['责任单位', '代码', '问题总数', '未销号', ...ledgerStates, '反弹', '举一反三', '遗留', ...categories];
  const row = (r: LedgerRow) => [
    r.name,
    r.org,
    r.total,
    r.open,
    ...ledgerStates.map((s) => r.byState[s]),
    r.rebounds,
    r.similar,
    r.carriedOver,
    ...categories.map((c) => `${r.byCategory[c]?.open ?? 0}/${r.byCategory[c]?.total ?? 0}`),
  ];
  return { header, rows: [...l.cities.map(row), row(l.region)] };
}

const problemHeader = [
  '问题编号',
  '责任单位',
  '点位或企业',
  '类别',
  '发现日期',
  '整改期限',
  '台账状态',
  '督办级别',
  '遗留',
  '反弹',
  '举一反三',
  '秋冬季',
];
const problemRow = (p: LedgerEntry): (string | number)[] => [
  p.number,
  p.assignee.name,
  p.site,
  p.category,
  p.foundDate,
  p.dueDate ?? '',
  p.state,
  p.level,
  p.carriedOver ? '遗留' : '',
  p.rebound ? '反弹' : '',
  p.similar,
  `${p.season}–${p.season + 1}年秋冬季`,
];

const categoriesOf = (l: Ledger) => Object.keys(l.region.byCategory).sort();

/** The ledger as .xlsx: 汇总 (cities and the region) and 问题清单 (every problem). */
export async function ledgerXlsx(l: Ledger, title: string): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const summary = book.addWorksheet('汇总');
  const { header, rows } = cityRows(l, categoriesOf(l));
  summary.addRow([title]);
  summary.addRow(header);
  rows.forEach((r) => summary.addRow(r.map(safe)));
  summary.getRow(2).font = { bold: true };
  const list = book.addWorksheet('问题清单');
  list.addRow(problemHeader);
  l.problems.forEach((p) => list.addRow(problemRow(p).map(safe)));
  list.getRow(1).font = { bold: true };
  return Buffer.from(await book.xlsx.writeBuffer());
}

const csvCell = (v: string | number) => {
  const s = String(safe(v));
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The problems of the ledger as CSV (UTF-8 with a byte-order mark, which Excel needs for Chinese). */
export function ledgerCsv(l: Ledger): string {
  return (
    '\uFEFF' + [problemHeader, ...l.problems.map(problemRow)].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n'
  );
}

/** The ledger's cities as a table for a terminal. */
export function ledgerText(l: Ledger): string {
  const { header, rows } = cityRows(l, []);
  return [header, ...rows].map((r) => r.join('\t')).join('\n');
}
