// scripts/cluster.sh (the Temporal on PostgreSQL that `npm run test:cluster` tests on) and
// docker-compose.yml (the production topology) must describe the same Temporal: one server
// version, one persistence plugin with the same databases and schemas, one namespace and
// retention, and Lantian's search attributes from one place. Read, not run: no cluster needed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { Connection } from '@temporalio/client';
import { registerSearchAttributes } from '../client/namespace-setup';
import { allSearchAttributes } from '../domain/search-attributes';
import { repo } from './support/temporal';

const read = (file: string) => fs.readFileSync(path.join(repo, file), 'utf8');
const script = read('scripts/cluster.sh');
const composeText = read('docker-compose.yml');
const compose = parse(composeText) as {
  services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }>;
};
const service = (name: string) => {
  expect(Object.keys(compose.services)).toContain(name);
  return compose.services[name];
};

/** The first group of the one match of `re` in the script; fails when there is none. */
function fromScript(re: RegExp): string {
  const m = re.exec(script);
  if (!m) throw new Error(`scripts/cluster.sh has no match for ${re}`);
  return m[1];
}
const allFrom = (text: string, re: RegExp) => [...new Set([...text.matchAll(re)].map((m) => m[1]))].sort();

test('both run the same Temporal server version', () => {
  const version = fromScript(/^TEMPORAL_VERSION=v(\d+\.\d+\.\d+)$/m);
  expect(script).toContain('go.temporal.io/server/cmd/server@$TEMPORAL_VERSION');
  expect(script).toContain('go.temporal.io/server/cmd/tools/sql@$TEMPORAL_VERSION');
  expect(service('temporal').image).toBe(`temporalio/server:${version}`);
  // The schema and namespace steps use the admin tools of the same release (the UI has its own versions).
  const tools = Object.values(compose.services)
    .map((s) => s.image ?? '')
    .filter((image) => image.startsWith('temporalio/') && !image.startsWith('temporalio/ui:'));
  expect(tools.length).toBeGreaterThanOrEqual(2);
  expect(tools.map((image) => image.split(':')[1])).toEqual(tools.map(() => version));
});

test('both keep Temporal in PostgreSQL alike: the same plugin, databases and versioned schemas', () => {
  const plugin = service('temporal').environment!.DB;
  const schema = service('temporal-schema');
  expect(schema.environment!.SQL_PLUGIN).toBe(plugin);
  expect(allFrom(script, /(?:SQL_PLUGIN=|pluginName: )(\w+)/g)).toEqual([plugin]);

  const steps = schema.command!.join('\n');
  const databases = allFrom(script, /databaseName: (\w+)/g);
  expect(databases).toEqual(['temporal', 'temporal_visibility']);
  expect(allFrom(steps, /--db (\w+)/g)).toEqual(databases);
  // Each database: versioning tables from 0.0, then every versioned step, from the same schema folders.
  expect(steps.match(/setup-schema -v 0\.0/g)).toHaveLength(databases.length);
  expect(script).toContain('setup-schema -v 0.0');
  expect(allFrom(steps, /schema\/(postgresql\/v\d+)\/\w+\/versioned/g)).toEqual([
    fromScript(/schema_dir=.*\/schema\/(postgresql\/v\d+)"$/m),
  ]);
  expect(allFrom(steps, /postgresql\/v\d+\/(\w+)\/versioned/g)).toEqual(
    allFrom(fromScript(/for kind in ([^;]+); do\n\s+db=/), /(\w+):/g),
  );
});

test('both make the namespace default with ten years of retention', () => {
  const setup = service('lantian-setup').environment!;
  const days = Number(fromScript(/LANTIAN_CLUSTER_RETENTION_DAYS:-(\d+)/));
  expect(days).toBe(3650);
  expect(setup.LANTIAN_RETENTION_DAYS).toBe(String(days));
  expect(setup.TEMPORAL_NAMESPACE).toBe(fromScript(/^namespace=(\S+)$/m));
  expect(service('temporal-namespace').command!.join('\n')).toContain(
    `namespace create -n ${setup.TEMPORAL_NAMESPACE} --retention ${days * 24}h`,
  );
  expect(script).toContain('--retention "$((retention_days * 24))h"');
});

test("both register Lantian's search attributes with `lantian namespace setup`, and neither lists them", () => {
  expect(service('lantian-setup').command).toEqual(['npm', 'run', 'lantian', '--', 'namespace', 'setup']);
  expect(JSON.parse(read('package.json')).scripts.lantian).toBe('tsx cli/main.ts');
  expect(script).toMatch(/node_modules\/\.bin\/tsx" cli\/main\.ts namespace setup/);
  expect(read('cli/commands/namespace.ts')).toMatch(/await registerSearchAttributes\(connection, namespace\)/);
  for (const [file, text] of [
    ['scripts/cluster.sh', script],
    ['docker-compose.yml', composeText],
  ]) {
    const named = allSearchAttributes.map((k) => k.name).filter((name) => text.includes(name));
    expect({ file, named, cliFlag: /search-attribute/.test(text) }).toEqual({ file, named: [], cliFlag: false });
  }
});

test('namespace setup registers every attribute of domain/search-attributes.ts, with its type', async () => {
  const added: Record<string, unknown>[] = [];
  const connection = {
    operatorService: {
      listSearchAttributes: async () => ({ customAttributes: { [allSearchAttributes[0].name]: 2 } }),
      addSearchAttributes: async (r: { searchAttributes: Record<string, unknown> }) => added.push(r.searchAttributes),
    },
  } as unknown as Connection;
  const names = await registerSearchAttributes(connection, 'default');
  expect(names).toEqual(allSearchAttributes.slice(1).map((k) => k.name));
  expect(Object.keys(added[0])).toEqual(names);
  expect(Object.values(added[0]).every((t) => typeof t === 'number' && t > 0)).toBe(true);
});

test('npm run test:cluster runs every test file that uses the dev server or the production stores', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  expect(pkg.scripts.cluster).toBe('bash scripts/cluster.sh');
  expect(pkg.scripts['test:cluster']).toBe('bash scripts/cluster.sh test');
  const listed = execFileSync('bash', [path.join(repo, 'scripts', 'cluster.sh'), 'list-tests'], { encoding: 'utf8' })
    .trim()
    .split('\n');
  // Independently: a test file uses the dev server if it calls devServerEnv, or imports a helper
  // that does; the production stores if it calls productionUrls.
  const calls = /[ (=](devServerEnv|productionUrls)\(/;
  const helpers = fs
    .readdirSync(path.join(repo, 'test', 'support'))
    .filter((f) => f !== 'temporal.ts' && calls.test(read(`test/support/${f}`)))
    .map((f) => `./support/${f.replace(/\.ts$/, '')}'`);
  const expected = fs
    .readdirSync(path.join(repo, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .filter((f) => {
      const text = read(`test/${f}`);
      return calls.test(text) || helpers.some((h) => text.includes(h));
    })
    .map((f) => `test/${f}`)
    .sort();
  expect(expected).toEqual(
    expect.arrayContaining([
      'test/campaign-launch.test.ts',
      'test/web-api.test.ts',
      'test/storage-contract.test.ts',
      'test/assessment-season.test.ts',
    ]),
  );
  expect(listed).toEqual(expected);
});
