/**
 * The shape of the configuration (src/config/load.ts builds it): what the server, the services and
 * the operator commands receive. Types only, plus the flags `gatehouse serve` and friends accept.
 */
import type { ServerKey } from '../model/tokens.js';
import type { RateLimits } from './rate-limits.js';

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
   * use plain http. Everything else must be https on a public address (services/login/outbound.ts).
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
