/**
 * `gatehouse admin …`: operator commands that open the configured database directly (no server
 * needed). `create-user` creates a human user and prints a personal token once: how the very first
 * credential comes into existence. `revoke-tokens` ends every personal token of a user;
 * `disable-user` / `enable-user` lock a person out (tokens revoked, no login) and let them back in.
 * Every change is in the audit log, as done by the system.
 */
import type { Command } from 'commander';
import { withJson } from '../client-options.js';
import type { CliContext } from '../context.js';
import { type ConfigOptions, onDatabase, operatorModules, withDatabaseOptions } from '../operator.js';
import { printJson, printLines } from '../output.js';

interface CreateUserOptions extends ConfigOptions {
  email: string;
  name?: string;
  json?: boolean;
}

interface UserOptions extends ConfigOptions {
  email: string;
  json?: boolean;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function registerAdmin(program: Command, ctx: CliContext): void {
  const admin = program
    .command('admin')
    .description('operator commands that work on the database directly: no server or token needed, and none needs it stopped')
    .addHelpText(
      'after',
      `
These commands open the configured database themselves (--data-dir / --database-url, or the
GATEHOUSE_* variables; with PostgreSQL also the same GATEHOUSE_SECRET as the server). None of them
needs the server stopped: they may run while \`gatehouse serve\` is serving the same database, and a
running server sees the change at once: its caches follow the database (on SQLite it notices that
the file changed on its next request; on PostgreSQL the change is announced to every node, which
applies it within a second). On SQLite, run them on the machine and in the directory of the
server (the default data directory is ./.gatehouse). Every change is written to the audit log as
done by the system.`,
    );

  withJson(withDatabaseOptions(admin.command('create-user')))
    .description('create a human user and print a personal token for it, once')
    .requiredOption('--email <email>', "the user's email address")
    .option('--name <name>', 'display name (default: the part of the email before @)')
    .action(async (options: CreateUserOptions) => {
      const { createUserWithToken } = await operatorModules.bootstrap();
      // The service migrates first: on a fresh install the first user must not need `serve`.
      const created = await onDatabase(ctx, options, 'create the user', (store, config) =>
        createUserWithToken(store, config.keys, {
          email: options.email,
          ...(options.name !== undefined ? { name: options.name } : {}),
          lifetimeDays: config.identity.personalTokenLifetimeDays,
        }),
      );

      if (options.json) {
        printJson(ctx, { userId: created.userId, token: created.token });
        return;
      }
      printLines(ctx, [
        `Created user ${created.userId} <${options.email}>`,
        '',
        'Personal token (shown only once: copy it now, it cannot be retrieved later):',
        '',
        `  ${created.token}`,
        '',
        'Use it with the CLI:',
        '  export GATEHOUSE_AUTH_TOKEN=<the token above>',
        '  or save it: gatehouse login --with-token < token-file',
        'or send it to the API as `Authorization: Bearer <token>`.',
      ]);
    });

  withJson(withDatabaseOptions(admin.command('revoke-tokens')))
    .description('revoke every personal token of a user: they stop working on the next request')
    .requiredOption('--email <email>', "the user's email address")
    .action(async (options: UserOptions) => {
      const { revokeUserTokens } = await operatorModules.bootstrap();
      const result = await onDatabase(ctx, options, 'revoke the tokens', (store, config) =>
        revokeUserTokens(store, config.keys, options.email),
      );
      if (options.json) {
        printJson(ctx, { userId: result.userId, email: result.email, revokedTokens: result.revoked });
        return;
      }
      printLines(ctx, [
        result.revoked === 0
          ? `User ${result.userId} <${result.email}> has no personal token that still works: nothing to revoke.`
          : `Revoked ${plural(result.revoked, 'personal token')} of user ${result.userId} <${result.email}>: they stop working on the next request.`,
      ]);
    });

  for (const disable of [true, false]) {
    withJson(withDatabaseOptions(admin.command(disable ? 'disable-user' : 'enable-user')))
      .description(
        disable
          ? 'disable a user: every token they hold is revoked, and they cannot log in'
          : 'enable a disabled user: they can log in again (their old tokens stay revoked)',
      )
      .requiredOption('--email <email>', "the user's email address")
      .action(async (options: UserOptions) => {
        const { setUserDisabled } = await operatorModules.bootstrap();
        const result = await onDatabase(ctx, options, `${disable ? 'disable' : 'enable'} the user`, (store, config) =>
          setUserDisabled(store, config.keys, options.email, disable),
        );
        if (options.json) {
          printJson(ctx, {
            userId: result.userId,
            email: result.email,
            disabled: result.disabledAt !== null,
            disabledAt: result.disabledAt,
            changed: result.changed,
            ...(disable ? { revokedTokens: result.revoked } : {}),
          });
          return;
        }
        const who = `user ${result.userId} <${result.email}>`;
        if (!result.changed) {
          printLines(ctx, [`The ${who} was already ${disable ? 'disabled' : 'enabled'}: nothing changed.`]);
        } else if (disable) {
          printLines(ctx, [
            `Disabled ${who}; revoked ${plural(result.revoked, 'personal token')}.`,
            'They cannot log in until `gatehouse admin enable-user`.',
          ]);
        } else {
          printLines(ctx, [`Enabled ${who}: they can log in again. Their old tokens stay revoked.`]);
        }
      });
  }
}
