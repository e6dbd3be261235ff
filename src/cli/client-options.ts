/** The options every API-client command shares, and the one way to turn them into a client. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { packagePath } from '../paths.js';
import { type ResolvedToken, resolveToken } from './config-file.js';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';
import { API_HOST_ENV, ApiClient, DEFAULT_API_HOST, resolveApiHost } from './http.js';

export interface ClientOptions {
  json?: boolean;
  apiHost?: string;
}

export function withJson(command: Command): Command {
  return command.option('--json', 'print the result as JSON (errors go to stderr as JSON too)');
}

export function withClientOptions(command: Command): Command {
  return withJson(command).option(
    '--api-host <url>',
    `Gatehouse API address (env: ${API_HOST_ENV}, default: ${DEFAULT_API_HOST})`,
  );
}

export interface Connection {
  client: ApiClient;
  auth: ResolvedToken;
}

/**
 * A client for the configured host with the caller's token. Commands that need a caller fail here,
 * before any request, with the three ways to get a token.
 */
export function connect(ctx: CliContext, options: ClientOptions, { requireToken = true } = {}): Connection {
  const apiHost = resolveApiHost(options.apiHost, ctx.env);
  const auth = resolveToken(ctx.env);
  if (requireToken && !auth.token) {
    throw new CliError('not logged in: no token in GATEHOUSE_AUTH_TOKEN or the config file', 1, [
      '  hint: `export GATEHOUSE_AUTH_TOKEN=<token>`, or `gatehouse login --with-token < token-file`;',
      '        an operator creates the first user with `gatehouse admin create-user --email <email>`.',
    ]);
  }
  return {
    client: new ApiClient(apiHost, auth.token, `gatehouse-cli/${cliVersion()}`),
    auth,
  };
}

let version: string | undefined;
export function cliVersion(): string {
  if (version === undefined) version = readVersion();
  return version;
}

function readVersion(): string {
  try {
    const pkg = readFileSync(packagePath('package.json'), 'utf8');
    return (JSON.parse(pkg) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
