/** Roles available on a resource. Built-in roles for now; custom roles extend this list. */
import { problems } from '../model/errors.js';
import type { ResourceRef } from '../model/policy.js';
import { builtInRole, builtInRoles } from '../model/roles.js';
import { roleView } from './views.js';

export class RoleService {
  list(resource: ResourceRef) {
    const data = builtInRoles(resource.type).map((role) => roleView(role, resource));
    return { data, nextCursor: null, totalCount: data.length };
  }

  get(resource: ResourceRef, name: string) {
    const role = builtInRole(resource.type, name);
    if (!role) {
      throw problems.notFound(`Role not found: ${name}`, { hint: `List the roles of this ${resource.type} with GET …/roles.` });
    }
    return roleView(role, resource);
  }
}
