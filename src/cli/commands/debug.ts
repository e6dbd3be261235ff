/**
 * `gatehouse debug [--secrets]`: which server, who you are, and where the token came from — the
 * three questions behind most "why am I getting 401/403" moments. The token itself is printed only
 * with --secrets.
 */
import type { Command } from 'commander';
import { type ClientOptions, cliVersion, connect, withClientOptions } from '../client-options.js';
import { configFilePath, describeSource, readConfigFile } from '../config-file.js';
import type { CliContext } from '../context.js';
import { ApiError, CliError } from '../errors.js';
import { API_VERSION } from '../http.js';
import { formatFields, printJson, text } from '../output.js';

export interface Me {
  id?: string;
  name?: string;
  email?: string;
  provider?: string;
}

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
      const authType = auth.source.kind === 'file' ? readConfigFile(configPath).authType : undefined;

      let me: Me | undefined;
      let failure: CliError | undefined;
      try {
        me = (await client.get<Me>('/users/me')) ?? {};
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        failure = error;
      }

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
        if (authType) fields.push(['Auth type', String(authType)]);
        fields.push(['Auth token', shownToken ?? '(none)']);
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

/** Enough to tell tokens apart, not enough to use one. */
function redact(token: string): string {
  return token.length >= 16 ? `<redacted> (…${token.slice(-4)})` : '<redacted>';
}
