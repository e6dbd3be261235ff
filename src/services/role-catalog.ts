/**
 * Roles and permissions as the services see them: built-in roles and predefined permissions
 * (model/) and a resource's custom ones (store/custom-roles.ts, store/custom-permissions.ts) behind
 * one lookup each, plus the cursor of the two lists that serve a fixed catalog first and stored rows
 * after it.
 */
import { Problem } from '../model/errors.js';
import { ID_REGEX } from '../model/ids.js';
import { PERMISSION_TYPES, predefinedPermission, type ResourceType } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import { builtInRole, grantsOf, type RoleDefinition, type RolePermission } from '../model/roles.js';
import { findCustomPermissions, lockCustomPermissions } from '../store/custom-permissions.js';
import { findCustomRoles, listCustomRoles, lockCustomRoles } from '../store/custom-roles.js';
import type { Executor, RoleRow } from '../store/schema.js';
import { roleNotFound } from './roles.js';

export interface ResolvedRole {
  definition: RoleDefinition;
  grants: ReadonlySet<string>;
}

export function customRoleDefinition(row: RoleRow): RoleDefinition {
  return {
    name: row.name,
    title: row.title,
    description: row.description,
    resourceType: row.resource_type as ResourceType,
    appliesToUsers: row.applies_to_users !== 0,
    appliesToRobots: row.applies_to_robots !== 0,
    isCustom: true,
    permissions: JSON.parse(row.permissions) as RolePermission[],
  };
}

/**
 * The named roles of a resource, in the order asked; an unknown name is a 404 that names it.
 * With `forUpdate` (inside a write transaction), custom roles are row-locked first (store/custom-roles.ts
 * explains why): a role being granted cannot be deleted, or narrowed to other principal kinds, by a
 * transaction running at the same time. Reads don't lock.
 */
export async function resolveRoles(
  db: Executor,
  resource: ResourceRef,
  names: readonly string[],
  { forUpdate = false } = {},
): Promise<ResolvedRole[]> {
  const customNames = names.filter((name) => !builtInRole(resource.type, name));
  if (forUpdate) await lockCustomRoles(db, resource, customNames);
  const custom = new Map((await findCustomRoles(db, resource, customNames)).map((row) => [row.name, row]));
  const missing = customNames.find((name) => !custom.has(name));
  if (missing !== undefined) throw await roleNotFound(db, resource, missing);
  return names.map((name) => {
    const builtIn = builtInRole(resource.type, name);
    if (builtIn) return { definition: builtIn, grants: grantsOf(builtIn) };
    const row = custom.get(name) as RoleRow;
    return { definition: customRoleDefinition(row), grants: new Set(JSON.parse(row.grants) as string[]) };
  });
}

/** How a role is named next to a member, a token or an invitation: Sanity's `roles[]` entries. */
export interface RoleSummary {
  name: string;
  title: string;
  description: string;
}

/** Looks up the summary of a role held on one resource of the type the lookup was made for. */
export type RoleSummaries = (resourceId: string, name: string) => RoleSummary;

/** The summary of a built-in role, from the model; undefined for any other name. */
export function builtInSummary(resourceType: ResourceType, name: string): RoleSummary | undefined {
  const builtIn = builtInRole(resourceType, name);
  return builtIn ? { name, title: builtIn.title, description: builtIn.description } : undefined;
}

/**
 * Role summaries for roles held on the given resources: a built-in role's title from the model, a
 * custom role's from its resource, in one query for all of them. A name that resolves to neither
 * (a role deleted meanwhile) shows its name as its title.
 */
export async function roleSummaries(
  db: Executor,
  resourceType: ResourceType,
  resourceIds: readonly string[],
): Promise<RoleSummaries> {
  const custom = new Map(
    (await listCustomRoles(db, resourceType, [...new Set(resourceIds)])).map((row) => [
      `${row.resource_id}\u0000${row.name}`,
      row,
    ]),
  );
  return (resourceId, name) => {
    const builtIn = builtInSummary(resourceType, name);
    if (builtIn) return builtIn;
    const row = custom.get(`${resourceId}\u0000${name}`);
    return { name, title: row?.title ?? name, description: row?.description ?? '' };
  };
}

/** A permission a role may name: its type, the actions it can be granted with, and where it comes from. */
export interface ResolvedPermission {
  name: string;
  type: string;
  actions: readonly string[];
  isCustom: boolean;
}

/**
 * The named permissions of a resource that exist: predefined ones of its type, then its custom
 * ones (row-locked, so none can be deleted or change type while a role is written with it).
 * Names that resolve to nothing are absent from the map.
 */
export async function resolvePermissions(
  db: Executor,
  resource: ResourceRef,
  names: readonly string[],
): Promise<Map<string, ResolvedPermission>> {
  const out = new Map<string, ResolvedPermission>();
  const customNames: string[] = [];
  for (const name of names) {
    const predefined = predefinedPermission(resource.type, name);
    if (predefined) out.set(name, { name, type: predefined.type, actions: actionsOfType(predefined.type), isCustom: false });
    else customNames.push(name);
  }
  await lockCustomPermissions(db, resource, customNames);
  for (const row of await findCustomPermissions(db, resource, customNames)) {
    out.set(row.name, { name: row.name, type: row.type, actions: actionsOfType(row.type), isCustom: true });
  }
  return out;
}

/** Every action a permission of this type can be granted with (none for a type we do not know). */
export function actionsOfType(type: string): readonly string[] {
  return PERMISSION_TYPES.get(type)?.actions ?? [];
}

// --- The cursor of catalog lists (roles, permissions) ----------------------------------------

/**
 * Where a page of a catalog list ends: a position among the fixed entries served first (`b`), a
 * custom entry of the resource by name (`c`), or a custom role of one of an organization's
 * projects (`x`). Opaque to callers (base64url), and checked strictly when it comes back.
 */
export type CatalogPosition =
  | { stage: 'b'; index: number }
  | { stage: 'c'; name: string }
  | { stage: 'x'; resourceId: string; name: string };

const NAME = /^[a-z0-9_-]{1,64}$/;

export function encodeCatalogCursor(list: 'roles' | 'permissions', position: CatalogPosition): string {
  const key =
    position.stage === 'b'
      ? `b:${position.index}`
      : position.stage === 'c'
        ? `c:${position.name}`
        : `x:${position.resourceId}:${position.name}`;
  return Buffer.from(`${list}:${key}`, 'utf8').toString('base64url');
}

/** The position to continue after, null for the first page; anything this server did not issue is a 400. */
export function decodeCatalogCursor(list: 'roles' | 'permissions', cursor: string | undefined): CatalogPosition | null {
  if (cursor === undefined) return null;
  const position = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? parsePosition(list, cursor) : null;
  if (position === null) {
    throw new Problem(400, 'nextCursor is not a cursor this server issued for this list', {
      code: 'invalid_input',
      field: 'nextCursor',
      hint: 'Pass the `nextCursor` of the previous page of the same list unchanged, or leave it out for the first page.',
    });
  }
  return position;
}

function parsePosition(list: string, cursor: string): CatalogPosition | null {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (parts[0] !== list) return null;
  const [, stage, a, b] = parts;
  if (stage === 'b' && parts.length === 3 && a !== undefined && /^\d{1,4}$/.test(a)) return { stage, index: Number(a) };
  if (stage === 'c' && parts.length === 3 && a !== undefined && NAME.test(a)) return { stage, name: a };
  if (stage === 'x' && parts.length === 4 && a !== undefined && b !== undefined && ID_REGEX.test(a) && NAME.test(b)) {
    return { stage, resourceId: a, name: b };
  }
  return null;
}
