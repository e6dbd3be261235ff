/**
 * What changed, for the per-node caches (services/auth-cache.ts). Every store function that
 * changes what authentication, authorization or a cached page reads calls `noteChange` with the
 * executor it wrote through:
 *
 * - inside a transaction opened by `runTransaction`, the changes are collected, sent to the other
 *   nodes with one `pg_notify` in that same transaction (PostgreSQL delivers it only if the
 *   transaction commits), and applied to this process's caches right after the commit — never
 *   before, or a request racing the commit could cache the old state again;
 * - on the database itself (an autocommitted statement), they are sent and applied at once.
 *
 * A change noted in a transaction that `runTransaction` did not open is a programming error (its
 * commit could not be followed), so it throws.
 *
 * SQLite has no NOTIFY: another process writing to the same file is noticed through SQLite's own
 * `data_version` counter instead (services/change-feed.ts).
 *
 * On SQLite, transactions are also committed in groups (`runTransaction`): one connection runs one
 * transaction at a time anyway, and a commit writes every page the transaction touched to the WAL,
 * so transactions that queue up while one runs share one commit. Each runs in its own savepoint,
 * in arrival order, and still succeeds or fails alone.
 */
import { type CompiledQuery, type DatabaseConnection, type Kysely, sql, type Transaction } from 'kysely';
import { byCodePoint } from '../model/order.js';
import { sendWithCommit, sendWithNext } from './postgres-commit.js';
import type { Database, Executor } from './schema.js';

/** The PostgreSQL channel every node listens on. */
export const CHANGE_CHANNEL = 'gatehouse_changes';

/**
 * One change, as text (it travels in a NOTIFY payload):
 * - `p:<principalId>` a principal's credentials or owner changed (token revoked or rotated, user
 *   disabled, robot changed or deleted);
 * - `t:<tokenId>` one token changed;
 * - `m:<principalId>` a principal's memberships or roles changed, anywhere;
 * - `r:<type>:<id>` everyone's access on a resource may have changed (custom role edited, policy
 *   changed, project moved between organizations); for an organization, on its projects too;
 * - `v:<type>:<id>` a resource's version was bumped (its member list or project view changed);
 * - `*` anything (forget everything).
 */
export type Change = string;

export const changes = {
  principal: (id: string): Change => `p:${id}`,
  token: (id: string): Change => `t:${id}`,
  memberships: (principalId: string): Change => `m:${principalId}`,
  resource: (type: string, id: string): Change => `r:${type}:${id}`,
  version: (type: string, id: string): Change => `v:${type}:${id}`,
  everything: '*' as Change,
};

/** NOTIFY payloads must stay under 8,000 bytes; a larger batch is sent as "everything". */
const MAX_PAYLOAD = 7_900;

export type ChangeListener = (batch: readonly Change[]) => void;

interface Job {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  changes: Set<Change>;
}

interface Root {
  dialect: 'sqlite' | 'postgres';
  listeners: Set<ChangeListener>;
  /** SQLite: transactions waiting for the next group commit, and whether a group is running. */
  queue: Job[];
  committing: boolean;
  /** SQLite: called after each group commit (the checkpointer's nudge, store/checkpoints.ts). */
  afterCommit: (() => void) | undefined;
}

const roots = new WeakMap<Kysely<Database>, Root>();
const collectors = new WeakMap<Transaction<Database>, Set<Change>>();
/** PostgreSQL transactions of runTransaction: their connection, and the statements sent with their commit. */
const opened = new WeakMap<
  Transaction<Database>,
  { connection: DatabaseConnection; tail: Array<{ order: string; query: CompiledQuery }> }
>();

/**
 * Runs `query` at the end of the PostgreSQL transaction `db` (one of runTransaction's): sent with
 * its commit, in one round trip (store/postgres-commit.ts). For the rows every writer shares, the
 * audit chain's head (store/audit.ts), resource versions and counts (store/versions.ts): their
 * locks are then held while PostgreSQL runs the last statements, never across a round trip. The
 * statements run in `order`, then in the order asked: every transaction takes those locks in one
 * order, so two of them never wait for each other. Anywhere else (SQLite, which runs one
 * transaction at a time; a statement outside a transaction) it runs at once. Returns whether it
 * was deferred. A failure fails the transaction, like any of its statements.
 */
export async function atTransactionEnd(db: Executor, order: string, query: CompiledQuery): Promise<boolean> {
  const transaction = db.isTransaction ? opened.get(db as Transaction<Database>) : undefined;
  if (transaction) {
    transaction.tail.push({ order, query });
    return true;
  }
  await db.executeQuery(query);
  return false;
}

/**
 * Runs `write`, an insert whose result nothing waits for. In a PostgreSQL transaction of
 * runTransaction it is pipelined (store/postgres-commit.ts): sent in one round trip with the
 * transaction's other pipelined writes, just before its next statement or with its commit, so the
 * transaction still reads it. Its failure then surfaces there, failing the transaction as it would
 * have: use it only for writes whose failure no caller catches. Anywhere else it runs at once.
 */
export async function writeSoon(db: Executor, write: CompiledQuery): Promise<void> {
  const transaction = db.isTransaction ? opened.get(db as Transaction<Database>) : undefined;
  if (transaction) sendWithNext(transaction.connection, write);
  else await db.executeQuery(write);
}

/** Called once per opened store (store/db.ts). */
export function registerStore(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', afterCommit?: () => void): void {
  if (!roots.has(db)) roots.set(db, { dialect, listeners: new Set(), queue: [], committing: false, afterCommit });
}

/** Calls `listener` with every batch of changes committed through `db` by this process. */
export function onChanges(db: Kysely<Database>, listener: ChangeListener): () => void {
  const root = roots.get(db);
  if (!root) throw new Error('onChanges: this database was not opened by openStore');
  root.listeners.add(listener);
  return () => root.listeners.delete(listener);
}

function apply(root: Root | undefined, batch: readonly Change[]): void {
  if (!root || batch.length === 0) return;
  for (const listener of root.listeners) listener(batch);
}

/** The NOTIFY that sends `batch` to the other nodes. */
function notification(db: Executor, batch: readonly Change[]): CompiledQuery {
  let payload = batch.join(',');
  if (payload.length > MAX_PAYLOAD) payload = changes.everything;
  return sql`select pg_notify(${CHANGE_CHANNEL}, ${payload})`.compile(db);
}

async function publish(db: Executor, root: Root | undefined, batch: readonly Change[]): Promise<void> {
  if (root?.dialect !== 'postgres' || batch.length === 0) return;
  await db.executeQuery(notification(db, batch));
}

/**
 * Records a change written through `db`: collected when `db` is a transaction of `runTransaction`,
 * published and applied at once when it is the database itself.
 */
export async function noteChange(db: Executor, ...batch: Change[]): Promise<void> {
  if (db.isTransaction) {
    const collector = collectors.get(db as Transaction<Database>);
    if (!collector) {
      throw new Error('a change was written in a transaction not opened by runTransaction (store/changes.ts)');
    }
    for (const change of batch) collector.add(change);
    return;
  }
  const root = roots.get(db as Kysely<Database>);
  await publish(db, root, batch);
  apply(root, batch);
}

/**
 * Runs `work` in a transaction; the changes it notes reach the other nodes on commit and this
 * process's caches right after it. On SQLite the transaction joins a group commit (see below).
 */
export async function runTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const root = roots.get(db);
  if (root?.dialect === 'sqlite') {
    return new Promise<T>((resolve, reject) => {
      root.queue.push({ work, resolve: resolve as (value: unknown) => void, reject, changes: new Set() });
      if (!root.committing) {
        // better-sqlite3 answers at once, so a group runs from its first statement to its commit
        // within one turn of the event loop. Started on the next turn, it takes in every request
        // that reached a write in this one (measured: 1.0 transaction per commit before, 3.3 with
        // 8 concurrent writers creating robots).
        root.committing = true;
        setImmediate(() => void commitGroups(db, root));
      }
    });
  }
  const batch = new Set<Change>();
  const result = await db.transaction().execute(async (trx) => {
    collectors.set(trx, batch);
    const connection = await trx.getExecutor().provideConnection(async (c) => c);
    const tail: Array<{ order: string; query: CompiledQuery }> = [];
    opened.set(trx, { connection, tail });
    const value = await work(trx);
    // The NOTIFY goes out with the commit too: PostgreSQL delivers it only if the commit succeeds.
    const last = tail.sort((a, b) => byCodePoint(a.order, b.order)).map((entry) => entry.query);
    if (batch.size > 0) last.unshift(notification(trx, [...batch]));
    sendWithCommit(connection, last);
    return value;
  });
  apply(root, [...batch]);
  return result;
}

/** A group closes at this many transactions, or once it has run this long (bounded latency). */
const GROUP_MAX = 32;
const GROUP_MAX_MS = 20;
const SAVEPOINT = 'gatehouse_tx';

/** Commits groups while transactions are waiting. */
async function commitGroups(db: Kysely<Database>, root: Root): Promise<void> {
  try {
    while (root.queue.length > 0) await commitGroup(db, root);
  } finally {
    root.committing = false;
  }
}

/**
 * SQLite group commit: one transaction, in which every waiting transaction (those that arrive
 * meanwhile too, up to GROUP_MAX or GROUP_MAX_MS) runs in a savepoint of its own, in arrival
 * order, then one commit. A transaction that fails is rolled back to its savepoint and fails at
 * once, leaving nothing behind; the others are unaffected. The ones that succeeded resolve only
 * after the commit, with their changes applied to the caches first, exactly as a transaction of
 * their own would: a write is answered only once it is durable, and its effects are visible to
 * the next request. If the commit itself fails (the disk is full, say), all of them fail.
 */
async function commitGroup(db: Kysely<Database>, root: Root): Promise<void> {
  const started = performance.now();
  let group: Awaited<ReturnType<ReturnType<Kysely<Database>['startTransaction']>['execute']>>;
  try {
    group = await db.startTransaction().execute();
  } catch (error) {
    for (const job of root.queue.splice(0)) job.reject(error);
    return;
  }
  const succeeded: Array<{ job: Job; value: unknown }> = [];
  let broken: unknown = null;
  while (root.queue.length > 0 && succeeded.length < GROUP_MAX && performance.now() - started < GROUP_MAX_MS) {
    const job = root.queue.shift() as Job;
    const trx = await group.savepoint(SAVEPOINT).execute();
    collectors.set(trx, job.changes);
    try {
      const value = await job.work(trx);
      await trx.releaseSavepoint(SAVEPOINT).execute();
      succeeded.push({ job, value });
    } catch (error) {
      try {
        await trx.rollbackToSavepoint(SAVEPOINT).execute();
        await trx.releaseSavepoint(SAVEPOINT).execute();
      } catch (undoError) {
        // SQLite rolled the whole transaction back itself (an I/O error, say): nothing of the group stands.
        broken = undoError;
      }
      job.reject(error);
      if (broken !== null) break;
    }
  }
  if (broken === null) {
    try {
      await group.commit().execute();
    } catch (error) {
      broken = error;
    }
  }
  if (broken !== null) {
    await group
      .rollback()
      .execute()
      .catch(() => {});
    for (const { job } of succeeded) job.reject(broken);
    return;
  }
  root.afterCommit?.();
  for (const { job, value } of succeeded) {
    apply(root, [...job.changes]);
    job.resolve(value);
  }
}
