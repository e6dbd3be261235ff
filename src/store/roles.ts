/**
 * Custom roles and custom permissions of a resource. Built-in ones live in model/, not here.
 *
 * Locking: a role's `grants` column is computed from the permissions it names, and a membership
 * may only hold a role that exists. Two writers on PostgreSQL (read committed) could otherwise
 * each pass their check without seeing the other's uncommitted row (a role created with a
 * permission being deleted; a robot granted a role being deleted). So every writer first takes the
 * row lock of what it depends on (`lock…`: a no-op UPDATE, portable where `FOR UPDATE` is not) and
 * every remover writes first and checks for users afterwards, in a statement that sees what the
 * writer it waited for committed. SQLite runs one write transaction at a time, so there the locks
 * cost nothing and change nothing.
 */
import type { ResourceRef } from '../model/policy.js';
import { changes, noteChange } from './changes.js';
import type { Executor, PermissionRow, RoleRow } from './schema.js';

export async function findCustomRole(db: Executor, resource: ResourceRef, name: string): Promise<RoleRow | undefined> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function findCustomRoles(db: Executor, resource: ResourceRef, names: readonly string[]): Promise<RoleRow[]> {
  if (names.length === 0) return [];
  return db
    .selectFrom('roles')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', 'in', names)
    .execute();
}

/** Takes the row locks of the named custom roles until the transaction ends (see the top of this file). */
export async function lockCustomRoles(db: Executor, resource: ResourceRef, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await db
    .updateTable('roles')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
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

/** Every custom role of a resource, in name order (a resource has few; for "who uses this permission"). */
export async function allCustomRoles(db: Executor, resource: ResourceRef): Promise<RoleRow[]> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .orderBy('name')
    .execute();
}

/** Up to `limit` custom roles of a resource after `after`, in name order. */
export async function pageCustomRoles(
  db: Executor,
  resource: ResourceRef,
  after: string | null,
  limit: number,
): Promise<RoleRow[]> {
  let query = db
    .selectFrom('roles')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id);
  if (after !== null) query = query.where('name', '>', after);
  return query.orderBy('name').limit(limit).execute();
}

export async function countCustomRoles(db: Executor, resource: ResourceRef): Promise<number> {
  const row = await db
    .selectFrom('roles')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Up to `limit` custom roles of an organization's projects after `after`, in (project id, name)
 * order: the children of `GET /access/organization/{id}/roles?includeChildren=true`.
 */
export async function pageChildProjectRoles(
  db: Executor,
  organizationId: string,
  after: { resourceId: string; name: string } | null,
  limit: number,
): Promise<RoleRow[]> {
  let query = db
    .selectFrom('roles')
    .innerJoin('projects', 'projects.id', 'roles.resource_id')
    .selectAll('roles')
    .where('roles.resource_type', '=', 'project')
    .where('projects.organization_id', '=', organizationId);
  if (after !== null) {
    const { resourceId, name } = after;
    query = query.where((eb) =>
      eb.or([
        eb('roles.resource_id', '>', resourceId),
        eb.and([eb('roles.resource_id', '=', resourceId), eb('roles.name', '>', name)]),
      ]),
    );
  }
  return query.orderBy('roles.resource_id').orderBy('roles.name').limit(limit).execute();
}

export async function countChildProjectRoles(db: Executor, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('roles')
    .innerJoin('projects', 'projects.id', 'roles.resource_id')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('roles.resource_type', '=', 'project')
    .where('projects.organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertCustomRole(db: Executor, row: RoleRow): Promise<void> {
  await db.insertInto('roles').values(row).execute();
  await noteChange(db, changes.resource(row.resource_type, row.resource_id));
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
  await noteChange(db, changes.resource(row.resource_type, row.resource_id));
}

export async function deleteCustomRole(db: Executor, resource: ResourceRef, name: string): Promise<void> {
  await db
    .deleteFrom('roles')
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('name', '=', name)
    .execute();
  await noteChange(db, changes.resource(resource.type, resource.id));
}

/** Who holds a role on a resource (principal kind and id; optionally of one kind), for "role in use" errors. */
export async function holdersOfRole(
  db: Executor,
  resource: ResourceRef,
  name: string,
  limit = 20,
  kind?: 'user' | 'robot',
): Promise<Array<{ principal_kind: string; principal_id: string }>> {
  let query = db
    .selectFrom('memberships as m')
    .innerJoin('membership_roles as r', 'r.membership_id', 'm.id')
    .select(['m.principal_kind', 'm.principal_id'])
    .where('m.resource_type', '=', resource.type)
    .where('m.resource_id', '=', resource.id)
    .where('r.role_name', '=', name);
  if (kind !== undefined) query = query.where('m.principal_kind', '=', kind);
  return query.orderBy('m.id').limit(limit).execute();
}

/** How many members of each principal kind hold a role on a resource. */
export async function countHoldersOfRole(
  db: Executor,
  resource: ResourceRef,
  name: string,
): Promise<{ user: number; robot: number }> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('membership_roles as r', 'r.membership_id', 'm.id')
    .select((eb) => ['m.principal_kind', eb.fn.countAll<string | number>().as('n')])
    .where('m.resource_type', '=', resource.type)
    .where('m.resource_id', '=', resource.id)
    .where('r.role_name', '=', name)
    .groupBy('m.principal_kind')
    .execute();
  const out = { user: 0, robot: 0 };
  for (const row of rows)
    if (row.principal_kind === 'user' || row.principal_kind === 'robot') out[row.principal_kind] = Number(row.n);
  return out;
}

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

/** Takes the row locks of the named custom permissions until the transaction ends (see the top of this file). */
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
