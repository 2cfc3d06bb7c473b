// Every notice's rendered letter, kept by its notice key (workflow ID + step) so an office or
// supervisor can read and print exactly what was sent, whatever the transport was.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeJsonAtomically } from '../storage/atomic-file';

export const StoredLetter = z.object({
  key: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  documentNumber: z.string().optional(),
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
