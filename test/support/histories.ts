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
 * The prefix of fixtures recorded now. Bump it when workflow behaviour changes (a new patch), so
 * that new histories are stored beside the old ones instead of being skipped as already there.
 * v4: reminders, pace planning and the closing archive as local activities (patches
 * local-reminders, local-pace, local-archive).
 * v5: escalation letters as local activities (local-letters); the 文号 registry moves to its own
 * task queue (registry-queue).
 * v6: an extension is planned before it is applied (extension-planned); recorded: the two
 * extension scenarios of test/obligation-timers.test.ts.
 * v7: a season launched on a provisional calendar plans again before each step (no patch: only
 * workflows whose input says provisionalCalendar take that path, and none did before).
 */
export const FIXTURE_VERSION = 'v7';

/** With LANTIAN_RECORD_HISTORIES=1, stores a history for the replay test; never overwrites one. */
export function recordHistory(name: string, h: temporal.api.history.v1.IHistory): void {
  if (!process.env.LANTIAN_RECORD_HISTORIES) return;
  const file = path.join(__dirname, '..', 'fixtures', 'histories', `${FIXTURE_VERSION}-${name}.json`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, historyToText(h));
}
