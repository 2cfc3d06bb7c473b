import type { Command } from 'commander';
import { Connection } from '@temporalio/client';
import { action, print, refusal } from '../context';
import { registerSearchAttributes, setRetention } from '../../client/namespace-setup';

export function registerNamespace(program: Command) {
  program
    .command('namespace')
    .description('prepare a Temporal namespace for Lantian')
    .command('setup')
    .description('register the search attributes and set the retention (idempotent)')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, opts: { json?: boolean }) => {
        const { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, LANTIAN_RETENTION_DAYS: days } = ctx.env;
        const connection = await Connection.connect({ address, connectTimeout: 5000 }).catch((e: Error) => {
          throw refusal('cli_temporal_unreachable', { address, detail: e.message });
        });
        try {
          const added = await registerSearchAttributes(connection, namespace);
          await setRetention(connection, namespace, days);
          print(
            opts.json ?? false,
            { namespace, added, retentionDays: days },
            () =>
              `namespace ${namespace}: ${added.length ? `registered ${added.join(', ')}` : 'search attributes already registered'}; retention ${days} days`,
          );
        } finally {
          await connection.close();
        }
      }),
    );
}
