/**
 * Configuration: flags override environment variables, which override defaults.
 *
 * Every problem is reported as one ConfigError whose message is a single line naming the setting,
 * so `gatehouse serve` can print it and exit without a stack trace.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { AllowedHosts } from './model/addresses.js';
import { generateServerSecret, parseServerSecrets, type ServerKey } from './model/tokens.js';

export interface Config {
  dataDir: string;
  databaseUrl: string;
  database: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };
  port: number;
  host: string;
  /** Where clients reach this server (links, the OpenAPI `servers` entry). */
  publicUrl: string;
  /** False when publicUrl was derived from host and port rather than configured. */
  publicUrlConfigured: boolean;
  /** Token pepper keys, newest first. The first one digests new tokens; all of them verify. */
  keys: ServerKey[];
  logLevel: string;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (recorded as lastUsedIp and
   * in the audit log): false (none), true (any), or a list of proxy addresses/CIDRs.
   */
  trustProxy: boolean | string[];
  identity: IdentityConfig;
  /**
   * Where Prometheus metrics are served (GATEHOUSE_METRICS_ADDRESS, `host:port`), on a listener of
   * their own; null (the default) serves none.
   */
  metrics: { host: string; port: number } | null;
}

/**
 * How people log in and what their tokens may do (docs/identity.md); environment variables only.
 */
export interface IdentityConfig {
  /** `open`: anyone may create an account with e-mail and password; `closed`: only existing users log in. */
  signup: 'open' | 'closed';
  /** Lifetime of personal tokens from password and global OIDC logins. */
  personalTokenLifetimeDays: number;
  /** Lifetime of personal tokens from an organization's SSO, unless the organization sets its own. */
  ssoTokenLifetimeDays: number;
  /** Personal tokens unused for this long stop working (GATEHOUSE_TOKEN_IDLE_TIMEOUT_MINUTES); null: no timeout. */
  tokenIdleTimeoutMinutes: number | null;
  /** Origins besides `http://localhost:<port>` / `http://127.0.0.1:<port>` that may receive a login. */
  consoleOrigins: string[];
  /** A global OpenID Connect provider, offered to everybody next to e-mail and password. */
  oidc: { name: string; title: string; issuer: string; clientId: string; clientSecret: string | null } | null;
  rateLimits: RateLimits;
  /**
   * Hosts (names, addresses or CIDR ranges) that organizations' identity providers may be reached
   * at although they are not public (GATEHOUSE_IDP_ALLOWED_HOSTS); a listed loopback host may also
   * use plain http. Everything else must be https on a public address (services/identity/outbound.ts).
   */
  idpAllowedHosts: string[];
  /** Outgoing e-mail (invitations). Kept here because services receive identity settings. */
  mail: MailConfig;
}

/**
 * Outgoing e-mail (docs/collaboration.md, "Invitations"): SMTP when configured, else `.eml` files
 * in an outbox folder.
 */
export interface MailConfig {
  /** `smtp://` or `smtps://` URL (GATEHOUSE_SMTP_URL); null: write messages to `outboxDir` and log the link. */
  smtpUrl: string | null;
  /** The From address (GATEHOUSE_MAIL_FROM). */
  from: string;
  /** How long an invitation link works (GATEHOUSE_INVITE_TTL_DAYS, default 7). */
  inviteTtlDays: number;
  /** Where messages go without SMTP: `<data dir>/outbox`. */
  outboxDir: string;
}

export function loadMailConfig(env: NodeJS.ProcessEnv, dataDir: string): MailConfig {
  const smtpUrl = env.GATEHOUSE_SMTP_URL === undefined || env.GATEHOUSE_SMTP_URL === '' ? null : env.GATEHOUSE_SMTP_URL;
  if (smtpUrl !== null) {
    let url: URL | undefined;
    try {
      url = new URL(smtpUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') {
      throw new ConfigError(
        'GATEHOUSE_SMTP_URL must be an smtp:// or smtps:// URL, e.g. smtps://user:password@mail.example.com:465',
      );
    }
  }
  const from = env.GATEHOUSE_MAIL_FROM || 'Gatehouse <gatehouse@localhost>';
  if (from.length > 320 || !/^[^\s@<>]+@[^\s@<>]+$|^[^<>@]*<[^\s@<>]+@[^\s@<>]+>$/.test(from)) {
    throw new ConfigError(
      `GATEHOUSE_MAIL_FROM must be an address such as "Gatehouse <gatehouse@example.com>", got "${from.slice(0, 100)}"`,
    );
  }
  return {
    smtpUrl,
    from,
    inviteTtlDays: positiveInteger(env, 'GATEHOUSE_INVITE_TTL_DAYS', 7, 365),
    outboxDir: join(dataDir, 'outbox'),
  };
}

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

/** What `gatehouse serve` and friends accept as flags; each maps to one GATEHOUSE_* variable. */
export interface ConfigFlags {
  dataDir?: string;
  databaseUrl?: string;
  port?: string | number;
  host?: string;
  publicUrl?: string;
  secret?: string;
  logLevel?: string;
  trustProxy?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  { createSecret = true }: { createSecret?: boolean } = {},
): Config {
  const pick = (flag: string | number | undefined, name: string): string | undefined => {
    const value = flag ?? env[name];
    return value === undefined || value === '' ? undefined : String(value);
  };

  const dataDir = resolve(pick(flags.dataDir, 'GATEHOUSE_DATA_DIR') ?? './.gatehouse');

  const portText = pick(flags.port, 'GATEHOUSE_PORT') ?? '3333';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) {
    throw new ConfigError(`port (--port / GATEHOUSE_PORT) must be an integer from 0 to 65535, got "${portText}"`);
  }

  const host = pick(flags.host, 'GATEHOUSE_HOST') ?? '127.0.0.1';

  const databaseUrl = pick(flags.databaseUrl, 'GATEHOUSE_DATABASE_URL') ?? `sqlite:${join(dataDir, 'gatehouse.db')}`;
  const database = parseDatabaseUrl(databaseUrl);

  const configuredPublicUrl = pick(flags.publicUrl, 'GATEHOUSE_PUBLIC_URL');
  const publicUrl = configuredPublicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let parsedPublic: URL;
  try {
    parsedPublic = new URL(publicUrl);
  } catch {
    throw new ConfigError(`public URL (--public-url / GATEHOUSE_PUBLIC_URL) must be an absolute http(s) URL, got "${publicUrl}"`);
  }
  if (parsedPublic.protocol !== 'http:' && parsedPublic.protocol !== 'https:') {
    throw new ConfigError(`public URL (--public-url / GATEHOUSE_PUBLIC_URL) must use http or https, got "${publicUrl}"`);
  }

  const logLevel = pick(flags.logLevel, 'GATEHOUSE_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `log level (--log-level / GATEHOUSE_LOG_LEVEL) must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`,
    );
  }

  const trustProxy = parseTrustProxy(pick(flags.trustProxy, 'GATEHOUSE_TRUST_PROXY'));

  const secretText = pick(flags.secret, 'GATEHOUSE_SECRET');
  let keys: ServerKey[];
  if (secretText !== undefined) {
    try {
      keys = parseServerSecrets(secretText);
    } catch (error) {
      throw new ConfigError(`GATEHOUSE_SECRET ${(error as Error).message}`);
    }
  } else if (database.dialect === 'sqlite') {
    // The embedded default keeps its pepper next to its database: the two are backed up together,
    // and a copy of the database alone still holds no usable token.
    keys = parseServerSecrets(readOrCreateSecret(dataDir, createSecret));
  } else {
    throw new ConfigError(
      'GATEHOUSE_SECRET is required with PostgreSQL: every node must digest tokens with the same secret (generate one with `openssl rand -base64 32`)',
    );
  }

  const loadedIdentity = loadIdentityConfig(env);
  // Several nodes share a PostgreSQL database: their abuse limits must be shared too.
  const store = env.GATEHOUSE_RATE_LIMIT_STORE || (database.dialect === 'postgres' ? 'database' : 'memory');
  if (store !== 'memory' && store !== 'database') {
    throw new ConfigError(`GATEHOUSE_RATE_LIMIT_STORE must be memory or database, got "${store}"`);
  }
  const identity = {
    ...loadedIdentity,
    rateLimits: { ...loadedIdentity.rateLimits, store },
    mail: loadMailConfig(env, dataDir),
  } as IdentityConfig;
  const metrics = parseMetricsAddress(env.GATEHOUSE_METRICS_ADDRESS);

  return {
    identity,
    dataDir,
    databaseUrl,
    database,
    port,
    host,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    publicUrlConfigured: configuredPublicUrl !== undefined,
    keys,
    logLevel,
    trustProxy,
    metrics,
  };
}

/** `host:port` (IPv6 as `[::1]:9464`); empty or unset: no metrics listener. */
export function parseMetricsAddress(value: string | undefined): Config['metrics'] {
  if (value === undefined || value.trim() === '') return null;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new ConfigError(
      `GATEHOUSE_METRICS_ADDRESS must be host:port, e.g. 127.0.0.1:9464 (IPv6: [::1]:9464), got "${value.slice(0, 100)}"`,
    );
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) {
    throw new ConfigError(`${name} must be an integer from 1 to ${max}, got "${text}"`);
  }
  return value;
}

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

function loadIdentityConfig(env: NodeJS.ProcessEnv): Omit<IdentityConfig, 'mail'> {
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
    rateLimits: {
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
    },
  };
}

function parseTrustProxy(value: string | undefined): Config['trustProxy'] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry))) return entries;
  throw new ConfigError(
    `trust proxy (--trust-proxy / GATEHOUSE_TRUST_PROXY) must be true, false or a comma list of proxy addresses/CIDRs, got "${value}"`,
  );
}

function parseDatabaseUrl(url: string): Config['database'] {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '')
      throw new ConfigError(
        'database URL (--database-url / GATEHOUSE_DATABASE_URL) "sqlite:" needs a file path, e.g. sqlite:./gatehouse.db',
      );
    if (file === ':memory:') return { dialect: 'sqlite', file };
    return { dialect: 'sqlite', file: isAbsolute(file) ? file : resolve(file) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError('database URL (--database-url / GATEHOUSE_DATABASE_URL) is not a valid postgres:// URL');
    }
    return { dialect: 'postgres', url };
  }
  throw new ConfigError(
    `database URL (--database-url / GATEHOUSE_DATABASE_URL) must start with sqlite: or postgres://, got "${url.split(':')[0]}:…"`,
  );
}

function readOrCreateSecret(dataDir: string, create: boolean): string {
  const file = join(dataDir, 'secret');
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (text === '') throw new ConfigError(`${file} is empty: restore it from a backup or delete it`);
    return text;
  }
  if (!create) throw new ConfigError(`no GATEHOUSE_SECRET and no ${file}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = generateServerSecret();
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}

/** A summary safe to log: no secrets, no database password. */
export function describeConfig(config: Config): Record<string, unknown> {
  const db =
    config.database.dialect === 'sqlite'
      ? `sqlite:${config.database.file}`
      : config.database.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  return {
    dataDir: config.dataDir,
    database: db,
    listen: `${config.host}:${config.port}`,
    publicUrl: config.publicUrl,
    metrics: config.metrics ? `${config.metrics.host}:${config.metrics.port}` : 'off',
    keyIds: config.keys.map((k) => k.id),
    mail: config.identity.mail.smtpUrl
      ? config.identity.mail.smtpUrl.replace(/\/\/[^@/]*@/, '//***@')
      : `outbox ${config.identity.mail.outboxDir}`,
  };
}
