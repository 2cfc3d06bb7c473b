// The workflow bundle, built once and reused: bundling at every start took a restarted worker
// 19–36 s on a loaded machine before its first poll. The file is named by a hash of every source
// file the bundle can contain and of the SDK's version, so a stale bundle is never loaded.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { writeFileAtomically } from '../storage/atomic-file';
import { bundleWorkflows, preloadModules } from './create';
import { readEnv } from '../config/env';

const root = path.join(__dirname, '..');
/** Folders workflow code may import from (test/layout.test.ts keeps workflows/ to these). */
const SOURCE_DIRS = ['workflows', 'domain', 'activities', 'notices', 'storage', 'planner', 'config', 'i18n'];

export const defaultBundleDir = () => process.env.LANTIAN_BUNDLE_DIR ?? path.join(root, 'dist', 'workflow-bundle');

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? sourceFiles(p) : /\.(ts|js|json)$/.test(e.name) ? [p] : [];
    })
    .sort();
}

/** The key of the bundle the current sources and SDK would produce. */
export function bundleKey(stackTraces: boolean): string {
  const h = crypto.createHash('sha256');
  const sdk = JSON.parse(fs.readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')).version;
  h.update(`sdk ${sdk} preload ${preloadModules(stackTraces).map((f) => path.relative(root, f))}\n`);
  // The libraries bundled with the workflows (zod, the curve) change with the lock file.
  const lock = path.join(root, 'package-lock.json');
  if (fs.existsSync(lock)) h.update(fs.readFileSync(lock));
  for (const file of SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(root, d)))) {
    h.update(`${path.relative(root, file)}\n`);
    h.update(fs.readFileSync(file));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The stored bundle for these sources, or a new one written beside it. `built` says which, so a
 * start can report it; a bundle directory that cannot be written costs only the next start's time.
 */
export async function loadOrBuildBundle(
  dir = defaultBundleDir(),
  stackTraces = readEnv().LANTIAN_WORKFLOW_STACK_TRACES,
): Promise<{ bundle: WorkflowBundle; built: boolean; file: string }> {
  const file = path.join(dir, `workflows-${bundleKey(stackTraces)}.js`);
  if (fs.existsSync(file)) return { bundle: { code: fs.readFileSync(file, 'utf8') }, built: false, file };
  const bundle = await bundleWorkflows(stackTraces);
  try {
    await writeFileAtomically(file, bundle.code);
    for (const old of fs.readdirSync(dir))
      if (/^workflows-[0-9a-f]{16}\.js$/.test(old) && path.join(dir, old) !== file)
        fs.rmSync(path.join(dir, old), { force: true });
  } catch (err) {
    console.warn(`lantian: the workflow bundle could not be kept in ${dir}: ${(err as Error).message}`);
  }
  return { bundle, built: true, file };
}

// `npm run bundle` (and the image build): build it ahead of the first start.
if (require.main === module) {
  loadOrBuildBundle().then(
    ({ built, file }) => console.log(`${built ? 'built' : 'up to date'}: ${path.relative(root, file)}`),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
