// Content-addressed blobs (evidence files, letters' PDFs) behind one interface: the data folder
// (the embedded default) or an S3-compatible bucket (LANTIAN_OBJECT_STORE_URL), so that every web
// instance and worker sees the same files. A blob's name is its sha256: the same bytes twice are
// stored once, and a blob never changes once written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  S3Client,
  HeadObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  DeleteObjectCommand,
  CreateBucketCommand,
  HeadBucketCommand,
} from '@aws-sdk/client-s3';
import { storeEvidence, EvidenceRefused } from './evidence-store';
import { writeFileAtomically } from './atomic-file';

export interface StoredObject {
  sha256: string;
  size: number;
  /** The store already held this content. */
  existed: boolean;
}

export interface ObjectStore {
  readonly kind: 'file' | 's3';
  /** Streamed in, hashed and measured on the way; refused (EvidenceRefused) when empty or over maxBytes. */
  putStream(input: Readable, maxBytes: number): Promise<StoredObject>;
  put(data: Buffer): Promise<StoredObject>;
  head(sha256: string): Promise<{ size: number } | undefined>;
  get(sha256: string): Promise<Buffer | undefined>;
  stream(sha256: string): Promise<Readable | undefined>;
  /** Only for content stored for a submission that was then refused (a blob is otherwise never removed). */
  remove(sha256: string): Promise<void>;
}

/** The object store cannot be reached or failed: "not now", answered 503, never half-stored. */
export class ObjectStoreUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the object store is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'ObjectStoreUnavailable';
  }
}

const isSha = (s: string) => /^[0-9a-f]{64}$/.test(s);
export const sha256Of = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** Where a blob lives under its folder or prefix: evidence as ab/<sha256>, letters as pdf/<sha256>.pdf. */
export type Layout = 'evidence' | 'letter-pdf';
const relative = (layout: Layout, sha256: string) =>
  layout === 'evidence' ? path.posix.join(sha256.slice(0, 2), sha256) : path.posix.join('pdf', `${sha256}.pdf`);

/** The data folder's layout, unchanged: <dir>/ab/<sha256> for evidence, <dir>/pdf/<sha256>.pdf for letters. */
export function fileObjectStore(dir: string, layout: Layout): ObjectStore {
  const full = (sha256: string) => path.join(dir, ...relative(layout, sha256).split('/'));
  const head = async (sha256: string) => {
    if (!isSha(sha256)) return undefined;
    try {
      return { size: fs.statSync(full(sha256)).size };
    } catch {
      return undefined;
    }
  };
  return {
    kind: 'file',
    async putStream(input, maxBytes) {
      if (layout === 'evidence') {
        const s = await storeEvidence(dir, input, maxBytes);
        return { sha256: s.sha256, size: s.size, existed: s.existed };
      }
      const chunks: Buffer[] = [];
      for await (const c of input) chunks.push(c as Buffer);
      return this.put(Buffer.concat(chunks));
    },
    async put(data) {
      const sha256 = sha256Of(data);
      const existing = fs.existsSync(full(sha256)) && sha256Of(fs.readFileSync(full(sha256))) === sha256;
      if (!existing) await writeFileAtomically(full(sha256), data);
      return { sha256, size: data.length, existed: existing };
    },
    head,
    async get(sha256) {
      return (await head(sha256)) ? fs.readFileSync(full(sha256)) : undefined;
    },
    async stream(sha256) {
      return (await head(sha256)) ? fs.createReadStream(full(sha256)) : undefined;
    },
    async remove(sha256) {
      if (isSha(sha256)) fs.rmSync(full(sha256), { force: true });
    },
  };
}

export interface S3Location {
  client: S3Client;
  bucket: string;
  /** Inside the bucket: evidence/ or letters/. */
  prefix: string;
}

/** The client and bucket LANTIAN_OBJECT_STORE_URL names: http(s)://key:secret@host:port/bucket[?region=…]. */
export function s3FromUrl(url: string): { client: S3Client; bucket: string } {
  const u = new URL(url);
  const bucket = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ''));
  if (!bucket || bucket.includes('/'))
    throw new Error('LANTIAN_OBJECT_STORE_URL: name one bucket, e.g. https://key:secret@host/bucket');
  const client = new S3Client({
    endpoint: `${u.protocol}//${u.host}`,
    region: u.searchParams.get('region') ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: decodeURIComponent(u.username), secretAccessKey: decodeURIComponent(u.password) },
    // A store that does not answer is reported as unavailable soon, not after minutes.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 30_000 },
  });
  return { client, bucket };
}

/** Creates the bucket if it is not there (the cluster's fresh versitygw; a production bucket exists already). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw new ObjectStoreUnavailable(e);
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((err) => {
      if ((err as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw new ObjectStoreUnavailable(err);
    });
  }
}

const notFound = (e: unknown) => {
  const x = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return x.name === 'NotFound' || x.name === 'NoSuchKey' || x.$metadata?.httpStatusCode === 404;
};

export function s3ObjectStore(loc: S3Location, layout: Layout): ObjectStore {
  const Key = (sha256: string) => `${loc.prefix}${relative(layout, sha256)}`;
  const Bucket = loc.bucket;
  const head = async (sha256: string) => {
    if (!isSha(sha256)) return undefined;
    try {
      const r = await loc.client.send(new HeadObjectCommand({ Bucket, Key: Key(sha256) }));
      return { size: r.ContentLength ?? 0 };
    } catch (e) {
      if (notFound(e)) return undefined;
      throw new ObjectStoreUnavailable(e);
    }
  };
  const upload = async (sha256: string, body: Buffer | Readable, size: number) => {
    try {
      // A PUT is whole or absent: a failure leaves no partial object under the name.
      await loc.client.send(new PutObjectCommand({ Bucket, Key: Key(sha256), Body: body, ContentLength: size }));
    } catch (e) {
      throw new ObjectStoreUnavailable(e);
    }
  };
  return {
    kind: 's3',
    async putStream(input, maxBytes) {
      // The name is the digest, known only at the end: the bytes wait in a local temporary file
      // (never whole in memory), then go up in one PUT unless the bucket holds them already.
      const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-upload-'));
      try {
        const s = await storeEvidence(tmpDir, input, maxBytes);
        const local = path.join(tmpDir, s.sha256.slice(0, 2), s.sha256);
        if (await head(s.sha256)) return { sha256: s.sha256, size: s.size, existed: true };
        await upload(s.sha256, fs.createReadStream(local), s.size);
        return { sha256: s.sha256, size: s.size, existed: false };
      } finally {
        fs.rmSync(tmpDir, { recursive: true, force: true });
      }
    },
    async put(data) {
      const sha256 = sha256Of(data);
      if (await head(sha256)) return { sha256, size: data.length, existed: true };
      await upload(sha256, data, data.length);
      return { sha256, size: data.length, existed: false };
    },
    head,
    async get(sha256) {
      const s = await this.stream(sha256);
      if (!s) return undefined;
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    async stream(sha256) {
      if (!isSha(sha256)) return undefined;
      try {
        const r = await loc.client.send(new GetObjectCommand({ Bucket, Key: Key(sha256) }));
        return r.Body as Readable;
      } catch (e) {
        if (notFound(e)) return undefined;
        throw new ObjectStoreUnavailable(e);
      }
    },
    async remove(sha256) {
      if (!isSha(sha256)) return;
      try {
        await loc.client.send(new DeleteObjectCommand({ Bucket, Key: Key(sha256) }));
      } catch (e) {
        if (!notFound(e)) throw new ObjectStoreUnavailable(e);
      }
    },
  };
}

export { EvidenceRefused };
