// No Docker engine runs here, so the production topology is checked by reading it: the services
// it must have, that every variable it gives a Lantian service is one the code reads, and that
// it gives them what the cluster test target (scripts/cluster.sh) gives the tests.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { parse } from 'yaml';
import { envSchema, readEnv } from '../config/env';
import { repo } from './support/temporal';
import { actorKeyConfig, trustedActorKeys } from '../client/actor-keys';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: unknown;
  volumes?: string[];
  deploy?: { replicas?: number };
}
// As Compose reads it: YAML merge keys, each ${VAR:-default} at its default, and each required
// ${VAR:?message} at a value the operator would give it.
const { privateKey: sampleActorKey } = crypto.generateKeyPairSync('ed25519');
const operatorGives: Record<string, string> = {
  LANTIAN_SESSION_SECRET: crypto.randomBytes(32).toString('base64'),
  LANTIAN_ACTOR_KEY: sampleActorKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
};
const rawCompose = fs.readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8');
const required = [...rawCompose.matchAll(/\$\{(\w+):\?[^}]*\}/g)].map((m) => m[1]);
const composeText = rawCompose
  .replace(/\$\{\w+:-([^}]*)\}/g, '$1')
  .replace(/\$\{(\w+):\?[^}]*\}/g, (_m, name: string) => operatorGives[name] ?? `<${name}>`);
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
};
const clusterScript = fs.readFileSync(path.join(repo, 'scripts', 'cluster.sh'), 'utf8');
const lantian = Object.entries(compose.services).filter(([name]) => name.startsWith('lantian-'));

test('the topology has Temporal on PostgreSQL, its UI, an object store, an SMTP relay, two workers and the web app', () => {
  expect(Object.keys(compose.services).sort()).toEqual(
    expect.arrayContaining([
      'postgresql',
      'temporal',
      'temporal-ui',
      'object-store',
      'smtp-relay',
      'lantian-migrate',
      'lantian-setup',
      'lantian-worker',
      'lantian-web',
    ]),
  );
  expect(compose.services['lantian-worker'].deploy?.replicas).toBe(2);
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
  expect(published('lantian-web')).toEqual(['8300:8300']);
});

test("no Lantian service keeps state on its own disk: records in this file's PostgreSQL, files in its object store", () => {
  for (const name of ['lantian-worker', 'lantian-web', 'lantian-migrate']) {
    const svc = compose.services[name];
    expect({ name, volumes: svc.volumes ?? [] }).toEqual({ name, volumes: [] });
    const env = svc.environment!;
    expect(compose.services[new URL(env.LANTIAN_DATABASE_URL).hostname].image).toMatch(/^postgres:/);
    const store = new URL(env.LANTIAN_OBJECT_STORE_URL);
    expect(compose.services[store.hostname].image).toMatch(/versitygw/);
  }
  expect(compose.services['lantian-migrate'].command).toEqual(['npm', 'run', 'lantian', '--', 'db', 'migrate']);
});

test('every web instance and restart signs with the same keys: the operator gives them, none is made on a disk', () => {
  expect(required).toEqual(expect.arrayContaining(['LANTIAN_SESSION_SECRET', 'LANTIAN_ACTOR_KEY']));
  const web = compose.services['lantian-web'].environment!;
  expect(web.LANTIAN_SESSION_SECRET).toBe(operatorGives.LANTIAN_SESSION_SECRET);
  expect(web.LANTIAN_ACTOR_KEY).toBe(operatorGives.LANTIAN_ACTOR_KEY);
  // The key the instances sign with is the key obligations launched through any of them trust.
  const config = actorKeyConfig(
    readEnv({ ...web, LANTIAN_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'compose-keys-')) } as NodeJS.ProcessEnv),
  );
  const own = crypto.createPublicKey(sampleActorKey).export({ type: 'spki', format: 'der' }).subarray(-32);
  expect(trustedActorKeys(config)).toEqual([own.toString('hex')]);
  expect(fs.existsSync(config.keyFile)).toBe(false);
});

test('Lantian services get the variables the cluster target gives its tests, and the same object store', () => {
  const written = clusterScript.split('write_env() {')[1].split('\nEOF')[0];
  const names = [...written.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
  expect(names).toEqual(expect.arrayContaining(['LANTIAN_DATABASE_URL', 'LANTIAN_OBJECT_STORE_URL']));
  for (const name of ['lantian-worker', 'lantian-web']) {
    const env = compose.services[name].environment!;
    const missing = names.filter(
      (v) => !(v in env) && v !== 'LANTIAN_EMBEDDED_TEMPORAL' && v !== 'LANTIAN_RETENTION_DAYS',
    );
    expect({ name, missing }).toEqual({ name, missing: [] });
  }
  const version = /^VERSITYGW_VERSION=(v[\d.]+)$/m.exec(clusterScript)![1];
  expect(compose.services['object-store'].image).toBe(`ghcr.io/versity/versitygw:${version}`);
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
