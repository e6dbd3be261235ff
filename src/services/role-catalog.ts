/**
 * Roles as the services see them: built-in roles (model/roles.ts) and a resource's custom roles
 * (store/roles.ts) behind one lookup, each with the `<type>.<action>` grants it carries.
 */
import type { ResourceType } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import { builtInRole, grantsOf, type RoleDefinition, type RolePermission } from '../model/roles.js';
import { findCustomRoles } from '../store/roles.js';
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

/** The named roles of a resource, in the order asked; an unknown name is a 404 that names it. */
export async function resolveRoles(db: Executor, resource: ResourceRef, names: readonly string[]): Promise<ResolvedRole[]> {
  const customNames = names.filter((name) => !builtInRole(resource.type, name));
  const custom = new Map((await findCustomRoles(db, resource, customNames)).map((row) => [row.name, row]));
  return names.map((name) => {
    const builtIn = builtInRole(resource.type, name);
    if (builtIn) return { definition: builtIn, grants: grantsOf(builtIn) };
    const row = custom.get(name);
    if (!row) throw roleNotFound(resource.type, name);
    return { definition: customRoleDefinition(row), grants: new Set(JSON.parse(row.grants) as string[]) };
  });
}
