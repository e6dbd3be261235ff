/**
 * The token a login saves in the CLI's config file (src/cli/config-file.ts), the one it replaces,
 * and the lines every login prints about them.
 */
import type { Me } from '../api-types.js';
import { callerKind } from '../commands/debug.js';
import { readConfigFile, TOKEN_ENV, writeConfigFile } from '../config-file.js';
import type { CliContext } from '../context.js';
import { ApiError, CliError } from '../errors.js';
import type { ApiClient } from '../http.js';

/** Saves the token (other keys kept) and returns the one it replaces, if any. */
export function saveToken(path: string, token: string, authType: 'normal' | 'token'): string | undefined {
  const config = readConfigFile(path);
  const previous = typeof config.authToken === 'string' && config.authToken.trim() !== '' ? config.authToken.trim() : undefined;
  config.authToken = token;
  config.authType = authType;
  writeConfigFile(path, config);
  return previous;
}

export type Retired = 'logged-out' | 'kept-robot' | 'already-invalid' | 'failed' | null;

/**
 * "A new login logs the previous personal token out": the token the config file held before is
 * revoked with `POST /auth/logout`, unless it is a robot's (`/users/me` says `sanity-token`), which
 * other programs may share. A failure here never undoes the login; it is reported.
 */
export async function retirePrevious(
  ctx: CliContext,
  client: ApiClient,
  previous: string | undefined,
  current: string,
): Promise<Retired> {
  if (previous === undefined || previous === current) return null;
  try {
    const me = (await client.get<Me>('/users/me', { token: previous })) ?? {};
    if (!me.id) return 'already-invalid';
    if (callerKind(me) === 'robot') return 'kept-robot';
    await client.post('/auth/logout', undefined, { token: previous });
    return 'logged-out';
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return 'already-invalid';
    if (!(error instanceof CliError)) throw error;
    ctx.stderr(`warning: could not log out the previous token: ${error.message}\n`);
    return 'failed';
  }
}

export function retiredLines(retired: Retired): string[] {
  switch (retired) {
    case 'logged-out':
      return ['The previous token saved here was logged out.'];
    case 'kept-robot':
      return ['The previous token saved here was a robot token: it was not logged out.'];
    default:
      return [];
  }
}

export async function whoAmI(client: ApiClient, token: string): Promise<Me | undefined> {
  try {
    return (await client.get<Me>('/users/me', { token })) ?? undefined;
  } catch {
    return undefined;
  }
}

export function describeCaller(me: Me): string {
  const kind = callerKind(me);
  const who = kind === 'robot' ? `robot ${me.name ?? me.id}` : `${me.name ?? me.id}${me.email ? ` <${me.email}>` : ''}`;
  return `${who} (${me.id})`;
}

export function noteEnvToken(ctx: CliContext, how: 'takes precedence' | 'still set' = 'takes precedence'): void {
  if (!ctx.env[TOKEN_ENV]?.trim()) return;
  ctx.stderr(
    how === 'still set'
      ? `note: ${TOKEN_ENV} is still set in your environment, and commands keep using it\n`
      : `note: ${TOKEN_ENV} is set and takes precedence over the saved token until you unset it\n`,
  );
}
