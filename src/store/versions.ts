/**
 * Resource versions: a counter per project or organization, incremented by every write that
 * changes what the resource's member list shows (a member added or removed, roles changed, a
 * member's `lastSeenAt`). A node may keep a rendered page in memory only together with the version
 * it was rendered at, and checks the version on every request — one indexed read — so a change
 * made through any node is seen by every node on its very next request. No TTLs.
 */
import { type Kysely, sql } from 'kysely';
import { compiledOnce } from './prepared.js';
import type { Database, Executor } from './schema.js';

export interface ResourceKey {
  type: string;
  id: string;
}

export async function bumpVersion(db: Executor, resource: ResourceKey): Promise<void> {
  await db
    .insertInto('resource_versions')
    .values({ resource_type: resource.type, resource_id: resource.id, version: 1 })
    .onConflict((oc) =>
      oc.columns(['resource_type', 'resource_id']).doUpdateSet({ version: sql<number>`resource_versions.version + 1` }),
    )
    .execute();
}

const versionRow = compiledOnce((db, type: string, id: string) =>
  db.selectFrom('resource_versions').select('version').where('resource_type', '=', type).where('resource_id', '=', id),
);

/** The current version; 0 for a resource that never changed since versions were kept. */
export async function resourceVersion(db: Kysely<Database>, resource: ResourceKey): Promise<number> {
  const [row] = await versionRow(db, resource.type, resource.id);
  return row ? Number(row.version) : 0;
}
