// `npm run bench -- cluster`: the launch, the deadline storm in real time and the web pages
// measured on the cluster (Temporal on PostgreSQL, visibility in PostgreSQL: `npm run cluster`)
// and, in the same run, on the embedded default (the dev server on SQLite). Each target runs in a
// child process of bench/main.ts, because test/support/temporal.ts picks its target once, from
// LANTIAN_TEST_TEMPORAL_ADDRESS, when it is loaded. LANTIAN_BENCH_CLUSTER_OPEN sets the open
// obligations of the web part (50,000 by default; the embedded side gets the same number). The
// storm is the real-time one (bench/live-storm.ts): part 5 skips time on the time-skipping
// server, which the cluster has no counterpart of.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const repo = path.join(__dirname, '..');
const PARTS = process.env.LANTIAN_BENCH_CLUSTER_PARTS ?? 'launch,live-storm,web';

function clusterAddress(): string {
  // Starts what is not running (idempotent), then reads the addresses it wrote.
  execFileSync('bash', [path.join(repo, 'scripts', 'cluster.sh'), 'up'], { stdio: 'inherit' });
  const env = fs.readFileSync(path.join(repo, '.data', 'cluster', 'env'), 'utf8');
  const address = /^TEMPORAL_ADDRESS=(.+)$/m.exec(env)?.[1];
  if (!address) throw new Error('.data/cluster/env names no TEMPORAL_ADDRESS');
  return address;
}

function run(target: 'embedded' | 'cluster', extraEnv: Record<string, string>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'main.ts'), PARTS], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        LANTIAN_BENCH_ONLY: PARTS,
        LANTIAN_BENCH_OPEN: process.env.LANTIAN_BENCH_CLUSTER_OPEN ?? '50000',
        ...extraEnv,
      },
    });
    const lines: string[] = [];
    let rest = '';
    child.stdout!.on('data', (b: Buffer) => {
      const text = rest + b.toString();
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        console.log(`[${target}] ${line}`);
        lines.push(line);
      }
    });
    child.once('exit', (code) =>
      code === 0 ? resolve([...lines, ...(rest ? [rest] : [])]) : reject(new Error(`${target} bench exited ${code}`)),
    );
  });
}

export async function clusterBench(): Promise<void> {
  const address = clusterAddress();
  // One after the other: both at once would share two cores and measure each other.
  const embedded = await run('embedded', { LANTIAN_TEST_TEMPORAL_ADDRESS: '' });
  const cluster = await run('cluster', { LANTIAN_TEST_TEMPORAL_ADDRESS: address });
  console.log('\nside by side (embedded default | cluster):');
  const figures = (lines: string[]) => lines.filter((l) => /^\s*(\d\.|evidence|\s{2,}\S)/.test(l));
  const [a, b] = [figures(embedded), figures(cluster)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    console.log(`embedded: ${a[i] ?? '—'}`);
    console.log(`cluster:  ${b[i] ?? '—'}`);
  }
}
