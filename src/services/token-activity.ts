/**
 * The optional inactivity timeout of personal tokens (R10, GATEHOUSE_TOKEN_IDLE_TIMEOUT_MINUTES): a
 * personal token not used for that long stops working, like a session left idle, while tokens in
 * daily use live out their lifetime. Robot tokens are not affected: automation may run monthly.
 *
 * "Used" is the token's `lastUsedAt`, which is written at most once per bookkeeping interval (five
 * minutes by default), so the timeout bites between `timeout − interval` and `timeout` after the
 * last request. The configuration keeps the timeout at 15 minutes or more for that reason.
 */
import { Problem } from '../model/errors.js';

/**
 * Why a token is refused for inactivity, or null when it is not. Called once per authenticated
 * request, with the credential as the authentication hot path read it.
 */
export function idleTokenProblem(
  token: { kind: string; last_used_at: string | null; created_at: string },
  now: Date,
  timeoutMinutes: number | null,
): Problem | null {
  if (timeoutMinutes === null || token.kind !== 'user') return null;
  const lastActive = Date.parse(token.last_used_at ?? token.created_at);
  const idleUntil = lastActive + timeoutMinutes * 60_000;
  if (now.getTime() < idleUntil) return null;
  return new Problem(
    401,
    'Session is expired, please re-authenticate',
    {
      code: 'token_inactive',
      idleMinutes: timeoutMinutes,
      lastUsedAt: new Date(lastActive).toISOString(),
      hint: `This personal token was not used for ${timeoutMinutes} minutes, the server's inactivity timeout. Log in again.`,
    },
    { errorCode: 'SIO-401-AEX', headers: { 'www-authenticate': 'Bearer realm="gatehouse", error="invalid_token"' } },
  );
}
