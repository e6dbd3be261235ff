/**
 * A real Gatehouse server for one test file: real HTTP on 127.0.0.1, a fresh database of the
 * current dialect, a per-run random pepper, responses checked against their schemas, and every
 * log line captured so tests can prove no secret was ever logged.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Config, type IdentityConfig, loadConfig, parseMetricsAddress } from '../../src/config.js';
import { createLogger, type RunningServer, startServer } from '../../src/server.js';
import { createUserWithToken } from '../../src/services/bootstrap.js';
import type { MailTiming } from '../../src/services/mail.js';
import { dropDatabase, freshDatabaseConfig, type TestDatabaseConfig } from './database.js';

export interface TestServer {
  url: string;
  config: Config;
  dataDir: string;
  databaseUrl: string;
  secret: string;
  database: TestDatabaseConfig;
  running: RunningServer;
  /** A new human user with a personal token (the operator bootstrap path). */
  createUser(email?: string, name?: string): Promise<{ userId: string; token: string }>;
  /** Everything the server logged so far. */
  logs(): string;
  /** Moves the server's clock (expiry tests). */
  advance(ms: number): void;
  close(): Promise<void>;
}

let counter = 0;

export interface TestServerOptions {
  lastUsedWriteIntervalMs?: number;
  /** How often this node writes noted lastUsedAt / lastSeenAt (services/bookkeeping.ts). */
  bookkeepingFlushMs?: number;
  /** Serve Prometheus metrics on their own listener at this `host:port` (GATEHOUSE_METRICS_ADDRESS). */
  metricsAddress?: string;
  /** Start another node on the same database and secret as this server (multi-node tests). */
  sameDatabaseAs?: TestServer;
  /**
   * Login settings over the defaults. Tests send many bad tokens from 127.0.0.1, so the abuse
   * limits are raised out of the way unless a test sets them; and identity providers on 127.0.0.1
   * are allowed (GATEHOUSE_IDP_ALLOWED_HOSTS) unless a test says otherwise.
   */
  identity?: Partial<Omit<IdentityConfig, 'rateLimits'>> & { rateLimits?: Partial<IdentityConfig['rateLimits']> };
  /** How long a client may take to send a request's headers (raw HTTP tests shorten it). */
  headersTimeoutMs?: number;
  /** Believe X-Forwarded-For (GATEHOUSE_TRUST_PROXY=true): tests play clients at other addresses. */
  trustProxy?: boolean;
  /** How the mail outbox retries and polls (tests of a mail server that goes away shorten it). */
  mailTiming?: MailTiming;
  /** How often robots' permission usage is written (services/usage.ts). */
  usageFlushMs?: number;
}

const TEST_RATE_LIMITS: Omit<IdentityConfig['rateLimits'], 'store'> = {
  loginFailuresPerAccount: 1_000_000,
  loginFailuresPerIp: 1_000_000,
  loginWindowSeconds: 900,
  accountSlowdownAfter: 1_000_000,
  accountSlowdownSeconds: 30,
  tokenFailuresPerIp: 1_000_000,
  tokenWindowSeconds: 60,
};

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const shared = options.sameDatabaseAs;
  const database = shared ? shared.database : await freshDatabaseConfig();
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-data-'));
  const secret = shared ? shared.secret : randomBytes(32).toString('base64url');
  const databaseUrl = database.dialect === 'sqlite' ? `sqlite:${database.file}` : database.url;
  const loaded = loadConfig({ dataDir, databaseUrl, port: 0, host: '127.0.0.1', secret, logLevel: 'info' }, {});
  const config: Config = {
    ...loaded,
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    identity: {
      ...loaded.identity,
      // The test identity providers listen on 127.0.0.1, as a developer's would: the operator allows it.
      idpAllowedHosts: ['127.0.0.1', 'localhost'],
      ...options.identity,
      // The store follows the dialect, as in production (memory for SQLite, the database for PostgreSQL).
      rateLimits: { ...TEST_RATE_LIMITS, store: loaded.identity.rateLimits.store, ...options.identity?.rateLimits },
    },
    metrics: parseMetricsAddress(options.metricsAddress),
  };
  let logText = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logText += chunk.toString();
      done();
    },
  });
  let offset = 0;
  const running = await startServer(config, {
    logger: createLogger('info', sink),
    validateResponses: true,
    now: () => new Date(Date.now() + offset),
    ...(options.lastUsedWriteIntervalMs !== undefined ? { lastUsedWriteIntervalMs: options.lastUsedWriteIntervalMs } : {}),
    ...(options.headersTimeoutMs !== undefined ? { headersTimeoutMs: options.headersTimeoutMs } : {}),
    ...(options.mailTiming ? { mailTiming: options.mailTiming } : {}),
    ...(options.usageFlushMs !== undefined ? { usageFlushMs: options.usageFlushMs } : {}),
    ...(options.bookkeepingFlushMs !== undefined ? { bookkeepingFlushMs: options.bookkeepingFlushMs } : {}),
  });
  return {
    url: running.url,
    config,
    dataDir,
    databaseUrl,
    secret,
    database,
    running,
    createUser: (email, name) =>
      createUserWithToken(running.store, config.keys, {
        email: email ?? `user${++counter}-${randomBytes(3).toString('hex')}@example.com`,
        name,
      }),
    logs: () => logText,
    advance: (ms) => {
      offset += ms;
    },
    close: async () => {
      await running.close();
      // The first node owns the database; other nodes on it leave it to that one.
      if (!shared) await dropDatabase(database);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small HTTP client for tests: JSON in, JSON out, the raw text and headers kept. */
export function apiClient(baseUrl: string) {
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely.
  return async function api<T = any>(
    method: string,
    path: string,
    options: { token?: string | undefined; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(baseUrl + path, { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };
}

export type Api = ReturnType<typeof apiClient>;
