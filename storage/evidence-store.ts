// Evidence files, content-addressed by sha256 under the data folder. Streamed to disk (never
// held whole in memory), then renamed into place: the same file twice is stored once.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

export interface StoredEvidence {
  sha256: string;
  size: number;
  path: string;
  /** The store already held this content. */
  existed: boolean;
}

export class EvidenceRefused extends Error {
  constructor(readonly reason: string) {
    super(`evidence refused: ${reason}`);
    this.name = 'EvidenceRefused';
  }
}

export function blobPath(storeDir: string, sha256: string): string {
  return path.join(storeDir, sha256.slice(0, 2), sha256);
}

export async function storeEvidence(
  storeDir: string,
  input: Readable,
  maxBytes = 25 * 1024 * 1024,
): Promise<StoredEvidence> {
  fs.mkdirSync(path.join(storeDir, 'tmp'), { recursive: true });
  const tmp = path.join(storeDir, 'tmp', `${process.pid}-${crypto.randomUUID()}`);
  const hash = crypto.createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new EvidenceRefused(`file is larger than the limit of ${maxBytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  // Opened here, not lazily by the stream: a refusal that ends the pipeline before a lazy open
  // completed would leave the file behind after we removed it.
  const fd = fs.openSync(tmp, 'wx');
  try {
    await pipeline(input, meter, fs.createWriteStream(tmp, { fd }));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  if (size === 0) {
    fs.rmSync(tmp, { force: true });
    throw new EvidenceRefused('file is empty');
  }
  const sha256 = hash.digest('hex');
  const dest = blobPath(storeDir, sha256);
  const existed = fs.existsSync(dest);
  if (existed) fs.rmSync(tmp, { force: true });
  else {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(tmp, dest);
  }
  return { sha256, size, path: dest, existed };
}
