// The audit trail outlives Temporal's retention: each closed obligation's record (timeline,
// evidence, notices) is written here as JSON, one file per workflow ID.
import fs from 'node:fs';
import path from 'node:path';
import type { ObligationRecord } from '../domain/obligation';
import { writeJsonAtomically } from './atomic-file';

export function archiveFile(archiveDir: string, workflowId: string): string {
  // Workflow IDs contain ':'; keep file names portable.
  return path.join(archiveDir, `${workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export function writeArchive(archiveDir: string, record: ObligationRecord): Promise<string> {
  return writeJsonAtomically(archiveFile(archiveDir, record.workflowId), record, 2);
}

export function readArchive(archiveDir: string, workflowId: string): ObligationRecord | undefined {
  const file = archiveFile(archiveDir, workflowId);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ObligationRecord) : undefined;
}
