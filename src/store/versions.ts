/**
 * Resource versions and maintained counts.
 *
 * Versions: a counter per project or organization, incremented by every write that changes what
 * the resource's member list or project view shows (a member added or removed, roles changed, a
 * member's `lastSeenAt`, the project's own fields). A node keeps a rendered page in memory only
 * together with the version it was rendered at. The bump also notes a `v:` change
 * (store/changes.ts), so every node forgets the version it knew and reads the new one once: a warm
 * node serves pages without reading the version on each request.
 *
 * Counts (`resource_counts`): members per kind, and human holders per role, maintained in the same
 * transaction as the membership change instead of `count(*)` over a resource's memberships, so a
 * page of a million-member project costs what a page of a ten-member one does.
 */
import { type Kysely, sql } from 'kysely';
import type { ResourceRef } from '../model/policy.js';
import { atTransactionEnd, changes, noteChange } from './changes.js';
import { boundOnce, compiledOnce } from './prepared.js';
import type { Database, Executor } from './schema.js';

const bumpVersionRow = boundOnce((db, type: string, id: string) =>
  db
    .insertInto('resource_versions')
    .values({ resource_type: type, resource_id: id, version: 1 })
    .onConflict((oc) =>
      oc.columns(['resource_type', 'resource_id']).doUpdateSet({ version: sql<number>`resource_versions.version + 1` }),
    ),
);

/**
 * Bumps a resource's version. In a PostgreSQL transaction the bump is sent with the commit
 * (`atTransactionEnd`): every writer of the resource passes through its row, so its lock is held
 * for the shortest time. Versions go first in that tail, then counts, then the audit event.
 */
export async function bumpVersion(db: Executor, resource: ResourceRef): Promise<void> {
  await atTransactionEnd(db, `1:${resource.type}:${resource.id}`, bumpVersionRow(db, resource.type, resource.id));
  await noteChange(db, changes.version(resource.type, resource.id));
}

const versionRow = compiledOnce((db, type: string, id: string) =>
  db.selectFrom('resource_versions').select('version').where('resource_type', '=', type).where('resource_id', '=', id),
);

/** The current version; 0 for a resource that never changed since versions were kept. */
export async function resourceVersion(db: Kysely<Database>, resource: ResourceRef): Promise<number> {
  const [row] = await versionRow(db, resource.type, resource.id);
  return row ? Number(row.version) : 0;
}

/** Count names: members of a kind, and human holders of a role. */
export const countNames = {
  members: (kind: 'user' | 'robot') => `members:${kind}`,
  roleHolders: (role: string) => `role:${role}`,
};

const adjustCountRow = boundOnce((db, type: string, id: string, name: string, n: number) =>
  db
    .insertInto('resource_counts')
    .values({ resource_type: type, resource_id: id, name, n })
    .onConflict((oc) =>
      oc.columns(['resource_type', 'resource_id', 'name']).doUpdateSet({ n: sql<number>`resource_counts.n + excluded.n` }),
    ),
);

/**
 * Count changes a PostgreSQL transaction has queued for its commit, by `type:id:name`: what
 * `readCount` adds to the stored count, so the transaction reads its own changes.
 */
const pendingCounts = new WeakMap<Executor, Map<string, number>>();

/**
 * Adds `deltas` (count name → change) to a resource's counts, in the caller's transaction: one
 * compiled upsert per counter. Their row locks serialize concurrent writers on PostgreSQL, so
 * there the upserts are sent with the commit (`atTransactionEnd`), in name order: two writers
 * always lock them in the same order (one moving a member from `viewer` to `editor` while another
 * moves one back would otherwise deadlock).
 */
export async function adjustCounts(db: Executor, resource: ResourceRef, deltas: ReadonlyMap<string, number>): Promise<void> {
  for (const [name, n] of deltas) {
    if (n === 0) continue;
    const key = `${resource.type}:${resource.id}:${name}`;
    if (await atTransactionEnd(db, `2:${key}`, adjustCountRow(db, resource.type, resource.id, name, n))) {
      const pending = pendingCounts.get(db) ?? new Map<string, number>();
      pendingCounts.set(db, pending.set(key, (pending.get(key) ?? 0) + n));
    }
  }
}

const countRow = compiledOnce((db, type: string, id: string, name: string) =>
  db
    .selectFrom('resource_counts')
    .select('n')
    .where('resource_type', '=', type)
    .where('resource_id', '=', id)
    .where('name', '=', name),
);

/** A maintained count (0 when never counted). One primary-key read. */
export async function readCount(db: Executor, resource: ResourceRef, name: string): Promise<number> {
  const [row] = await countRow(db, resource.type, resource.id, name);
  const pending = pendingCounts.get(db)?.get(`${resource.type}:${resource.id}:${name}`) ?? 0;
  return (row ? Number(row.n) : 0) + pending;
}
