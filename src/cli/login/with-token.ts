/**
 * `gatehouse login --with-token`: save a token read from standard input, once the server has said
 * whom it belongs to.
 */

import type { Me } from '../api-types.js';
import { type ClientOptions, connect } from '../client-options.js';
import { callerKind } from '../commands/debug.js';
import { configFilePath } from '../config-file.js';
import type { CliContext } from '../context.js';
import { ApiError, CliError, usageError } from '../errors.js';
import { printJson, printLines } from '../output.js';
import { describeCaller, noteEnvToken, retiredLines, retirePrevious, saveToken } from './saved-token.js';

export async function loginWithToken(ctx: CliContext, options: ClientOptions): Promise<void> {
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
  const previous = saveToken(path, token, 'token');
  const retired = await retirePrevious(ctx, client, previous, token);
  noteEnvToken(ctx);

  const kind = callerKind(me);
  if (options.json) return printJson(ctx, { user: { kind, ...me }, configFile: path, previousToken: retired });
  printLines(ctx, [
    `Logged in to ${client.apiHost} as ${describeCaller(me)}.`,
    `Token saved to ${path}`,
    ...retiredLines(retired),
  ]);
}
