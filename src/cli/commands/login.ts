/**
 * `gatehouse login --with-token` and `gatehouse logout`: keep a token in the CLI's config file so
 * it need not be in the environment. Browser login arrives with the /auth endpoints.
 */
import type { Command } from 'commander';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import { configFilePath, readConfigFile, TOKEN_ENV, writeConfigFile } from '../config-file.js';
import type { CliContext } from '../context.js';
import { ApiError, CliError, usageError } from '../errors.js';
import { printJson, printLines } from '../output.js';
import { callerKind, type Me } from './debug.js';

export function registerLogin(program: Command, ctx: CliContext): void {
  withClientOptions(program.command('login'))
    .description('save a token in the config file (read from stdin with --with-token)')
    .option('--with-token', 'read the token from standard input, e.g. `gatehouse login --with-token < token.txt`')
    .action(async (options: ClientOptions & { withToken?: boolean }) => {
      if (!options.withToken) {
        throw usageError('browser login is not available yet: use `gatehouse login --with-token < token-file`');
      }
      if (ctx.stdinIsTTY) {
        // Typing a secret into a terminal echoes it and keeps it in the scrollback.
        throw usageError(
          '--with-token reads the token from standard input: pipe it in, e.g. `gatehouse login --with-token < token.txt`',
        );
      }
      const token = (await ctx.readStdin()).trim();
      if (token === '') throw usageError('no token on standard input');
      if (/\s/.test(token)) throw usageError('standard input must hold exactly one token');

      const { client } = connect(ctx, options, { requireToken: false });
      let me: Me;
      try {
        me = (await client.get<Me>('/users/me', { token })) ?? {};
      } catch (error) {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
          throw new CliError('Token is invalid or expired', 1, [`  server: ${error.message}`, ...error.details]);
        }
        throw error;
      }
      if (!me.id) throw new CliError('Token is invalid or expired', 1, ['  the server does not know this token']);

      const path = configFilePath(ctx.env);
      const config = readConfigFile(path);
      config.authToken = token;
      config.authType = 'token';
      writeConfigFile(path, config);

      if (ctx.env[TOKEN_ENV]?.trim()) {
        ctx.stderr(`note: ${TOKEN_ENV} is set and takes precedence over the saved token until you unset it\n`);
      }
      const kind = callerKind(me);
      if (options.json) return printJson(ctx, { user: { kind, ...me }, configFile: path });
      const who = kind === 'robot' ? `robot ${me.name ?? me.id}` : `${me.name ?? me.id}${me.email ? ` <${me.email}>` : ''}`;
      printLines(ctx, [`Logged in to ${client.apiHost} as ${who} (${me.id}).`, `Token saved to ${path}`]);
    });

  withClientOptions(program.command('logout'))
    .description('remove the saved token from the config file')
    .action(async (options: { json?: boolean }) => {
      const path = configFilePath(ctx.env);
      const config = readConfigFile(path);
      const hadToken = config.authToken !== undefined;
      if (hadToken) {
        delete config.authToken;
        delete config.authType;
        writeConfigFile(path, config);
      }
      const envStillSet = Boolean(ctx.env[TOKEN_ENV]?.trim());
      if (options.json) return printJson(ctx, { loggedOut: hadToken, configFile: path });
      printLines(ctx, [hadToken ? `Removed the saved token from ${path}` : `No saved token in ${path}`]);
      if (envStillSet) ctx.stderr(`note: ${TOKEN_ENV} is still set in your environment\n`);
    });
}
