/**
 * How people log in and what their tokens may do (docs/identity.md): GATEHOUSE_SIGNUP, token
 * lifetimes and inactivity, console origins, the global OpenID Connect provider, the hosts
 * organizations' identity providers may use. Environment variables only.
 */
import { AllowedHosts } from '../model/addresses.js';
import { ConfigError, positiveInteger } from './errors.js';
import { loadRateLimits } from './rate-limits.js';
import type { IdentityConfig } from './types.js';

/**
 * The shortest inactivity timeout accepted: three bookkeeping intervals, since `lastUsedAt` is
 * written at most every five minutes (services/token-activity.ts).
 */
export const MIN_IDLE_TIMEOUT_MINUTES = 15;

/** GATEHOUSE_TOKEN_IDLE_TIMEOUT_MINUTES: unset for none, else 15 to a year. */
function idleTimeout(env: NodeJS.ProcessEnv): number | null {
  const text = env.GATEHOUSE_TOKEN_IDLE_TIMEOUT_MINUTES;
  if (text === undefined || text === '') return null;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < MIN_IDLE_TIMEOUT_MINUTES || value > 525_600) {
    throw new ConfigError(
      `GATEHOUSE_TOKEN_IDLE_TIMEOUT_MINUTES must be a whole number of minutes from ${MIN_IDLE_TIMEOUT_MINUTES} to 525600, got "${text}"`,
    );
  }
  return value;
}

export function loadIdentityConfig(env: NodeJS.ProcessEnv): Omit<IdentityConfig, 'mail'> {
  const signup = env.GATEHOUSE_SIGNUP ?? 'closed';
  if (signup !== 'open' && signup !== 'closed') {
    throw new ConfigError(`GATEHOUSE_SIGNUP must be open or closed, got "${signup}"`);
  }
  const consoleOrigins = (env.GATEHOUSE_CONSOLE_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of consoleOrigins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      throw new ConfigError(
        `GATEHOUSE_CONSOLE_ORIGINS must be a comma list of origins such as https://console.example.com, got "${origin}"`,
      );
    }
  }
  const issuer = env.GATEHOUSE_OIDC_ISSUER;
  let oidc: IdentityConfig['oidc'] = null;
  if (issuer !== undefined && issuer !== '') {
    const clientId = env.GATEHOUSE_OIDC_CLIENT_ID;
    if (!clientId) throw new ConfigError('GATEHOUSE_OIDC_CLIENT_ID is required with GATEHOUSE_OIDC_ISSUER');
    const name = env.GATEHOUSE_OIDC_NAME ?? 'oidc';
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name) || name === 'sanity') {
      throw new ConfigError(`GATEHOUSE_OIDC_NAME must be 1–31 lowercase letters, digits or dashes (not "sanity"), got "${name}"`);
    }
    oidc = {
      name,
      title: env.GATEHOUSE_OIDC_TITLE ?? 'Single sign-on',
      issuer,
      clientId,
      clientSecret: env.GATEHOUSE_OIDC_CLIENT_SECRET ?? null,
    };
  }
  const idpAllowedHosts = (env.GATEHOUSE_IDP_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  try {
    new AllowedHosts(idpAllowedHosts);
  } catch (error) {
    throw new ConfigError(
      `GATEHOUSE_IDP_ALLOWED_HOSTS must be a comma list of host names, addresses or CIDR ranges: ${(error as Error).message}`,
    );
  }
  return {
    signup,
    idpAllowedHosts,
    personalTokenLifetimeDays: positiveInteger(env, 'GATEHOUSE_TOKEN_LIFETIME_DAYS', 365, 3650),
    ssoTokenLifetimeDays: positiveInteger(env, 'GATEHOUSE_SSO_TOKEN_LIFETIME_DAYS', 7, 3650),
    tokenIdleTimeoutMinutes: idleTimeout(env),
    consoleOrigins,
    oidc,
    rateLimits: loadRateLimits(env),
  };
}
