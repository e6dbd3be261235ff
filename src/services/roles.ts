/**
 * Roles of a resource: the built-in roles (model/roles.ts, read-only) and the resource's custom
 * roles (store/custom-roles.ts), which bundle predefined and custom permissions.
 *
 * A custom role's `grants` column — the `<type>.<action>` strings the access check of every request
 * reads — is computed here on every write and must always equal the grants of its permissions.
 * Permissions cannot be deleted or change type while a role uses them (services/permissions.ts),
 * so only this file ever has to recompute it.
 *
 * No role write bumps the resource version (store/versions.ts): cached member pages show role
 * *names* only, a role's name never changes, and a role cannot be deleted while anyone holds it.
 * What a role grants is read fresh on every request, so a change bites on the next one anyway.
 */
import { Problem, problems } from '../model/errors.js';
import { byCodePoint } from '../model/order.js';
import { DEFAULT_LIMIT, type Page } from '../model/pagination.js';
import { predefinedPermission } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import { builtInRole, builtInRoles, type RolePermission } from '../model/roles.js';
import { closest } from '../model/suggest.js';
import { listCustomPermissions } from '../store/custom-permissions.js';
import {
  allCustomRoles,
  countChildProjectRoles,
  countCustomRoles,
  deleteCustomRole,
  findCustomRole,
  insertCustomRole,
  lockCustomRoles,
  pageChildProjectRoles,
  pageCustomRoles,
  updateCustomRole,
} from '../store/custom-roles.js';
import { isUniqueViolation } from '../store/db.js';
import { countHoldersOfRole, holdersOfRole, lockMemberships } from '../store/memberships.js';
import type { Executor, RoleRow } from '../store/schema.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { ensureAccessManagerRemains, type Granter } from './invariants.js';
import {
  type CatalogPosition,
  customRoleDefinition,
  decodeCatalogCursor,
  encodeCatalogCursor,
  resolvePermissions,
} from './role-catalog.js';
import { nonEmpty } from './validation.js';
import { legacyRoleView, type PermissionSummary, roleView } from './views.js';

export interface RoleInput {
  /** Required on create; on update optional, and when present it must be the name in the path. */
  name?: string | undefined;
  title: string;
  description?: string | undefined;
  appliesToUsers: boolean;
  appliesToRobots: boolean;
  permissions: ReadonlyArray<{ name: string; action: string; params?: Record<string, unknown> | undefined }>;
}

export interface RoleListOptions {
  cursor?: string | undefined;
  limit?: number | undefined;
  /** On an organization: also the custom roles of its projects. Ignored on a project. */
  includeChildren?: boolean | undefined;
}

type RoleView = ReturnType<typeof roleView>;

/** How many holders a `role_in_use` error names; `holderCount` says how many there are in all. */
const HOLDERS_SHOWN = 20;

export class RoleService {
  constructor(readonly deps: Deps) {}

  /**
   * Built-in roles first (their fixed order), then the resource's custom roles by name, then (an
   * organization with `includeChildren`) the custom roles of its projects by project and name. One
   * cursor walks all three; each stage after the first is a keyset query.
   */
  async list(resource: ResourceRef, options: RoleListOptions = {}): Promise<Page<RoleView>> {
    const limit = options.limit ?? DEFAULT_LIMIT;
    const children = options.includeChildren === true && resource.type === 'organization';
    const after = decodeCatalogCursor('roles', options.cursor);
    const builtIns = builtInRoles(resource.type);
    if ((after?.stage === 'b' && after.index >= builtIns.length) || (after?.stage === 'x' && !children)) {
      throw invalidCursor();
    }
    const db = this.deps.db;
    const want = limit + 1;
    const items: Array<{ view: RoleView; position: CatalogPosition }> = [];

    if (after === null || after.stage === 'b') {
      const start = after === null ? 0 : after.index + 1;
      builtIns.slice(start, start + want).forEach((role, i) => {
        items.push({ view: roleView(role, resource), position: { stage: 'b', index: start + i } });
      });
    }
    if (items.length < want && after?.stage !== 'x') {
      const rows = await pageCustomRoles(db, resource, after?.stage === 'c' ? after.name : null, want - items.length);
      for (const row of rows) {
        items.push({ view: roleView(customRoleDefinition(row), resource), position: { stage: 'c', name: row.name } });
      }
    }
    if (children && items.length < want) {
      const from = after?.stage === 'x' ? { resourceId: after.resourceId, name: after.name } : null;
      for (const row of await pageChildProjectRoles(db, resource.id, from, want - items.length)) {
        items.push({
          view: roleView(customRoleDefinition(row), { type: 'project', id: row.resource_id }),
          position: { stage: 'x', resourceId: row.resource_id, name: row.name },
        });
      }
    }
    const [own, childCount] = await Promise.all([
      countCustomRoles(db, resource),
      children ? countChildProjectRoles(db, resource.id) : 0,
    ]);
    const more = items.length > limit;
    const data = items.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data: data.map((item) => item.view),
      nextCursor: more && last ? encodeCatalogCursor('roles', last.position) : null,
      totalCount: builtIns.length + own + childCount,
    };
  }

  async get(resource: ResourceRef, name: string): Promise<RoleView> {
    const builtIn = builtInRole(resource.type, name);
    if (builtIn) return roleView(builtIn, resource);
    const row = await findCustomRole(this.deps.db, resource, name);
    if (!row) throw await roleNotFound(this.deps.db, resource, name);
    return roleView(customRoleDefinition(row), resource);
  }

  /**
   * Every role of a project in the legacy Projects API shape (`GET /projects/{id}/roles`), built-in
   * roles first, then custom roles by name: what Sanity's CLI reads before `users invite --role`
   * and `tokens add --role`. Roles always fit in one answer (a plain array, no cursor).
   */
  async legacyList(projectId: string) {
    const resource: ResourceRef = { type: 'project', id: projectId };
    const [rows, permission] = await Promise.all([allCustomRoles(this.deps.db, resource), this.permissionSummaries(resource)]);
    return [...builtInRoles('project'), ...rows.map(customRoleDefinition)].map((role) =>
      legacyRoleView(role, projectId, permission),
    );
  }

  /** One role of a project in the legacy shape (`GET /projects/{id}/roles/{name}`). */
  async legacyGet(projectId: string, name: string) {
    const resource: ResourceRef = { type: 'project', id: projectId };
    let role = builtInRole('project', name);
    if (!role) {
      const row = await findCustomRole(this.deps.db, resource, name);
      if (!row) throw await roleNotFound(this.deps.db, resource, name);
      role = customRoleDefinition(row);
    }
    return legacyRoleView(role, projectId, await this.permissionSummaries(resource));
  }

  /** Title, type and origin of the permissions roles of a resource may name, predefined or custom. */
  private async permissionSummaries(resource: ResourceRef): Promise<(name: string) => PermissionSummary | undefined> {
    const custom = new Map((await listCustomPermissions(this.deps.db, resource)).map((row) => [row.name, row]));
    return (name) => {
      const predefined = predefinedPermission(resource.type, name);
      if (predefined)
        return { type: predefined.type, title: predefined.title, description: predefined.description, isCustom: false };
      const row = custom.get(name);
      return row ? { type: row.type, title: row.title, description: row.description, isCustom: true } : undefined;
    };
  }

  async create(actor: Actor, resource: ResourceRef, granter: Granter, input: RoleInput): Promise<RoleView> {
    const name = input.name ?? '';
    if (builtInRole(resource.type, name)) throw roleExists(resource, name, true);
    const at = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      if (await findCustomRole(trx, resource, name)) throw roleExists(resource, name, false);
      const compiled = await compileRole(trx, resource, input);
      ensureNoEscalation(granter, name, compiled.grants, 'create');
      const row: RoleRow = {
        resource_type: resource.type,
        resource_id: resource.id,
        name,
        ...compiled.columns,
        created_at: iso(at),
        updated_at: iso(at),
      };
      try {
        await insertCustomRole(trx, row);
      } catch (error) {
        // Created by someone else between our check and our insert.
        if (isUniqueViolation(error)) throw roleExists(resource, name, false);
        throw error;
      }
      const view = roleView(customRoleDefinition(row), resource);
      await audit(trx, actor, at, { action: 'role.create', resource, target: roleTarget(name), after: view });
      return view;
    });
  }

  /** Full replacement (PUT): everything but the name is taken from the body. */
  async update(actor: Actor, resource: ResourceRef, granter: Granter, name: string, input: RoleInput): Promise<RoleView> {
    if (input.name !== undefined && input.name !== name) throw nameMismatch('role', input.name, name);
    if (builtInRole(resource.type, name)) throw readOnlyRole(resource, name);
    const at = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      // The resource's members first (the order member changes take them in, so no deadlock), then
      // the role: a grant of this role, or a member change checking the last-access-manager rule,
      // racing with the update sees it before or after, never between.
      await lockMemberships(trx, resource);
      await lockCustomRoles(trx, resource, [name]);
      const current = await findCustomRole(trx, resource, name);
      if (!current) throw await roleNotFound(trx, resource, name);
      const compiled = await compileRole(trx, resource, input);
      ensureNoEscalation(granter, name, compiled.grants, 'update');
      const row: RoleRow = { ...current, ...compiled.columns, updated_at: iso(at) };
      await updateCustomRole(trx, row);

      // Its holders must still qualify for it...
      const next = customRoleDefinition(row);
      const holders = await countHoldersOfRole(trx, resource, name);
      for (const kind of ['user', 'robot'] as const) {
        const applies = kind === 'user' ? next.appliesToUsers : next.appliesToRobots;
        if (!applies && holders[kind] > 0) {
          const shown = await holdersOfRole(trx, resource, name, HOLDERS_SHOWN, kind);
          throw roleInUse(resource, name, shown, holders[kind], `stop applying to ${kind}s`);
        }
      }
      // ...and if it now grants less, someone must still be able to manage the resource's access.
      const before = new Set(JSON.parse(current.grants) as string[]);
      const removed = [...before].filter((g) => !compiled.grants.has(g));
      if (removed.length > 0) await ensureAccessManagerRemains(trx, resource, '');

      const view = roleView(next, resource);
      await audit(trx, actor, at, {
        action: 'role.update',
        resource,
        target: roleTarget(name),
        before: roleView(customRoleDefinition(current), resource),
        after: view,
      });
      return view;
    });
  }

  async remove(actor: Actor, resource: ResourceRef, name: string): Promise<void> {
    if (builtInRole(resource.type, name)) throw readOnlyRole(resource, name);
    const at = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      await lockCustomRoles(trx, resource, [name]);
      const current = await findCustomRole(trx, resource, name);
      if (!current) throw await roleNotFound(trx, resource, name);
      // Delete first, then look for holders: a grant that committed while we waited for the lock is seen.
      await deleteCustomRole(trx, resource, name);
      const holders = await countHoldersOfRole(trx, resource, name);
      const count = holders.user + holders.robot;
      if (count > 0) {
        throw roleInUse(resource, name, await holdersOfRole(trx, resource, name, HOLDERS_SHOWN), count, 'be deleted');
      }
      await audit(trx, actor, at, {
        action: 'role.delete',
        resource,
        target: roleTarget(name),
        before: roleView(customRoleDefinition(current), resource),
      });
    });
  }
}

// --- Rules ---------------------------------------------------------------------------------------

/**
 * Checks a role body against the resource's permissions and computes the row's columns: the
 * permissions as written (duplicates collapsed, params in key order) and the grants they carry.
 */
async function compileRole(db: Executor, resource: ResourceRef, input: RoleInput) {
  if (!input.appliesToUsers && !input.appliesToRobots) {
    throw new Problem(400, 'A role must apply to users, robots or both', {
      code: 'role_applies_to_nobody',
      hint: 'Set appliesToUsers or appliesToRobots (or both) to true.',
    });
  }
  if (input.permissions.length === 0) throw problems.invalidInput('permissions must name at least one permission', 'permissions');
  const permissions: RolePermission[] = [];
  const seen = new Set<string>();
  for (const p of input.permissions) {
    const entry: RolePermission = { name: p.name, action: p.action, ...(p.params ? { params: sortedKeys(p.params) } : {}) };
    if (entry.params && Object.keys(entry.params).length === 0) delete entry.params;
    const key = JSON.stringify(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    permissions.push(entry);
  }

  const known = await resolvePermissions(db, resource, [...new Set(permissions.map((p) => p.name))]);
  const unknown = [...new Set(permissions.map((p) => p.name).filter((n) => !known.has(n)))];
  if (unknown.length > 0) {
    throw new Problem(
      400,
      `Unknown permission${unknown.length > 1 ? 's' : ''} on ${resource.type} ${resource.id}: ${unknown.join(', ')}`,
      {
        code: 'unknown_permission',
        permissions: unknown,
        hint: `Use a predefined permission of a ${resource.type} or a custom permission of this ${resource.type}; list them with GET /access/${resource.type}/${resource.id}/permissions.`,
      },
    );
  }
  const grants = new Set<string>();
  for (const p of permissions) {
    const permission = known.get(p.name);
    if (!permission) continue; // not reached: unknown names were refused above
    if (!permission.actions.includes(p.action)) {
      throw new Problem(
        400,
        `Permission ${p.name} has no action "${p.action.slice(0, 64)}"; its actions are ${permission.actions.join(', ')}`,
        {
          code: 'invalid_action',
          permission: p.name,
          permissionType: permission.type,
          action: p.action,
          allowedActions: [...permission.actions],
          hint: `Use one of the actions of ${permission.type}: ${permission.actions.join(', ')}.`,
        },
      );
    }
    grants.add(`${permission.type}.${p.action}`);
  }
  return {
    grants,
    columns: {
      title: nonEmpty(input.title, 'title', 100),
      description: (input.description ?? '').trim(),
      applies_to_users: input.appliesToUsers ? 1 : 0,
      applies_to_robots: input.appliesToRobots ? 1 : 0,
      permissions: JSON.stringify(permissions),
      grants: JSON.stringify([...grants].sort()),
    },
  };
}

/** No escalation: a role may only carry grants its author already holds on the resource. */
function ensureNoEscalation(granter: Granter, role: string, grants: ReadonlySet<string>, verb: 'create' | 'update'): void {
  const missing = [...grants].filter((g) => !granter.grants.has(g)).sort();
  if (missing.length === 0) return;
  throw new Problem(403, `You cannot ${verb} role ${role}: it would contain permissions you do not hold`, {
    code: 'privilege_escalation',
    role,
    missingPermissions: missing,
    hint: 'A role may only carry permissions you hold yourself: remove these, or ask an administrator to write the role.',
  });
}

function sortedKeys(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).sort(([a], [b]) => byCodePoint(a, b)));
}

function roleTarget(name: string) {
  return { type: 'role', id: name };
}

// --- Problems ------------------------------------------------------------------------------------

/**
 * 404 `role_not_found` for a role the resource does not have, naming the closest role it does have
 * (`didYouMean`) when the name looks like a typo of one.
 */
export async function roleNotFound(db: Executor, resource: ResourceRef, name: string): Promise<Problem> {
  const known = [...builtInRoles(resource.type).map((r) => r.name), ...(await allCustomRoles(db, resource)).map((r) => r.name)];
  const didYouMean = closest(name, known);
  return new Problem(404, `Role not found: ${name}`, {
    code: 'role_not_found',
    role: name,
    resourceType: resource.type,
    resourceId: resource.id,
    ...(didYouMean ? { didYouMean } : {}),
    hint: `${didYouMean ? `Did you mean ${didYouMean}? ` : ''}List the roles of ${resource.type} ${resource.id} with GET /access/${resource.type}/${resource.id}/roles.`,
  });
}

function roleExists(resource: ResourceRef, name: string, builtIn: boolean): Problem {
  return problems.conflict(
    builtIn
      ? `Role ${name} is a built-in role of every ${resource.type}`
      : `Role ${name} already exists on ${resource.type} ${resource.id}`,
    {
      code: 'role_exists',
      role: name,
      builtIn,
      hint: builtIn
        ? 'Pick another name: built-in role names are reserved.'
        : `Pick another name, or change the existing role with PUT /access/${resource.type}/${resource.id}/roles/${name}.`,
    },
  );
}

function readOnlyRole(resource: ResourceRef, name: string): Problem {
  return problems.conflict(`Role ${name} is a built-in role and cannot be changed or deleted`, {
    code: 'read_only',
    role: name,
    hint: `Create a custom role with the permissions you want instead: POST /access/${resource.type}/${resource.id}/roles.`,
  });
}

function roleInUse(
  resource: ResourceRef,
  name: string,
  holders: ReadonlyArray<{ principal_kind: string; principal_id: string }>,
  holderCount: number,
  change: string,
): Problem {
  const base = `/access/${resource.type}/${resource.id}`;
  return problems.conflict(
    `Role ${name} is held by ${holderCount} member${holderCount === 1 ? '' : 's'} of ${resource.type} ${resource.id} and cannot ${change}`,
    {
      code: 'role_in_use',
      role: name,
      holders: holders.map((h) => ({ kind: h.principal_kind, id: h.principal_id })),
      holderCount,
      hint: `First give its holders other roles (users: PUT ${base}/users/{userId}/roles) or delete the robots that hold it (DELETE ${base}/robots/{robotId}).`,
    },
  );
}

export function nameMismatch(what: 'role' | 'permission', bodyName: string, pathName: string): Problem {
  return new Problem(400, `The body names ${what} ${bodyName.slice(0, 64)} but the path names ${pathName}`, {
    code: 'name_mismatch',
    field: 'name',
    hint: `A ${what} cannot be renamed: leave name out of the body, or make it equal to the name in the path.`,
  });
}

function invalidCursor(): Problem {
  return new Problem(400, 'nextCursor is not a cursor this server issued for this list', {
    code: 'invalid_input',
    field: 'nextCursor',
    hint: 'Pass the `nextCursor` of the previous page of the same list (with the same includeChildren) unchanged.',
  });
}
