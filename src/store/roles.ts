/** Custom roles and custom permissions of a resource. Built-in ones live in model/, not here. */
import type { Executor, PermissionRow, RoleRow } from './schema.js';
import type { ResourceKey } from './versions.js';

export async function findCustomRole(db: Executor, resource: ResourceKey, name: string): Promise<RoleRow | undefined> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function findCustomRoles(db: Executor, resource: ResourceKey, names: readonly string[]): Promise<RoleRow[]> {
  if (names.length === 0) return [];
  return db
    .selectFrom('roles')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', 'in', names)
    .execute();
}

/** Custom roles of resources of one type, in name order. */
export async function listCustomRoles(db: Executor, type: string, resourceIds: readonly string[]): Promise<RoleRow[]> {
  if (resourceIds.length === 0) return [];
  return db
    .selectFrom('roles')
    .selectAll()
    .where('resource_type', '=', type)
    .where('resource_id', 'in', resourceIds)
    .orderBy('resource_id')
    .orderBy('name')
    .execute();
}

export async function insertCustomRole(db: Executor, row: RoleRow): Promise<void> {
  await db.insertInto('roles').values(row).execute();
}

export async function updateCustomRole(db: Executor, row: RoleRow): Promise<void> {
  await db
    .updateTable('roles')
    .set({
      title: row.title,
      description: row.description,
      applies_to_users: row.applies_to_users,
      applies_to_robots: row.applies_to_robots,
      permissions: row.permissions,
      grants: row.grants,
      updated_at: row.updated_at,
    })
    .where('resource_type', '=', row.resource_type)
    .where('resource_id', '=', row.resource_id)
    .where('name', '=', row.name)
    .execute();
}

export async function deleteCustomRole(db: Executor, resource: ResourceKey, name: string): Promise<void> {
  await db
    .deleteFrom('roles')
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', '=', name)
    .execute();
}

/** Who holds a role on a resource (principal kind and id), for "a role in use cannot be deleted". */
export async function holdersOfRole(
  db: Executor,
  resource: ResourceKey,
  name: string,
  limit = 20,
): Promise<Array<{ principal_kind: string; principal_id: string }>> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('membership_roles as r', 'r.membership_id', 'm.id')
    .select(['m.principal_kind', 'm.principal_id'])
    .where('m.resource_type', '=', resource.type)
    .where('m.resource_id', '=', resource.id)
    .where('r.role_name', '=', name)
    .orderBy('m.id')
    .limit(limit)
    .execute();
}

export async function findCustomPermission(
  db: Executor,
  resource: ResourceKey,
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

/** Custom permissions of a resource, in name order. */
export async function listCustomPermissions(db: Executor, resource: ResourceKey): Promise<PermissionRow[]> {
  return db
    .selectFrom('permissions')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .orderBy('name')
    .execute();
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

export async function deleteCustomPermission(db: Executor, resource: ResourceKey, name: string): Promise<void> {
  await db
    .deleteFrom('permissions')
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', '=', name)
    .execute();
}
