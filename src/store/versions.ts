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
import { changes, noteChange } from './changes.js';
import { compiledOnce } from './prepared.js';
import type { Database, Executor } from './schema.js';

const bumpVersionRow = compiledOnce((db, type: string, id: string) =>
  db
    .insertInto('resource_versions')
    .values({ resource_type: type, resource_id: id, version: 1 })
    .onConflict((oc) =>
      oc.columns(['resource_type', 'resource_id']).doUpdateSet({ version: sql<number>`resource_versions.version + 1` }),
    ),
);

export async function bumpVersion(db: Executor, resource: ResourceRef): Promise<void> {
  await bumpVersionRow(db, resource.type, resource.id);
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

const adjustCountRow = compiledOnce((db, type: string, id: string, name: string, n: number) =>
  db
    .insertInto('resource_counts')
    .values({ resource_type: type, resource_id: id, name, n })
    .onConflict((oc) =>
      oc.columns(['resource_type', 'resource_id', 'name']).doUpdateSet({ n: sql<number>`resource_counts.n + excluded.n` }),
    ),
);

/**
 * Adds `deltas` (count name → change) to a resource's counts, in the caller's transaction: one
 * compiled upsert per counter; their row locks serialize concurrent writers on PostgreSQL. The
 * counters go in name order, so two writers always lock them in the same order: one moving a
 * member from `viewer` to `editor` while another moves one back would otherwise deadlock.
 */
export async function adjustCounts(db: Executor, resource: ResourceRef, deltas: ReadonlyMap<string, number>): Promise<void> {
  const changed = [...deltas].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, n] of changed) await adjustCountRow(db, resource.type, resource.id, name, n);
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
  return row ? Number(row.n) : 0;
}
