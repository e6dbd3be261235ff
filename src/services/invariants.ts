/**
 * Rules no change may break, checked inside the change's transaction and explained when they bite
 * (docs/access-control.md, "The invariants"):
 * 1. every member holds at least one role (`ensureSomeRole`);
 * 2. the last member able to manage access stays (`ensureAccessManagerRemains`);
 * 3. nobody grants a role with permissions they do not hold, and only administrators grant
 *    administrator (`checkGrantable`);
 * 4. a role is only given to the principal kinds it applies to (`checkGrantable`).
 */
import { Problem, problems } from '../model/errors.js';
import type { ResourceType } from '../model/permissions.js';
import type { Access, ResourceRef } from '../model/policy.js';
import { accessFromHoldings, accessManagerGrants, builtInRoles, grantsOfBuiltIns, type RoleDefinition } from '../model/roles.js';
import { accessHoldings, countRoleHolders, rolesOf, userRoleHoldings } from '../store/memberships.js';
import type { Executor } from '../store/schema.js';
import { type ResolvedRole, resolveRoles } from './role-catalog.js';

/** What the granter holds on the resource: the route's access. */
export type Granter = Pick<Access, 'roleNames' | 'impliedRoleNames' | 'grants'>;

export const ADMINISTRATOR = 'administrator';

export function holdsAdministrator(granter: Granter): boolean {
  return granter.roleNames.includes(ADMINISTRATOR) || (granter.impliedRoleNames ?? []).includes(ADMINISTRATOR);
}

/**
 * Roles to grant must exist on the resource and apply to the principal kind receiving them; the
 * granter must already hold every permission they contain (no escalation), and only an
 * administrator may grant administrator. Returns the resolved roles.
 */
export async function checkGrantable(
  db: Executor,
  resource: ResourceRef,
  roleNames: readonly string[],
  recipient: 'user' | 'robot',
  granter: Granter,
): Promise<ResolvedRole[]> {
  const roles = await resolveRoles(db, resource, roleNames, { forUpdate: true });
  for (const { definition: role, grants } of roles) {
    const applies = recipient === 'robot' ? role.appliesToRobots : role.appliesToUsers;
    if (!applies) {
      throw new Problem(400, `Role ${role.name} cannot be given to ${recipient}s`, {
        code: 'role_not_applicable',
        role: role.name,
        recipientKind: recipient,
        hint: `Pick a role whose ${recipient === 'robot' ? 'appliesToRobots' : 'appliesToUsers'} is true.`,
      });
    }
    checkHoldsRole(resource, role, grants, granter, 'grant');
  }
  return roles;
}

/**
 * Revoking a role follows the rule for granting it (docs/decisions.md, "Revoking follows the rules
 * of granting"): the revoker must hold every permission the role contains, and only an
 * administrator revokes administrator. Otherwise an editor with `members.update` could strip an
 * administrator of what the editor could never give back. Unlike granting, whether the role still
 * applies to the holder does not matter: a role that no longer fits can always be taken away.
 */
export async function checkRevocable(
  db: Executor,
  resource: ResourceRef,
  roleNames: readonly string[],
  granter: Granter,
): Promise<void> {
  for (const { definition: role, grants } of await resolveRoles(db, resource, roleNames)) {
    checkHoldsRole(resource, role, grants, granter, 'revoke');
  }
}

/**
 * Removing a member or deleting a robot takes away every role it holds: the rules of taking each
 * away apply (checkRevocable), and the administrators-only rule is checked first, so removing an
 * administrator without being one is refused as exactly that, whatever else the caller lacks.
 */
export async function checkRemovable(
  db: Executor,
  resource: ResourceRef,
  roleNames: readonly string[],
  granter: Granter,
  kind: 'user' | 'robot',
): Promise<void> {
  if (roleNames.includes(ADMINISTRATOR) && !holdsAdministrator(granter)) {
    const what = kind === 'robot' ? 'an administrator robot' : 'an administrator';
    throw new Problem(403, `Only administrators can remove ${what} from ${resource.type} ${resource.id}`, {
      code: 'administrator_only',
      role: ADMINISTRATOR,
      operation: 'remove',
      rolesHeld: granter.roleNames,
      hint: `Ask an administrator of ${resource.type} ${resource.id} to remove it.`,
    });
  }
  await checkRevocable(db, resource, roleNames, granter);
}

/** No escalation, and administrators only, for giving or taking away one role. */
function checkHoldsRole(
  resource: ResourceRef,
  role: RoleDefinition,
  grants: ReadonlySet<string>,
  granter: Granter,
  operation: 'grant' | 'revoke',
): void {
  const problem = roleChangeProblem(resource, role, grants, granter, operation);
  if (problem) throw problem;
}

/**
 * Why `granter` may not give (or take away) `role`, whose grants are `grants`; null when it may.
 * Pure: the rule itself, the same for giving and taking away (test/unit/policy.test.ts checks it).
 */
export function roleChangeProblem(
  resource: ResourceRef,
  role: Pick<RoleDefinition, 'name' | 'isCustom'>,
  grants: ReadonlySet<string>,
  granter: Granter,
  operation: 'grant' | 'revoke',
): Problem | null {
  const missing = [...grants].filter((g) => !granter.grants.has(g));
  if (missing.length > 0) {
    return new Problem(403, `You cannot ${operation} role ${role.name}: it contains permissions you do not hold`, {
      code: 'privilege_escalation',
      role: role.name,
      operation,
      missingPermissions: missing.sort(),
      hint: `Only ${operation} roles whose permissions you hold yourself; ask an administrator to ${operation} this one.`,
    });
  }
  if (role.name === ADMINISTRATOR && !role.isCustom && !holdsAdministrator(granter)) {
    return new Problem(403, `Only administrators can ${operation} the administrator role on ${resource.type} ${resource.id}`, {
      code: 'administrator_only',
      role: role.name,
      operation,
      rolesHeld: granter.roleNames,
      hint: `Ask an administrator of ${resource.type} ${resource.id} to ${operation} it.`,
    });
  }
  return null;
}

/**
 * What a principal holds on a resource right now (its roles there, and for a project the roles its
 * organization roles imply), read in the caller's transaction: for rules about someone other than
 * the caller, such as the inviter of an invitation being accepted.
 */
export async function currentGranter(db: Executor, resource: ResourceRef, principalId: string): Promise<Granter> {
  const rows = await accessHoldings(db, resource.type, resource.id, principalId);
  return accessFromHoldings(
    resource.type,
    rows.map((r) => ({ resourceType: r.resource_type as ResourceType, roleName: r.role_name, customGrants: r.grants })),
  );
}

/**
 * An invitation gives its role when it is accepted, days after it was sent: the inviter must still
 * be allowed to invite and to grant that role then. Otherwise an administrator demoted to viewer,
 * or a deleted robot, could still hand out roles through invitations sent before. `system`
 * (operator) invitations are not checked.
 */
export async function ensureInviterMayStillGrant(
  db: Executor,
  resource: ResourceRef,
  inviterId: string,
  roleNames: readonly string[],
): Promise<void> {
  if (inviterId === 'system') return;
  const inviter = await currentGranter(db, resource, inviterId);
  const refused = () =>
    new Problem(403, 'Whoever sent this invitation can no longer give its roles', {
      code: 'inviter_not_allowed',
      roles: roleNames,
      hint: `The inviter’s access to ${resource.type} ${resource.id} changed after the invitation was sent. Ask an administrator of ${resource.type} ${resource.id} for a new invitation.`,
    });
  if (!inviter.grants.has(`sanity.${resource.type}.members.invite`)) throw refused();
  try {
    await checkGrantable(db, resource, roleNames, 'user', inviter);
  } catch (error) {
    if (
      error instanceof Problem &&
      (error.reason.code === 'privilege_escalation' || error.reason.code === 'administrator_only')
    ) {
      throw refused();
    }
    throw error;
  }
}

/**
 * Whether holding `roleNames` lets a person manage the resource's access (the grants the
 * last-administrator rule below asks for). Taking roles away from someone who does not cannot
 * leave fewer people managing it. Custom roles are locked, as for a grant: an edit of one of them
 * cannot change the answer before the transaction ends.
 */
export async function managesAccess(db: Executor, resource: ResourceRef, roleNames: readonly string[]): Promise<boolean> {
  const resolved = await resolveRoles(db, resource, roleNames, { forUpdate: true });
  const grants = new Set(resolved.flatMap((r) => [...r.grants]));
  return accessManagerGrants(resource.type).every((g) => grants.has(g));
}

/** Invariant 1: a member without roles is not a member; removing the last role is removing the member. */
export function ensureSomeRole(roleNames: readonly string[], resource: ResourceRef, principalId: string): void {
  if (roleNames.length > 0) return;
  throw problems.conflict(`A member must hold at least one role on ${resource.type} ${resource.id}`, {
    code: 'last_role',
    principalId,
    hint: `To take every role away, remove the member: DELETE /access/${resource.type}/${resource.id}/users/${principalId}.`,
  });
}

/**
 * The last-administrator rule: after the change, at least one *human* member must still be able
 * to read members, read roles and assign roles, or nobody could ever repair the resource's access.
 * Robots don't count: their tokens expire, rotate and get deleted by the automation that uses
 * them, and a project run only by a robot is one leaked token away from having no owner at all.
 * `without` is the user whose roles are being removed, or replaced by `replacement`; `held`, the
 * roles that user holds now, when the caller has read them already.
 */
export async function ensureAccessManagerRemains(
  db: Executor,
  resource: ResourceRef,
  without: string,
  replacement: readonly ResolvedRole[] = [],
  held?: readonly string[],
): Promise<void> {
  const needed = accessManagerGrants(resource.type);
  const manages = (grants: ReadonlySet<string>) => needed.every((g) => grants.has(g));
  const replacementGrants = new Set(replacement.flatMap((r) => [...r.grants]));
  if (replacement.length > 0 && manages(replacementGrants)) return;
  // Fast path, from the maintained role-holder counts: another person holds a built-in role that
  // alone manages access. Only when none does (removing or demoting the last one) are all holdings read.
  const managing = builtInRoles(resource.type).filter((role) => manages(grantsOfBuiltIns(resource.type, [role.name])));
  if (managing.length > 0) {
    const own = held ?? (await rolesOf(db, resource, without));
    for (const role of managing) {
      const others = (await countRoleHolders(db, resource, role.name)) - (own.includes(role.name) ? 1 : 0);
      if (others > 0) return;
    }
  }
  const byPrincipal = new Map<
    string,
    Array<{ resourceType: typeof resource.type; roleName: string; customGrants: string | null }>
  >();
  for (const h of await userRoleHoldings(db, resource)) {
    if (h.principalId === without) continue;
    const list = byPrincipal.get(h.principalId) ?? [];
    list.push({ resourceType: resource.type, roleName: h.roleName, customGrants: h.grants });
    byPrincipal.set(h.principalId, list);
  }
  for (const holdings of byPrincipal.values()) {
    if (manages(accessFromHoldings(resource.type, holdings).grants)) return;
  }
  throw new Problem(409, `This change would leave ${resource.type} ${resource.id} with no person who can manage its members`, {
    code: 'last_access_manager',
    requiredPermissions: needed,
    hint: 'Give another member a role with these permissions (e.g. administrator) first.',
  });
}
