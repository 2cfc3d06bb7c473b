// The CLI as a user runs it (tsx cli/main.ts): its exit code and both streams.
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repo } from './temporal';

const exec = promisify(execFile);

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** `env` is added to this process's environment. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  try {
    const r = await exec(path.join(repo, 'node_modules', '.bin', 'tsx'), [path.join(repo, 'cli', 'main.ts'), ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}
