/** Roles available on a resource. Built-in roles for now; custom roles extend this list. */
import { Problem, problems } from '../model/errors.js';
import { cursorKey, toPage } from '../model/pagination.js';
import type { ResourceType } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import { builtInRole, builtInRoles } from '../model/roles.js';
import type { Deps } from './context.js';
import { roleView } from './views.js';

export class RoleService {
  constructor(readonly deps: Deps) {}

  /** Paged like every list; built-in roles have a fixed order, so the cursor is a position. */
  list(resource: ResourceRef, cursor: string | undefined, limit: number) {
    const after = cursorKey(cursor);
    if (after !== null && !/^\d{1,6}$/.test(after)) {
      throw problems.invalidInput('nextCursor is not a cursor this server issued', 'nextCursor');
    }
    const roles = builtInRoles(resource.type).map((role, index) => ({ role, index }));
    const start = after === null ? 0 : Number(after) + 1;
    const page = toPage(roles.slice(start, start + limit + 1), limit, (r) => String(r.index), roles.length);
    return { ...page, data: page.data.map((r) => roleView(r.role, resource)) };
  }

  get(resource: ResourceRef, name: string) {
    const role = builtInRole(resource.type, name);
    if (!role) throw roleNotFound(resource.type, name);
    return roleView(role, resource);
  }
}

export function roleNotFound(resourceType: ResourceType, name: string): Problem {
  return new Problem(404, `Role not found: ${name}`, {
    code: 'role_not_found',
    role: name,
    hint: `List the roles of this ${resourceType} with GET /access/${resourceType}/{id}/roles.`,
  });
}
