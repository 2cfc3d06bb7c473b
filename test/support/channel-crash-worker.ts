// The Lantian worker in a process of its own, for the channels' crash test: real activities, the
// outbox mailer, and 唐山市's (130200) webhook at the test server with the real channel ledger.
// With LANTIAN_CRASH_AFTER_CHANNELS=1 the process SIGKILLs itself the moment the first channel
// delivery returns: the receiver has answered 2xx, the channel ledger is written, and the
// activity has not completed, which is the crash the ledger exists for.
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createWorker } from '../../worker/create';
import { loadOrBuildBundle } from '../../worker/bundle';
import { loadPolicies } from '../../planner/load';
import { outboxMailer } from '../../notices/mailer';
import { channelDelivery, type ChannelDelivery } from '../../notices/channels';
import { documentNumberAllocator } from '../../client/document-numbers';
import { digestEnqueuer } from '../../client/digests';
import { fixturePoliciesDir, templatesDir, testCalendar } from './temporal';

async function main() {
  const [address, taskQueue, dataDir, namespace, hookUrl] = process.argv.slice(2);
  // The killed worker's replacement logs its state changes at INFO: only errors are of interest here.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const policies = loadPolicies(fixturePoliciesDir, undefined, templatesDir);
  const webhook = policies.channels.get('130200')!.webhook!;
  const real = channelDelivery({
    directory: new Map([['130200', { webhook: { ...webhook, url: hookUrl } }]]),
    ledgerDir: path.join(dataDir, 'ledger', 'channels'),
  });
  const channels: ChannelDelivery = {
    async deliver(n, attempt) {
      const report = await real.deliver(n, attempt);
      if (process.env.LANTIAN_CRASH_AFTER_CHANNELS) process.kill(process.pid, 'SIGKILL');
      return report;
    },
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
      mailer: outboxMailer(path.join(dataDir, 'outbox')),
      channels,
      mailFrom: 'Lantian <lantian@localhost>',
      documentNumbers: documentNumberAllocator(client, taskQueue),
      reminderDelivery: policies.reminderDelivery,
      digests: digestEnqueuer(client, taskQueue),
    },
  });
  process.on('SIGTERM', () => worker.shutdown());
  fs.writeSync(1, 'ready\n');
  await worker.run();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
