// No Docker engine runs here, so the production topology is checked by reading it: the services
// it must have, and that every variable it gives a Lantian service is one the code reads.
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { parse } from 'yaml';
import { envSchema, readEnv } from '../config/env';
import { repo } from './support/temporal';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: unknown;
}
const compose = parse(fs.readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const lantian = Object.entries(compose.services).filter(([name]) => name.startsWith('lantian-'));

test('the topology has Temporal on PostgreSQL, its UI, an SMTP relay and the Lantian worker', () => {
  expect(Object.keys(compose.services).sort()).toEqual(
    expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'smtp-relay', 'lantian-worker', 'lantian-setup']),
  );
  expect(compose.services.temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  expect(compose.services['temporal-ui'].environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
});

test('every variable given to a Lantian service is one config/env.ts reads, and it parses', () => {
  const known = Object.keys(envSchema.shape);
  for (const [name, svc] of lantian) {
    const vars = Object.keys(svc.environment ?? {});
    expect({ service: name, unknown: vars.filter((v) => !known.includes(v)) }).toEqual({ service: name, unknown: [] });
    expect(() => readEnv(svc.environment as NodeJS.ProcessEnv)).not.toThrow();
  }
});

test('Lantian services point at the services of this file: Temporal and the SMTP relay', () => {
  const worker = compose.services['lantian-worker'].environment!;
  const [host, port] = worker.TEMPORAL_ADDRESS.split(':');
  expect(compose.services[host]).toBeDefined();
  expect(port).toBe('7233');
  expect(compose.services[new URL(worker.SMTP_URL).hostname]).toBeDefined();
  expect(compose.services['lantian-worker'].command).toEqual(['npm', 'run', 'worker']);
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  expect(pkg.scripts.worker).toBeDefined();
});

test('Temporal is not a public door: its frontend is published on no host port, its UI on loopback only', () => {
  const published = (name: string) => (compose.services[name] as { ports?: string[] }).ports ?? [];
  expect(published('temporal')).toEqual([]);
  expect(published('postgresql')).toEqual([]);
  for (const p of published('temporal-ui')) expect(p).toMatch(/^127\.0\.0\.1:/);
  // The web app (and its API) is the only way in for people.
  expect(published('lantian-api')).toEqual(['8300:8300']);
});

test('the image installs the committed lock without devDependencies, so the product imports only runtime dependencies', () => {
  const dockerfile = fs.readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^RUN npm ci --omit=dev\b/m);
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const runtime = new Set(Object.keys(pkg.dependencies));
  const builtins = new Set<string>(builtinModules);
  const missing: string[] = [];
  const productDirs = fs
    .readdirSync(repo, { withFileTypes: true })
    .filter(
      (d) =>
        d.isDirectory() &&
        !['node_modules', 'test', 'bench', 'scripts', 'docs'].includes(d.name) &&
        !d.name.startsWith('.'),
    )
    .map((d) => d.name);
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((d) =>
        d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : [],
      );
  for (const file of productDirs.flatMap((d) => walk(path.join(repo, d)))) {
    const imports =
      /(?:^\s*(?:import|export)\s[^;'"]*?from\s+|^\s*import\s+|\brequire\(|\bimport\()(['"])([^'"\n]+)\1/gm;
    for (const [, , spec] of fs.readFileSync(file, 'utf8').matchAll(imports)) {
      if (spec.startsWith('.')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (name.startsWith('node:') || builtins.has(name) || runtime.has(name)) continue;
      missing.push(`${path.relative(repo, file)}: ${spec}`);
    }
  }
  expect(missing).toEqual([]);
});
