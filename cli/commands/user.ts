import path from 'node:path';
import type { Command } from 'commander';
import { action, print, Refusal, refusal, type Ctx } from '../context';
import { role, UserError, type Role, type Users } from '../../auth/users';
import { openUserStore } from '../../storage/stores';
import { stripBidi } from '../../client/input';
import { loadProblemPolicy, ProblemFileError } from '../../planner/problems';
import { message } from '../../i18n/messages';

/** The user store for one command (SQLite or PostgreSQL): a UserError is a refusal; closed either way. */
async function withUsers<T>(ctx: Ctx, fn: (store: Users) => Promise<T>): Promise<T> {
  const store = await openUserStore(ctx.env);
  try {
    return await fn(store);
  } catch (e) {
    throw e instanceof UserError ? new Refusal(e.message) : e;
  } finally {
    await store.close();
  }
}

export function registerUser(program: Command) {
  const user = program
    .command('user')
    .description('users of the web app and HTTP API (office, assignee, supervisor, team)');

  user
    .command('add')
    .description('create a user; prints its password and API token once (only their hashes are kept)')
    .argument('<name>')
    .requiredOption('--role <role>', 'office | assignee | supervisor | team')
    .option('--org <code>', 'organisation code (assignees only), e.g. 130100')
    .option('--team <id>', 'inspection team id in problems.yaml `teams` (team users only), e.g. team-1')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, name: string, opts: { role: string; org?: string; team?: string; json?: boolean }) => {
        const r = role.safeParse(opts.role);
        if (!r.success) throw refusal('cli_user_role', { role: opts.role });
        if (opts.team && r.data !== 'team') throw refusal('cli_user_team_flag', { role: r.data });
        if (r.data === 'team' && opts.org) throw refusal('cli_user_team_not_org', {});
        if (opts.org && !ctx.policies().organisations.has(opts.org))
          throw refusal('cli_user_no_organisation', { code: opts.org, dir: ctx.env.LANTIAN_POLICIES_DIR });
        if (opts.team) {
          const policies = ctx.policies();
          const file = path.join(policies.dir, 'problems.yaml');
          let teams;
          try {
            teams = loadProblemPolicy(file, policies.templatesDir).teams;
          } catch (e) {
            if (e instanceof ProblemFileError) throw new Refusal(e.message);
            throw e;
          }
          if (!teams.some((t) => t.id === opts.team))
            throw new Refusal(message('team_unknown', { team: opts.team, file }));
        }
        const org = r.data === 'team' ? opts.team : opts.org;
        await withUsers(ctx, async (store) => {
          // Bidirectional controls (U+202E…) would make one name read as another.
          const created = await store.add(stripBidi(name), r.data as Role, org);
          print(opts.json ?? false, created, () =>
            [
              `user ${created.user.name} (${created.user.role}${created.user.org ? ` of ${created.user.org}` : ''}) added to ${store.location}`,
              `  password   ${created.password}`,
              `  API token  ${created.token}`,
              'Shown once: only their hashes are stored.',
            ].join('\n'),
          );
        });
      }),
    );

  user
    .command('list')
    .description('every user with role, organisation and whether disabled')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, opts: { json?: boolean }) => {
        await withUsers(ctx, async (store) => {
          const users = await store.list();
          print(opts.json ?? false, users, () =>
            users.length
              ? users
                  .map(
                    (u) =>
                      `${u.name.padEnd(20)} ${u.role.padEnd(10)} ${(u.org ?? '').padEnd(10)} ${u.disabled ? 'disabled' : 'active'}`,
                  )
                  .join('\n')
              : '(no users: add one with `user add`)',
          );
        });
      }),
    );

  user
    .command('disable')
    .description('disable a user: its sessions end and its token stops working')
    .argument('<name>')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, name: string, opts: { json?: boolean }) => {
        await withUsers(ctx, async (store) => {
          const u = await store.disable(name);
          print(opts.json ?? false, u, () => `user ${u.name} disabled`);
        });
      }),
    );

  user
    .command('reset')
    .description(
      'a new password and API token for a user (forgotten or leaked); the old ones and its sessions stop at once; prints the new ones once',
    )
    .argument('<name>')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, name: string, opts: { json?: boolean }) => {
        await withUsers(ctx, async (store) => {
          const r = await store.reset(name);
          print(opts.json ?? false, r, () =>
            [
              `user ${r.user.name}: new password and token${r.user.disabled ? ' (the user is still disabled: `user enable`)' : ''}`,
              `  password   ${r.password}`,
              `  API token  ${r.token}`,
              'Shown once: only their hashes are stored.',
            ].join('\n'),
          );
        });
      }),
    );

  user
    .command('enable')
    .description('enable a disabled user again (its password and token are as they were; `user reset` replaces them)')
    .argument('<name>')
    .option('--json', 'machine-readable output')
    .action(
      action(async (ctx, name: string, opts: { json?: boolean }) => {
        await withUsers(ctx, async (store) => {
          const u = await store.enable(name);
          print(opts.json ?? false, u, () => `user ${u.name} enabled`);
        });
      }),
    );
}
