// One way to write a file that a reader never sees half-written: a temporary name in the same
// folder, then rename. Asynchronous, so a burst of notices (a deadline storm) writes on libuv's
// thread pool instead of blocking the worker's event loop, which also runs the activities.
import fs from 'node:fs';
import path from 'node:path';

const madeDirs = new Set<string>();
let sequence = 0;

export async function writeFileAtomically(file: string, data: string | Buffer, retried = false): Promise<string> {
  const dir = path.dirname(file);
  if (!madeDirs.has(dir)) {
    await fs.promises.mkdir(dir, { recursive: true });
    madeDirs.add(dir);
  }
  // pid + sequence: two writes of the same file in flight never share a temporary name.
  const tmp = `${file}.${process.pid}-${++sequence}.tmp`;
  try {
    await fs.promises.writeFile(tmp, data);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    // The folder may have been removed since we made it (tests, an operator): make it again, once.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !retried) {
      madeDirs.delete(dir);
      return writeFileAtomically(file, data, true);
    }
    throw e;
  }
  return file;
}

export function writeJsonAtomically(file: string, value: unknown, indent?: number): Promise<string> {
  return writeFileAtomically(file, JSON.stringify(value, null, indent));
}
