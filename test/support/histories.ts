// Stored workflow histories for the replay test: protobuf's own JSON form (longs and bytes as
// strings, enums by name), read back with fromObject.
import { temporal } from '@temporalio/proto';

const History = temporal.api.history.v1.History;

export function historyToText(h: temporal.api.history.v1.IHistory): string {
  return JSON.stringify(History.toObject(History.fromObject(h), { longs: String, enums: String, bytes: String }));
}

export function historyFromText(text: string): temporal.api.history.v1.History {
  return History.fromObject(JSON.parse(text));
}
