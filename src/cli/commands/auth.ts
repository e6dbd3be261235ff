/**
 * `gatehouse auth tokens [list]` and `gatehouse auth tokens revoke <tokenId>`: the caller's own
 * personal tokens (one per login), through `GET /auth/tokens` and `DELETE /auth/tokens/{id}`.
 * Secrets are never shown; the token this CLI is using is marked.
 */
import type { Command } from 'commander';
import type { PersonalToken } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import type { ApiClient } from '../http.js';
import { formatTime, printJson, printLines, printTable } from '../output.js';

export function registerAuth(program: Command, ctx: CliContext): void {
  const auth = program.command('auth').description('your own login: personal tokens');
  const tokens = auth.command('tokens').description('list or revoke your personal tokens (one per login)');

  withClientOptions(tokens.command('list', { isDefault: true }))
    .description('list your personal tokens (never their secrets); the one in use is marked')
    .action(async (options: ClientOptions) => {
      const { client } = connect(ctx, options);
      const list = await listTokens(client);
      if (options.json) return printJson(ctx, list);
      printTable(
        ctx,
        list,
        [
          { header: 'ID', value: (t) => t.id },
          { header: 'LABEL', value: (t) => t.label ?? '-' },
          { header: 'SOURCE', value: (t) => t.source ?? '-' },
          { header: 'CREATED', value: (t) => formatTime(t.createdAt) },
          { header: 'EXPIRES', value: (t) => (t.expiresAt ? formatTime(t.expiresAt) : 'never') },
          { header: 'LAST USED', value: (t) => formatTime(t.lastUsedAt) },
          { header: 'CURRENT', value: (t) => (t.current ? 'yes' : '') },
        ],
        'No personal tokens.',
      );
    });

  withClientOptions(tokens.command('revoke'))
    .description('revoke one of your personal tokens: it stops working on its next request')
    .argument('<tokenId>', 'the token id, from `gatehouse auth tokens`')
    .action(async (tokenId: string, options: ClientOptions) => {
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(tokenId))
        throw usageError(`"${tokenId}" is not a token id (see \`gatehouse auth tokens\`)`);
      const { client } = connect(ctx, options);
      await client.delete(`/auth/tokens/${encodeURIComponent(tokenId)}`);
      if (options.json) return printJson(ctx, { revoked: tokenId });
      printLines(ctx, [`Revoked token ${tokenId}.`]);
    });
}

/** Every page of `GET /auth/tokens` (`{data, nextCursor}`). */
function listTokens(client: ApiClient): Promise<PersonalToken[]> {
  return client.getAll<PersonalToken>('/auth/tokens', { limit: 100 });
}
