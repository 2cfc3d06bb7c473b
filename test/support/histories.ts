// Stored workflow histories for the replay test: protobuf's own JSON form (longs and bytes as
// strings, enums by name), read back with fromObject.
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';

const History = temporal.api.history.v1.History;

export function historyToText(h: temporal.api.history.v1.IHistory): string {
  return JSON.stringify(History.toObject(History.fromObject(h), { longs: String, enums: String, bytes: String }));
}

export function historyFromText(text: string): temporal.api.history.v1.History {
  return History.fromObject(JSON.parse(text));
}

/**
 * The release whose histories are recorded now. Fixtures of every release still supported stay
 * beside each other and must all replay (docs/versioning.md); a release that changes workflow
 * commands records its own set under its version.
 */
export const FIXTURE_VERSION = '1.0';

/** With LANTIAN_RECORD_HISTORIES=1, stores a history for the replay test; never overwrites one. */
export function recordHistory(name: string, h: temporal.api.history.v1.IHistory): void {
  if (!process.env.LANTIAN_RECORD_HISTORIES) return;
  const file = path.join(__dirname, '..', 'fixtures', 'histories', `${FIXTURE_VERSION}-${name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, historyToText(h));
}
