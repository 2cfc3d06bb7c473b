// Excel (.xlsx) exports beside the CSV: the obligation list and the scoreboard, with a title row
// naming what was exported and when, Chinese headings, names rather than codes, and dates and
// times in Beijing time as text (an Excel date carries no zone, so a reader abroad would see it
// shifted). Written with exceljs; cells that look like formulas are kept as text.
import ExcelJS from 'exceljs';
import type { FastifyReply } from 'fastify';
import type { ObligationSummary } from '../client/obligations';
import type { PolicySet } from '../planner/load';
import { levelLabel, seasonLabel, shanghai, statusLabel } from './html';
import { columns as boardColumns, paceNames, totals, type BoardRow } from './scoreboard';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

type Row = ObligationSummary & { daysLeft?: number };

/** One column of the obligations sheet: its heading, width and value. */
interface Column {
  header: string;
  width: number;
  value: (r: Row) => string | number | undefined;
}

/** The filters of a list as people say them, for the title row. */
export function filterWords(set: PolicySet, q: Record<string, unknown>): string {
  const parts: string[] = [];
  if (q.campaign) parts.push(`行动方案 ${campaignTitle(set, String(q.campaign))}`);
  if (q.season !== undefined) parts.push(seasonLabel(Number(q.season)));
  if (q.obligation) parts.push(`任务 ${obligationTitle(set, String(q.campaign ?? ''), String(q.obligation))}`);
  if (q.assignee) parts.push(`责任单位 ${set.organisations.get(String(q.assignee))?.name ?? q.assignee}`);
  if (q.province) parts.push(`省份 ${set.organisations.get(String(q.province))?.name ?? q.province}`);
  if (q.status) parts.push(`状态 ${statusLabel[String(q.status)] ?? q.status}`);
  if (q.level !== undefined) parts.push(`督办级别不低于 ${q.level}`);
  return parts.length ? parts.join('，') : '全部';
}

function campaignTitle(set: PolicySet, id: string): string {
  return set.campaigns.get(id)?.title ?? id;
}

function obligationTitle(set: PolicySet, campaign: string, id: string): string {
  for (const c of campaign ? [set.campaigns.get(campaign)] : [...set.campaigns.values()]) {
    const t = c?.obligations.find((o) => o.id === id)?.title;
    if (t) return t;
  }
  return id;
}

function obligationColumns(set: PolicySet): Column[] {
  const org = (code?: string) => (code ? (set.organisations.get(code)?.name ?? code) : '');
  return [
    { header: '截止时间（北京时间）', width: 20, value: (r) => shanghai(r.deadline) },
    { header: '任务', width: 40, value: (r) => obligationTitle(set, r.campaign ?? '', r.obligation ?? '') },
    { header: '期次', width: 10, value: (r) => r.period },
    { header: '责任单位', width: 18, value: (r) => org(r.assignee) },
    { header: '责任单位代码', width: 12, value: (r) => r.assignee },
    { header: '所属省份', width: 12, value: (r) => org(r.province) },
    { header: '行动方案', width: 40, value: (r) => (r.campaign ? campaignTitle(set, r.campaign) : '') },
    { header: '秋冬季', width: 18, value: (r) => (r.season === undefined ? '' : seasonLabel(r.season)) },
    { header: '状态', width: 14, value: (r) => statusLabel[r.status ?? ''] ?? r.status },
    { header: '督办级别', width: 18, value: (r) => (r.level ? `${r.level} ${levelLabel(r.level)}` : '无') },
    {
      header: '剩余天数（负数为逾期）',
      width: 12,
      value: (r) => (['met', 'met-late', 'waived', 'unmet'].includes(r.status ?? '') ? undefined : r.daysLeft),
    },
    { header: '任务编号', width: 60, value: (r) => r.workflowId },
  ];
}

/** A text cell a spreadsheet would take for a formula is written with a leading apostrophe's meaning: as text. */
function safe(v: string | number | undefined): string | number | null {
  if (v === undefined) return null;
  if (typeof v === 'number') return v;
  return /^[=+\-@]/.test(v) ? `'${v}` : v;
}

function titled(ws: ExcelJS.Worksheet, title: string, subtitle: string, width: number) {
  ws.addRow([title]);
  ws.mergeCells(1, 1, 1, width);
  ws.getCell(1, 1).font = { bold: true, size: 14 };
  ws.addRow([subtitle]);
  ws.mergeCells(2, 1, 2, width);
  ws.getCell(2, 1).font = { color: { argb: 'FF666677' } };
}

function headings(ws: ExcelJS.Worksheet, headers: string[]) {
  const row = ws.addRow(headers);
  row.font = { bold: true };
  row.eachCell((c) => {
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF4' } };
    c.border = { bottom: { style: 'thin' } };
  });
  ws.views = [{ state: 'frozen', ySplit: row.number }];
}

const exportedAt = (now: number) => `导出时间：${shanghai(new Date(now).toISOString())}（北京时间）`;

/** A workbook of one sheet: its title row, the filters and export time beneath, and the frozen headings. */
function oneSheet(
  set: PolicySet,
  q: Record<string, unknown>,
  now: number,
  o: { sheet: string; title: string; headers: string[] },
) {
  const wb = new ExcelJS.Workbook();
  wb.creator = '蓝天';
  wb.created = new Date(now);
  const ws = wb.addWorksheet(o.sheet);
  titled(ws, o.title, `筛选：${filterWords(set, q)} · ${exportedAt(now)}`, o.headers.length);
  headings(ws, o.headers);
  return { wb, ws };
}

/** The obligation list: the same rows as the CSV of the same filters, in the same order. */
export async function obligationsXlsx(
  set: PolicySet,
  rows: Row[],
  q: Record<string, unknown>,
  now = Date.now(),
): Promise<Buffer> {
  const cols = obligationColumns(set);
  const { wb, ws } = oneSheet(set, q, now, {
    sheet: '任务清单',
    title: `任务清单（${rows.length} 项）`,
    headers: cols.map((c) => c.header),
  });
  cols.forEach((c, i) => (ws.getColumn(i + 1).width = c.width));
  for (const r of rows) ws.addRow(cols.map((c) => safe(c.value(r))));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const fills: Record<string, string> = { green: 'FFB7EB8F', yellow: 'FFFFE58F', red: 'FFFFA39E' };

/** The scoreboard as on the wall: one row per organisation in the page's order, the totals last. */
export async function scoreboardXlsx(
  set: PolicySet,
  rows: BoardRow[],
  q: Record<string, unknown>,
  now = Date.now(),
): Promise<Buffer> {
  const headers = [
    ...boardColumns.slice(0, 1).map((c) => c.label),
    '单位代码',
    '所属省份',
    ...boardColumns.slice(1).map((c) => c.label),
  ];
  const { wb, ws } = oneSheet(set, q, now, { sheet: '记分板', title: '记分板：各责任单位完成情况', headers });
  ws.getColumn(1).width = 20;
  ws.getColumn(3).width = 12;
  const line = (r: BoardRow, name: string) => [
    name,
    r.org,
    r.province ? (set.organisations.get(r.province)?.name ?? r.province) : '',
    paceNames[r.pace],
    r.total,
    r.metOnTime,
    r.metLate,
    r.open,
    r.overdue,
    r.escalated,
    r.unmet,
    r.waived,
    r.highestLevel ? `${r.highestLevel} ${levelLabel(r.highestLevel)}` : '无',
    r.problemsOpen,
    r.problemsOverdue,
  ];
  for (const r of rows) {
    const row = ws.addRow(line(r, r.name).map(safe));
    row.getCell(4).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: fills[r.pace] } };
  }
  const t = totals(rows);
  const total = ws.addRow(line(t, `合计（${rows.length} 个单位）`).map(safe));
  total.font = { bold: true };
  total.getCell(4).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: fills[t.pace] } };
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** An attachment named in ASCII with the Chinese name beside it (RFC 5987). */
export function sendXlsx(reply: FastifyReply, body: Buffer, asciiName: string, chineseName: string) {
  return reply
    .type(XLSX_TYPE)
    .header(
      'content-disposition',
      `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(chineseName)}`,
    )
    .send(body);
}
