/**
 * Rules no change may break, checked inside the change's transaction and explained when they bite.
 */
import { Problem } from '../model/errors.js';
import type { ResourceType } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import { accessManagerGrants, builtInRole, grantsOf, grantsOfBuiltIns } from '../model/roles.js';
import { userRoleHoldings } from '../store/memberships.js';
import type { Executor } from '../store/schema.js';
import { roleNotFound } from './roles.js';

/**
 * Roles to grant must exist on the resource type and apply to the principal kind receiving them,
 * and the granter must already hold every permission they contain (no escalation).
 */
export function checkGrantable(
  resourceType: ResourceType,
  roleNames: readonly string[],
  recipient: 'user' | 'robot',
  granterGrants: ReadonlySet<string>,
): void {
  for (const name of roleNames) {
    const role = builtInRole(resourceType, name);
    if (!role) throw roleNotFound(resourceType, name);
    const applies = recipient === 'robot' ? role.appliesToRobots : role.appliesToUsers;
    if (!applies) {
      throw new Problem(400, `Role ${name} cannot be given to ${recipient}s`, {
        code: 'role_not_applicable',
        role: name,
        recipientKind: recipient,
        hint: `Pick a role whose ${recipient === 'robot' ? 'appliesToRobots' : 'appliesToUsers'} is true.`,
      });
    }
    const missing = [...grantsOf(role)].filter((g) => !granterGrants.has(g));
    if (missing.length > 0) {
      throw new Problem(403, `You cannot grant role ${name}: it contains permissions you do not hold`, {
        code: 'privilege_escalation',
        role: name,
        missingPermissions: missing.sort(),
        hint: 'Only grant roles whose permissions you hold yourself; ask an administrator to grant this one.',
      });
    }
  }
}

/**
 * The last-administrator rule: after the change, at least one *human* member must still be able
 * to read members, read roles and assign roles, or nobody could ever repair the resource's access.
 * Robots don't count: their tokens expire, rotate and get deleted by the automation that uses
 * them, and a project run only by a robot is one leaked token away from having no owner at all.
 * `without` is the user whose roles are being removed or replaced by `replacement`.
 */
export async function ensureAccessManagerRemains(
  db: Executor,
  resource: ResourceRef,
  without: string,
  replacement: readonly string[] = [],
): Promise<void> {
  const holdings = await userRoleHoldings(db, resource);
  const byPrincipal = new Map<string, string[]>();
  for (const h of holdings) {
    if (h.principalId === without) continue;
    byPrincipal.set(h.principalId, [...(byPrincipal.get(h.principalId) ?? []), h.roleName]);
  }
  if (replacement.length > 0) byPrincipal.set(without, [...replacement]);
  const needed = accessManagerGrants(resource.type);
  for (const roles of byPrincipal.values()) {
    const grants = grantsOfBuiltIns(resource.type, roles);
    if (needed.every((g) => grants.has(g))) return;
  }
  throw new Problem(409, `This change would leave ${resource.type} ${resource.id} with no person who can manage its members`, {
    code: 'last_access_manager',
    requiredPermissions: needed,
    hint: 'Give another member a role with these permissions (e.g. administrator) first.',
  });
}
