/**
 * Custom roles of a resource (the `roles` table). Built-in roles live in model/, not here; custom
 * permissions, which roles name, in store/custom-permissions.ts.
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
import type { Executor, RoleRow } from './schema.js';

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

/** Takes the row locks of the named custom roles until the transaction ends (see the top of store/custom-roles.ts). */
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
