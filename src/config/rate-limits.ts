/**
 * Abuse limits for failed logins and failed token authentications (services/rate-limits.ts
 * enforces them; docs/identity.md describes them): their type, their defaults and their
 * GATEHOUSE_* variables.
 */
import { ConfigError, positiveInteger } from './errors.js';

export interface RateLimits {
  /** Failed logins for one account from one client address, within `loginWindowSeconds`. */
  loginFailuresPerAccount: number;
  /** Failed logins from one client address, whatever the account, within `loginWindowSeconds`. */
  loginFailuresPerIp: number;
  loginWindowSeconds: number;
  /**
   * Failed logins of one account from all addresses after which the account slows down: addresses
   * with failed logins then get one attempt per `accountSlowdownSeconds` for it; clean addresses none.
   */
  accountSlowdownAfter: number;
  accountSlowdownSeconds: number;
  /** Failed token authentications (unknown, revoked, expired tokens) per client IP within `tokenWindowSeconds`. */
  tokenFailuresPerIp: number;
  tokenWindowSeconds: number;
  /** Where the counters live: this node's memory, or the database every node shares (services/rate-limits.ts). */
  store: 'memory' | 'database';
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  loginFailuresPerAccount: 5,
  loginFailuresPerIp: 20,
  loginWindowSeconds: 900,
  accountSlowdownAfter: 10,
  accountSlowdownSeconds: 30,
  tokenFailuresPerIp: 100,
  tokenWindowSeconds: 60,
  store: 'memory',
};

/**
 * The GATEHOUSE_LOGIN_* and GATEHOUSE_TOKEN_* limits. Where the counters live (`store`) depends on
 * the database too: `rateLimitStore` decides it.
 */
export function loadRateLimits(env: NodeJS.ProcessEnv): RateLimits {
  return {
    loginFailuresPerAccount: positiveInteger(
      env,
      'GATEHOUSE_LOGIN_FAILURES_PER_ACCOUNT',
      DEFAULT_RATE_LIMITS.loginFailuresPerAccount,
      1_000_000,
    ),
    loginFailuresPerIp: positiveInteger(
      env,
      'GATEHOUSE_LOGIN_FAILURES_PER_IP',
      DEFAULT_RATE_LIMITS.loginFailuresPerIp,
      1_000_000,
    ),
    loginWindowSeconds: positiveInteger(env, 'GATEHOUSE_LOGIN_WINDOW_SECONDS', DEFAULT_RATE_LIMITS.loginWindowSeconds, 86_400),
    accountSlowdownAfter: positiveInteger(
      env,
      'GATEHOUSE_LOGIN_ACCOUNT_SLOWDOWN_AFTER',
      DEFAULT_RATE_LIMITS.accountSlowdownAfter,
      1_000_000,
    ),
    accountSlowdownSeconds: positiveInteger(
      env,
      'GATEHOUSE_LOGIN_ACCOUNT_SLOWDOWN_SECONDS',
      DEFAULT_RATE_LIMITS.accountSlowdownSeconds,
      86_400,
    ),
    tokenFailuresPerIp: positiveInteger(
      env,
      'GATEHOUSE_TOKEN_FAILURES_PER_IP',
      DEFAULT_RATE_LIMITS.tokenFailuresPerIp,
      1_000_000,
    ),
    tokenWindowSeconds: positiveInteger(env, 'GATEHOUSE_TOKEN_WINDOW_SECONDS', DEFAULT_RATE_LIMITS.tokenWindowSeconds, 86_400),
    store: DEFAULT_RATE_LIMITS.store,
  };
}

/** GATEHOUSE_RATE_LIMIT_STORE; unset: shared in the database with PostgreSQL, else in memory. */
export function rateLimitStore(env: NodeJS.ProcessEnv, dialect: 'sqlite' | 'postgres'): RateLimits['store'] {
  // Several nodes share a PostgreSQL database: their abuse limits must be shared too.
  const store = env.GATEHOUSE_RATE_LIMIT_STORE || (dialect === 'postgres' ? 'database' : 'memory');
  if (store !== 'memory' && store !== 'database') {
    throw new ConfigError(`GATEHOUSE_RATE_LIMIT_STORE must be memory or database, got "${store}"`);
  }
  return store;
}
