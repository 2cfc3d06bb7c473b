// The audit trail outlives Temporal's retention: each closed obligation's record (timeline,
// evidence, notices) is kept, one per workflow ID: a JSON file in the data folder, or a row in
// PostgreSQL (LANTIAN_DATABASE_URL) that every web instance and worker reads alike.
import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import type { ObligationRecord } from '../domain/obligation';
import { writeJsonAtomically } from './atomic-file';

export interface ArchiveStore {
  /** Idempotent: a retried activity writes the same record again. */
  write(record: ObligationRecord): Promise<void>;
  read(workflowId: string): Promise<ObligationRecord | undefined>;
}

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

export function fileArchiveStore(archiveDir: string): ArchiveStore {
  return {
    async write(record) {
      await writeArchive(archiveDir, record);
    },
    async read(workflowId) {
      return readArchive(archiveDir, workflowId);
    },
  };
}

export function pgArchiveStore(pool: Pool): ArchiveStore {
  return {
    async write(record) {
      await pool.query(
        `INSERT INTO archive (workflow_id, record) VALUES ($1, $2)
         ON CONFLICT (workflow_id) DO UPDATE SET record = EXCLUDED.record, archived_at = now()`,
        [record.workflowId, JSON.stringify(record)],
      );
    },
    async read(workflowId) {
      return (
        await pool.query<{ record: ObligationRecord }>('SELECT record FROM archive WHERE workflow_id = $1', [
          workflowId,
        ])
      ).rows[0]?.record;
    },
  };
}

/** A folder (the embedded default, and what tests pass) or a store. */
export const archiveStoreOf = (a: string | ArchiveStore): ArchiveStore =>
  typeof a === 'string' ? fileArchiveStore(a) : a;
