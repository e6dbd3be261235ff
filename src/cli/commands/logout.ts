/**
 * `gatehouse logout`: log the saved token out on the server (`POST /auth/logout`) and remove it from
 * the CLI's config file.
 */
import type { Command } from 'commander';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import { configFilePath, readConfigFile, writeConfigFile } from '../config-file.js';
import type { CliContext } from '../context.js';
import { ApiError, CliError } from '../errors.js';
import { noteEnvToken } from '../login/saved-token.js';
import { printJson, printLines } from '../output.js';

export function registerLogout(program: Command, ctx: CliContext): void {
  withClientOptions(program.command('logout'))
    .description('log the saved token out on the server and remove it from the config file')
    .action((options: ClientOptions) => logout(ctx, options));
}

async function logout(ctx: CliContext, options: ClientOptions): Promise<void> {
  const path = configFilePath(ctx.env);
  const config = readConfigFile(path);
  const token = typeof config.authToken === 'string' ? config.authToken.trim() : '';
  if (token === '') {
    if (options.json) printJson(ctx, { loggedOut: false, revoked: false, configFile: path });
    else printLines(ctx, [`No saved token in ${path}`]);
    noteEnvToken(ctx, 'still set');
    return;
  }

  const { client } = connect(ctx, options, { requireToken: false });
  let outcome: 'revoked' | 'already-invalid' | 'robot';
  try {
    await client.post('/auth/logout', undefined, { token });
    outcome = 'revoked';
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) outcome = 'already-invalid';
    else if (error instanceof ApiError && error.status === 403 && reasonCode(error) === 'robot_logout') outcome = 'robot';
    else if (error instanceof CliError) {
      throw new CliError(`the server did not log the token out: ${error.message}`, error.exitCode, [
        ...error.details,
        `  The token is still saved in ${path}; to forget it without logging it out, delete "authToken" there.`,
      ]);
    } else throw error;
  }

  delete config.authToken;
  delete config.authType;
  writeConfigFile(path, config);

  if (options.json) {
    printJson(ctx, {
      loggedOut: true,
      revoked: outcome === 'revoked',
      ...(outcome === 'robot' ? { reason: 'robot_logout' } : {}),
      configFile: path,
    });
  } else {
    const lines = [
      outcome === 'revoked'
        ? `Logged out of ${client.apiHost}: the token no longer works.`
        : outcome === 'already-invalid'
          ? 'The saved token was already expired or revoked.'
          : 'The server refused to log out a robot token: it still works.',
      `Removed the saved token from ${path}`,
    ];
    printLines(ctx, lines);
  }
  if (outcome === 'robot') {
    ctx.stderr(
      'note: robot tokens are not logged out: delete the robot (`gatehouse tokens delete <robotId> --project <id>`) or rotate its token (`gatehouse tokens rotate`) to stop it working\n',
    );
  }
  noteEnvToken(ctx, 'still set');
}

function reasonCode(error: ApiError): string | undefined {
  const body = error.body as { reason?: { code?: unknown } } | undefined;
  return typeof body?.reason?.code === 'string' ? body.reason.code : undefined;
}
