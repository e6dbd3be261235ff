/**
 * `gatehouse admin create-user`: the operator bootstrap. Opens the configured database directly
 * (no server needed), creates a human user and prints a personal token once. This is how the very
 * first credential comes into existence.
 */
import type { Command } from 'commander';
import { Problem } from '../../model/errors.js';
import { withJson } from '../client-options.js';
import type { CliContext } from '../context.js';
import { ApiError, CliError } from '../errors.js';
import { type ConfigOptions, firstLine, loadOperatorConfig, withConfigOptions } from '../operator.js';
import { printJson, printLines } from '../output.js';

interface CreateUserOptions extends ConfigOptions {
  email: string;
  name?: string;
  json?: boolean;
}

export function registerAdmin(program: Command, ctx: CliContext): void {
  const admin = program
    .command('admin')
    .description('operator commands that work on the database directly, with no server running');

  withJson(withConfigOptions(admin.command('create-user')))
    .description('create a human user and print a personal token for it, once')
    .requiredOption('--email <email>', "the user's email address")
    .option('--name <name>', 'display name (default: the part of the email before @)')
    .action(async (options: CreateUserOptions) => {
      const config = loadOperatorConfig(ctx, options);
      const { openStore } = await import('../../store/db.js');
      const { createUserWithToken } = await import('../../services/bootstrap.js');
      const store = openStore(config.database);
      let created: { userId: string; token: string };
      try {
        // The service migrates first: on a fresh install the first user must not need `serve`.
        created = await createUserWithToken(store, config.keys, {
          email: options.email,
          ...(options.name !== undefined ? { name: options.name } : {}),
        });
      } catch (error) {
        throw asCliError(error);
      } finally {
        await store.close();
      }

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
}

/** A service refusal (duplicate email, bad input) reads like the server's own error would. */
function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof Problem) {
    const body = error.toBody();
    const details = [`  status: ${body.statusCode} ${body.error}`, `  reason: ${body.reason.code}`];
    if (typeof body.reason.hint === 'string') details.push(`  hint: ${body.reason.hint}`);
    return new ApiError(body.statusCode, body, body.message, details);
  }
  return new CliError(`cannot create the user: ${firstLine(error)}`);
}
