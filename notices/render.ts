// Notice templates: policies/templates/<name>.hbs, a "subject:" line, optionally a "title:" line
// (a letter's 标题 "关于……的……" in its PDF), a "---" line, then the body. Compiled in strict mode,
// so a misspelt variable is an error naming the template and the variable, never a blank in a
// sent letter.
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    reason: string,
  ) {
    super(`template ${template}: ${reason}`);
    this.name = 'TemplateError';
  }
}

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
  /** The letter's 标题 from the template's "title:" line; absent when the template has none. */
  title?: string;
}

const engine = Handlebars.create();
/** 2020-01-10 → 2020年1月10日 */
export function chineseDate(date: string): string {
  const [y, m, d] = date.slice(0, 10).split('-').map(Number);
  return `${y}年${m}月${d}日`;
}
engine.registerHelper('cnDate', (d: unknown) => (typeof d === 'string' ? chineseDate(d) : ''));

interface Compiled {
  subject: Handlebars.TemplateDelegate;
  title?: Handlebars.TemplateDelegate;
  body: Handlebars.TemplateDelegate;
}
const cache = new Map<string, Compiled>();

function templateSource(dir: string, name: string): { subject: string; title?: string; body: string } {
  const file = path.join(dir, `${name}.hbs`);
  if (!fs.existsSync(file)) throw new TemplateError(name, `not found (${file})`);
  const src = fs.readFileSync(file, 'utf8');
  const sep = src.indexOf('\n---\n');
  const head = sep >= 0 ? src.slice(0, sep) : '';
  const subjectLine = /^subject:\s*(.+)$/m.exec(head);
  if (!subjectLine) throw new TemplateError(name, 'needs a "subject: …" line followed by a "---" line before the body');
  const titleLine = /^title:\s*(.+)$/m.exec(head);
  return {
    subject: subjectLine[1].trim(),
    ...(titleLine ? { title: titleLine[1].trim() } : {}),
    body: src.slice(sep + 5),
  };
}

export function compileTemplate(dir: string, name: string): Compiled {
  const file = path.join(dir, `${name}.hbs`);
  const cached = cache.get(file);
  if (cached) return cached;
  const src = templateSource(dir, name);
  const opts = { strict: true, noEscape: true } as const;
  const compiled: Compiled = {
    subject: engine.compile(src.subject, opts),
    ...(src.title ? { title: engine.compile(src.title, opts) } : {}),
    body: engine.compile(src.body, opts),
  };
  cache.set(file, compiled);
  return compiled;
}

export function renderNotice(dir: string, name: string, context: object): RenderedNotice {
  const t = compileTemplate(dir, name);
  try {
    const subject = t.subject(context).replace(/\s+/g, ' ').trim();
    const title = t.title?.(context).replace(/\s+/g, ' ').trim();
    const text = t.body(context);
    return { subject, text, html: letterHtml(subject, text), ...(title ? { title } : {}) };
  } catch (e) {
    // Handlebars strict mode says: "foo" not defined in [object Object]
    const m = /"([^"]+)" not defined/.exec((e as Error).message);
    throw new TemplateError(name, m ? `variable ${m[1]} is not provided` : (e as Error).message);
  }
}

/**
 * Checks a template when policies load: every variable it names, in every branch (strict mode
 * only sees the branches one rendering takes, and lets an `#if` on a misspelt name be false), must
 * exist in `sample`, a context of the shape its notices get; then one rendering must succeed.
 */
export function checkTemplate(dir: string, name: string, sample: object): void {
  const src = templateSource(dir, name);
  let ast: hbs.AST.Program[];
  try {
    ast = [src.subject, ...(src.title ? [src.title] : []), src.body].map((s) => Handlebars.parse(s));
  } catch (e) {
    throw new TemplateError(name, (e as Error).message.split('\n')[0]);
  }
  const unknown = new Set<string>();
  for (const program of ast) unknownVariables(program, [{ context: sample }], unknown);
  if (unknown.size)
    throw new TemplateError(
      name,
      `${unknown.size === 1 ? 'variable' : 'variables'} ${[...unknown].join(', ')} ${unknown.size === 1 ? 'is' : 'are'} not provided`,
    );
  renderNotice(dir, name, sample);
}

const own = (o: unknown, k: string) =>
  typeof o === 'object' && o !== null && Object.prototype.hasOwnProperty.call(o, k);

/** One level of context: the object names resolve against, and the block parameters (`as |item i|`) in force. */
interface Scope {
  context: unknown;
  params?: Record<string, unknown>;
}

/**
 * Walks a template, entering the contexts `#each`, `#with` and implicit sections enter (the
 * sample's first element stands for every element), and collects the names that resolve to
 * nothing. Handlebars' own data (@index, @first…) always resolves; @root.x is checked.
 */
function unknownVariables(node: hbs.AST.Node | undefined | null, scopes: Scope[], out: Set<string>): void {
  if (!node) return;
  const missing = Symbol('missing');
  const walk = (value: unknown, parts: string[], original: string): unknown => {
    for (const part of parts) {
      if (!own(value, part)) {
        out.add(original);
        return missing;
      }
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  };
  const resolve = (e: hbs.AST.Expression): unknown => {
    if (e.type === 'SubExpression') {
      const s = e as hbs.AST.SubExpression;
      s.params.forEach(resolve);
      s.hash?.pairs.forEach((p) => resolve(p.value));
      return undefined;
    }
    if (e.type !== 'PathExpression') return undefined; // literals
    const p = e as hbs.AST.PathExpression;
    if (p.data) return p.parts[0] === 'root' ? walk(scopes[0].context, p.parts.slice(1), p.original) : undefined;
    if (p.depth === 0 && p.parts.length) {
      const bound = [...scopes].reverse().find((s) => s.params && own(s.params, p.parts[0]));
      if (bound) return walk(bound.params![p.parts[0]], p.parts.slice(1), p.original);
    }
    return walk(scopes[Math.max(0, scopes.length - 1 - p.depth)].context, p.parts, p.original);
  };
  const isHelper = (name: string) => name in engine.helpers;
  switch (node.type) {
    case 'Program':
      (node as hbs.AST.Program).body.forEach((s) => unknownVariables(s, scopes, out));
      return;
    case 'MustacheStatement': {
      const m = node as hbs.AST.MustacheStatement;
      const name = (m.path as hbs.AST.PathExpression).original;
      if (m.params.length || m.hash?.pairs.length || (m.path.type === 'PathExpression' && isHelper(name))) {
        m.params.forEach(resolve);
        m.hash?.pairs.forEach((p) => resolve(p.value));
      } else resolve(m.path);
      return;
    }
    case 'BlockStatement': {
      const b = node as hbs.AST.BlockStatement;
      const name = (b.path as hbs.AST.PathExpression).original;
      b.hash?.pairs.forEach((p) => resolve(p.value));
      // A block whose name is no helper is an implicit section over that value.
      const section = b.path.type === 'PathExpression' && !isHelper(name) && !b.params.length;
      const arg = section ? resolve(b.path) : b.params[0] ? resolve(b.params[0]) : undefined;
      b.params.slice(1).forEach(resolve);
      const each = name === 'each' || (section && Array.isArray(arg));
      const enters = each || name === 'with' || (section && typeof arg === 'object' && arg !== null);
      if (enters && arg !== missing) {
        const inner = each
          ? Array.isArray(arg)
            ? arg[0]
            : arg && typeof arg === 'object'
              ? Object.values(arg)[0]
              : undefined
          : arg;
        if (inner === undefined)
          out.add(
            `${section ? name : (b.params[0] as hbs.AST.PathExpression).original} (empty in the sample: cannot check inside)`,
          );
        else {
          const names = b.program.blockParams ?? [];
          const params = Object.fromEntries(names.map((n, i) => [n, i === 0 ? inner : each ? 0 : undefined]));
          unknownVariables(b.program, [...scopes, { context: inner, ...(names.length ? { params } : {}) }], out);
        }
      } else if (!enters) unknownVariables(b.program, scopes, out);
      unknownVariables(b.inverse, scopes, out);
      return;
    }
    default:
      return; // text, comments, partials (not used by notices)
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The printable form of a letter: the plain text laid out as an official letter (addressee,
 * body paragraphs, issuing office and date at the right). One source, two parts.
 */
export function letterHtml(subject: string, text: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title>
<style>body{font-family:"FangSong","STFangsong","Songti SC",serif;max-width:42em;margin:3em auto;line-height:1.9;font-size:16pt}
h1{font-family:"SimHei","Heiti SC",sans-serif;font-size:20pt;text-align:center;font-weight:normal}
p{text-indent:2em;margin:.4em 0}.addressee,.reference{text-indent:0}.docno{text-align:center;text-indent:0}.signature{text-align:right;text-indent:0;margin-top:2em}
.reference{font-size:10pt;color:#555;margin-top:3em}@media print{body{margin:0}}</style></head>
<body>${letterBodyHtml(subject, text)}
</body></html>
`;
}

/**
 * The letter's content without a document around it (heading and paragraphs), for a page that
 * has its own <html>, <head> and <body>: the web app's print page.
 */
export function letterBodyHtml(subject: string, text: string): string {
  const blocks = text
    .trim()
    .split(/\n\s*\n/)
    .map((b) => b.trim());
  const signatureAt = blocks.findIndex((b, i) => i > 0 && /\d{4}年\d{1,2}月\d{1,2}日\s*$/.test(b));
  const html = blocks.map((b, i) => {
    const inner = escapeHtml(b).replace(/\n/g, '<br>');
    if (i === 0 && /〔\d{4}〕\d+号$/.test(b)) return `<p class="docno">${inner}</p>`;
    if (i === 0 || (i === 1 && /〔\d{4}〕\d+号$/.test(blocks[0]))) return `<p class="addressee">${inner}</p>`;
    if (i === signatureAt) return `<p class="signature">${inner}</p>`;
    if (i > signatureAt && signatureAt > 0) return `<p class="reference">${inner}</p>`;
    return `<p>${inner}</p>`;
  });
  return `<h1>${escapeHtml(subject)}</h1>
${html.join('\n')}`;
}
