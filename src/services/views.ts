/**
 * Rows → the wire shapes the official clients read (Sanity's Users, Access, Projects and
 * organization APIs).
 * One function per shape, so every route that returns a robot returns the same robot.
 */
import { PERMISSION_TYPES, type ResourceType } from '../model/permissions.js';
import type { RoleDefinition } from '../model/roles.js';
import type { MembershipRow, OrganizationRow, ProjectRow, RobotRow, TokenRow, UserRow } from '../store/schema.js';
import type { RoleSummaries } from './role-catalog.js';

export interface MembershipView {
  resourceType: string;
  resourceId: string;
  roleNames: string[];
  addedAt: string;
  lastSeenAt: string | null;
  resourceUserId: string | null;
}

export function membershipView(m: MembershipRow, roleNames: string[]): MembershipView {
  return {
    resourceType: m.resource_type,
    resourceId: m.resource_id,
    roleNames,
    addedAt: m.added_at,
    lastSeenAt: m.last_seen_at,
    resourceUserId: m.resource_user_id,
  };
}

export function profileView(u: UserRow) {
  return {
    id: u.id,
    displayName: u.display_name,
    email: u.email,
    givenName: u.given_name,
    familyName: u.family_name,
    middleName: null,
    imageUrl: u.image_url,
    provider: u.provider,
    createdAt: u.created_at,
    updatedAt: u.updated_at,
  };
}

export function accessUserView(u: UserRow, memberships: MembershipView[]) {
  return { sanityUserId: u.id, profile: profileView(u), memberships };
}

export function robotView(robot: RobotRow, token: TokenRow | undefined, memberships: MembershipView[]) {
  return {
    id: robot.id,
    label: robot.label,
    createdAt: robot.created_at,
    expiresAt: robot.expires_at,
    tokenId: token?.id ?? null,
    tokenHint: token?.hint ?? null,
    lastUsedAt: token?.last_used_at ?? null,
    lastUsedIp: token?.last_used_ip ?? null,
    memberships,
    managedBy: null,
  };
}

export function roleView(role: RoleDefinition, resource: { type: ResourceType; id: string }) {
  return {
    name: role.name,
    title: role.title,
    description: role.description,
    isCustom: role.isCustom,
    appliesToUsers: role.appliesToUsers,
    appliesToRobots: role.appliesToRobots,
    resourceType: resource.type,
    resourceId: resource.id,
    permissions: role.permissions.map((p) => ({ name: p.name, action: p.action, params: p.params ?? {} })),
  };
}

/** A permission of a resource, predefined (`isCustom: false`) or custom; `actions` are its type's. */
export function permissionView(
  permission: {
    name: string;
    type: string;
    title: string;
    description: string;
    config: Record<string, unknown> | null | undefined;
    isCustom: boolean;
  },
  resource: { type: ResourceType; id: string },
) {
  return {
    name: permission.name,
    type: permission.type,
    title: permission.title,
    description: permission.description,
    config: permission.config ?? null,
    isCustom: permission.isCustom,
    actions: [...(PERMISSION_TYPES.get(permission.type)?.actions ?? [])],
    resourceType: resource.type,
    resourceId: resource.id,
  };
}

/**
 * A project or organization view embeds at most this many members (the first to join); a larger
 * resource's view says how many it has (`memberCount`), and the paged member routes
 * (`/access/{resourceType}/{resourceId}/users` and `/robots`) list them all. 1,000 project members
 * are about 280 KB of JSON: enough for every team the Sanity CLI lists, and a bound on what one
 * `GET /projects` costs per project however large it grows.
 */
export const MAX_EMBEDDED_MEMBERS = 1_000;

/** A member of a project as the Projects API lists it; `id` is the principal's id (a robot's is `r…`). */
export function projectMemberView(
  m: MembershipRow & { roleNames: string[] },
  currentPrincipalId: string | null,
  roles: RoleSummaries,
) {
  return {
    id: m.principal_id,
    createdAt: m.added_at,
    updatedAt: m.last_seen_at ?? m.added_at,
    isCurrentUser: m.principal_id === currentPrincipalId,
    isRobot: m.principal_kind === 'robot',
    roles: m.roleNames.map((name) => roles(m.resource_id, name)),
  };
}

export function projectView(p: ProjectRow, members: ReturnType<typeof projectMemberView>[] | undefined) {
  return {
    id: p.id,
    displayName: p.display_name,
    studioHost: p.studio_host,
    organizationId: p.organization_id,
    metadata: JSON.parse(p.metadata) as Record<string, unknown>,
    isBlocked: false,
    isDisabled: false,
    isDisabledByUser: false,
    activityFeedEnabled: true,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
    ...(members ? { members } : {}),
    features: [] as string[],
  };
}

/** `members` as `OrganizationsService` builds them (the first people of the organization). */
export function organizationView<M = never>(o: OrganizationRow, members?: M[]) {
  return {
    id: o.id,
    name: o.name,
    slug: o.slug,
    createdAt: o.created_at,
    createdByUserId: o.created_by_user_id,
    updatedAt: o.updated_at,
    deletedAt: null,
    defaultRoleName: o.default_role_name,
    requestAccessStatus: o.request_access_status,
    ...(members ? { members } : {}),
    features: [] as string[],
  };
}

export function sanityUserView(u: UserRow, projectId: string | null, currentPrincipalId: string | null) {
  return {
    id: u.id,
    projectId,
    displayName: u.display_name,
    familyName: u.family_name,
    givenName: u.given_name,
    middleName: null,
    imageUrl: u.image_url,
    createdAt: u.created_at,
    updatedAt: u.updated_at,
    isCurrentUser: u.id === currentPrincipalId,
    isRobot: false,
  };
}

/** A robot in `/users/{ids}`: the same shape as a person, its label as display name, `isRobot: true`. */
export function robotUserView(robot: RobotRow, projectId: string | null, currentPrincipalId: string | null) {
  return {
    id: robot.id,
    projectId,
    displayName: robot.label,
    familyName: null,
    givenName: null,
    middleName: null,
    imageUrl: null,
    createdAt: robot.created_at,
    updatedAt: robot.created_at,
    isCurrentUser: robot.id === currentPrincipalId,
    isRobot: true,
  };
}

/** What the legacy role shape says about a permission a role names. */
export interface PermissionSummary {
  type: string;
  title: string;
  description: string;
  isCustom: boolean;
}

/**
 * A role in the shape of the legacy Projects API (`GET /projects/{id}/roles`, read by Sanity's CLI
 * and Studio): `name, title, description, isCustom, projectId, appliesToUsers, appliesToRobots`,
 * and `grants`, which groups the role's permissions by permission type:
 * `{"sanity.project.members": [{"name": "sanity-project-members", "title", "description",
 * "isCustom", "grants": [{"name": "read", "params": {}}]}]}`.
 */
export function legacyRoleView(
  role: RoleDefinition,
  projectId: string,
  permission: (name: string) => PermissionSummary | undefined,
) {
  const byName = new Map<
    string,
    { info: PermissionSummary; actions: Array<{ name: string; params: Record<string, unknown> }> }
  >();
  for (const p of role.permissions) {
    const info = permission(p.name);
    if (!info) continue; // a custom permission deleted under the role: nothing to show
    const entry = byName.get(p.name) ?? { info, actions: [] };
    entry.actions.push({ name: p.action, params: p.params ?? {} });
    byName.set(p.name, entry);
  }
  const grants: Record<
    string,
    Array<{
      name: string;
      title: string;
      description: string;
      isCustom: boolean;
      grants: Array<{ name: string; params: Record<string, unknown> }>;
    }>
  > = {};
  for (const [name, { info, actions }] of byName) {
    const entries = grants[info.type] ?? [];
    grants[info.type] = entries;
    entries.push({
      name,
      title: info.title,
      description: info.description,
      isCustom: info.isCustom,
      grants: actions,
    });
  }
  return {
    name: role.name,
    title: role.title,
    description: role.description,
    isCustom: role.isCustom,
    projectId,
    appliesToUsers: role.appliesToUsers,
    appliesToRobots: role.appliesToRobots,
    grants,
  };
}
