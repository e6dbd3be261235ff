/**
 * Prometheus metrics (prom-client), served on a listener of their own when
 * GATEHOUSE_METRICS_ADDRESS is set, never on the API port: operators scrape them from inside their
 * network, and nothing about the API's traffic or caches is public. Off by default.
 *
 * The hot path pays one histogram observation per request (only when metrics are on); cache and
 * feed figures are plain counters read at scrape time. docs/operations.md lists every metric and the
 * queries to alert on.
 */
import { createServer, type Server } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Services } from './services/index.js';
import type { Store } from './store/db.js';

export interface Metrics {
  registry: Registry;
  /** Records one answered request (an `onResponse` hook). */
  observe(request: FastifyRequest, reply: FastifyReply): void;
  /** Serves `GET /metrics` on host:port; resolves to the URL. */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

export interface MetricSources {
  services: Services;
  store: Store;
  /** The change feed's state and reconnections. */
  feed: () => { state: string; reconnects: number };
  /** Bytes and entries of the page caches (member lists, project views). */
  pages: () => { bytes: number; entries: number };
}

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });

  const duration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time to answer a request, by route (the path template), method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const cache = sources.services.auth.cache;
  new Counter({
    name: 'gatehouse_auth_cache_hits_total',
    help: 'Lookups answered from the per-node authorization cache, by table.',
    labelNames: ['table'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [table, n] of Object.entries(cache.stats.hits)) this.inc({ table }, n);
    },
  });
  new Counter({
    name: 'gatehouse_auth_cache_misses_total',
    help: 'Lookups the cache could have answered but did not hold (read from the database), by table.',
    labelNames: ['table'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [table, n] of Object.entries(cache.stats.misses)) this.inc({ table }, n);
    },
  });
  new Counter({
    name: 'gatehouse_auth_cache_bypassed_total',
    help: 'Lookups that read the database because the change feed did not vouch for the cache (listener down).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cache.stats.bypassed);
    },
  });
  new Counter({
    name: 'gatehouse_auth_cache_invalidations_total',
    help: 'Changes applied to the cache, by kind (principal, token, memberships, resource, version, everything).',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const names: Record<string, string> = {
        p: 'principal',
        t: 'token',
        m: 'memberships',
        r: 'resource',
        v: 'version',
        '*': 'everything',
      };
      for (const [kind, n] of Object.entries(cache.stats.invalidations)) this.inc({ kind: names[kind] ?? kind }, n);
    },
  });
  new Counter({
    name: 'gatehouse_auth_cache_flushes_total',
    help: 'Times the whole cache was forgotten (listener resubscribed; another SQLite process wrote).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cache.stats.flushes);
    },
  });
  new Gauge({
    name: 'gatehouse_auth_cache_entries',
    help: 'Entries in the authorization cache, by table.',
    labelNames: ['table'] as const,
    registers: [registry],
    collect() {
      this.set({ table: 'credential' }, cache.credentials.size);
      this.set({ table: 'access' }, cache.access.size);
    },
  });
  new Gauge({
    name: 'gatehouse_change_listener_up',
    help: '1 while the change feed vouches for the cache (PostgreSQL listener subscribed and answering, or SQLite), else 0.',
    registers: [registry],
    collect() {
      this.set(cache.fresh() ? 1 : 0);
    },
  });
  new Counter({
    name: 'gatehouse_change_listener_reconnects_total',
    help: 'Times the PostgreSQL change listener had to reconnect.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.feed().reconnects);
    },
  });
  new Gauge({
    name: 'gatehouse_page_cache_bytes',
    help: 'Bytes held by the rendered-page caches (member lists, project views), counting room for the gzip copies.',
    registers: [registry],
    collect() {
      this.set(sources.pages().bytes);
    },
  });
  new Gauge({
    name: 'gatehouse_page_cache_entries',
    help: 'Rendered pages held in memory.',
    registers: [registry],
    collect() {
      this.set(sources.pages().entries);
    },
  });
  new Gauge({
    name: 'gatehouse_bookkeeping_pending',
    help: 'lastUsedAt / lastSeenAt notes waiting for the next background write.',
    registers: [registry],
    collect() {
      this.set(sources.services.bookkeeping.pending);
    },
  });
  new Counter({
    name: 'gatehouse_bookkeeping_flush_failures_total',
    help: 'Background bookkeeping writes that failed (their notes are kept and retried).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.services.bookkeeping.failures);
    },
  });
  const pool = sources.store.pool;
  new Gauge({
    name: 'gatehouse_db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting requests); SQLite reports nothing.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!pool) return;
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  const roundTrips = sources.store.roundTrips;
  new Counter({
    name: 'gatehouse_db_round_trips_total',
    help: 'Queries sent to PostgreSQL through the pool and answered, each one a round trip (a write sends several statements in one); always 0 on SQLite.',
    registers: [registry],
    collect() {
      if (!roundTrips) return;
      this.reset();
      this.inc(roundTrips());
    },
  });

  let server: Server | null = null;
  return {
    registry,
    observe(request, reply) {
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe({ route, method: request.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    },
    listen(host, port) {
      server = createServer((req, res) => {
        if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: metrics are at GET /metrics\n');
          return;
        }
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (error: Error) => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${error.message}\n`),
        );
      });
      const listening = server;
      return new Promise((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          const address = listening.address();
          const bound = typeof address === 'object' && address ? address.port : port;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`);
        });
      });
    },
    close() {
      const listening = server;
      server = null;
      return new Promise((resolve) => (listening ? listening.close(() => resolve()) : resolve()));
    },
  };
}
