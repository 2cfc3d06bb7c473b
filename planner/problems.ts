// Problems found on inspection, at the boundary: the policy of categories, rules and ladders
// (policies/problems.yaml), and a team's spreadsheet (CSV) read into problem workflow inputs. A
// file is refused whole: every bad row is named `file:row column: reason` before anything starts.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Organisation } from '../domain/policy-schema';
import {
  problemFound,
  problemPolicy,
  type ProblemFound,
  type ProblemInput,
  type ProblemPolicy,
} from '../domain/problem';
import type { LoadedCampaign } from './load';

/** A cell as a person typed it: bidirectional controls out, blanks at either end trimmed. */
const cleanText = (s: unknown): string =>
  typeof s === 'string' ? s.replace(/[\u202A-\u202E\u2066-\u2069\u200E\u200F]/g, '').trim() : '';

export class ProblemFileError extends Error {
  constructor(readonly issues: string[]) {
    super(issues.join('\n'));
    this.name = 'ProblemFileError';
  }
}

/** A problem's notices: policies/templates/problems/<name>.hbs (apart from the obligations' templates). */
export const problemTemplatesDir = (templatesDir: string) => path.join(templatesDir, 'problems');

/** policies/problems.yaml, checked: `file path: reason` for each fault, a missing template included. */
export function loadProblemPolicy(
  file: string,
  templatesDir = path.join(path.dirname(file), 'templates'),
): ProblemPolicy {
  const rel = path.basename(file);
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ProblemFileError([`${rel}: cannot be read: ${(e as Error).message}`]);
  }
  const r = problemPolicy.safeParse(doc);
  if (!r.success)
    throw new ProblemFileError(
      r.error.issues.map((i) => `${rel} ${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`),
    );
  const dir = problemTemplatesDir(templatesDir);
  const missing = [
    ...(fs.existsSync(path.join(dir, 'assignment.hbs')) ? [] : [`${rel}: template problems/assignment.hbs is missing`]),
    ...[r.data.ladder, ...r.data.categories.map((c) => c.ladder ?? [])].flatMap((steps, k) =>
      steps.flatMap((s, i) =>
        fs.existsSync(path.join(dir, `${s.template}.hbs`))
          ? []
          : [
              `${rel} ${k ? `categories.${k - 1}.ladder` : 'ladder'}.${i}.template: problems/${s.template}.hbs is missing`,
            ],
      ),
    ),
  ];
  if (missing.length) throw new ProblemFileError(missing);
  return r.data;
}

/** The column each header names, Chinese or English. */
const COLUMNS: Record<string, keyof Row> = {
  问题编号: 'number',
  number: 'number',
  责任单位: 'assignee',
  assignee: 'assignee',
  点位或企业: 'site',
  site: 'site',
  统一社会信用代码: 'creditCode',
  'credit code': 'creditCode',
  类别: 'category',
  category: 'category',
  问题描述: 'description',
  description: 'description',
  发现日期: 'foundDate',
  'found date': 'foundDate',
  检查组: 'team',
  team: 'team',
  条款: 'clause',
  clause: 'clause',
};
const REQUIRED: (keyof Row)[] = ['number', 'assignee', 'site', 'category', 'description', 'foundDate', 'team'];
const HEADER_OF: Record<keyof Row, string> = {
  number: '问题编号',
  assignee: '责任单位',
  site: '点位或企业',
  creditCode: '统一社会信用代码',
  category: '类别',
  description: '问题描述',
  foundDate: '发现日期',
  team: '检查组',
  clause: '条款',
};
interface Row {
  number: string;
  assignee: string;
  site: string;
  creditCode: string;
  category: string;
  description: string;
  foundDate: string;
  team: string;
  clause: string;
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. Rows with their line numbers. */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const s = text.replace(/^\uFEFF/, '');
  const endRow = () => {
    cells.push(cell);
    if (cells.some((c) => c.trim() !== '')) rows.push({ line: start, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n') {
      endRow();
      start = ++line;
    } else if (c !== '\r') cell += c;
  }
  if (cell !== '' || cells.length) endRow();
  return rows;
}

export interface ProblemImportContext {
  campaign: LoadedCampaign;
  season: number;
  policy: ProblemPolicy;
  organisations: Map<string, Organisation>;
}

/** The file's problems as workflow inputs, or a ProblemFileError naming every bad row and column. */
export function readProblemCsv(file: string, text: string, ctx: ProblemImportContext): ProblemInput[] {
  return readProblemRows(file, parseCsv(text), ctx);
}

/** Rows of any spreadsheet (CSV or a workbook's first sheet), each cell as text, with the line it came from. */
export function readProblemRows(
  file: string,
  rows: { line: number; cells: string[] }[],
  ctx: ProblemImportContext,
): ProblemInput[] {
  const name = file;
  const issues: string[] = [];
  if (!rows.length) throw new ProblemFileError([`${name}: the file is empty`]);
  const header = rows[0].cells.map((h) => COLUMNS[cleanText(h).toLowerCase()] ?? COLUMNS[cleanText(h)]);
  rows[0].cells.forEach((h, i) => {
    if (!header[i] && cleanText(h))
      issues.push(`${name}:${rows[0].line} ${cleanText(h)}: is not a column Lantian knows`);
  });
  for (const col of REQUIRED)
    if (!header.includes(col)) issues.push(`${name}:${rows[0].line} ${HEADER_OF[col]}: the column is missing`);
  if (issues.length) throw new ProblemFileError(issues);

  const byName = new Map([...ctx.organisations.values()].map((o) => [o.name, o]));
  const categories = new Map(ctx.policy.categories.map((c) => [c.name, c]));
  const seen = new Map<string, number>();
  const inputs: ProblemInput[] = [];
  for (const { line, cells } of rows.slice(1)) {
    const row = {} as Row;
    header.forEach((col, i) => col && (row[col] = cleanText(cells[i] ?? '')));
    const at = (col: keyof Row, reason: string) => issues.push(`${name}:${line} ${HEADER_OF[col]}: ${reason}`);
    const before = issues.length;
    for (const col of REQUIRED) if (!row[col]) at(col, 'is empty');
    if (issues.length > before) continue;
    const org = ctx.organisations.get(row.assignee) ?? byName.get(row.assignee);
    if (!org) at('assignee', `${row.assignee} is not in the organisations registry (code or name)`);
    else if (!ctx.campaign.scope.includes(org.code) && !ctx.campaign.scope.includes(org.parent ?? ''))
      at('assignee', `${org.name} (${org.code}) is not in campaign ${ctx.campaign.id}'s scope`);
    const category = categories.get(row.category);
    if (!category) at('category', `${row.category} is not a category (${[...categories.keys()].join(', ')})`);
    const earlier = seen.get(row.number);
    if (earlier) at('number', `${row.number} is also on row ${earlier}`);
    seen.set(row.number, line);
    const found: ProblemFound = {
      number: row.number,
      assignee: { code: org?.code ?? row.assignee, name: org?.name ?? row.assignee },
      site: { name: row.site, ...(row.creditCode ? { creditCode: row.creditCode } : {}) },
      category: row.category,
      description: row.description,
      foundDate: row.foundDate,
      team: row.team,
      ...(row.clause ? { clause: row.clause } : {}),
    };
    const r = problemFound.safeParse(found);
    if (!r.success)
      for (const i of r.error.issues) {
        const col = ({ assignee: 'assignee', site: i.path[1] === 'creditCode' ? 'creditCode' : 'site' } as const)[
          String(i.path[0]) as 'assignee' | 'site'
        ];
        at(col ?? (String(i.path[0]) as keyof Row), i.message);
      }
    if (issues.length > before || !category) continue;
    inputs.push({
      ...r.data!,
      campaignId: ctx.campaign.id,
      season: ctx.season,
      rule: category.rule,
      ladder: category.ladder ?? ctx.policy.ladder,
      office: ctx.campaign.office,
      timezone: ctx.campaign.timezone,
      sending: ctx.policy.sending,
    });
  }
  if (issues.length) throw new ProblemFileError(issues);
  if (!inputs.length) throw new ProblemFileError([`${name}: the file holds no problems`]);
  return inputs;
}
