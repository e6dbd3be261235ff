/** Starts Gatehouse: open the store, migrate, build the app, listen. */
import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';
import { type Config, describeConfig } from './config.js';
import { buildApp } from './http/app.js';
import type { Metrics } from './metrics.js';
import { type ChangeFeed, startChangeFeed } from './services/change-feed.js';
import { createServices, type Deps, type Services } from './services/index.js';
import type { MailTiming } from './services/mail.js';
import { openStore, type Store } from './store/db.js';
import { migrateToLatest } from './store/migrate.js';

/** Header and body fields that could carry a secret never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-sanity-token"]',
  'res.headers["set-cookie"]',
  'token',
  'key',
  '*.token',
  '*.key',
  '*.password',
];

/** Query parameters that carry a credential during a login: their values never reach a log line. */
const SECRET_QUERY_PARAMETERS = new Set([
  'sid',
  'code',
  'state',
  'token',
  'access_token',
  'id_token',
  'session_state',
  'samlresponse',
  'samlrequest',
  'relaystate',
  'password',
]);

/** Anything shaped like a Gatehouse secret (tokens, invite tokens) in a path. */
const SECRET_IN_PATH = /gth_[a-z]+_[0-9A-Za-z]+/g;

/** A request URL as logged: secrets in the path and credential values in the query replaced. */
export function loggableUrl(rawUrl: string): string {
  const url = rawUrl.replace(SECRET_IN_PATH, '[redacted]');
  const mark = url.indexOf('?');
  if (mark === -1) return url;
  const query = url
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=')[0] ?? '';
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      return SECRET_QUERY_PARAMETERS.has(decoded.toLowerCase()) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, mark)}?${query}`;
}

/** The most log output kept in memory while the destination is slower than the server (16 MiB). */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Standard output as the log destination, written asynchronously but **bounded**: pino's default
 * buffers without limit whenever stdout is slower than the request rate (a terminal, a busy log
 * shipper), which under load grew the server by hundreds of megabytes that stayed. Past
 * LOG_BUFFER_MAX_BYTES, lines are dropped, counted, and reported in one line once the buffer has
 * room again.
 */
export function boundedStdout(fd = 1): DestinationStream {
  const stream = pino.destination({ dest: fd, minLength: 0, maxLength: LOG_BUFFER_MAX_BYTES, sync: false });
  let dropped = 0;
  stream.on('drop', () => {
    dropped += 1;
  });
  stream.on('drain', () => {
    if (dropped === 0) return;
    const count = dropped;
    dropped = 0;
    stream.write(
      `${JSON.stringify({ level: 40, time: Date.now(), msg: `${count} log lines were dropped: the log destination was slower than the server`, droppedLines: count })}\n`,
    );
  });
  return stream;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; url?: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
          method: req.method,
          url: loggableUrl(req.url ?? ''),
          host: req.hostname,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    destination ?? boundedStdout(),
  );
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  services: Services;
  /** What the services were wired with (clock, keys, configuration): for operator tooling and tests. */
  deps: Deps;
  /** What keeps this node's caches exact (services/change-feed.ts). */
  feed: ChangeFeed;
  /** The metrics URL, when GATEHOUSE_METRICS_ADDRESS is set. */
  metricsUrl: string | null;
  /**
   * Graceful stop: stop listening and wait for requests in flight, write the pending
   * `lastUsedAt` / `lastSeenAt` notes, then close the change feed and the database.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  validateResponses?: boolean;
  now?: () => Date;
  lastUsedWriteIntervalMs?: number;
  /** How long a client may take to send a request's headers (http/errors.ts#rawHttpOptions). */
  headersTimeoutMs?: number;
  /** How the mail outbox retries and polls (services/mail.ts). */
  mailTiming?: MailTiming;
  /** How often robots' permission usage is written (services/usage.ts). */
  usageFlushMs?: number;
  /** How often noted `lastUsedAt` / `lastSeenAt` values are written (default 1 s). */
  bookkeepingFlushMs?: number;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = openStore(config.database);
  // On PostgreSQL, checking the schema (or migrating it) waits on the network: the app is built
  // meanwhile, and nothing reads or writes the database before the check is over.
  const migrated = migrateToLatest(store.db).then(
    () => ({ failed: false as const }),
    (error: unknown) => ({ failed: true as const, error }),
  );
  // The configured public URL, or (known once listening) the address the server listens on.
  let baseUrl = config.publicUrl;
  const deps: Deps = {
    db: store.db,
    keys: config.keys,
    now: options.now ?? (() => new Date()),
    lastUsedWriteIntervalMs: options.lastUsedWriteIntervalMs ?? 5 * 60_000,
    identity: config.identity,
    baseUrl: () => baseUrl,
    log: logger,
    ...(options.mailTiming ? { mailTiming: options.mailTiming } : {}),
    ...(options.usageFlushMs !== undefined ? { usageFlushMs: options.usageFlushMs } : {}),
  };
  const services = createServices(deps);
  // prom-client is loaded only when metrics are on: a node without them starts faster and smaller.
  const metrics: Metrics | null = config.metrics
    ? (await import('./metrics.js')).createMetrics({
        services,
        store,
        feed: () => feed,
        pages: () => {
          const [a, b] = [services.members.pageStats(), services.projects.pageStats()];
          return { bytes: a.bytes + b.bytes, entries: a.entries + b.entries };
        },
      })
    : null;
  const app = await buildApp({
    services,
    publicUrl: config.publicUrlConfigured ? config.publicUrl : null,
    logger,
    validateResponses: options.validateResponses ?? false,
    trustProxy: config.trustProxy,
    ...(options.headersTimeoutMs !== undefined ? { headersTimeoutMs: options.headersTimeoutMs } : {}),
    ...(metrics ? { observe: metrics.observe } : {}),
  }).catch(async (error: unknown) => {
    await migrated;
    await store.close();
    throw error;
  });
  const migration = await migrated;
  if (migration.failed) {
    await app.close();
    await store.close();
    throw migration.error;
  }
  const feed = startChangeFeed(store, services.auth.cache, { logger });
  services.bookkeeping.start(options.bookkeepingFlushMs ?? 1_000, (error) =>
    logger.warn({ err: (error as Error).message }, 'writing lastUsedAt/lastSeenAt failed; will retry'),
  );
  let metricsUrl: string | null = null;
  const stopAll = async () => {
    // After the last request: what it enqueued is in the database, for the next start or another node;
    // the permission usage counted in memory is written.
    await services.mail.stop();
    await services.usage.stop();
    services.bookkeeping.stop();
    await metrics?.close();
    await services.bookkeeping
      .flush()
      .catch((error: unknown) =>
        logger.error({ err: (error as Error).message }, 'could not write lastUsedAt/lastSeenAt at shutdown'),
      );
    await feed.stop();
    await store.close();
  };
  try {
    await app.listen({ port: config.port, host: config.host });
    if (metrics && config.metrics) metricsUrl = await metrics.listen(config.metrics.host, config.metrics.port);
  } catch (error) {
    await app.close();
    await stopAll();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  if (!config.publicUrlConfigured) baseUrl = url;
  // Messages left in the outbox by an earlier run (or another node) go out now.
  services.mail.start();
  services.usage.start();
  logger.info({ config: describeConfig(config), metrics: metricsUrl ?? 'off' }, 'gatehouse listening');
  let closing: Promise<void> | null = null;
  return {
    url,
    app,
    store,
    services,
    deps,
    feed,
    metricsUrl,
    close: () => {
      closing ??= (async () => {
        await app.close();
        await stopAll();
      })();
      return closing;
    },
  };
}
