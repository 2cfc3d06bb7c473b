// Which sentences of a source document carry a date or a recurrence, and which of them no
// obligation (or deliberate omission) of the campaign accounts for.
import type { Campaign } from './schema';

export const DATE_PATTERNS: RegExp[] = [
  /\d{4}年\d{1,2}月(底|末|\d{1,2}日)?(前|起|以前|之前)/,
  /\d{1,2}月(底|末)前/,
  /\d{1,2}月\d{1,2}日(前|起)/,
  /\d{4}年(底|年底)前/,
  /每月\d{1,2}日前/,
  /每月|每季度|每旬|每周/,
  /采暖(季|期)(前|开始前|结束前)/,
  /秋冬季期间每/,
];

export interface Sentence {
  text: string;
  start: number;
  end: number;
}

export function datedSentences(doc: string): Sentence[] {
  const out: Sentence[] = [];
  const re = /[^。；！？\n]+[。；！？]?/g;
  for (let m = re.exec(doc); m; m = re.exec(doc)) {
    const text = m[0].trim();
    if (text && DATE_PATTERNS.some((p) => p.test(text))) out.push({ text, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

export interface CoverageReport {
  uncovered: Sentence[];
  /** clause or leftOut texts that do not occur in the document, with where they are used. */
  notInDocument: { text: string; where: string }[];
}

export function coverage(doc: string, c: Campaign): CoverageReport {
  const texts: { text: string; where: string }[] = [
    ...c.obligations.filter((o) => o.clause.text).map((o) => ({ text: o.clause.text!, where: `obligation ${o.id}` })),
    ...c.coverage.leftOut.map((l, i) => ({ text: l.text, where: `coverage.leftOut[${i}]` })),
  ];
  const spans: [number, number][] = [];
  const notInDocument: CoverageReport['notInDocument'] = [];
  for (const t of texts) {
    let at = doc.indexOf(t.text);
    if (at < 0) notInDocument.push(t);
    while (at >= 0) {
      spans.push([at, at + t.text.length]);
      at = doc.indexOf(t.text, at + 1);
    }
  }
  const uncovered = datedSentences(doc).filter((s) => !spans.some(([a, b]) => a < s.end && b > s.start));
  return { uncovered, notInDocument };
}
