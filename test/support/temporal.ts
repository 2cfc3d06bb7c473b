// Real Temporal servers for tests: the time-skipping test server for timer logic, and the CLI
// dev server (SQLite, search attributes) for Updates, visibility and restarts. Both binaries
// are the pinned ones npm install put in .tools/; nothing is downloaded at test time.
import { digestEnqueuer } from '../../client/digests';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type WorkflowBundle, Runtime, DefaultLogger } from '@temporalio/worker';
import { temporalCli, temporalTestServer } from '../../client/binaries';
import { allSearchAttributes } from '../../domain/search-attributes';
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

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServer() } },
  });
}

export async function devServerEnv(dbFilename?: string): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCli() },
      dbFilename,
      searchAttributes: allSearchAttributes,
      extraArgs: ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=off', '--log-level', 'error'],
    },
  });
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
    namespace: 'default',
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
