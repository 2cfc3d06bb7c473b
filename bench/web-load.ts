// The web benchmark's load generator, in a process of its own so that its requests, their
// bodies and its timing do not share the server's event loop. It reads a plan (JSON file named
// on the command line), runs it, and prints the latencies (ms) as one JSON line.
import crypto from 'node:crypto';
import fs from 'node:fs';

export interface LoadPlan {
  url: string;
  /** A supervisor's session cookie, as a browser sends it. */
  cookie: string;
  pages: { name: string; path: string }[];
  requests: number;
  concurrency: number;
  /** Uploads, each to its own workflow, as that workflow's assignee (Bearer token). */
  uploads: { workflowId: string; token: string; quantity?: number }[];
  fileBytes: number;
  /** A stored evidence file the supervisor opens, `requests` times: its page route and size in bytes. */
  download?: { path: string; bytes: number };
}

export interface LoadResult {
  pages: Record<string, { coldMs: number; ms: number[]; bytes: number }>;
  uploads: number[];
  /** Evidence downloads (the whole file read by the client), as many as page requests. */
  downloads: number[];
  /** An authenticated request that does no work: the floor of every figure above. */
  floor: number[];
}

async function timed(url: string, init: RequestInit, expect: number): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const r = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
  const body = await r.arrayBuffer();
  const ms = performance.now() - t0;
  if (r.status !== expect)
    throw new Error(`${init.method ?? 'GET'} ${url}: ${r.status} ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
  return { ms, bytes: body.byteLength };
}

async function clients<T>(count: number, concurrency: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    [...Array(Math.min(concurrency, count)).keys()].map(async () => {
      while (next < count) {
        const i = next++;
        out[i] = await one(i);
      }
    }),
  );
  return out;
}

/** A 1 MB (or `bytes`) PDF-looking file, different each time so the store cannot deduplicate it. */
function evidenceFile(bytes: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n%lantian-bench\n', 'latin1');
  return Buffer.concat([head, crypto.randomBytes(bytes - head.length)]);
}

async function run(plan: LoadPlan): Promise<LoadResult> {
  const headers = { cookie: plan.cookie };
  const pages: LoadResult['pages'] = {};
  for (const p of plan.pages) {
    // The first request after start builds the app's copy of visibility: reported apart.
    const cold = await timed(plan.url + p.path, { headers }, 200);
    for (let i = 0; i < 5; i++) await timed(plan.url + p.path, { headers }, 200);
    const runs = await clients(plan.requests, plan.concurrency, () => timed(plan.url + p.path, { headers }, 200));
    pages[p.name] = { coldMs: cold.ms, ms: runs.map((r) => r.ms), bytes: runs[0].bytes };
  }
  const floor = (
    await clients(plan.requests, plan.concurrency, () => timed(`${plan.url}/api/me`, { headers }, 200))
  ).map((r) => r.ms);
  const uploads = await clients(plan.uploads.length, plan.concurrency, async (i) => {
    const u = plan.uploads[i];
    const form = new FormData();
    form.append('note', `bench upload ${i}`);
    if (u.quantity !== undefined) form.append('quantity', String(u.quantity));
    form.append('file', new Blob([evidenceFile(plan.fileBytes)], { type: 'application/pdf' }), `evidence-${i}.pdf`);
    const r = await timed(
      `${plan.url}/api/obligations/${encodeURIComponent(u.workflowId)}/evidence`,
      { method: 'POST', headers: { authorization: `Bearer ${u.token}` }, body: form },
      200,
    );
    return r.ms;
  });
  const d = plan.download;
  const downloads = d
    ? await clients(plan.requests, plan.concurrency, async () => {
        const r = await timed(plan.url + d.path, { headers }, 200);
        if (r.bytes !== d.bytes) throw new Error(`GET ${d.path}: ${r.bytes} bytes, not ${d.bytes}`);
        return r.ms;
      })
    : [];
  return { pages, uploads, downloads, floor };
}

if (require.main === module) {
  const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as LoadPlan;
  run(plan).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
