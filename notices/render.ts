// Notice templates: policies/templates/<name>.hbs, a "subject:" line, a "---" line, then the
// body. Compiled in strict mode, so a misspelt variable is an error naming the template and
// the variable, never a blank in a sent letter.
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

export class TemplateError extends Error {
  constructor(readonly template: string, reason: string) {
    super(`template ${template}: ${reason}`);
    this.name = 'TemplateError';
  }
}

export interface RenderedNotice {
  subject: string;
  text: string;
}

const hbs = Handlebars.create();
/** 2020-01-10 → 2020年1月10日 */
export function chineseDate(date: string): string {
  const [y, m, d] = date.slice(0, 10).split('-').map(Number);
  return `${y}年${m}月${d}日`;
}
hbs.registerHelper('cnDate', (d: unknown) => (typeof d === 'string' ? chineseDate(d) : ''));

interface Compiled {
  subject: Handlebars.TemplateDelegate;
  body: Handlebars.TemplateDelegate;
}
const cache = new Map<string, Compiled>();

export function compileTemplate(dir: string, name: string): Compiled {
  const file = path.join(dir, `${name}.hbs`);
  const cached = cache.get(file);
  if (cached) return cached;
  if (!fs.existsSync(file)) throw new TemplateError(name, `not found (${file})`);
  const src = fs.readFileSync(file, 'utf8');
  const sep = src.indexOf('\n---\n');
  const head = sep >= 0 ? src.slice(0, sep) : '';
  const subjectLine = /^subject:\s*(.+)$/m.exec(head);
  if (!subjectLine) throw new TemplateError(name, 'needs a "subject: …" line followed by a "---" line before the body');
  const opts = { strict: true, noEscape: true } as const;
  const compiled = { subject: hbs.compile(subjectLine[1].trim(), opts), body: hbs.compile(src.slice(sep + 5), opts) };
  cache.set(file, compiled);
  return compiled;
}

export function renderNotice(dir: string, name: string, context: object): RenderedNotice {
  const t = compileTemplate(dir, name);
  try {
    return { subject: t.subject(context).replace(/\s+/g, ' ').trim(), text: t.body(context) };
  } catch (e) {
    // Handlebars strict mode says: "foo" not defined in [object Object]
    const m = /"([^"]+)" not defined/.exec((e as Error).message);
    throw new TemplateError(name, m ? `variable ${m[1]} is not provided` : (e as Error).message);
  }
}
