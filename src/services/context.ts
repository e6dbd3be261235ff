/** What every use case receives: the store, the clock, the server keys, and who is acting. */
import type { Kysely, Transaction } from 'kysely';
import { DEFAULT_RATE_LIMITS, type IdentityConfig } from '../config.js';
import type { Principal } from '../model/principals.js';
import type { ServerKey } from '../model/tokens.js';
import { runTransaction } from '../store/changes.js';
import type { Database } from '../store/schema.js';
import type { MailTiming } from './mail.js';

export interface Deps {
  db: Kysely<Database>;
  keys: ServerKey[];
  /** Injected so tests can move time; everything that reads "now" reads it here. */
  now: () => Date;
  /** Minimum time between two writes of a token's lastUsedAt (and a membership's lastSeenAt). */
  lastUsedWriteIntervalMs: number;
  /** Login, personal tokens and abuse limits. */
  identity: IdentityConfig;
  /** The URL clients reach this server at (configured, or where it listens), without a trailing slash. */
  baseUrl: () => string;
  /** How often robots' permission usage is written (services/usage.ts); default one minute. */
  usageFlushMs?: number;
  /** How the mail outbox retries and polls (services/mail.ts); tests shorten it. */
  mailTiming?: MailTiming;
  /** The server's logger, for services that report outside a request (abuse-limit warnings, mail). */
  log?: { warn(details: object, message: string): void; info(details: object, message: string): void };
}

/** Identity settings for code paths that need Deps without a server (operator commands, tests). */
export const DEFAULT_IDENTITY: IdentityConfig = {
  signup: 'closed',
  personalTokenLifetimeDays: 365,
  ssoTokenLifetimeDays: 7,
  tokenIdleTimeoutMinutes: null,
  consoleOrigins: [],
  oidc: null,
  rateLimits: DEFAULT_RATE_LIMITS,
  idpAllowedHosts: [],
  mail: { smtpUrl: null, from: 'Gatehouse <gatehouse@localhost>', inviteTtlDays: 7, outboxDir: '.gatehouse/outbox' },
};

/** The caller of a use case, as recorded in the audit log. */
export interface Actor {
  principal: Principal | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export function systemActor(): Actor {
  return { principal: null, ip: null, userAgent: null, requestId: null };
}

export function iso(date: Date): string {
  return date.toISOString();
}

/** One transaction; what it changes reaches every node's caches once it commits (store/changes.ts). */
export async function inTransaction<T>(deps: Deps, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return runTransaction(deps.db, work);
}
