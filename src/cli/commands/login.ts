/**
 * `gatehouse login`: get a personal token through the browser (src/cli/login/browser-flow.ts), or
 * save one read from stdin with --with-token (src/cli/login/with-token.ts), and keep it in the CLI's
 * config file. `gatehouse logout` is src/cli/commands/logout.ts.
 *
 * The token, the sid and the state are never printed.
 */
import type { Command } from 'commander';
import { withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { type BrowserLoginOptions, browserLogin } from '../login/browser-flow.js';
import { CALLBACK_PORT_ENV, DEFAULT_CALLBACK_PORT } from '../login/loopback-server.js';
import { loginWithToken } from '../login/with-token.js';

const DEFAULT_TIMEOUT = '5m';

interface LoginOptions extends BrowserLoginOptions {
  withToken?: boolean;
}

export function registerLogin(program: Command, ctx: CliContext): void {
  withClientOptions(program.command('login'))
    .description('log in through the browser and save a personal token (or save a token from stdin with --with-token)')
    .option('--provider <name>', 'the login provider, e.g. sanity (e-mail and password); see GET /auth/providers')
    .option('--sso <orgSlug>', "log in with an organization's single sign-on provider")
    .option('--no-open', 'print the login URL instead of opening a browser')
    .option('--timeout <duration>', 'how long to wait for the browser: 90s, 10m (at most 1h)', DEFAULT_TIMEOUT)
    .option('--with-token', 'read the token from standard input, e.g. `gatehouse login --with-token < token.txt`')
    .addHelpText(
      'after',
      `
The browser comes back to http://127.0.0.1:<port>/callback: port ${DEFAULT_CALLBACK_PORT} when free, else one the
system picks; ${CALLBACK_PORT_ENV}=<port> sets it (0: the system picks).`,
    )
    .action(async (options: LoginOptions) => {
      if (options.withToken) {
        if (options.provider !== undefined || options.sso !== undefined) {
          throw usageError('--with-token reads a token from standard input: it takes no --provider or --sso');
        }
        return loginWithToken(ctx, options);
      }
      return browserLogin(ctx, options);
    });
}
