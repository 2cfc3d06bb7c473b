// How much one obligation may hold. Its whole record travels in one query answer, which Temporal
// caps at 2 MB, and its history must stay below 2,000 Updates a run: with these bounds the largest
// possible record is under 1 MB (test/obligation-limits.test.ts drives one to every bound).
export const LIMITS = {
  /** Pieces of evidence an obligation keeps, rejected ones included (each stays on its record). */
  evidence: 50,
  /** An evidence note, in UTF-8 bytes (a Chinese character is three). */
  noteBytes: 2_000,
  /** A reason given for a review, an extension or a waiver, in UTF-8 bytes. */
  reasonBytes: 1_000,
  /** A file name, in UTF-8 bytes. */
  fileNameBytes: 255,
  /** Timeline events; past this, the obligation takes no more changes from people. */
  timeline: 400,
  /** Updates a run accepts; Temporal refuses more than 2,000. */
  updates: 1_900,
} as const;

/** Length in UTF-8 bytes, counted without TextEncoder so workflow code can use it anywhere. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}
