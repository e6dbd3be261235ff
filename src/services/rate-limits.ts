/**
 * Abuse limits (R22, R23): failed logins and failed token authentications, in fixed windows
 * (model/rate-limit.ts), with the numbers from `GATEHOUSE_*` settings (config.ts, `identity.rateLimits`).
 *
 * **Logins cannot be used against the victim.** Failed logins (password forms, sign-ups of taken
 * addresses, wrong current passwords in `PUT /users/me/password`) are counted
 * - per (account, client address): the limit an attacker at one address hits; the owner elsewhere
 *   is untouched (scope `account`);
 * - per client address, whatever the account (scope `ip`);
 * - per account from all addresses: past `accountSlowdownAfter` failures the account slows down —
 *   addresses that have failed logins get one attempt per `accountSlowdownSeconds` for it, together —
 *   while an address with no failed login (the owner at home) is never held up (scope
 *   `account_slowdown`). A botnet that spreads its guesses gets one free guess per address, then
 *   crawls.
 * Each attempt is counted *before* the password is checked, and taken back if it was right, so
 * concurrent guesses cannot slip past a limit; a refused attempt waits even with the right password.
 *
 * **Shared across nodes.** With `store: 'database'` (the default on PostgreSQL) the login counters
 * live in the database (`rate_limit_counters`), so N nodes enforce one limit, not N. The token
 * counter stays on the request's hot path without a database read: each node keeps it in memory,
 * and a failure also counts in the database, whose answer raises the node's own count, so a limit
 * reached through other nodes holds here from this node's next failure on.
 *
 * **Early warning.** When a counter reaches 80 % of its limit, a `warn` log line says so (once per
 * window), with the scope and the client address.
 *
 * A limit, once reached, refuses *before* the credential is looked at: every request with a token
 * from a blocked address gets the 429, valid token or not, and a blocked login waits even when the
 * password is right, so the limit cannot be used to confirm a guess.
 */
import { createHash } from 'node:crypto';
import type { RateLimits } from '../config.js';
import { Problem } from '../model/errors.js';
import {
  clientKey,
  FixedWindowCounter,
  IntervalGate,
  type RateLimitReport,
  reportOf,
  secondsUntil,
  type WindowState,
  warningThreshold,
} from '../model/rate-limit.js';
import { digestToken } from '../model/tokens.js';
import { claimSlot, hitCounter, peekCounter, refundCounter, resetCounter, sweepCounters } from '../store/rate-limits.js';
import type { Deps } from './context.js';

export type RateLimitScope = 'ip' | 'account' | 'account_slowdown';

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
    { retryAfterSeconds, rateLimit: reportOf({ ...state, remaining: 0 }, now) },
  );
}

/** An e-mail address as a counter key: the same account however it is spelled. */
function accountKey(email: string): string {
  return email.trim().toLowerCase().slice(0, 320);
}

/** The counters of logins, in this node's memory or in the database. */
interface LoginCounters {
  hit(bucket: string, key: string, windowMs: number): Promise<{ count: number; resetAt: number }>;
  peek(bucket: string, key: string): Promise<{ count: number; resetAt: number } | null>;
  refund(bucket: string, key: string): Promise<void>;
  reset(bucket: string, key: string): Promise<void>;
  claim(bucket: string, key: string, intervalMs: number): Promise<{ ok: boolean; retryAt: number }>;
}

class MemoryCounters implements LoginCounters {
  private readonly counters = new Map<string, FixedWindowCounter>();
  private readonly gates = new Map<string, IntervalGate>();

  constructor(private readonly now: () => number) {}

  private counter(bucket: string, windowMs: number): FixedWindowCounter {
    let counter = this.counters.get(bucket);
    if (!counter) {
      // The limit is enforced by the caller; the counter only counts.
      counter = new FixedWindowCounter({ limit: Number.MAX_SAFE_INTEGER, windowMs }, this.now);
      this.counters.set(bucket, counter);
    }
    return counter;
  }

  async hit(bucket: string, key: string, windowMs: number) {
    const state = this.counter(bucket, windowMs).hit(key);
    return { count: state.count, resetAt: state.resetAt };
  }

  async peek(bucket: string, key: string) {
    const counter = this.counters.get(bucket);
    const state = counter?.peek(key);
    return state && state.count > 0 ? { count: state.count, resetAt: state.resetAt } : null;
  }

  async refund(bucket: string, key: string) {
    this.counters.get(bucket)?.refund(key);
  }

  async reset(bucket: string, key: string) {
    this.counters.get(bucket)?.reset(key);
  }

  async claim(bucket: string, key: string, intervalMs: number) {
    let gate = this.gates.get(bucket);
    if (!gate) {
      gate = new IntervalGate(intervalMs, this.now);
      this.gates.set(bucket, gate);
    }
    return gate.claim(key);
  }
}

/** How often a node deletes windows that are over from the shared table. */
const SWEEP_INTERVAL_MS = 60_000;

class DatabaseCounters implements LoginCounters {
  private lastSweep = 0;

  constructor(
    private readonly deps: Deps,
    private readonly now: () => number,
  ) {}

  /** A keyed digest of the bucket and key: the table holds no address or e-mail in clear. */
  private key(bucket: string, key: string): string {
    const serverKey = this.deps.keys[0];
    return serverKey
      ? digestToken(`rate-limit:${bucket}:${key}`, serverKey)
      : createHash('sha256').update(`${bucket}:${key}`).digest('base64url');
  }

  private iso(ms: number): string {
    return new Date(ms).toISOString();
  }

  async hit(bucket: string, key: string, windowMs: number) {
    const now = this.now();
    await this.sweep(now);
    const row = await hitCounter(this.deps.db, this.key(bucket, key), this.iso(now), this.iso(now + windowMs));
    return { count: row.count, resetAt: Date.parse(row.window_ends_at) };
  }

  async peek(bucket: string, key: string) {
    const row = await peekCounter(this.deps.db, this.key(bucket, key), this.iso(this.now()));
    return row && row.count > 0 ? { count: row.count, resetAt: Date.parse(row.window_ends_at) } : null;
  }

  async refund(bucket: string, key: string) {
    await refundCounter(this.deps.db, this.key(bucket, key), this.iso(this.now()));
  }

  async reset(bucket: string, key: string) {
    await resetCounter(this.deps.db, this.key(bucket, key));
  }

  async claim(bucket: string, key: string, intervalMs: number) {
    const now = this.now();
    const result = await claimSlot(this.deps.db, this.key(bucket, key), this.iso(now), this.iso(now + intervalMs));
    return { ok: result.ok, retryAt: Date.parse(result.nextAt) };
  }

  private async sweep(now: number): Promise<void> {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    await sweepCounters(this.deps.db, this.iso(now));
  }
}

/** A login attempt counted up front: end it with the outcome. */
export interface LoginAttempt {
  /** The password was right: the attempt is taken back, and the account's run from this address ends. */
  succeeded(): Promise<void>;
  /** The password was wrong (or the address taken, at sign-up): the account's failures grow too. */
  failed(): Promise<void>;
  /** Neither: the attempt ended for another reason (an expired form); it is taken back. */
  abandoned(): Promise<void>;
}

export class RateLimitService {
  readonly limits: RateLimits;
  private readonly tokenFailures: FixedWindowCounter;
  private readonly logins: LoginCounters;
  private readonly now: () => number;
  /** Keys whose 80 % warning was logged in their current window (so it is logged once). */
  private readonly warned = new Map<string, number>();

  constructor(private readonly deps: Deps) {
    this.limits = deps.identity.rateLimits;
    this.now = () => deps.now().getTime();
    this.tokenFailures = new FixedWindowCounter(
      { limit: this.limits.tokenFailuresPerIp, windowMs: this.limits.tokenWindowSeconds * 1000 },
      this.now,
    );
    this.logins = this.limits.store === 'database' ? new DatabaseCounters(deps, this.now) : new MemoryCounters(this.now);
  }

  /** Where the counters live: this node's memory, or the database every node shares. */
  get store(): 'memory' | 'database' {
    return this.limits.store;
  }

  // --- Token authentication (the hot path: memory only, no database read) -------------------------

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

  /**
   * A presented token did not authenticate (unknown, malformed, revoked, expired, disabled owner).
   * Counted here at once; with a shared store also in the database, in the background, whose count
   * (all nodes') then raises this node's.
   */
  recordTokenFailure(ip: string | null): WindowState {
    const key = clientKey(ip);
    const state = this.tokenFailures.hit(key);
    this.warnAt(`token:${key}`, state.count, state.limit, state.resetAt, { scope: 'token_ip', ip: key });
    if (this.limits.store === 'database') {
      const windowMs = this.limits.tokenWindowSeconds * 1000;
      this.logins.hit('token-ip', key, windowMs).then(
        (shared) => {
          this.tokenFailures.raise(key, shared.count, shared.resetAt);
          this.warnAt(`token:${key}`, shared.count, state.limit, shared.resetAt, { scope: 'token_ip', ip: key });
        },
        (error: unknown) => this.deps.log?.warn({ err: error }, 'could not count a failed token authentication in the database'),
      );
    }
    return state;
  }

  /** This address's token-failure window, for the `RateLimit-*` headers; null while it has no failures. */
  tokenWindow(ip: string | null): RateLimitReport | null {
    const state = this.tokenFailures.peek(clientKey(ip));
    if (state.count === 0) return null;
    return reportOf(state, this.now());
  }

  // --- Logins (password forms, sign-up, password changes) ----------------------------------------

  /**
   * Starts a login attempt for `email` from `ip`: refused with 429 when the address, this account
   * from this address, or (for an address with failures) the account as a whole is over its limit.
   * Called for unknown accounts exactly as for known ones, so the answer reveals nothing.
   */
  async beginLogin(email: string, ip: string | null): Promise<LoginAttempt> {
    const { loginWindowSeconds, loginFailuresPerIp, loginFailuresPerAccount } = this.limits;
    const windowMs = loginWindowSeconds * 1000;
    const account = accountKey(email);
    const address = clientKey(ip);
    const pair = `${account}\n${address}`;
    const now = this.now();

    // The address first: over its limit, nothing else is counted.
    const before = await this.logins.peek('login-ip', address);
    if (before && before.count >= loginFailuresPerIp) {
      throw tooMany(
        'Too many failed logins from this address',
        'ip',
        this.state(before, loginFailuresPerIp),
        loginWindowSeconds,
        now,
        'This address had too many failed logins; every login from it waits.',
      );
    }
    // Counted up front, taken back on success.
    const byPair = await this.logins.hit('login-pair', pair, windowMs);
    const byAddress = await this.logins.hit('login-ip', address, windowMs);
    const refuse = async (problem: Problem) => {
      await this.logins.refund('login-ip', address);
      await this.logins.refund('login-pair', pair);
      return problem;
    };
    if (byPair.count > loginFailuresPerAccount) {
      throw await refuse(
        tooMany(
          'Too many failed logins for this account from this address',
          'account',
          this.state(byPair, loginFailuresPerAccount),
          loginWindowSeconds,
          now,
          'This account had too many failed logins from your address; a correct password also waits. Logins from other addresses are not affected.',
        ),
      );
    }
    if (byAddress.count > loginFailuresPerIp) {
      throw await refuse(
        tooMany(
          'Too many failed logins from this address',
          'ip',
          this.state(byAddress, loginFailuresPerIp),
          loginWindowSeconds,
          now,
          'This address had too many failed logins; every login from it waits.',
        ),
      );
    }
    // The slowdown: only for addresses that have failed before, and only when the account is under attack.
    const clean = (before?.count ?? 0) === 0;
    if (!clean) {
      const failures = await this.logins.peek('login-account', account);
      if (failures && failures.count >= this.limits.accountSlowdownAfter) {
        const slot = await this.logins.claim('login-slowdown', account, this.limits.accountSlowdownSeconds * 1000);
        if (!slot.ok) {
          throw await refuse(
            tooMany(
              'This account is receiving many failed logins: logins from addresses with failures are slowed down',
              'account_slowdown',
              {
                count: failures.count,
                limit: this.limits.accountSlowdownAfter,
                remaining: 0,
                resetAt: slot.retryAt,
                exceeded: true,
              },
              this.limits.accountSlowdownSeconds,
              now,
              'Addresses with failed logins get one attempt at this account at a time. Logins from an address without failed logins are not slowed down.',
            ),
          );
        }
      }
    }
    this.warnAt(`pair:${pair}`, byPair.count, loginFailuresPerAccount, byPair.resetAt, { scope: 'account', ip: address });
    this.warnAt(`ip:${address}`, byAddress.count, loginFailuresPerIp, byAddress.resetAt, { scope: 'ip', ip: address });

    let ended = false;
    return {
      succeeded: async () => {
        if (ended) return;
        ended = true;
        // R22 counts consecutive failures: a success ends this account's run from this address. The
        // address's count is not reset, so one working account cannot launder guesses at others.
        await this.logins.reset('login-pair', pair);
        await this.logins.refund('login-ip', address);
      },
      abandoned: async () => {
        if (ended) return;
        ended = true;
        await this.logins.refund('login-ip', address);
        await this.logins.refund('login-pair', pair);
      },
      failed: async () => {
        if (ended) return;
        ended = true;
        const byAccount = await this.logins.hit('login-account', account, windowMs);
        this.warnAt(`account:${account}`, byAccount.count, this.limits.accountSlowdownAfter, byAccount.resetAt, {
          scope: 'account_slowdown',
          ip: address,
        });
      },
    };
  }

  /**
   * A plain per-address limit on some kind of request (leak reports): counts it, and refuses with
   * 429 past the limit. Shared across nodes with the database store, like the login counters.
   */
  async countEvent(
    bucket: string,
    ip: string | null,
    rule: { limit: number; windowSeconds: number },
    hint: string,
  ): Promise<void> {
    const address = clientKey(ip);
    const window = await this.logins.hit(bucket, address, rule.windowSeconds * 1000);
    this.warnAt(`${bucket}:${address}`, window.count, rule.limit, window.resetAt, { scope: bucket, ip: address });
    if (window.count > rule.limit) {
      throw tooMany(
        'Too many requests from this address',
        'ip',
        this.state(window, rule.limit),
        rule.windowSeconds,
        this.now(),
        hint,
      );
    }
  }

  private state(window: { count: number; resetAt: number }, limit: number): WindowState {
    return {
      count: window.count,
      limit,
      remaining: Math.max(0, limit - window.count),
      resetAt: window.resetAt,
      exceeded: window.count >= limit,
    };
  }

  /** R23: a warning when a counter reaches 80 % of its limit, once per window. */
  private warnAt(key: string, count: number, limit: number, resetAt: number, details: { scope: string; ip: string }): void {
    if (count < warningThreshold(limit) || count > limit) return;
    if ((this.warned.get(key) ?? 0) >= resetAt) return;
    if (this.warned.size >= 10_000) this.warned.clear();
    this.warned.set(key, resetAt);
    this.deps.log?.warn(
      { rateLimit: { ...details, count, limit, windowEndsAt: new Date(resetAt).toISOString() } },
      'abuse limit at 80 %: this client is close to being refused',
    );
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
