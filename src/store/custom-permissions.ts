/**
 * Custom permissions of a resource (the `permissions` table). Predefined ones live in model/, not
 * here. Writers lock what they depend on as described at the top of store/custom-roles.ts.
 */
import type { ResourceRef } from '../model/policy.js';
import type { Executor, PermissionRow } from './schema.js';

export async function findCustomPermission(
  db: Executor,
  resource: ResourceRef,
  name: string,
): Promise<PermissionRow | undefined> {
  return db
    .selectFrom('permissions')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function findCustomPermissions(
  db: Executor,
  resource: ResourceRef,
  names: readonly string[],
): Promise<PermissionRow[]> {
  if (names.length === 0) return [];
  return db
    .selectFrom('permissions')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', 'in', names)
    .execute();
}

/** Takes the row locks of the named custom permissions until the transaction ends (see the top of store/custom-roles.ts). */
export async function lockCustomPermissions(db: Executor, resource: ResourceRef, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await db
    .updateTable('permissions')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', 'in', names)
    .execute();
}

/** Custom permissions of a resource, in name order. */
export async function listCustomPermissions(db: Executor, resource: ResourceRef): Promise<PermissionRow[]> {
  return db
    .selectFrom('permissions')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .orderBy('name')
    .execute();
}

/** Up to `limit` custom permissions of a resource after `after`, in name order. */
export async function pageCustomPermissions(
  db: Executor,
  resource: ResourceRef,
  after: string | null,
  limit: number,
): Promise<PermissionRow[]> {
  let query = db
    .selectFrom('permissions')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id);
  if (after !== null) query = query.where('name', '>', after);
  return query.orderBy('name').limit(limit).execute();
}

export async function countCustomPermissions(db: Executor, resource: ResourceRef): Promise<number> {
  const row = await db
    .selectFrom('permissions')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertCustomPermission(db: Executor, row: PermissionRow): Promise<void> {
  await db.insertInto('permissions').values(row).execute();
}

export async function updateCustomPermission(db: Executor, row: PermissionRow): Promise<void> {
  await db
    .updateTable('permissions')
    .set({ type: row.type, title: row.title, description: row.description, config: row.config, updated_at: row.updated_at })
    .where('resource_type', '=', row.resource_type)
    .where('resource_id', '=', row.resource_id)
    .where('name', '=', row.name)
    .execute();
}

export async function deleteCustomPermission(db: Executor, resource: ResourceRef, name: string): Promise<void> {
  await db
    .deleteFrom('permissions')
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', '=', name)
    .execute();
}
