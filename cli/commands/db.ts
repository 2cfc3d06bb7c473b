import type { Command } from 'commander';
import { action, print, refusal } from '../context';
import { openPool, redactedUrl } from '../../db/pool';
import { migrate, migrations, pendingMigrations } from '../../db/migrate';

export function registerDb(program: Command) {
  const db = program.command('db').description('the PostgreSQL database (LANTIAN_DATABASE_URL): schema migrations');

  db.command('migrate')
    .description('apply the pending schema migrations (db/migrations), each once, in order; safe to run again')
    .option('--status', 'list what is applied and pending, change nothing')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, opts: { status?: boolean; json?: boolean }) => {
        const url = ctx.env.LANTIAN_DATABASE_URL;
        if (!url) throw refusal('cli_database_url_unset', {});
        const pool = openPool(url, 2);
        try {
          const all = migrations();
          if (opts.status) {
            const pending = new Set((await pendingMigrations(pool, all)).map((m) => m.version));
            const rows = all.map((m) => ({ version: m.version, name: m.name, applied: !pending.has(m.version) }));
            print(opts.json ?? false, rows, () =>
              rows
                .map((r) => `${String(r.version).padStart(4, '0')} ${r.name} ${r.applied ? 'applied' : 'pending'}`)
                .join('\n'),
            );
            return;
          }
          const done = await migrate(pool, all);
          print(
            opts.json ?? false,
            { database: redactedUrl(url), applied: done.map((m) => ({ version: m.version, name: m.name })) },
            () =>
              done.length
                ? `${redactedUrl(url)}: applied ${done.map((m) => `${String(m.version).padStart(4, '0')} ${m.name}`).join(', ')}`
                : `${redactedUrl(url)}: up to date (${all.length} migration(s) applied), nothing to do`,
          );
        } catch (e) {
          if (/ECONNREFUSED|ENOTFOUND|timeout|password authentication/i.test((e as Error).message))
            throw refusal('cli_database_unreachable', { database: redactedUrl(url), detail: (e as Error).message });
          throw e;
        } finally {
          await pool.end();
        }
      }),
    );
}
