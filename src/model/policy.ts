/**
 * The authorization decision: principal × route policy × grants → allow, or a denial that says
 * exactly which rule refused the call and what to do about it.
 *
 * Every route declares its policy as data (http/routes/*): which principal kinds it accepts and
 * which permission it needs on which resource. This module is the only place that interprets that
 * declaration, so the route table *is* the policy, and the same function serves requests, the
 * authorization matrix test, the benchmark and (later) `explain`.
 */
import { Problem } from './errors.js';
import type { ResourceType } from './permissions.js';
import { type Principal, type PrincipalKind, principalKind } from './principals.js';

/**
 * Where a route's resource comes from: `{resourceType}/{resourceId}`, `{projectId}` or
 * `{organizationId}`. `project` on a path without `{projectId}` (the project-host alias `/cors`)
 * means the project in context: the `<projectId>.api.` host or the `X-Sanity-Project-ID` header.
 */
export type ResourceSource = 'path' | 'project' | 'organization';

export interface RoutePolicy {
  /** Principal kinds that may call the route at all. Anything else is refused before any lookup. */
  accepts: readonly PrincipalKind[];
  /**
   * Permission the caller must hold on the route's resource, as `<type>.<action>`. The text
   * `{resourceType}` is replaced by `project` or `organization`, so one declaration serves both.
   */
  permission?: string;
  resource?: ResourceSource;
  /** One line on why the route accepts what it accepts; shown in denials and the API reference. */
  note?: string;
  /**
   * The route changes who may do what (members, roles, permissions, robots). An organization can
   * switch these off for robots with its `robotsMayManageMembers` policy.
   */
  managesAccess?: boolean;
  /**
   * A refused kind of principal that deserves its own answer instead of `principal_not_accepted`:
   * its `reason.code` and hint (a robot calling logout is told to delete or rotate the robot).
   */
  refusal?: Partial<Record<'user' | 'robot', { code: string; hint: string }>>;
}

export interface ResourceRef {
  type: ResourceType;
  id: string;
}

/** What the caller holds on the resource; `null` when it is not a member or the resource does not exist. */
export interface Access {
  /** Roles held on the resource itself. */
  roleNames: readonly string[];
  /** Roles implied on a project by roles held on its organization (see IMPLIED_PROJECT_ROLES). */
  impliedRoleNames?: readonly string[];
  grants: ReadonlySet<string>;
  /**
   * The policy of the organization governing the resource (the organization itself, or the
   * project's organization), when the route needs it: only `managesAccess` routes called by robots.
   */
  organizationPolicy?: { organizationId: string; robotsMayManageMembers: boolean };
}

export type Decision = { allowed: true; permission?: string } | { allowed: false; problem: Problem };

export function requiredPermission(policy: RoutePolicy, resource: ResourceRef | undefined): string | undefined {
  if (!policy.permission) return undefined;
  return resource ? policy.permission.replace('{resourceType}', resource.type) : policy.permission;
}

const KIND_NAMES: Record<PrincipalKind, string> = { anonymous: 'Anonymous callers', user: 'Users', robot: 'Robots' };

/** What a route requires, as every denial states it: who may call it, and with which permission. */
function requirement(policy: RoutePolicy, resource: ResourceRef | undefined) {
  const permission = requiredPermission(policy, resource);
  return {
    accepts: policy.accepts.filter((k) => k !== 'anonymous'),
    ...(permission ? { permission } : {}),
  };
}

/**
 * Step 1, before the request is parsed: is this kind of caller accepted at all? `resource` is
 * only used to spell out the permission the route would need next.
 */
export function decidePrincipal(policy: RoutePolicy, principal: Principal | null, resource?: ResourceRef): Decision {
  const kind = principalKind(principal);
  if (policy.accepts.includes(kind)) return { allowed: true };
  const required = requirement(policy, resource);
  if (kind === 'anonymous') {
    return {
      allowed: false,
      problem: new Problem(
        401,
        'Not authenticated',
        {
          code: 'missing_token',
          principalKind: kind,
          ...required,
          accepts: policy.accepts,
          hint: 'Send a token in the Authorization header: `Authorization: Bearer <token>`.',
        },
        { challenge: 'token' },
      ),
    };
  }
  const accepted = required.accepts;
  const why = `This endpoint accepts ${accepted.join(' and ')} tokens only${policy.note ? ` (${policy.note})` : ''}.`;
  const hint =
    kind === 'robot'
      ? `${why} It needs a personal token: run \`gatehouse login\`, or create a user with \`gatehouse admin create-user\`.`
      : `${why} Call it with the robot's own token.`;
  const refusal = policy.refusal?.[kind];
  return {
    allowed: false,
    problem: new Problem(403, `${KIND_NAMES[kind]} are not allowed`, {
      code: refusal?.code ?? 'principal_not_accepted',
      principalKind: kind,
      ...required,
      hint: refusal?.hint ?? hint,
    }),
  };
}

/** Step 2, once the resource is known: is the caller a member, and does it hold the permission? */
export function decideResource(
  policy: RoutePolicy,
  principal: Principal | null,
  resource: ResourceRef | undefined,
  access: Access | null | undefined,
): Decision {
  if (!policy.resource) return { allowed: true };
  // Deny by default: a route that names a resource but could not say which one allows nothing.
  if (!resource) {
    return {
      allowed: false,
      problem: new Problem(404, 'Resource not found', { code: 'not_found', hint: 'The path names no resource.' }),
    };
  }
  const permission = requiredPermission(policy, resource);
  if (!access) return { allowed: false, problem: resourceNotFound(resource) };
  const kind = principalKind(principal);
  const held = {
    principalKind: kind,
    resourceType: resource.type,
    resourceId: resource.id,
    rolesHeld: access.roleNames,
    ...(access.impliedRoleNames?.length ? { impliedRolesHeld: access.impliedRoleNames } : {}),
  };
  if (policy.managesAccess && kind === 'robot' && access.organizationPolicy?.robotsMayManageMembers === false) {
    const org = access.organizationPolicy.organizationId;
    return {
      allowed: false,
      problem: new Problem(403, 'Robots are not allowed', {
        code: 'robots_may_not_manage_members',
        ...requirement(policy, resource),
        ...held,
        policy: 'robotsMayManageMembers',
        organizationId: org,
        hint: `Organization ${org} does not let robots manage members or roles (policy robotsMayManageMembers is false). Use a personal token (\`gatehouse login\`), or ask an administrator of organization ${org} to change the policy: PATCH /organizations/${org}/policies.`,
      }),
    };
  }
  if (permission && !access.grants.has(permission)) {
    return {
      allowed: false,
      problem: new Problem(403, `Missing permission ${permission} on ${resource.type} ${resource.id}`, {
        code: 'missing_permission',
        ...requirement(policy, resource),
        ...held,
        hint: `Ask an administrator of ${resource.type} ${resource.id} for a role with ${permission}.`,
      }),
    };
  }
  return { allowed: true, ...(permission ? { permission } : {}) };
}

/** Both steps, for callers that have everything at hand (tests, benchmark, explain). */
export function decide(
  policy: RoutePolicy,
  principal: Principal | null,
  resource: ResourceRef | undefined,
  access: Access | null | undefined,
): Decision {
  const first = decidePrincipal(policy, principal, resource);
  return first.allowed ? decideResource(policy, principal, resource, access) : first;
}

/**
 * The one answer for "no such resource" and "not a member": identical status, message and reason
 * in both cases, so a caller learns nothing about resources it cannot see.
 */
export function resourceNotFound(resource: ResourceRef): Problem {
  const name = resource.type === 'project' ? 'Project' : 'Organization';
  return new Problem(404, `${name} not found: ${resource.id}`, {
    code: 'not_found',
    resourceType: resource.type,
    resourceId: resource.id,
    hint: `No ${resource.type} with this id exists, or your token is not a member of it.`,
  });
}
