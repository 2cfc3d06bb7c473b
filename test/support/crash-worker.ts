// The Lantian worker in a process of its own, for the crash and fault tests (started by
// test/support/worker-process.ts): real activities, the real SMTP mailer and ledger. With
// LANTIAN_CRASH_AFTER_LEDGER=1 the process SIGKILLs itself the moment the first delivery
// returns — the server has accepted, the ledger is written, and the activity has not completed —
// which is the crash the sent ledger exists for.
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
import { openPool } from '../../db/pool';
import { s3FromUrl } from '../../storage/object-store';
import { productionStores } from '../../storage/stores';
import { fixturePoliciesDir, templatesDir, testCalendar } from './temporal';

async function main() {
  const [address, taskQueue, smtpUrl, dataDir, namespace = 'default'] = process.argv.slice(2);
  const policies = loadPolicies(fixturePoliciesDir, undefined, templatesDir);
  // On production storage when given (the fault tests on the cluster): the ledger and letters in
  // PostgreSQL and the object store, as a deployed worker keeps them.
  const database = process.env.LANTIAN_CRASH_WORKER_DATABASE_URL;
  const objects = process.env.LANTIAN_CRASH_WORKER_OBJECT_STORE_URL;
  const stores =
    database && objects ? productionStores(openPool(database), s3FromUrl(objects), { database, objects }) : undefined;
  const real = smtpMailer(smtpUrl, stores?.ledger ?? path.join(dataDir, 'ledger'));
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
      ...(stores ? { letters: stores.letters, archive: stores.archive } : {}),
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
