// A letter in 公文 form (GB/T 9704-2012《党政机关公文格式》) as a PDF, made on the server when the
// letter is issued and attached to its e-mail.
//
// Library: PDFKit (foliojs/pdfkit, MIT), pinned exactly. It is the long-maintained PDF writer for
// Node with no native code or browser, and it embeds OpenType fonts through fontkit, which selects
// a face of a font collection (.ttc) by PostScript name and writes a subset of the glyphs used:
// a CJK letter is some 100 KB rather than the 26 MB font. Every coordinate is ours, so the
// standard's measures (mm from the page's edges) are placed exactly; and it writes the same bytes
// for the same input once its creation date and file ID are fixed (below), which a letter needs.
//
// Fonts: the standard asks for 仿宋_GB2312 (body) and 小标宋 (title, letterhead), which no
// registry ships under an open licence. Debian's one FangSong, fonts-cwtex-fs (cwTeX 仿宋體,
// GPL-2+), covers traditional characters only (it lacks 预, 办, 领, 导, 关, 请…). So the body is
// Noto Serif CJK SC Regular and the title and letterhead Noto Serif CJK SC Bold (for 小标宋),
// from Debian's fonts-noto-cjk (SIL OFL 1.1), the SC face picked out of the collection by its
// PostScript name, embedded and subset.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import { copiedOrganisations, officialLetter, type OfficialLetter } from './official-letter';
import { letterStoreOf, sha256Hex, type LetterStore, type StoredPdf } from '../storage/letters';
import type { MailAttachment } from './mailer';
import type { RenderedNotice } from './render';

export { copiedOrganisations, officialLetter };

const mm = (x: number) => (x * 72) / 25.4;

/** The standard's measures, in points. */
export const LAYOUT = {
  /** A4, 210 × 297 mm. */
  page: { width: mm(210), height: mm(297) },
  /** 版心: 天头 37 mm, 订口 28 mm, 156 × 225 mm. */
  top: mm(37),
  left: mm(28),
  width: mm(156),
  height: mm(225),
  /** 22 lines of 28 characters of 3号 (16 pt). */
  lines: 22,
  chars: 28,
  body: 16,
  /** 4号: the 版记 and the page numbers. */
  small: 14,
  /** 2号: the title. */
  title: 22,
  /** The letterhead at most; a long office name is set narrower (长体), then smaller. */
  letterhead: 36,
  /** The letterhead's top edge below the top of the 版心. */
  letterheadDrop: mm(35),
  /** The page number's top edge below the 版心. */
  folioDrop: mm(7),
} as const;

const PITCH = LAYOUT.height / LAYOUT.lines;
const RIGHT = LAYOUT.left + LAYOUT.width;
const BOTTOM = LAYOUT.top + LAYOUT.height;
/** Character spacing that puts exactly 28 characters of 16 pt in the 156 mm line. */
const TRACKING = (LAYOUT.width - LAYOUT.chars * LAYOUT.body) / (LAYOUT.chars - 1);
const CELL = LAYOUT.body + TRACKING;
const RED = '#E60012';
const BLACK = '#000000';

/**
 * Noto CJK's ideographic em box runs from 0.88 em above the baseline to 0.12 em below it (its
 * OS/2 typo metrics); PDFKit puts the baseline one hhea ascent (1.151 em) below the y it is given.
 */
const EM_TOP = 0.88;
const ASCENT = 1.151;

export interface LetterFont {
  file: string;
  postscriptName: string;
}

const FONT_DIRS = ['/usr/share/fonts/opentype/noto', '/usr/share/fonts/noto-cjk', '/usr/share/fonts/google-noto-cjk'];

export class LetterFontMissingError extends Error {
  constructor(file: string) {
    super(`the letters' font ${file} is not installed (Debian: apt-get install fonts-noto-cjk)`);
    this.name = 'LetterFontMissingError';
  }
}

function findFont(file: string, postscriptName: string): LetterFont {
  const dir = FONT_DIRS.find((d) => fs.existsSync(path.join(d, file)));
  if (!dir) throw new LetterFontMissingError(file);
  return { file: path.join(dir, file), postscriptName };
}

/** The faces a letter uses: 仿宋 → Noto Serif CJK SC Regular, 小标宋 → Noto Serif CJK SC Bold. */
export function letterFonts(): { regular: LetterFont; bold: LetterFont } {
  return {
    regular: findFont('NotoSerifCJK-Regular.ttc', 'NotoSerifCJKsc-Regular'),
    bold: findFont('NotoSerifCJK-Bold.ttc', 'NotoSerifCJKsc-Bold'),
  };
}

/**
 * Each face parsed once per process with fontkit (PDFKit's own font engine) and handed to every
 * letter: parsing a CJK font's tables costs more than laying out a letter. PDFKit writes each
 * letter's own subset from it.
 */
const parsed = new Map<string, fontkit.Font>();
function face(font: LetterFont): fontkit.Font {
  const key = `${font.file}#${font.postscriptName}`;
  let f = parsed.get(key);
  if (!f) {
    const opened = fontkit.create(fs.readFileSync(font.file), font.postscriptName);
    if (!opened || !('layout' in opened)) throw new LetterFontMissingError(`${font.file} (${font.postscriptName})`);
    parsed.set(key, (f = opened));
  }
  return f;
}

type Doc = PDFKit.PDFDocument;
type TextOptions = PDFKit.Mixins.TextOptions & { horizontalScaling?: number };

interface Face {
  name: 'regular' | 'bold';
  size: number;
  tracking?: number;
  scaling?: number;
}

function setFace(doc: Doc, f: Face): TextOptions {
  doc.font(f.name).fontSize(f.size);
  return {
    lineBreak: false,
    characterSpacing: f.tracking ?? 0,
    ...(f.scaling && f.scaling !== 100 ? { horizontalScaling: f.scaling } : {}),
  };
}

/**
 * Widths of the units of text (a CJK character, a number…), per face and size, shared by every
 * letter: shaping a CJK string is the costly part of laying out a letter, and line breaking
 * measures each line again as it grows.
 */
const unitWidths = new Map<string, number>();

function measure(doc: Doc, f: Face, s: string): number {
  if (!s) return 0;
  let natural = 0;
  for (const u of units(s)) {
    const key = `${f.name}|${f.size}|${u}`;
    let w = unitWidths.get(key);
    if (w === undefined) {
      setFace(doc, { name: f.name, size: f.size });
      unitWidths.set(key, (w = doc.widthOfString(u)));
    }
    natural += w;
  }
  return (natural + (f.tracking ?? 0) * (s.length - 1)) * ((f.scaling ?? 100) / 100);
}

/** Draws `s` with the top of its em box at `emTop`. */
function put(doc: Doc, f: Face, s: string, x: number, emTop: number, color = BLACK): void {
  if (!s) return;
  const options = setFace(doc, f);
  doc.fillColor(color).text(s, x, emTop + (EM_TOP - ASCENT) * f.size, options);
}

// ------------------------------------------------------------------------------------ line breaking

/** Not at the start of a line (标点禁则), and not at its end. */
const NO_START = new Set([...'，。、；：？！）》」』】〕〉”’…—·%,.;:?!)]}']);
const NO_END = new Set([...'（《「『【〔〈“‘([{']);
const WIDE =
  /[\u1100-\u115F\u2010-\u206F\u2E80-\u303F\u3040-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFE10-\uFE6F\uFF00-\uFFEF]/;

/**
 * Each CJK character or full-width mark is a unit; a run of other characters (a number, a Latin
 * word) is one, or several when it has separators (an identifier breaks after : - / _).
 */
function units(text: string): string[] {
  const out: string[] = [];
  let run = '';
  const end = () => {
    if (run) out.push(...(run.match(/[^:/_-]*(?:[:/_-]+|$)/g) ?? []).filter(Boolean));
    run = '';
  };
  for (const ch of text) {
    if (WIDE.test(ch) || /\s/.test(ch)) {
      end();
      out.push(/\s/.test(ch) ? ' ' : ch);
    } else run += ch;
  }
  end();
  return out;
}

/**
 * Lines of at most `width` (the first `indent` narrower), breaking between units, never before a
 * closing mark or after an opening one; a run longer than a line breaks anywhere.
 */
function wrap(text: string, width: number, size: (s: string) => number, indent = 0): string[] {
  const lines: string[] = [];
  let cur: string[] = [];
  const room = () => width - (lines.length ? 0 : indent) + 0.01;
  const flush = (next: string[]) => {
    while (cur.length > 1 && ((next.length && NO_START.has(next[0][0])) || NO_END.has(cur[cur.length - 1].slice(-1))))
      next.unshift(cur.pop()!);
    lines.push(cur.join('').trimEnd());
    cur = next;
  };
  const queue = units(text);
  while (queue.length) {
    const u = queue.shift()!;
    if (!cur.length && u === ' ') continue;
    if (size(cur.join('') + u) <= room()) {
      cur.push(u);
      continue;
    }
    if (u.length > 1 && size(u) > width) {
      // A run longer than a line: as much of it as fits here, the rest on the next.
      const chars = [...u];
      let n = 0;
      while (n < chars.length && size(cur.join('') + chars.slice(0, n + 1).join('')) <= room()) n++;
      if (n > 0) {
        cur.push(chars.slice(0, n).join(''));
        queue.unshift(chars.slice(n).join(''));
        flush([]);
      } else if (cur.length) {
        queue.unshift(u);
        flush([]);
      } else {
        cur.push(chars[0]);
        queue.unshift(chars.slice(1).join(''));
        flush([]);
      }
      continue;
    }
    if (!cur.length) {
      cur.push(u);
      continue;
    }
    flush([u]);
  }
  if (cur.length) lines.push(cur.join('').trimEnd());
  return lines;
}

/**
 * The title's lines: as few as fit, broken between words (Intl.Segmenter's dictionary) so that
 * no word is split, balanced, with the upper line the longer (梯形) when they cannot be equal.
 */
function titleLines(title: string, width: number, size: (s: string) => number): string[] {
  if (size(title) <= width) return [title];
  const words = [...new Intl.Segmenter('zh', { granularity: 'word' }).segment(title)].map((s) => s.segment);
  // Not between two one-character words (a word the dictionary lacks, as 蒸|吨), nor between a
  // number and its unit.
  const single = (w: string) => [...w].length === 1 && WIDE.test(w);
  const cuts: number[] = [];
  for (let i = 1; i < words.length; i++) {
    const [before, after] = [words[i - 1], words[i]];
    if (NO_START.has(after[0]) || NO_END.has(before.slice(-1))) continue;
    if ((single(before) && single(after)) || (/\d$/.test(before) && WIDE.test(after[0]))) continue;
    cuts.push(i);
  }
  let best: { lines: string[]; score: number } | undefined;
  for (const c of cuts) {
    const upper = words.slice(0, c).join('');
    const lower = words.slice(c).join('');
    if (size(upper) > width || size(lower) > width) continue;
    const diff = size(upper) - size(lower);
    const score = diff >= 0 ? diff : -diff * 1.5;
    if (!best || score < best.score) best = { lines: [upper, lower], score };
  }
  return best?.lines ?? wrap(title, width, size);
}

// ------------------------------------------------------------------------------------ pages

/** One line of the 22 on a page: drawn given the top of its cell. */
type Row = ((doc: Doc, cellTop: number) => void) | null;

const emTopIn = (cellTop: number, size: number, height = PITCH) => cellTop + (height - size) / 2;

const body: Face = { name: 'regular', size: LAYOUT.body, tracking: TRACKING };

/** A paragraph's lines: two characters' indent, justified but for the last line. */
function paragraphRows(doc: Doc, text: string, indent = 2 * CELL): Row[] {
  const lines = wrap(text, LAYOUT.width, (s) => measure(doc, body, s), indent);
  return lines.map((line, i) => {
    const x = LAYOUT.left + (i === 0 ? indent : 0);
    const last = i === lines.length - 1;
    const glyphs = [...line].length;
    const slack = LAYOUT.width - (x - LAYOUT.left) - measure(doc, body, line);
    // A line cut short by a long identifier stays ragged rather than spaced out.
    const justify = !last && glyphs > 1 && slack > 0 && slack <= 3 * CELL;
    const face = justify ? { ...body, tracking: TRACKING + slack / (glyphs - 1) } : body;
    return (d, top) => put(d, face, line, x, emTopIn(top, LAYOUT.body));
  });
}

interface Laid {
  pages: Row[][];
  /** Rows page 1's head (letterhead to title) takes before the 主送机关. */
  head: number;
}

/**
 * Fills pages of 22 lines with unbreakable blocks; blank lines at the top of a page are dropped.
 * Page 1 starts below its head.
 */
function paginate(blocks: Row[][], head: number): Row[][] {
  const pages: Row[][] = [Array<Row>(head).fill(null)];
  for (const block of blocks) {
    let rows = block;
    if (pages[pages.length - 1].length + rows.length > LAYOUT.lines) {
      pages.push([]);
      while (rows.length && rows[0] === null) rows = rows.slice(1);
    }
    pages[pages.length - 1].push(...rows);
  }
  return pages;
}

function letterheadFace(doc: Doc, office: string): Face {
  const natural = measure(doc, { name: 'bold', size: LAYOUT.letterhead }, office);
  const scaling = Math.min(100, (LAYOUT.width / natural) * 100);
  if (scaling >= 55) return { name: 'bold', size: LAYOUT.letterhead, scaling };
  return { name: 'bold', size: (LAYOUT.letterhead * scaling) / 55, scaling: 55 };
}

function layOut(doc: Doc, letter: OfficialLetter): Laid & { copiesRows: Row[]; issueRow: Row } {
  const title: Face = { name: 'bold', size: LAYOUT.title };
  const head = letterheadFace(doc, letter.office);
  const headBottom = LAYOUT.top + LAYOUT.letterheadDrop + head.size;
  // 发文字号: the first line at least two blank lines below the letterhead.
  const numberRow = Math.ceil((headBottom + 2 * PITCH - LAYOUT.top - (PITCH - LAYOUT.body) / 2) / PITCH - 1e-6);
  const numberTop = emTopIn(LAYOUT.top + numberRow * PITCH, LAYOUT.body);
  // The red line 4 mm below the 发文字号; the title two blank lines below it.
  const ruleY = numberTop + LAYOUT.body + mm(4);
  const titleRow = numberRow + 3;
  const titleText = titleLines(letter.title, LAYOUT.width, (s) => measure(doc, title, s));
  const addresseeRow = titleRow + titleText.length + 1;

  const headRows = (d: Doc) => {
    const headWidth = measure(d, head, letter.office);
    put(d, head, letter.office, LAYOUT.left + (LAYOUT.width - headWidth) / 2, LAYOUT.top + LAYOUT.letterheadDrop, RED);
    const plain: Face = { name: 'regular', size: LAYOUT.body };
    if (letter.documentNumber) {
      const w = measure(d, plain, letter.documentNumber);
      put(d, plain, letter.documentNumber, LAYOUT.left + (LAYOUT.width - w) / 2, numberTop);
    }
    d.save().lineWidth(1.5).strokeColor(RED).moveTo(LAYOUT.left, ruleY).lineTo(RIGHT, ruleY).stroke().restore();
    titleText.forEach((line, i) => {
      const w = measure(d, title, line);
      put(
        d,
        title,
        line,
        LAYOUT.left + (LAYOUT.width - w) / 2,
        emTopIn(LAYOUT.top + (titleRow + i) * PITCH, LAYOUT.title),
      );
    });
  };

  const addressee: Row = (d, top) => put(d, body, `${letter.addressee}：`, LAYOUT.left, emTopIn(top, LAYOUT.body));
  const paragraphs = letter.body.map((p) => paragraphRows(doc, p));
  const signature = signatureRows(doc, letter);
  // Blocks: the 主送机关 with the first line of the 正文; each further line on its own; the last
  // line with the 署名 and 成文日期 (a signature never stands alone on a page); the 附注.
  const lines = paragraphs.flat();
  const blocks: Row[][] = [];
  if (lines.length <= 1) blocks.push([addressee, ...lines, null, null, ...signature]);
  else {
    blocks.push([addressee, lines[0]]);
    for (const l of lines.slice(1, -1)) blocks.push([l]);
    blocks.push([lines[lines.length - 1], null, null, ...signature]);
  }
  const notes = letter.notes.flatMap((n) => paragraphRows(doc, n));
  if (notes.length) blocks.push([null, ...notes]);
  const pages = paginate(blocks, addresseeRow);
  const first = pages[0];
  first[0] = (d) => headRows(d);
  return { pages, head: addresseeRow, ...colophonRows(doc, letter) };
}

/** 发文机关署名 centred over the 成文日期, which stands four characters in from the right. */
function signatureRows(doc: Doc, letter: OfficialLetter): Row[] {
  const plain: Face = { name: 'regular', size: LAYOUT.body, tracking: TRACKING };
  const dateWidth = measure(doc, plain, letter.date);
  const signatureWidth = measure(doc, plain, letter.signature);
  let dateRight = RIGHT - 4 * CELL;
  // A 署名 longer than the date: the date two characters in, the 署名 as far right as that allows.
  if (signatureWidth > dateWidth) dateRight = RIGHT - 2 * CELL;
  const centre = dateRight - dateWidth / 2;
  const signatureX = Math.max(LAYOUT.left, Math.min(centre - signatureWidth / 2, dateRight - signatureWidth));
  return [
    (d, top) => put(d, plain, letter.signature, signatureX, emTopIn(top, LAYOUT.body)),
    (d, top) => put(d, plain, letter.date, dateRight - dateWidth, emTopIn(top, LAYOUT.body)),
  ];
}

/**
 * 版记: 抄送 (one character in from each side, continued under its first organisation, ending
 * with 。), then 印发机关 (left) and 印发日期 (right), in 4号; a thick rule above and below, a thin
 * one between; the last rule on the bottom edge of the 版心.
 */
function colophonRows(doc: Doc, letter: OfficialLetter): { copiesRows: Row[]; issueRow: Row } {
  const small: Face = { name: 'regular', size: LAYOUT.small };
  const inset = LAYOUT.small;
  const label = '抄送：';
  const labelWidth = measure(doc, small, label);
  const copies = letter.copies.length ? `${letter.copies.join('，')}。` : '';
  const copyLines = copies ? wrap(copies, LAYOUT.width - 2 * inset - labelWidth, (s) => measure(doc, small, s)) : [];
  const copiesRows: Row[] = copyLines.map((line, i) => (d, top) => {
    const y = emTopIn(top, LAYOUT.small);
    if (i === 0) put(d, small, label, LAYOUT.left + inset, y);
    put(d, small, line, LAYOUT.left + inset + labelWidth, y);
  });
  const printedOn = `${letter.printedOn}印发`;
  const dateWidth = measure(doc, small, printedOn);
  // A 印发机关 too long to leave a character's space before the date is set narrower (长体).
  const room = LAYOUT.width - 2 * inset - dateWidth - LAYOUT.small;
  const byWidth = measure(doc, small, letter.printedBy);
  const by: Face = byWidth > room ? { ...small, scaling: Math.max(50, (room / byWidth) * 100) } : small;
  const issueRow: Row = (d, top) => {
    const y = emTopIn(top, LAYOUT.small);
    put(d, by, letter.printedBy, LAYOUT.left + inset, y);
    put(d, small, printedOn, RIGHT - inset - dateWidth, y);
  };
  return { copiesRows, issueRow };
}

function rule(doc: Doc, y: number, thickness: number): void {
  doc.save().lineWidth(thickness).strokeColor(BLACK).moveTo(LAYOUT.left, y).lineTo(RIGHT, y).stroke().restore();
}

/** — 1 —: 7 mm below the 版心, odd pages on the right, even on the left, one character in. */
function folio(doc: Doc, n: number): void {
  const small: Face = { name: 'regular', size: LAYOUT.small };
  const text = `— ${n} —`;
  const w = measure(doc, small, text);
  const x = n % 2 === 1 ? RIGHT - LAYOUT.small - w : LAYOUT.left + LAYOUT.small;
  put(doc, small, text, x, BOTTOM + LAYOUT.folioDrop);
}

export interface LetterPdfMeta {
  /** The notice key: the PDF's file ID is derived from it. */
  key: string;
  /** When the letter was issued (ms): the PDF's creation date. */
  issuedAt: number;
  subject?: string;
}

/**
 * The letter as a PDF. Deterministic: the same letter and meta give the same bytes (the creation
 * date is the issue time, the file ID a digest of the key, the font subset's name fixed).
 */
export async function renderLetterPdf(letter: OfficialLetter, meta: LetterPdfMeta): Promise<Buffer> {
  const fonts = letterFonts();
  // `font: null` and `lang` are PDFKit options its type declarations lack.
  const doc = new PDFDocument({
    size: [LAYOUT.page.width, LAYOUT.page.height],
    margin: 0,
    autoFirstPage: false,
    lang: 'zh-CN',
    // No Helvetica: PDFKit would load its metrics for nothing.
    font: null,
    displayTitle: true,
    info: {
      Title: letter.title,
      Author: letter.office,
      ...(meta.subject ? { Subject: meta.subject } : {}),
      Creator: 'Lantian',
      CreationDate: new Date(meta.issuedAt),
    },
  } as unknown as PDFKit.PDFDocumentOptions);
  // PDFKit derives the file ID from the info; the key makes it this letter's alone.
  (doc as unknown as { _id: Buffer })._id = crypto.createHash('md5').update(meta.key).digest();
  // PDFKit takes a parsed fontkit font as it takes a file (its type declarations do not say so).
  doc.registerFont('regular', face(fonts.regular) as unknown as Buffer);
  doc.registerFont('bold', face(fonts.bold) as unknown as Buffer);
  // Fonts are numbered (F1, F2) in the order first used: fix it, whatever measuring uses first.
  doc.font('regular').font('bold');
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });

  const { pages, copiesRows, issueRow } = layOut(doc, letter);
  // 版记 at the foot of the last page, which is an even one (the back of a sheet).
  const colophon = [...copiesRows, issueRow];
  let blankBefore = false;
  if (pages[pages.length - 1].length + colophon.length > LAYOUT.lines || pages.length % 2 === 1) {
    if (pages[pages.length - 1].length + colophon.length > LAYOUT.lines && pages.length % 2 === 0) {
      pages.push([]);
      blankBefore = true;
    }
    pages.push([]);
  }
  const last = pages.length - 1;
  pages.forEach((rows, p) => {
    doc.addPage({ size: [LAYOUT.page.width, LAYOUT.page.height], margin: 0 });
    rows.forEach((row, i) => row?.(doc, LAYOUT.top + i * PITCH));
    if (p === last) {
      const first = LAYOUT.lines - colophon.length;
      colophon.forEach((row, i) => row?.(doc, LAYOUT.top + (first + i) * PITCH));
      rule(doc, LAYOUT.top + first * PITCH, mm(0.35));
      if (copiesRows.length) rule(doc, BOTTOM - PITCH, mm(0.25));
      rule(doc, BOTTOM - mm(0.35) / 2, mm(0.35));
    }
    // The 版记 page, and a blank page before it, carry no page number.
    if (!(blankBefore && p >= last - 1)) folio(doc, p + 1);
  });
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}

export class LetterPdfChangedError extends Error {
  constructor(key: string, stored: string, now: string) {
    super(
      `the PDF of ${key} was issued as sha256 ${stored.slice(0, 12)}…, and its file is gone; rendering it again gives ${now.slice(0, 12)}…, so it is not replaced`,
    );
    this.name = 'LetterPdfChangedError';
  }
}

export interface IssuedPdf {
  stored: StoredPdf;
  attachment: MailAttachment;
}

const attachment = (pdf: StoredPdf, content: Buffer): MailAttachment => ({
  filename: pdf.filename,
  content,
  contentType: 'application/pdf',
});

/**
 * The PDF of a letter being issued, stored beside the letters (pdf/<sha256>.pdf). A letter stored
 * already (an activity retried after a crash) keeps the PDF it was issued with: the stored file
 * when it is intact, else the same bytes rendered again, or a refusal when they would differ.
 */
export async function issueLetterPdf(
  letters: string | LetterStore,
  input: {
    key: string;
    issuedAt: number;
    rendered: RenderedNotice;
    documentNumber?: string;
    copies: string[];
  },
): Promise<IssuedPdf> {
  const store = letterStoreOf(letters);
  const previous = (await store.read(input.key))?.pdf;
  const kept = previous && (await store.readPdf(previous));
  if (previous && kept) return { stored: previous, attachment: attachment(previous, kept) };
  const letter = officialLetter(input.rendered, { documentNumber: input.documentNumber, copies: input.copies });
  const data = await renderLetterPdf(letter, {
    key: input.key,
    issuedAt: input.issuedAt,
    subject: input.rendered.subject,
  });
  if (previous && sha256Hex(data) !== previous.sha256)
    throw new LetterPdfChangedError(input.key, previous.sha256, sha256Hex(data));
  const stored = await store.writePdf(data, letterPdfName(letter));
  return { stored, attachment: attachment(stored, data) };
}

/** The attachment's name: the 文号 and the title. */
export function letterPdfName(letter: Pick<OfficialLetter, 'documentNumber' | 'title'>): string {
  return `${letter.documentNumber ? `${letter.documentNumber} ` : ''}${letter.title}.pdf`.replace(/[\\/:*?"<>|]/g, '_');
}
