// The Lantian worker in a process of its own, for the crash-safety test: real activities, the
// real SMTP mailer and ledger. With LANTIAN_CRASH_AFTER_LEDGER=1 the process SIGKILLs itself
// the moment the first delivery returns — the server has accepted, the ledger is written, and
// the activity has not completed — which is the crash the sent ledger exists for.
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createWorker } from '../../worker/create';
import { loadOrBuildBundle } from '../../worker/bundle';
import { loadPolicies } from '../../planner/load';
import { smtpMailer, type Mailer } from '../../notices/mailer';
import { documentNumberAllocator } from '../../client/document-numbers';
import { digestEnqueuer } from '../../client/digests';
import { fixturePoliciesDir, templatesDir, testCalendar } from './temporal';

async function main() {
  const [address, taskQueue, smtpUrl, dataDir, namespace = 'default'] = process.argv.slice(2);
  const policies = loadPolicies(fixturePoliciesDir, undefined, templatesDir);
  const real = smtpMailer(smtpUrl, path.join(dataDir, 'ledger'));
  const mailer: Mailer = {
    transport: real.transport,
    async deliver(m) {
      const d = await real.deliver(m);
      if (process.env.LANTIAN_CRASH_AFTER_LEDGER) process.kill(process.pid, 'SIGKILL');
      return d;
    },
    close: () => real.close(),
  };
  const client = async () => new Client({ connection: await Connection.connect({ address }), namespace });
  const connection = await NativeConnection.connect({ address });
  const { bundle: workflowBundle } = await loadOrBuildBundle();
  const worker = await createWorker({
    workflowBundle,
    connection,
    namespace,
    taskQueue,
    deps: {
      calendar: testCalendar(2026, 2032, ['2031-01-01']),
      organisations: policies.organisations,
      templatesDir: policies.templatesDir,
      archiveDir: path.join(dataDir, 'archive'),
      lettersDir: path.join(dataDir, 'letters'),
      mailer,
      mailFrom: 'Lantian <lantian@localhost>',
      documentNumbers: documentNumberAllocator(client, taskQueue),
      reminderDelivery: policies.reminderDelivery,
      digests: digestEnqueuer(client, taskQueue),
    },
  });
  process.on('SIGTERM', () => worker.shutdown());
  fs.writeSync(1, 'ready\n');
  await worker.run();
  mailer.close();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
