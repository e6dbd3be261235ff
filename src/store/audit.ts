/**
 * The audit log: insert-only. No function here, and nothing anywhere in src/, updates or deletes an
 * event (test/e2e/audit.test.ts greps for it); services write exactly one event per change, inside
 * the transaction that makes the change.
 *
 * Each insert also advances the hash chain's head (`audit_chain`, one row, id 1) in the same
 * transaction. Updating that row takes its lock (a row lock on PostgreSQL, the write lock on
 * SQLite), so concurrent writers queue there and the chain never forks.
 *
 * On PostgreSQL that lock is the one point every writer of every node passes through, and it is
 * held until the commit. So the event is appended in one statement, sent with the commit in the
 * same round trip (`atTransactionEnd`, store/changes.ts and store/postgres-commit.ts): the head's
 * upsert computes the new hash itself (SHA-256 over the canonical form, model/audit-chain.ts) and
 * hands both ends of the link to the INSERT. The lock is then held while PostgreSQL runs that
 * statement and commits, never across a round trip. SQLite runs one transaction at a time anyway:
 * there the steps run in place.
 */
import { type CompiledQuery, PostgresAdapter, sql } from 'kysely';
import {
  CANONICAL_END,
  CANONICAL_LINK,
  canonicalPrefix,
  chainEvent,
  EVENT_CONTENT_FIELDS,
  type EventContent,
  GENESIS_HASH,
  type StoredEvent,
} from '../model/audit-chain.js';
import { atTransactionEnd } from './changes.js';
import { compiledOnce, insertOnce } from './prepared.js';
import type { AuditEventRow, Executor } from './schema.js';

const HEAD = 1;

export async function appendEvent(db: Executor, event: EventContent): Promise<void> {
  // The head update and the insert must commit together: outside a transaction, make one.
  if (!db.isTransaction) return db.transaction().execute((trx) => appendEvent(trx, event));
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await atTransactionEnd(db, '9:audit', appendInOneStatement(db, event));
    return;
  }
  const head = await lockHead(db);
  const row = chainEvent(event, head);
  await insertEvent(db, row);
  await moveHead(db, row.sequence, row.hash, head.hash, HEAD);
}

/**
 * PostgreSQL: advance the head and insert the event in one statement. In the head's update every
 * expression reads the row as it was, so `previous_hash` keeps the hash being replaced and the new
 * hash covers the sequence it is given. When there is no head yet, the same statement creates it
 * as the first link after the genesis: the statement always appends, so it needs no answer read
 * back, and can be sent with the commit.
 */
function appendInOneStatement(db: Executor, fields: EventContent): CompiledQuery {
  const columns = sql.join(EVENT_CONTENT_FIELDS.map((name) => sql.ref(name)));
  const values = sql.join(EVENT_CONTENT_FIELDS.map((name) => fields[name]));
  const prefix = canonicalPrefix(fields);
  return sql`
    with head as (
      insert into audit_chain as c (id, sequence, hash, previous_hash)
      values (${HEAD}, 1, encode(sha256(convert_to(${prefix} || '1' || ${CANONICAL_LINK} || ${GENESIS_HASH} || ${CANONICAL_END}, 'UTF8')), 'hex'), ${GENESIS_HASH})
      on conflict (id) do update
      set previous_hash = c.hash,
          sequence = c.sequence + 1,
          hash = encode(sha256(convert_to(${prefix} || (c.sequence + 1)::text || ${CANONICAL_LINK} || c.hash || ${CANONICAL_END}, 'UTF8')), 'hex')
      returning sequence, previous_hash, hash
    )
    insert into audit_events (${columns}, sequence, previous_hash, hash)
    select ${values}, head.sequence, head.previous_hash, head.hash
    from head`.compile(db);
}

// SQLite writes these three statements on every change: compiled once (store/prepared.ts).
const insertEvent = insertOnce('audit_events');
const moveHead = compiledOnce((db, sequence: number, hash: string, previousHash: string, id: number) =>
  db.updateTable('audit_chain').set({ sequence, hash, previous_hash: previousHash }).where('id', '=', id),
);
const lockedHead = compiledOnce((db, id: number) =>
  db.updateTable('audit_chain').set({ id: sql<number>`id` }).where('id', '=', id).returning(['sequence', 'hash']),
);

/** The head at the genesis, unless another transaction created it first. */
async function createHead(db: Executor): Promise<void> {
  await db
    .insertInto('audit_chain')
    .values({ id: HEAD, sequence: 0, hash: GENESIS_HASH })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/**
 * Locks the chain's head row and reads it, creating it (at the genesis) when missing. The no-op
 * UPDATE is what takes the lock; INSERT … ON CONFLICT DO NOTHING makes the first creation race-safe.
 */
async function lockHead(db: Executor): Promise<{ sequence: number; hash: string }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const [locked] = await lockedHead(db, HEAD);
    if (locked) return { sequence: Number(locked.sequence), hash: locked.hash };
    await createHead(db);
  }
  throw new Error('audit_chain: cannot lock the head row');
}

/** The chain's head as stored, or null before the first chained event. */
export async function chainHead(db: Executor): Promise<{ sequence: number; hash: string } | null> {
  const row = await db.selectFrom('audit_chain').select(['sequence', 'hash']).where('id', '=', HEAD).executeTakeFirst();
  return row ? { sequence: Number(row.sequence), hash: row.hash } : null;
}

/** Chained events in sequence order, after `afterSequence`, at most `limit`. */
export async function chainedEvents(db: Executor, afterSequence: number, limit: number): Promise<StoredEvent[]> {
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('sequence', 'is not', null)
    .where('sequence', '>', afterSequence)
    .orderBy('sequence')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, sequence: r.sequence === null ? null : Number(r.sequence) }));
}

/** Events written before the chain existed (no sequence): reported, not verifiable. */
export async function countUnchained(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('sequence', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface EventFilter {
  /** Actor ids; `null` in the list matches events with no actor (the system). */
  actorIds?: (string | null)[];
  /** Target user ids. */
  userIds?: string[];
  projectIds?: string[];
  organizationIds?: string[];
  actions?: string[];
  /** Inclusive lower and exclusive upper bound on `at` (ISO text). */
  startTime?: string;
  endTime?: string;
  /** What the caller may see: events of these resources, or those the caller acted in or was the target of. */
  visibleTo: { principalId: string; projects: string[]; organizations: string[] };
  /** Keyset: events with a sequence below this one (newest first). */
  beforeSequence?: number;
}

/** Events matching the filter, newest first (by chain sequence). */
export async function listEvents(
  db: Executor,
  filter: EventFilter,
  page: { limit: number; offset: number },
): Promise<AuditEventRow[]> {
  let q = db.selectFrom('audit_events').selectAll().where('sequence', 'is not', null);
  const { visibleTo } = filter;
  q = q.where((eb) => {
    const ors = [eb('actor_id', '=', visibleTo.principalId), eb('target_id', '=', visibleTo.principalId)];
    if (visibleTo.projects.length > 0) {
      ors.push(eb.and([eb('resource_type', '=', 'project'), eb('resource_id', 'in', visibleTo.projects)]));
    }
    if (visibleTo.organizations.length > 0) {
      ors.push(eb.and([eb('resource_type', '=', 'organization'), eb('resource_id', 'in', visibleTo.organizations)]));
    }
    return eb.or(ors);
  });
  if (filter.actorIds && filter.actorIds.length > 0) {
    const ids = filter.actorIds.filter((id): id is string => id !== null);
    const withNull = filter.actorIds.includes(null);
    q = q.where((eb) => {
      const ors = [];
      if (ids.length > 0) ors.push(eb('actor_id', 'in', ids));
      if (withNull) ors.push(eb('actor_id', 'is', null));
      return eb.or(ors);
    });
  }
  if (filter.userIds && filter.userIds.length > 0) {
    q = q.where('target_type', '=', 'user').where('target_id', 'in', filter.userIds);
  }
  if (filter.projectIds && filter.projectIds.length > 0) {
    q = q.where('resource_type', '=', 'project').where('resource_id', 'in', filter.projectIds);
  }
  if (filter.organizationIds && filter.organizationIds.length > 0) {
    q = q.where('resource_type', '=', 'organization').where('resource_id', 'in', filter.organizationIds);
  }
  if (filter.actions && filter.actions.length > 0) q = q.where('action', 'in', filter.actions);
  if (filter.startTime !== undefined) q = q.where('at', '>=', filter.startTime);
  if (filter.endTime !== undefined) q = q.where('at', '<', filter.endTime);
  if (filter.beforeSequence !== undefined) q = q.where('sequence', '<', filter.beforeSequence);
  const rows = await q.orderBy('sequence', 'desc').limit(page.limit).offset(page.offset).execute();
  return rows.map((r) => ({ ...r, sequence: r.sequence === null ? null : Number(r.sequence) }));
}
