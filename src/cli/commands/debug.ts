/**
 * `gatehouse debug [--secrets]`: which server, who you are, and where the token came from — the
 * three questions behind most "why am I getting 401/403" moments. The token itself is printed only
 * with --secrets.
 *
 * Auth type: `normal` for a token from a browser login, `token` for one saved with
 * `login --with-token`, `env` for GATEHOUSE_AUTH_TOKEN (as Sanity's CLI, a saved token with no
 * recorded type counts as `normal`).
 */
import type { Command } from 'commander';
import type { Me } from '../api-types.js';
import { type ClientOptions, cliVersion, connect, withClientOptions } from '../client-options.js';
import { configFilePath, describeSource, readConfigFile } from '../config-file.js';
import type { CliContext } from '../context.js';
import { ApiError, CliError } from '../errors.js';
import { API_VERSION, type ApiClient } from '../http.js';
import { formatFields, formatTime, printJson, text } from '../output.js';

/** What kind of caller `/users/me` describes: robots answer with provider `sanity-token`. */
export function callerKind(me: Me): 'anonymous' | 'robot' | 'user' {
  if (!me.id) return 'anonymous';
  return me.provider === 'sanity-token' ? 'robot' : 'user';
}

export function registerDebug(program: Command, ctx: CliContext): void {
  withClientOptions(program.command('debug'))
    .description('show the API host, where your token comes from and who the server thinks you are')
    .option('--secrets', 'also print the token itself')
    .action(async (options: ClientOptions & { secrets?: boolean }) => {
      const { client, auth } = connect(ctx, options, { requireToken: false });
      const configPath = configFilePath(ctx.env);
      const authType = authTypeOf(auth.source.kind, () => readConfigFile(configPath).authType);

      let me: Me | undefined;
      let failure: CliError | undefined;
      const [meResult, expiry] = await Promise.all([
        client.get<Me>('/users/me').then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
        auth.token ? tokenExpiry(client) : Promise.resolve(undefined),
      ]);
      if (meResult.ok) me = meResult.value ?? {};
      else if (meResult.error instanceof CliError) failure = meResult.error;
      else throw meResult.error;

      const token = auth.token;
      const shownToken = token === undefined ? null : options.secrets ? token : redact(token);

      if (options.json) {
        printJson(ctx, {
          cliVersion: cliVersion(),
          apiHost: client.apiHost,
          apiVersion: API_VERSION,
          configFile: configPath,
          tokenSource: auth.source.kind === 'none' ? null : auth.source.kind === 'env' ? auth.source.name : auth.source.path,
          authType: authType ?? null,
          token: shownToken,
          ...(expiry !== undefined ? { tokenExpiresAt: expiry } : {}),
          user: me ? { kind: callerKind(me), ...me } : null,
          ...(failure
            ? {
                error: failure instanceof ApiError ? (failure.body ?? failure.message) : failure.message,
              }
            : {}),
        });
      } else {
        const fields: Array<[string, string]> = [
          ['CLI version', cliVersion()],
          ['API host', client.apiHost],
          ['API version', API_VERSION],
          ['Config file', configPath],
          ['Token source', describeSource(auth.source)],
        ];
        if (authType) fields.push(['Auth type', authType]);
        fields.push(['Auth token', shownToken ?? '(none)']);
        if (expiry !== undefined) fields.push(['Token expires', expiry === null ? 'never' : formatTime(expiry)]);
        if (me) {
          const kind = callerKind(me);
          fields.push(['Caller', kind]);
          if (kind !== 'anonymous') {
            fields.push(['ID', text(me.id)], ['Name', text(me.name)], ['Email', text(me.email)], ['Provider', text(me.provider)]);
          }
        } else {
          fields.push(['Caller', 'unknown (see the error below)']);
        }
        ctx.stdout(formatFields(fields));
      }
      if (failure) throw failure;
    });
}

/** `env`, or what `login` recorded in the config file (`normal` when it recorded nothing); none without a token. */
export function authTypeOf(source: 'env' | 'file' | 'none', recorded: () => unknown): string | undefined {
  if (source === 'env') return 'env';
  if (source === 'none') return undefined;
  const value = recorded();
  return typeof value === 'string' && value !== '' ? value : 'normal';
}

/**
 * When the token expires, from `GET /vX/auth/id` (`{id, expiry}`, unix seconds): an ISO time, null
 * for a token that never expires, undefined when the server does not say (an older server, a
 * rejected token: `/users/me` reports that).
 */
async function tokenExpiry(client: ApiClient): Promise<string | null | undefined> {
  try {
    const answer = await client.get<{ expiry?: unknown }>('/auth/id');
    if (answer && typeof answer.expiry === 'number' && Number.isFinite(answer.expiry)) {
      return new Date(answer.expiry * 1000).toISOString();
    }
    if (answer && answer.expiry === null) return null;
    return undefined;
  } catch {
    return undefined;
  }
}

/** Enough to tell tokens apart, not enough to use one. */
function redact(token: string): string {
  return token.length >= 16 ? `<redacted> (…${token.slice(-4)})` : '<redacted>';
}
