/** Opens the configured database: better-sqlite3 (embedded default) or a pg pool. */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type SQLite from 'better-sqlite3';
import { Kysely, type SqliteDatabase, SqliteDialect, sql } from 'kysely';
import type pg from 'pg';
import { registerStore } from './changes.js';
import { Checkpointer, WAL_SIZE_LIMIT_BYTES, WRITER_CHECKPOINT_PAGES } from './checkpoints.js';
import { QueueingPostgresDialect } from './postgres-commit.js';
import type { Database, Executor } from './schema.js';

export type DatabaseConfig = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string; poolSize?: number };

export interface Store {
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  /**
   * SQLite only: the connection's `PRAGMA data_version`, which changes whenever another connection
   * (another process on the same file) commits. A cheap change counter: no table is read.
   */
  dataVersion?: () => number;
  /** SQLite on a file only: the worker thread that checkpoints the write-ahead log (store/checkpoints.ts). */
  checkpointer?: Checkpointer;
  /** PostgreSQL only: the connection URL (the change listener opens its own connection). */
  url?: string;
  /** The connection pool (PostgreSQL), for metrics. */
  pool?: pg.Pool;
  /** PostgreSQL only: queries sent through the pool so far, each one a round trip. */
  roundTrips?: () => number;
  close(): Promise<void>;
}

export function openStore(config: DatabaseConfig): Store {
  if (config.dialect === 'sqlite') {
    if (config.file !== ':memory:') mkdirSync(dirname(config.file), { recursive: true, mode: 0o700 });
    const isNew = config.file !== ':memory:' && !existsSync(config.file);
    const database = new (sqliteDriver())(config.file);
    // The database holds e-mail addresses and the audit log: readable by its owner only.
    if (isNew) chmodSync(config.file, 0o600);
    // WAL: readers never wait for the writer; NORMAL sync is durable across crashes of the process.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    // Savepoints (each transaction of a group commit runs in one, store/changes.ts) keep their undo
    // journal in memory rather than in a temporary file written page by page.
    database.pragma('temp_store = MEMORY');
    // Checkpoints run on a worker thread; this connection's own are the safety net (store/checkpoints.ts).
    database.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
    database.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    const checkpointer =
      config.file === ':memory:'
        ? undefined
        : new Checkpointer(config.file, () => {
            if (!database.inTransaction) database.pragma('wal_checkpoint(PASSIVE)');
          });
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
    registerStore(db, 'sqlite', checkpointer && (() => checkpointer.nudge()));
    const dataVersion = database.prepare('PRAGMA data_version').pluck();
    return {
      db,
      dialect: 'sqlite',
      dataVersion: () => dataVersion.get() as number,
      ...(checkpointer ? { checkpointer } : {}),
      close: async () => {
        await checkpointer?.close();
        await db.destroy();
      },
    };
  }
  const pool = new (pgDriver().Pool)({ connectionString: config.url, max: config.poolSize ?? 10 });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const dialect = new QueueingPostgresDialect(pool);
  const db = new Kysely<Database>({ dialect });
  registerStore(db, 'postgres');
  return {
    db,
    dialect: 'postgres',
    url: config.url,
    pool,
    roundTrips: () => dialect.roundTrips.total,
    close: () => db.destroy(),
  };
}

const require = createRequire(import.meta.url);

/**
 * The PostgreSQL driver, loaded the first time a PostgreSQL database is opened: a node on SQLite
 * never loads it (a shorter start and a smaller process).
 */
export function pgDriver(): typeof pg {
  if ('navigator' in globalThis) return require('pg') as typeof pg;
  // pg asks whether it runs in a Cloudflare Worker as it loads: by `navigator.userAgent`, or, where
  // there is no `navigator` (Node 20 only), by constructing a fetch `Response`, which loads Node's
  // whole fetch implementation, about 25 ms of a PostgreSQL node's start. Node 21 and later answer
  // with their own navigator; on Node 20 one that says the same is there just while pg loads.
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
    configurable: true,
  });
  try {
    return require('pg') as typeof pg;
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator;
  }
}

/** The SQLite driver, likewise: a node on PostgreSQL never loads it (about 15 ms of its start). */
function sqliteDriver(): typeof SQLite {
  return require('better-sqlite3') as typeof SQLite;
}

/** One trivial query: throws when the database does not answer. */
export async function pingDatabase(db: Executor): Promise<void> {
  await sql`select 1`.execute(db);
}

/** True when an error is a unique-constraint violation, in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * Kysely begins every transaction with a plain, deferred `begin`. Such a transaction asks for the
 * write lock at its first write, after it may have read. If another process holds that lock then
 * (an operator command, or another connection's checkpoint at the wrong moment), SQLite answers
 * SQLITE_BUSY ("database is locked") at once, without waiting: a reader waiting to write could
 * deadlock with the writer. `begin immediate` takes the write lock first, where the busy timeout
 * applies. In this process, transactions run one at a time on this one connection anyway (group
 * commit, store/changes.ts), so nothing here waits longer.
 */
const BEGIN = 'begin';
const BEGIN_WRITE = 'begin immediate';

/**
 * Kysely prepares every query anew; preparing costs more than running a small indexed query. The
 * same SQL text always yields the same statement, so keep the most recent ones (bounded: `in (…)`
 * lists of different lengths are different texts). `begin` is prepared as `begin immediate` (above).
 */
function withStatementCache(database: SQLite.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (statement) {
        // Refresh its place so the map's insertion order is least-recently-used first.
        cache.delete(sql);
      } else {
        statement = database.prepare(sql === BEGIN ? BEGIN_WRITE : sql);
        if (cache.size >= max) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}
