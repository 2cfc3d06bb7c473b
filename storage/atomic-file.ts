// One way to write a file that a reader never sees half-written: a temporary name in the same
// folder, then rename. Synchronous on purpose: these are small files (a letter, a ledger entry, an
// .eml, an archived record), and on this machine 4,000 of them take about 130 ms of CPU written
// synchronously against about 500 ms through fs.promises (each open, write, close and rename a
// round trip through libuv's thread pool and a promise), while each blocks the event loop for
// some 30 µs. In a deadline storm that thread runs every activity and is the one that is busy.
// Async signature, so a slower store can replace it without touching the callers.
import fs from 'node:fs';
import path from 'node:path';

const madeDirs = new Set<string>();
let sequence = 0;

export async function writeFileAtomically(file: string, data: string | Buffer): Promise<string> {
  writeNow(file, data, false);
  return file;
}

function writeNow(file: string, data: string | Buffer, retried: boolean): void {
  const dir = path.dirname(file);
  if (!madeDirs.has(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }
  // pid + sequence: two writes of the same file never share a temporary name.
  const tmp = `${file}.${process.pid}-${++sequence}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    // The folder may have been removed since we made it (tests, an operator): make it again, once.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !retried) {
      madeDirs.delete(dir);
      return writeNow(file, data, true);
    }
    throw e;
  }
}

export function writeJsonAtomically(file: string, value: unknown, indent?: number): Promise<string> {
  return writeFileAtomically(file, JSON.stringify(value, null, indent));
}
