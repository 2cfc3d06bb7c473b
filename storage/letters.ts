// Every notice's rendered letter, kept by its notice key (workflow ID + step) so an office or
// supervisor can read and print exactly what was sent, whatever the transport was. A letter (an
// escalation letter or an assessment act) also has its PDF in 公文 form (notices/pdf.ts), kept
// once under pdf/<sha256>.pdf beside the letters and named in the letter with its digest.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Pool } from 'pg';
import { writeFileAtomically, writeJsonAtomically } from './atomic-file';
import type { ObjectStore } from './object-store';

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

/**
 * Where letters are kept: the letters folder (the embedded default), or the letter index in
 * PostgreSQL with the PDFs in the object store (LANTIAN_DATABASE_URL, LANTIAN_OBJECT_STORE_URL),
 * so a letter one worker issued is the one every web instance shows.
 */
export interface LetterStore {
  /** Idempotent: a retry of the same notice rewrites the same letter. */
  write(letter: StoredLetter): Promise<void>;
  read(key: string): Promise<StoredLetter | undefined>;
  /** Content-addressed: the same bytes are the same PDF, stored once. */
  writePdf(data: Buffer, filename: string): Promise<StoredPdf>;
  /** The PDF's bytes, or undefined when missing or no longer matching its digest. */
  readPdf(pdf: StoredPdf): Promise<Buffer | undefined>;
}

export function fileLetterStore(lettersDir: string): LetterStore {
  return {
    async write(letter) {
      await writeLetter(lettersDir, letter);
    },
    async read(key) {
      return readLetter(lettersDir, key);
    },
    writePdf: (data, filename) => writeLetterPdf(lettersDir, data, filename),
    async readPdf(pdf) {
      return readStoredPdf(lettersDir, pdf);
    },
  };
}

export function pgLetterStore(pool: Pool, pdfs: ObjectStore): LetterStore {
  return {
    async write(letter) {
      const value = StoredLetter.parse(letter);
      await pool.query(
        `INSERT INTO letters (key, letter) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET letter = EXCLUDED.letter, stored_at = now()`,
        [value.key, JSON.stringify(value)],
      );
    },
    async read(key) {
      const row = (await pool.query<{ letter: unknown }>('SELECT letter FROM letters WHERE key = $1', [key])).rows[0];
      return row && StoredLetter.parse(row.letter);
    },
    async writePdf(data, filename) {
      const s = await pdfs.put(data);
      return { file: path.posix.join('pdf', `${s.sha256}.pdf`), sha256: s.sha256, bytes: data.length, filename };
    },
    async readPdf(pdf) {
      const data = await pdfs.get(pdf.sha256);
      return data && sha256Hex(data) === pdf.sha256 ? data : undefined;
    },
  };
}

/** A folder (the embedded default, and what tests pass) or a store. */
export const letterStoreOf = (l: string | LetterStore): LetterStore => (typeof l === 'string' ? fileLetterStore(l) : l);
