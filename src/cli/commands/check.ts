/**
 * `gatehouse check <permission...>`: does my token hold these permissions on a project or
 * organization? Exit code 0 when it holds all of them, 1 otherwise, so scripts can gate on it.
 */
import type { Command } from 'commander';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { accessPath, type ResourceFlags, resourceOf, withResource } from '../http.js';
import { printJson, printTable, silentFailure } from '../output.js';

interface CheckResult {
  data: Record<string, boolean>;
}

export function registerCheck(program: Command, ctx: CliContext): void {
  withResource(withClientOptions(program.command('check')))
    .description('check whether your token holds permissions on a project or organization (exit 1 if any is missing)')
    .argument('<permission...>', 'permissions as <type>.<action>, e.g. sanity.project.members.read')
    .addHelpText(
      'after',
      `
Example:
  gatehouse check sanity.project.read sanity.project.tokens.create --project uc3abxgv

Exit codes: 0 every permission is held, 1 at least one is not (or the check failed), 2 bad arguments.`,
    )
    .action(async (permissions: string[], options: ClientOptions & ResourceFlags) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const result = await client.get<CheckResult>(accessPath(resource, 'user-permissions', 'me', 'check'), {
        query: { permissions },
      });
      if (!result || typeof result.data !== 'object' || result.data === null) {
        throw new CliError('GET /user-permissions/me/check: the server\'s answer has no "data" object');
      }
      const rows = permissions.map((name) => ({ name, allowed: result.data[name] === true }));
      if (options.json) printJson(ctx, result);
      else
        printTable(
          ctx,
          rows,
          [
            { header: 'PERMISSION', value: (r) => r.name },
            { header: 'ALLOWED', value: (r) => (r.allowed ? 'yes' : 'no') },
          ],
          '',
        );
      if (rows.some((r) => !r.allowed)) throw silentFailure();
    });
}
