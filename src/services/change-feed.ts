/**
 * How a node learns what other nodes (and other processes) changed, and when its caches may be
 * trusted (services/auth-cache.ts `Freshness`).
 *
 * PostgreSQL: one dedicated connection per node runs `LISTEN gatehouse_changes`; every writing
 * transaction sends what it changed with `pg_notify` (store/changes.ts), delivered on commit. The
 * same connection answers a heartbeat (`SELECT 1`) every 250 ms. PostgreSQL delivers a
 * notification to an idle listener at once, and before the reply to any later query on that
 * connection, so once a heartbeat sent at time s is answered, every change committed before s has
 * been applied. The cache is served only while the last answered heartbeat was sent less than
 * `leaseMs` (900 ms) ago: a change committed at c is therefore never missed after c + 900 ms, even if
 * the connection silently stops delivering. When the connection fails, the node reads the database
 * on every request; it reconnects with backoff, runs LISTEN again, forgets everything it had
 * cached, and only then serves from the cache again.
 *
 * SQLite: a single file, possibly shared by several processes. Writes through this process are
 * applied after their commit (store/changes.ts). Another process's commits change SQLite's
 * `PRAGMA data_version` (a per-connection counter in shared memory, no table read), which is read
 * before the caches are used in each turn of the event loop; when it moved, everything is forgotten
 * first. So on SQLite every request that starts after another process's commit sees it.
 */
import type pg from 'pg';
import { CHANGE_CHANNEL, type Change, onChanges } from '../store/changes.js';
import { pgDriver, type Store } from '../store/db.js';
import type { AuthCache, Freshness } from './auth-cache.js';

export interface FeedLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface ChangeFeed extends Freshness {
  /** Listener reconnections since start (PostgreSQL). */
  readonly reconnects: number;
  /** The listening connection's backend process id (PostgreSQL; tests terminate it). */
  readonly backendPid: number | null;
  /** Resolves once the feed vouches for the cache (the first LISTEN succeeded), or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** SQLite: local changes after commit, other processes' commits through `data_version`. */
class SqliteFeed implements ChangeFeed {
  readonly state = 'sqlite';
  readonly reconnects = 0;
  readonly backendPid = null;
  private last: number;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly dataVersion: () => number,
    private readonly cache: AuthCache,
    db: Store['db'],
  ) {
    this.last = dataVersion();
    this.unsubscribe = onChanges(db, (batch) => cache.apply(batch));
  }

  /**
   * Reading `data_version` costs a few microseconds (it opens a read transaction on the WAL), so it
   * is read once per turn of the event loop, for every request handled in that turn: a commit by
   * another process is seen by every request that starts after the turn it completed in.
   */
  fresh(): boolean {
    if (this.checked) return true;
    this.checked = true;
    setImmediate(this.uncheck);
    const now = this.dataVersion();
    if (now !== this.last) {
      this.last = now;
      this.cache.flush();
    }
    return true;
  }

  private checked = false;
  private readonly uncheck = () => {
    this.checked = false;
  };

  async ready(): Promise<boolean> {
    return true;
  }

  async stop(): Promise<void> {
    this.unsubscribe();
  }
}

export interface PgFeedOptions {
  heartbeatMs?: number;
  leaseMs?: number;
  logger?: FeedLogger;
}

/** PostgreSQL: LISTEN/NOTIFY with a heartbeat lease; falls back to the database while not live. */
class PgFeed implements ChangeFeed {
  state: 'connecting' | 'live' | 'lost' | 'stopped' = 'connecting';
  reconnects = 0;
  backendPid: number | null = null;
  private client: pg.Client | null = null;
  /** performance.now() at which the last answered heartbeat (or LISTEN) was sent. */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private heartbeat: NodeJS.Timeout | null = null;
  private inFlight = false;
  private backoffMs = 100;
  private retry: NodeJS.Timeout | null = null;
  private readonly heartbeatMs: number;
  private readonly leaseMs: number;
  private readonly waiters = new Set<(live: boolean) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly url: string,
    private readonly cache: AuthCache,
    db: Store['db'],
    private readonly options: PgFeedOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 250;
    this.leaseMs = options.leaseMs ?? 900;
    this.unsubscribe = onChanges(db, (batch) => cache.apply(batch));
    void this.connect();
  }

  fresh(): boolean {
    return this.state === 'live' && performance.now() - this.confirmedAt < this.leaseMs;
  }

  ready(timeoutMs = 5_000): Promise<boolean> {
    if (this.state === 'live') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        resolve(false);
      }, timeoutMs);
      const done = (live: boolean) => {
        clearTimeout(timer);
        resolve(live);
      };
      this.waiters.add(done);
    });
  }

  private async connect(): Promise<void> {
    if (this.state === 'stopped') return;
    const client = new (pgDriver().Client)({ connectionString: this.url, application_name: 'gatehouse-listener' });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL) return;
      this.cache.apply((message.payload ?? '*').split(',') as Change[]);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      const sentAt = performance.now();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (this.client !== client || (this.state as string) === 'stopped') return;
      // Subscribed: everything committed from now on arrives. Forget what was cached before.
      this.cache.flush();
      this.confirmedAt = sentAt;
      this.backendPid = (client as unknown as { processID: number | null }).processID ?? null;
      this.state = 'live';
      this.backoffMs = 100;
      this.options.logger?.info({ backendPid: this.backendPid }, 'change listener subscribed');
      this.startHeartbeat(client);
      for (const waiter of this.waiters) waiter(true);
      this.waiters.clear();
    } catch (error) {
      this.lost(client, error as Error);
    }
  }

  private startHeartbeat(client: pg.Client): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (this.client !== client || this.inFlight) {
        // A heartbeat unanswered for 5 s: the connection is dead without saying so. Replace it.
        if (this.inFlight && performance.now() - this.confirmedAt > 5_000) this.lost(client, new Error('heartbeat timeout'));
        return;
      }
      this.inFlight = true;
      const sentAt = performance.now();
      client.query('SELECT 1').then(
        () => {
          this.inFlight = false;
          if (this.client === client) this.confirmedAt = sentAt;
        },
        (error: Error) => {
          this.inFlight = false;
          this.lost(client, error);
        },
      );
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private lost(client: pg.Client, error: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    this.inFlight = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.state === 'stopped') return;
    const was = this.state;
    this.state = 'lost';
    if (was === 'live') {
      this.options.logger?.warn(
        { err: error?.message ?? 'connection ended' },
        'change listener lost: reading the database on every request until it is back',
      );
    }
    client.end().catch(() => {});
    this.retry = setTimeout(() => {
      this.retry = null;
      this.reconnects++;
      void this.connect();
    }, this.backoffMs);
    this.retry.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 2_000);
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.unsubscribe();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    for (const waiter of this.waiters) waiter(false);
    this.waiters.clear();
    if (client) await client.end().catch(() => {});
  }
}

/** Starts the feed that keeps `cache` exact for `store`, and lets the cache be served. */
export function startChangeFeed(store: Store, cache: AuthCache, options: PgFeedOptions = {}): ChangeFeed {
  const feed =
    store.dialect === 'sqlite' && store.dataVersion
      ? new SqliteFeed(store.dataVersion, cache, store.db)
      : new PgFeed(store.url as string, cache, store.db, options);
  cache.attach(feed);
  return feed;
}
