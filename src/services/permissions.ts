/**
 * Permissions of a resource: the predefined catalog (model/permissions.ts, read-only) plus the
 * resource's custom permissions, which custom roles of the same resource may name.
 *
 * A custom permission's `config` (a GROQ `filter`, a `dataset`) is stored and checked for shape
 * and length only; Gatehouse never evaluates it. What a role grants depends on a permission's
 * *type* alone, so a permission in use may change its title, description and config, but not its
 * type, and cannot be deleted: either would silently change the grants of the roles using it.
 */
import { Problem, problems } from '../model/errors.js';
import { DEFAULT_LIMIT, type Page } from '../model/pagination.js';
import {
  PERMISSION_TYPES,
  PERMISSIONS_BY_NAME,
  type PermissionDefinition,
  PREDEFINED_PERMISSIONS,
  predefinedPermission,
} from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import type { RolePermission } from '../model/roles.js';
import {
  countCustomPermissions,
  deleteCustomPermission,
  findCustomPermission,
  insertCustomPermission,
  lockCustomPermissions,
  pageCustomPermissions,
  updateCustomPermission,
} from '../store/custom-permissions.js';
import { allCustomRoles } from '../store/custom-roles.js';
import { isUniqueViolation } from '../store/db.js';
import type { Executor, PermissionRow } from '../store/schema.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { type CatalogPosition, decodeCatalogCursor, encodeCatalogCursor } from './role-catalog.js';
import { nameMismatch } from './roles.js';
import { nonEmpty } from './validation.js';
import { permissionView } from './views.js';

export interface PermissionInput {
  /** Required on create; on update optional, and when present it must be the name in the path. */
  name?: string | undefined;
  type: string;
  title: string;
  description?: string | undefined;
  config?: { filter?: string | undefined; dataset?: string | undefined } | undefined;
}

type PermissionView = ReturnType<typeof permissionView>;

/** The type whose permissions select documents with a GROQ filter, which they must therefore have. */
const FILTER_TYPE = 'sanity.document.filter';

/** How many roles a `permission_in_use` error names. */
const ROLES_SHOWN = 20;

export class PermissionService {
  constructor(readonly deps: Deps) {}

  /** Predefined permissions of the resource type first (catalog order), then custom ones by name. */
  async list(resource: ResourceRef, cursor: string | undefined, limit: number = DEFAULT_LIMIT): Promise<Page<PermissionView>> {
    const after = decodeCatalogCursor('permissions', cursor);
    const predefined = predefinedOf(resource);
    if (after?.stage === 'x' || (after?.stage === 'b' && after.index >= predefined.length)) {
      throw problems.invalidInput('nextCursor is not a cursor this server issued for this list', 'nextCursor');
    }
    const want = limit + 1;
    const items: Array<{ view: PermissionView; position: CatalogPosition }> = [];
    if (after === null || after.stage === 'b') {
      const start = after === null ? 0 : after.index + 1;
      predefined.slice(start, start + want).forEach((p, i) => {
        items.push({ view: predefinedView(p, resource), position: { stage: 'b', index: start + i } });
      });
    }
    if (items.length < want) {
      const from = after?.stage === 'c' ? after.name : null;
      for (const row of await pageCustomPermissions(this.deps.db, resource, from, want - items.length)) {
        items.push({ view: customView(row, resource), position: { stage: 'c', name: row.name } });
      }
    }
    const custom = await countCustomPermissions(this.deps.db, resource);
    const more = items.length > limit;
    const data = items.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data: data.map((item) => item.view),
      nextCursor: more && last ? encodeCatalogCursor('permissions', last.position) : null,
      totalCount: predefined.length + custom,
    };
  }

  async get(resource: ResourceRef, name: string): Promise<PermissionView> {
    const predefined = predefinedPermission(resource.type, name);
    if (predefined) return predefinedView(predefined, resource);
    const row = await findCustomPermission(this.deps.db, resource, name);
    if (!row) throw permissionNotFound(resource, name);
    return customView(row, resource);
  }

  async create(actor: Actor, resource: ResourceRef, input: PermissionInput): Promise<PermissionView> {
    const name = input.name ?? '';
    if (PERMISSIONS_BY_NAME.has(name)) throw permissionExists(resource, name, true);
    const columns = permissionColumns(resource, input);
    const at = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      if (await findCustomPermission(trx, resource, name)) throw permissionExists(resource, name, false);
      const row: PermissionRow = {
        resource_type: resource.type,
        resource_id: resource.id,
        name,
        ...columns,
        created_at: iso(at),
        updated_at: iso(at),
      };
      try {
        await insertCustomPermission(trx, row);
      } catch (error) {
        if (isUniqueViolation(error)) throw permissionExists(resource, name, false);
        throw error;
      }
      const view = customView(row, resource);
      await audit(trx, actor, at, { action: 'permission.create', resource, target: permissionTarget(name), after: view });
      return view;
    });
  }

  /** Full replacement (PUT). The type may only change while no custom role uses the permission. */
  async update(actor: Actor, resource: ResourceRef, name: string, input: PermissionInput): Promise<PermissionView> {
    if (input.name !== undefined && input.name !== name) throw nameMismatch('permission', input.name, name);
    if (predefinedPermission(resource.type, name)) throw readOnlyPermission(resource, name);
    const columns = permissionColumns(resource, input);
    const at = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      await lockCustomPermissions(trx, resource, [name]);
      const current = await findCustomPermission(trx, resource, name);
      if (!current) throw permissionNotFound(resource, name);
      const row: PermissionRow = { ...current, ...columns, updated_at: iso(at) };
      await updateCustomPermission(trx, row);
      if (row.type !== current.type) {
        const users = await rolesUsing(trx, resource, name);
        if (users.length > 0) {
          throw permissionInUse(
            resource,
            name,
            users,
            `change its type from ${current.type} to ${row.type}`,
            ' Or create a new permission with the new type and use it in the roles you choose.',
          );
        }
      }
      const view = customView(row, resource);
      await audit(trx, actor, at, {
        action: 'permission.update',
        resource,
        target: permissionTarget(name),
        before: customView(current, resource),
        after: view,
      });
      return view;
    });
  }

  async remove(actor: Actor, resource: ResourceRef, name: string): Promise<void> {
    if (predefinedPermission(resource.type, name)) throw readOnlyPermission(resource, name);
    const at = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      await lockCustomPermissions(trx, resource, [name]);
      const current = await findCustomPermission(trx, resource, name);
      if (!current) throw permissionNotFound(resource, name);
      // Delete first, then look for users: a role written while we waited for the lock is seen.
      await deleteCustomPermission(trx, resource, name);
      const users = await rolesUsing(trx, resource, name);
      if (users.length > 0) throw permissionInUse(resource, name, users, 'be deleted');
      await audit(trx, actor, at, {
        action: 'permission.delete',
        resource,
        target: permissionTarget(name),
        before: customView(current, resource),
      });
    });
  }
}

// --- Rules ---------------------------------------------------------------------------------------

/** Validates a permission body and returns the columns it writes (everything but keys and times). */
function permissionColumns(resource: ResourceRef, input: PermissionInput) {
  const type = PERMISSION_TYPES.get(input.type);
  if (type?.resourceType !== resource.type) {
    const allowed = [...PERMISSION_TYPES.values()].filter((t) => t.resourceType === resource.type).map((t) => t.type);
    throw new Problem(400, `Permission type ${input.type.slice(0, 100)} does not exist on a ${resource.type}`, {
      code: 'invalid_permission_type',
      type: input.type,
      allowedTypes: allowed,
      hint: `Use one of the permission types of a ${resource.type}: ${allowed.join(', ')}.`,
    });
  }
  const config: Record<string, string> = {};
  if (input.config?.filter !== undefined) {
    if (type.type !== FILTER_TYPE) {
      throw new Problem(400, `config.filter only applies to permissions of type ${FILTER_TYPE}`, {
        code: 'invalid_config',
        field: 'config.filter',
        hint: `Leave config.filter out, or use type ${FILTER_TYPE}.`,
      });
    }
    config.filter = nonEmpty(input.config.filter, 'config.filter', 2000);
  }
  if (input.config?.dataset !== undefined) config.dataset = input.config.dataset;
  if (type.type === FILTER_TYPE && config.filter === undefined) {
    throw new Problem(
      400,
      `A permission of type ${FILTER_TYPE} needs config.filter: the GROQ filter of the documents it covers`,
      {
        code: 'invalid_config',
        field: 'config.filter',
        hint: 'Add e.g. "config": {"filter": "_type == \\"post\\""}. The filter is stored, not evaluated, by Gatehouse.',
      },
    );
  }
  return {
    type: type.type,
    title: nonEmpty(input.title, 'title', 100),
    description: (input.description ?? '').trim(),
    config: Object.keys(config).length > 0 ? JSON.stringify(config) : null,
  };
}

/** Names of the custom roles of the resource that name this permission. */
async function rolesUsing(db: Executor, resource: ResourceRef, name: string): Promise<string[]> {
  const roles = await allCustomRoles(db, resource);
  return roles
    .filter((role) => (JSON.parse(role.permissions) as RolePermission[]).some((p) => p.name === name))
    .map((role) => role.name);
}

function predefinedOf(resource: ResourceRef): readonly PermissionDefinition[] {
  return PREDEFINED_PERMISSIONS.filter((p) => p.resourceType === resource.type);
}

function predefinedView(p: PermissionDefinition, resource: ResourceRef): PermissionView {
  return permissionView({ ...p, config: p.config ?? null, isCustom: false }, resource);
}

function customView(row: PermissionRow, resource: ResourceRef): PermissionView {
  const config = row.config === null ? null : (JSON.parse(row.config) as Record<string, unknown>);
  return permissionView({ ...row, config, isCustom: true }, resource);
}

function permissionTarget(name: string) {
  return { type: 'permission', id: name };
}

// --- Problems ------------------------------------------------------------------------------------

function permissionNotFound(resource: ResourceRef, name: string): Problem {
  return problems.notFound(`Permission not found: ${name}`, {
    permission: name,
    hint: `List the permissions of this ${resource.type} with GET /access/${resource.type}/${resource.id}/permissions.`,
  });
}

function permissionExists(resource: ResourceRef, name: string, predefined: boolean): Problem {
  return problems.conflict(
    predefined
      ? `Permission ${name} is a predefined permission`
      : `Permission ${name} already exists on ${resource.type} ${resource.id}`,
    {
      code: 'permission_exists',
      permission: name,
      predefined,
      hint: predefined
        ? 'Pick another name: predefined permission names are reserved.'
        : `Pick another name, or change the existing permission with PUT /access/${resource.type}/${resource.id}/permissions/${name}.`,
    },
  );
}

function readOnlyPermission(resource: ResourceRef, name: string): Problem {
  return problems.conflict(`Permission ${name} is predefined and cannot be changed or deleted`, {
    code: 'read_only',
    permission: name,
    hint: `Create a custom permission instead: POST /access/${resource.type}/${resource.id}/permissions.`,
  });
}

function permissionInUse(resource: ResourceRef, name: string, roles: string[], change: string, alternative = ''): Problem {
  return problems.conflict(
    `Permission ${name} is used by role${roles.length === 1 ? '' : 's'} ${roles.slice(0, ROLES_SHOWN).join(', ')} and cannot ${change}`,
    {
      code: 'permission_in_use',
      permission: name,
      roles: roles.slice(0, ROLES_SHOWN),
      roleCount: roles.length,
      hint: `First remove it from these roles (PUT /access/${resource.type}/${resource.id}/roles/{roleName}) or delete them.${alternative}`,
    },
  );
}
