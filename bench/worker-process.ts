// A worker in a process of its own, so the benchmark can read its resident memory alone.
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createWorker } from '../worker/create';
import { LantianLogger } from '../worker/registry';
import { loadPolicies } from '../planner/load';
import { outboxMailer } from '../notices/mailer';
import { benchCalendar } from './calendar';
import { readEnv } from '../config/env';
import { Client, Connection } from '@temporalio/client';
import { documentNumberAllocator } from '../client/document-numbers';

async function main() {
  const [address, taskQueue, policiesDir, templatesDir, namespace = 'default'] = process.argv.slice(2);
  // Worker state changes at INFO would interleave with the benchmark's report.
  Runtime.install({ logger: new LantianLogger('WARN') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lantian-bench-worker-'));
  const policies = loadPolicies(policiesDir, undefined, templatesDir);
  const connection = await NativeConnection.connect({ address });
  const deps = {
    calendar: benchCalendar().calendar,
    organisations: policies.organisations,
    templatesDir: policies.templatesDir,
    archiveDir: path.join(dir, 'archive'),
    lettersDir: path.join(dir, 'letters'),
    mailer: outboxMailer(path.join(dir, 'outbox')),
    mailFrom: 'bench@localhost',
    documentNumbers: documentNumberAllocator(
      async () => new Client({ connection: await Connection.connect({ address }), namespace }),
      taskQueue,
    ),
  };
  const worker = await createWorker({
    connection,
    namespace,
    taskQueue,
    deps,
    maxCachedWorkflows: readEnv().LANTIAN_MAX_CACHED_WORKFLOWS,
    workflowThreads: readEnv().LANTIAN_WORKFLOW_THREADS,
  });
  process.on('SIGTERM', () => worker.shutdown());
  process.stdout.write('ready\n');
  await worker.run();
  await connection.close();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
