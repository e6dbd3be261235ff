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
import { type Kysely, sql, type Transaction } from 'kysely';
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
/** PostgreSQL transactions of runTransaction: work to do after theirs, before the commit. */
const endTasks = new WeakMap<Transaction<Database>, Array<() => Promise<void>>>();

/**
 * Runs `task` as the last work of the PostgreSQL transaction `db` (one of runTransaction's): after
 * the work that asked for it and the publication of its changes, right before the commit, in the
 * order asked. Anywhere else (SQLite, which runs one transaction at a time; a statement outside a
 * transaction) it runs at once. Used for the audit chain's head (store/audit.ts), a lock every
 * writer takes: taken last, it is held for the shortest time. A task's failure fails the
 * transaction, like any of its statements.
 */
export async function atTransactionEnd(db: Executor, task: () => Promise<void>): Promise<void> {
  const tasks = db.isTransaction ? endTasks.get(db as Transaction<Database>) : undefined;
  if (tasks) tasks.push(task);
  else await task();
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

async function publish(db: Executor, root: Root | undefined, batch: readonly Change[]): Promise<void> {
  if (root?.dialect !== 'postgres' || batch.length === 0) return;
  let payload = batch.join(',');
  if (payload.length > MAX_PAYLOAD) payload = changes.everything;
  await sql`select pg_notify(${CHANGE_CHANNEL}, ${payload})`.execute(db);
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
    const tasks: Array<() => Promise<void>> = [];
    endTasks.set(trx, tasks);
    const value = await work(trx);
    // Published before the end tasks, which then hold their locks one round trip less; a change
    // an end task notes goes out after it.
    const published = [...batch];
    await publish(trx, root, published);
    for (const task of tasks) await task();
    if (batch.size > published.length) await publish(trx, root, [...batch].slice(published.length));
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
