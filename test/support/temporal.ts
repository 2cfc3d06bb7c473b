// Real Temporal servers for tests: the time-skipping test server for timer logic, and the CLI
// dev server (SQLite, search attributes) for Updates, visibility and restarts. Both binaries
// are the pinned ones npm install put in .tools/; nothing is downloaded at test time.
// `npm run test:cluster` runs the dev-server tests on the cluster's Temporal server instead
// (PostgreSQL, as in production: scripts/cluster.sh, docs/cluster.md).
import { actorKeyConfig, actorProofInterceptors } from '../../client/actor-keys';
import { digestEnqueuer } from '../../client/digests';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type WorkflowBundle, Runtime, DefaultLogger } from '@temporalio/worker';
import { temporalCli, temporalTestServer } from '../../client/binaries';
import { allSearchAttributes } from '../../domain/search-attributes';
import { registerSearchAttributes } from '../../client/namespace-setup';
import type { ActivityDeps } from '../../activities';
import { calendarFromData, type WorkingCalendar } from '../../domain/calendar';
import { loadPolicies, type PolicySet } from '../../planner/load';
import { outboxMailer, type Mailer } from '../../notices/mailer';
import { bundleFile } from './global-setup';
import { documentNumberAllocator } from '../../client/document-numbers';
import { createWorker } from '../../worker/create';
import type { LantianWorker } from '../../worker/registry';

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // ERROR: retried activity attempts (an SMTP outage test makes hundreds) would drown the report.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed by another test file in this process
  }
}

/**
 * One actor key for the whole run, in this process's environment so that the CLIs the tests run
 * sign with it too; every test client signs its Updates, and every test worker trusts it.
 */
process.env.LANTIAN_ACTOR_KEY_FILE ??= path.join(__dirname, '..', '..', '.data', 'test', 'actor-key.pem');
export const testActorKeys = () =>
  actorKeyConfig({ LANTIAN_DATA_DIR: '', LANTIAN_ACTOR_KEY_FILE: process.env.LANTIAN_ACTOR_KEY_FILE });
const signedClient = () => ({ interceptors: actorProofInterceptors(testActorKeys()) });

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    client: signedClient(),
    server: { executable: { type: 'existing-path', path: temporalTestServer() } },
  });
}

/** Set by `npm run test:cluster`: the Temporal server the dev-server tests use instead of a dev server each. */
export const clusterAddress = process.env.LANTIAN_TEST_TEMPORAL_ADDRESS || undefined;

/**
 * A dev server of its own, on `dbFilename` if given (the same file again: the same state, as
 * after a restart). On the cluster, a namespace of its own stands for that database.
 */
export async function devServerEnv(dbFilename?: string): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  if (clusterAddress) return clusterEnv(clusterAddress, dbFilename);
  return TestWorkflowEnvironment.createLocal({
    client: signedClient(),
    server: {
      executable: { type: 'existing-path', path: temporalCli() },
      dbFilename,
      searchAttributes: allSearchAttributes,
      extraArgs: ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=off', '--log-level', 'error'],
    },
  });
}

/** Names this process's test namespaces; scripts/cluster.sh deletes those more than an hour old. */
const clusterRun = `${Math.floor(Date.now() / 1000)}-${crypto.randomBytes(3).toString('hex')}`;
const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;

/**
 * The cluster is shared by every test file and every run, and the tests use fixed workflow ids,
 * task queues and campaign names (as on a fresh dev server): each database therefore gets a
 * namespace of its own, with Lantian's search attributes registered as `namespace setup` does.
 * The same `dbFilename` gives the same namespace, so a test that "restarts" reconnects to its state.
 */
async function clusterEnv(address: string, dbFilename?: string): Promise<TestWorkflowEnvironment> {
  const key = dbFilename ?? crypto.randomUUID();
  const namespace = `lantian-test-${clusterRun}-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  const connection = await Connection.connect({ address });
  try {
    const created = await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })
      .then(
        () => true,
        (e) => {
          if (isGrpcServiceError(e) && e.code === ALREADY_EXISTS) return false;
          throw e;
        },
      );
    // A new namespace is "not found" for about a second, until each service reads it.
    for (let attempt = 0; ; attempt++) {
      try {
        await registerSearchAttributes(connection, namespace);
        break;
      } catch (e) {
        if (attempt >= 50 || !isGrpcServiceError(e) || e.code !== NOT_FOUND) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // History and matching remember "not found" for a second: let that pass before a worker polls.
    if (created) await new Promise((r) => setTimeout(r, 1100));
  } finally {
    await connection.close();
  }
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace, client: signedClient() });
}

/**
 * On the cluster, prints that a step of a test is skipped and why, and answers true; elsewhere
 * false. For steps a shared server cannot take, such as restarting it (scripts/cluster.sh owns it).
 */
export function skipOnCluster(step: string, reason: string): boolean {
  if (!clusterAddress) return false;
  process.stderr.write(`skipped on the cluster: ${step}: ${reason}\n`);
  return true;
}

export function workflowBundle(): WorkflowBundle {
  return { code: fs.readFileSync(bundleFile, 'utf8') };
}

export const repo = path.join(__dirname, '..', '..');
export const fixturePoliciesDir = path.join(__dirname, '..', 'fixtures', 'policies');
export const templatesDir = path.join(repo, 'policies', 'templates');

export function fixturePolicies(): PolicySet {
  return loadPolicies(fixturePoliciesDir, undefined, templatesDir);
}

/** Weekends only, plus the holidays and make-up workdays a test names; covers the years given. */
export function testCalendar(
  fromYear: number,
  toYear: number,
  holidays: string[] = [],
  workdays: string[] = [],
): WorkingCalendar {
  const years: Record<string, { source: string; holidays: string[]; workdays: string[] }> = {};
  for (let y = fromYear; y <= toYear; y++) {
    years[String(y)] = {
      source: 'test calendar',
      holidays: holidays.filter((d) => d.startsWith(`${y}-`)),
      workdays: workdays.filter((d) => d.startsWith(`${y}-`)),
    };
  }
  return calendarFromData({ timezone: 'Asia/Shanghai', years }, 'test-calendar');
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lantian-${prefix}-`));
}

export interface TestDeps extends ActivityDeps {
  dir: string;
}

export function testDeps(
  calendar: WorkingCalendar,
  policies: PolicySet = fixturePolicies(),
  mailer?: Mailer,
): TestDeps {
  const dir = tempDir('data');
  return {
    dir,
    calendar,
    organisations: policies.organisations,
    templatesDir: policies.templatesDir,
    archiveDir: path.join(dir, 'archive'),
    lettersDir: path.join(dir, 'letters'),
    mailer: mailer ?? outboxMailer(path.join(dir, 'outbox')),
    mailFrom: 'Lantian <lantian@localhost>',
    reminderDelivery: policies.reminderDelivery,
    documentNumbers: async () => {
      throw new Error('document numbers need a server: testWorker binds them to its environment');
    },
  };
}

/** The obligations' worker and the registries' beside it, as npm start runs them. */
export async function testWorker(
  env: TestWorkflowEnvironment,
  deps: ActivityDeps,
  taskQueue = 'lantian-test',
): Promise<LantianWorker> {
  return createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: workflowBundle(),
    deps: {
      ...deps,
      documentNumbers: documentNumberAllocator(async () => env.client, taskQueue),
      digests: digestEnqueuer(async () => env.client, taskQueue),
    },
  });
}

/** Files the outbox mailer wrote, parsed just enough to assert on. */
export function outboxMessages(deps: TestDeps): { file: string; raw: string; subject: string; to: string }[] {
  const dir = path.join(deps.dir, 'outbox');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => {
      const raw = fs.readFileSync(path.join(dir, f), 'utf8');
      const subjectLine = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1] ?? '';
      const to = /^To: (.*)$/m.exec(raw)?.[1] ?? '';
      return { file: f, raw, subject: decodeMimeWords(subjectLine), to };
    });
}

export function decodeMimeWords(s: string): string {
  return s
    .replace(/\r?\n[ \t]/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}
