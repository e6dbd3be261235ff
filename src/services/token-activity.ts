/**
 * The optional inactivity timeout of personal tokens (R10, GATEHOUSE_TOKEN_IDLE_TIMEOUT_MINUTES): a
 * personal token not used for that long stops working, like a session left idle, while tokens in
 * daily use live out their lifetime. Robot tokens are not affected: automation may run monthly.
 *
 * "Used" is the latest use the node knows of: its own requests, exact, and other nodes' through the
 * token's `lastUsedAt`, which each node writes at most once per bookkeeping interval (five minutes
 * by default). On several nodes the timeout may therefore bite up to one interval early for a token
 * used only elsewhere; the configuration keeps it at 15 minutes or more for that reason.
 */
import { Problem } from '../model/errors.js';

/**
 * Why a token is refused for inactivity at `now` (ms), or null when it is not. `lastActiveMs` is
 * the latest use known (its creation if never used). Called once per authenticated request.
 */
export function idleTokenProblem(kind: string, lastActiveMs: number, now: number, timeoutMinutes: number | null): Problem | null {
  if (timeoutMinutes === null || kind !== 'user') return null;
  if (now < lastActiveMs + timeoutMinutes * 60_000) return null;
  return new Problem(
    401,
    'Session is expired, please re-authenticate',
    {
      code: 'token_inactive',
      idleMinutes: timeoutMinutes,
      lastUsedAt: new Date(lastActiveMs).toISOString(),
      hint: `This personal token was not used for ${timeoutMinutes} minutes, the server's inactivity timeout. Log in again.`,
    },
    { errorCode: 'SIO-401-AEX', challenge: 'invalid_token' },
  );
}
