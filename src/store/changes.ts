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

interface Root {
  dialect: 'sqlite' | 'postgres';
  listeners: Set<ChangeListener>;
}

const roots = new WeakMap<Kysely<Database>, Root>();
const collectors = new WeakMap<Transaction<Database>, Set<Change>>();

/** Called once per opened store (store/db.ts). */
export function registerStore(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): void {
  if (!roots.has(db)) roots.set(db, { dialect, listeners: new Set() });
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
 * process's caches right after it.
 */
export async function runTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const root = roots.get(db);
  const batch = new Set<Change>();
  const result = await db.transaction().execute(async (trx) => {
    collectors.set(trx, batch);
    const value = await work(trx);
    await publish(trx, root, [...batch]);
    return value;
  });
  apply(root, [...batch]);
  return result;
}
