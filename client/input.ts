// What a person types, made plausible at the boundary (web form, API, CLI) before it goes
// anywhere: bidirectional control characters taken out of names, notes and reasons, and a
// quantity read only as a plain decimal within bounds.

/**
 * Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and
 * the marks (U+200E, U+200F). U+202E turns "报告\u202Efdp.exe" into what reads as "报告exe.pdf".
 */
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F]/g;

export function stripBidi(s: string): string {
  return s.replace(BIDI, '');
}

export function hasBidi(s: string): boolean {
  return new RegExp(BIDI.source).test(s);
}

/** Text a person gives (a note, a reason): bidi controls out, blanks at either end trimmed. */
export function cleanText(s: unknown): string {
  return typeof s === 'string' ? stripBidi(s).trim() : '';
}

/** The largest quantity anyone reports (boilers, homes, tonnes…), and the decimals kept. */
export const QUANTITY_MAX = 1_000_000_000;
export const QUANTITY_DECIMALS = 6;
/**
 * A quantity as the API document and every interface take it: up to nine digits with up to six
 * decimals, or exactly 1,000,000,000 (so the pattern alone says everything, bound included).
 */
export const QUANTITY_PATTERN = `^(?:\\d{1,9}(?:\\.\\d{1,${QUANTITY_DECIMALS}})?|1000000000(?:\\.0{1,${QUANTITY_DECIMALS}})?)$`;

/**
 * A quantity as a plain decimal: digits, at most one point and six decimals, at most 1e9. No
 * sign, exponent, hex, Infinity or blank: `0x10` and `1e300` are typos, not numbers.
 * Returns the number, or the reason (English; the web form shows it as it is).
 */
export function parseQuantity(raw: string): { value: number } | { refused: string } {
  const s = raw.trim();
  if (!new RegExp(QUANTITY_PATTERN).test(s))
    return {
      refused: `quantity ${JSON.stringify(raw)} is not a plain decimal number from 0 to ${QUANTITY_MAX.toLocaleString('en')} (digits, at most ${QUANTITY_DECIMALS} decimals, e.g. 12 or 3.5)`,
    };
  return { value: Number(s) };
}
