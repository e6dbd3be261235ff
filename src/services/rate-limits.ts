/**
 * Abuse limits (issue 4, R22): failed token authentications per client address, failed logins per
 * account and per client address. Fixed windows (model/rate-limit.ts) with the numbers from
 * `GATEHOUSE_*` settings (config.ts, `identity.rateLimits`).
 *
 * The counters live in this process's memory: **per node**. Behind a load balancer with N nodes an
 * attacker gets up to N times each limit, and a restart forgets the counts. That is the documented
 * trade-off for needing no shared store on the hot path; put a rate-limiting proxy in front for
 * a cluster-wide limit.
 *
 * A limit, once reached, refuses *before* the credential is looked at: every request with a token
 * from a blocked address gets the 429, valid token or not, and a blocked login waits even when the
 * password is right, so the limit cannot be used to confirm a guess.
 */
import type { RateLimits } from '../config.js';
import { Problem } from '../model/errors.js';
import { clientKey, FixedWindowCounter, secondsUntil, type WindowState } from '../model/rate-limit.js';
import type { Deps } from './context.js';

export type RateLimitScope = 'ip' | 'account';

/** The `RateLimit-*` headers describing a window (draft-ietf-httpapi-ratelimit-headers). */
export function rateLimitHeaders(state: WindowState, now: number): Record<string, string> {
  return {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(secondsUntil(state.resetAt, now)),
  };
}

function tooMany(message: string, scope: RateLimitScope, state: WindowState, windowSeconds: number, now: number, hint: string) {
  const retryAfterSeconds = secondsUntil(state.resetAt, now);
  return new Problem(
    429,
    message,
    {
      code: 'rate_limited',
      scope,
      retryAfterSeconds,
      limit: state.limit,
      windowSeconds,
      hint: `Wait ${retryAfterSeconds} seconds, then try again. ${hint}`,
    },
    { headers: { 'retry-after': String(retryAfterSeconds), ...rateLimitHeaders({ ...state, remaining: 0 }, now) } },
  );
}

/** An e-mail address as a counter key: the same account however it is spelled. */
function accountKey(email: string): string {
  return email.trim().toLowerCase().slice(0, 320);
}

export class RateLimitService {
  readonly limits: RateLimits;
  private readonly tokenFailures: FixedWindowCounter;
  private readonly loginFailuresByAccount: FixedWindowCounter;
  private readonly loginFailuresByIp: FixedWindowCounter;
  private readonly now: () => number;

  constructor(deps: Deps) {
    this.limits = deps.identity.rateLimits;
    this.now = () => deps.now().getTime();
    const { tokenFailuresPerIp, tokenWindowSeconds, loginFailuresPerAccount, loginFailuresPerIp, loginWindowSeconds } =
      this.limits;
    this.tokenFailures = new FixedWindowCounter({ limit: tokenFailuresPerIp, windowMs: tokenWindowSeconds * 1000 }, this.now);
    this.loginFailuresByAccount = new FixedWindowCounter(
      { limit: loginFailuresPerAccount, windowMs: loginWindowSeconds * 1000 },
      this.now,
    );
    this.loginFailuresByIp = new FixedWindowCounter({ limit: loginFailuresPerIp, windowMs: loginWindowSeconds * 1000 }, this.now);
  }

  // --- Token authentication ---------------------------------------------------------------------

  /** Before a presented token is looked up: a 429 when this address failed too often lately. */
  checkToken(ip: string | null): void {
    const state = this.tokenFailures.peek(clientKey(ip));
    if (!state.exceeded) return;
    throw tooMany(
      'Too many failed authentications from this address',
      'ip',
      state,
      this.limits.tokenWindowSeconds,
      this.now(),
      'Requests from this address sent too many unknown, revoked or expired tokens; every request with a token waits. Check which token your client sends (`gatehouse debug`).',
    );
  }

  /** A presented token did not authenticate (unknown, malformed, revoked, expired, disabled owner). */
  recordTokenFailure(ip: string | null): WindowState {
    return this.tokenFailures.hit(clientKey(ip));
  }

  /** This address's token-failure window, for the `RateLimit-*` headers; null while it has no failures. */
  tokenWindow(ip: string | null): { state: WindowState; headers: Record<string, string> } | null {
    const state = this.tokenFailures.peek(clientKey(ip));
    if (state.count === 0) return null;
    return { state, headers: rateLimitHeaders(state, this.now()) };
  }

  // --- Logins (called by the login providers) ---------------------------------------------------

  /**
   * Before a password is checked: a 429 when the account or the address failed too often lately.
   * Called for unknown accounts exactly as for known ones, so the answer reveals nothing.
   */
  checkLogin(email: string, ip: string | null): void {
    const now = this.now();
    const account = this.loginFailuresByAccount.peek(accountKey(email));
    if (account.exceeded) {
      throw tooMany(
        'Too many failed logins for this account',
        'account',
        account,
        this.limits.loginWindowSeconds,
        now,
        'This account had too many failed logins; a correct password also waits. Reset the password if you forgot it.',
      );
    }
    const address = this.loginFailuresByIp.peek(clientKey(ip));
    if (address.exceeded) {
      throw tooMany(
        'Too many failed logins from this address',
        'ip',
        address,
        this.limits.loginWindowSeconds,
        now,
        'This address had too many failed logins; every login from it waits.',
      );
    }
  }

  /** A login failed (wrong password, unknown account: both alike). */
  recordLoginFailure(email: string, ip: string | null): void {
    this.loginFailuresByAccount.hit(accountKey(email));
    this.loginFailuresByIp.hit(clientKey(ip));
  }

  /**
   * A login succeeded: the account's run of failures ends (R22: consecutive failures). The
   * address's count stays, so one working account cannot launder guesses at others.
   */
  recordLoginSuccess(email: string): void {
    this.loginFailuresByAccount.reset(accountKey(email));
  }
}

const perNode = new WeakMap<Deps, RateLimitService>();

/**
 * The one set of counters of a server (its `Deps`): what `services.rateLimits` is, reachable from
 * code that holds only the dependencies (the login providers).
 */
export function rateLimitsOf(deps: Deps): RateLimitService {
  let service = perNode.get(deps);
  if (!service) {
    service = new RateLimitService(deps);
    perNode.set(deps, service);
  }
  return service;
}
