// Every notice's rendered letter, kept by its notice key (workflow ID + step) so an office or
// supervisor can read and print exactly what was sent, whatever the transport was. A letter (an
// escalation letter or an assessment act) also has its PDF in 公文 form (notices/pdf.ts), kept
// once under pdf/<sha256>.pdf beside the letters and named in the letter with its digest.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomically, writeJsonAtomically } from '../storage/atomic-file';

export const StoredPdf = z.object({
  /** Relative to the letters folder: pdf/<sha256>.pdf. */
  file: z.string().regex(/^pdf\/[0-9a-f]{64}\.pdf$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  /** The attachment's name in the e-mail. */
  filename: z.string(),
});
export type StoredPdf = z.infer<typeof StoredPdf>;

export const StoredLetter = z.object({
  key: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  documentNumber: z.string().optional(),
  /** The letter's PDF as issued (absent for reminders, pace warnings and letters stored before PDFs). */
  pdf: StoredPdf.optional(),
  storedAt: z.string(),
});
export type StoredLetter = z.infer<typeof StoredLetter>;

export function letterFile(lettersDir: string, key: string): string {
  return path.join(lettersDir, `${key.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

/** Idempotent: a retry of the same notice rewrites the same letter. */
export function writeLetter(lettersDir: string, letter: StoredLetter): Promise<string> {
  return writeJsonAtomically(letterFile(lettersDir, letter.key), letter);
}

export function readLetter(lettersDir: string, key: string): StoredLetter | undefined {
  const file = letterFile(lettersDir, key);
  return fs.existsSync(file) ? StoredLetter.parse(JSON.parse(fs.readFileSync(file, 'utf8'))) : undefined;
}

export const sha256Hex = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** Content-addressed: the same bytes are the same file, written once. */
export async function writeLetterPdf(lettersDir: string, data: Buffer, filename: string): Promise<StoredPdf> {
  const sha256 = sha256Hex(data);
  const file = path.posix.join('pdf', `${sha256}.pdf`);
  const full = path.join(lettersDir, file);
  if (!(fs.existsSync(full) && sha256Hex(fs.readFileSync(full)) === sha256)) await writeFileAtomically(full, data);
  return { file, sha256, bytes: data.length, filename };
}

/** The stored PDF's bytes, or undefined when the file is missing or no longer matches its digest. */
export function readStoredPdf(lettersDir: string, pdf: StoredPdf): Buffer | undefined {
  const full = path.join(lettersDir, pdf.file);
  if (!fs.existsSync(full)) return undefined;
  const data = fs.readFileSync(full);
  return sha256Hex(data) === pdf.sha256 ? data : undefined;
}

/** A stored letter's PDF (for the letter page and the API), checked against its digest. */
export function readLetterPdf(lettersDir: string, key: string): { pdf: StoredPdf; data: Buffer } | undefined {
  const pdf = readLetter(lettersDir, key)?.pdf;
  const data = pdf && readStoredPdf(lettersDir, pdf);
  return pdf && data ? { pdf, data } : undefined;
}
