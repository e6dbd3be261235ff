/**
 * The authorization decision (model/policy.ts): principal × route policy × grants → allow, or a
 * denial that names the rule. Exercised on hand-written policies, on every route of the route
 * table, and on random role sets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routes } from '../../src/http/routes/index.js';
import type { Problem } from '../../src/model/errors.js';
import { catalogGrants, PREDEFINED_PERMISSIONS, type ResourceType } from '../../src/model/permissions.js';
import {
  type Access,
  type Decision,
  decide,
  decidePrincipal,
  type ResourceRef,
  type RoutePolicy,
  requiredPermission,
  resourceNotFound,
} from '../../src/model/policy.js';
import { PRINCIPAL_KINDS, type Principal, type RobotPrincipal, type UserPrincipal } from '../../src/model/principals.js';
import {
  accessFromHoldings,
  builtInRole,
  builtInRoles,
  grantsOf,
  grantsOfBuiltIns,
  IMPLIED_PROJECT_ROLES,
  type RoleHolding,
} from '../../src/model/roles.js';
import { type Granter, roleChangeProblem } from '../../src/services/invariants.js';
import { goldenGrants } from '../support/golden-roles.js';

const project: ResourceRef = { type: 'project', id: 'p1' };
const user: UserPrincipal = { kind: 'user', id: 'u1', tokenId: 't1', email: 'u@example.com', displayName: 'U' };
const robot: RobotPrincipal = { kind: 'robot', id: 'r1', tokenId: 't2', label: 'ci', resourceType: 'project', resourceId: 'p1' };

function principalOfKind(kind: (typeof PRINCIPAL_KINDS)[number]): Principal | null {
  return kind === 'anonymous' ? null : kind === 'user' ? user : robot;
}

/** What holding these built-in roles grants, as the golden table (not the production one) says. */
function access(type: ResourceType, ...roleNames: string[]): Access {
  return { roleNames, grants: goldenGrants(type, roleNames) };
}

function denial(decision: Decision): Problem {
  if (decision.allowed) throw new Error('expected a denial');
  return decision.problem;
}

const readMembers: RoutePolicy = {
  accepts: ['user', 'robot'],
  resource: 'path',
  permission: 'sanity.{resourceType}.members.read',
};
const userOnly: RoutePolicy = { accepts: ['user'], note: 'a project needs a human owner' };
const robotOnly: RoutePolicy = { accepts: ['robot'] };
const anyone: RoutePolicy = { accepts: ['anonymous', 'user', 'robot'] };

describe('principal kinds', () => {
  it('anonymous callers get 401 "Not authenticated" with a Bearer challenge where a token is required', () => {
    const problem = denial(decide(readMembers, null, project, null));
    expect(problem.status).toBe(401);
    expect(problem.message).toBe('Not authenticated');
    expect(problem.reason).toMatchObject({ code: 'missing_token', accepts: ['user', 'robot'] });
    // A challenge for a bearer token, which http/headers.ts writes as `WWW-Authenticate: Bearer realm=…`.
    expect(problem.extra.challenge).toBe('token');
  });

  it('anonymous callers pass where anonymous is declared', () => {
    expect(decide(anyone, null, undefined, undefined)).toEqual({ allowed: true });
  });

  it('a robot on a user-only route gets 403 "Robots are not allowed", naming the accepted kinds and what to do', () => {
    const problem = denial(decide(userOnly, robot, undefined, undefined));
    expect(problem.status).toBe(403);
    expect(problem.message).toBe('Robots are not allowed');
    expect(problem.reason).toMatchObject({ code: 'principal_not_accepted', principalKind: 'robot', accepts: ['user'] });
    expect(problem.reason.hint).toContain('a project needs a human owner');
    expect(problem.reason.hint).toContain('personal token');
  });

  it('a user on a robot-only route gets 403 "Users are not allowed"', () => {
    const problem = denial(decide(robotOnly, user, undefined, undefined));
    expect(problem.status).toBe(403);
    expect(problem.message).toBe('Users are not allowed');
    expect(problem.reason).toMatchObject({ code: 'principal_not_accepted', principalKind: 'user', accepts: ['robot'] });
    expect(problem.reason.hint).toContain('robot');
  });

  it('the kind is decided before the resource: even a full member is refused when its kind is not accepted', () => {
    const everything = { roleNames: ['administrator'], grants: catalogGrants('project') };
    expect(
      denial(decide({ ...userOnly, resource: 'path', permission: 'sanity.project.read' }, robot, project, everything)).status,
    ).toBe(403);
  });

  it('kinds: every declared kind passes step 1 and every other kind fails it (all 7 non-empty policies)', () => {
    const subsets = [1, 2, 3, 4, 5, 6, 7].map((mask) => PRINCIPAL_KINDS.filter((_, i) => mask & (1 << i)));
    for (const accepts of subsets) {
      for (const kind of PRINCIPAL_KINDS) {
        const decision = decidePrincipal({ accepts }, principalOfKind(kind));
        expect(decision.allowed, `${kind} on ${accepts.join(',')}`).toBe(accepts.includes(kind));
        if (!decision.allowed) expect(decision.problem.status).toBe(kind === 'anonymous' ? 401 : 403);
      }
    }
  });
});

describe('resource and permission', () => {
  it('a member holding the permission is allowed, and learns which permission was checked', () => {
    expect(decide(readMembers, robot, project, access('project', 'viewer'))).toEqual({
      allowed: true,
      permission: 'sanity.project.members.read',
    });
    expect(decide(readMembers, user, { type: 'organization', id: 'o1' }, access('organization', 'member'))).toEqual({
      allowed: true,
      permission: 'sanity.organization.members.read',
    });
  });

  it('a member lacking the permission gets 403 naming the permission, the resource and the roles held', () => {
    const policy: RoutePolicy = {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.tokens.create',
    };
    const problem = denial(decide(policy, robot, project, access('project', 'viewer')));
    expect(problem.status).toBe(403);
    expect(problem.message).toBe('Missing permission sanity.project.tokens.create on project p1');
    expect(problem.reason).toMatchObject({
      code: 'missing_permission',
      permission: 'sanity.project.tokens.create',
      resourceType: 'project',
      resourceId: 'p1',
      principalKind: 'robot',
      rolesHeld: ['viewer'],
    });
  });

  it('a non-member gets the same 404 as for a resource that does not exist', () => {
    // The decision has no input saying whether the resource exists: "no access" is all it sees.
    const notMember = denial(decide(readMembers, user, { type: 'project', id: 'theirs' }, null));
    const missing = resourceNotFound({ type: 'project', id: 'theirs' });
    expect(notMember.status).toBe(404);
    expect(notMember.message).toBe(missing.message);
    expect(notMember.reason).toEqual(missing.reason);
    expect(notMember.toBody()).toEqual(missing.toBody());
    // …and the same for every kind of caller that gets this far.
    expect(denial(decide(readMembers, robot, { type: 'project', id: 'theirs' }, null)).toBody()).toEqual(missing.toBody());
    // The text differs only by the id the caller sent.
    const other = resourceNotFound({ type: 'project', id: 'xyz' });
    expect(other.message.replace('xyz', 'ID')).toBe(missing.message.replace('theirs', 'ID'));
    expect(other.reason.hint).toBe(missing.reason.hint);
  });

  it('a policy without a permission only needs membership', () => {
    const policy: RoutePolicy = { accepts: ['user'], resource: 'project' };
    expect(decide(policy, user, project, access('project', 'viewer'))).toEqual({ allowed: true });
    expect(denial(decide(policy, user, project, null)).status).toBe(404);
  });

  it('{resourceType} in a permission is the type of the resource', () => {
    expect(requiredPermission(readMembers, project)).toBe('sanity.project.members.read');
    expect(requiredPermission(readMembers, { type: 'organization', id: 'o' })).toBe('sanity.organization.members.read');
    expect(requiredPermission({ accepts: ['user'] }, project)).toBeUndefined();
  });
});

describe('the route table', () => {
  it('has no route without a declared policy', () => {
    for (const route of routes) {
      expect(route.policy.accepts.length, `${route.method} ${route.path}`).toBeGreaterThan(0);
      if (route.policy.permission) expect(route.policy.resource, `${route.method} ${route.path}`).toBeDefined();
    }
  });

  it('robots are never accepted where the table does not declare them, whatever they hold', () => {
    const refusing = routes.filter((route) => !route.policy.accepts.includes('robot'));
    expect(refusing.map((r) => `${r.method} ${r.path}`)).toContain('POST /projects');
    for (const route of refusing) {
      for (const type of ['project', 'organization'] as const) {
        const everything: Access = { roleNames: ['administrator'], grants: catalogGrants(type) };
        const problem = denial(decide(route.policy, { ...robot, resourceType: type }, { type, id: 'p1' }, everything));
        expect(problem.status, `${route.method} ${route.path}`).toBe(403);
        expect(problem.message).toBe('Robots are not allowed');
        // A route may give refused robots a better answer of its own (logout: `robot_logout`).
        expect(problem.reason.code).toBe(route.policy.refusal?.robot?.code ?? 'principal_not_accepted');
      }
    }
  });

  it('every route refuses or accepts each kind exactly as its accepts list says', () => {
    for (const route of routes) {
      for (const kind of PRINCIPAL_KINDS) {
        const decision = decidePrincipal(route.policy, principalOfKind(kind));
        expect(decision.allowed, `${kind} on ${route.method} ${route.path}`).toBe(route.policy.accepts.includes(kind));
      }
    }
  });
});

describe('properties', () => {
  const types = ['project', 'organization'] as const;

  it('allowed ⇒ some role held grants the permission (and, for a member, the converse)', () => {
    const arbitrary = fc.constantFrom(...types).chain((type) =>
      fc.record({
        type: fc.constant(type),
        roles: fc.subarray(builtInRoles(type).map((r) => r.name)),
        permission: fc.constantFrom(...catalogGrants(type)),
        kind: fc.constantFrom('user' as const, 'robot' as const),
      }),
    );
    fc.assert(
      fc.property(arbitrary, ({ type, roles, permission, kind }) => {
        const resource: ResourceRef = { type, id: 'p1' };
        const principal = kind === 'user' ? user : { ...robot, resourceType: type };
        const policy: RoutePolicy = { accepts: ['user', 'robot'], resource: 'path', permission };
        const held = roles.length === 0 ? null : access(type, ...roles);
        const decision = decide(policy, principal, resource, held);
        const someRoleGrants = roles.some((name) =>
          grantsOf(builtInRole(type, name) as NonNullable<ReturnType<typeof builtInRole>>).has(permission),
        );
        if (decision.allowed) expect(someRoleGrants).toBe(true);
        if (someRoleGrants) expect(decision.allowed).toBe(true);
        if (!decision.allowed) {
          expect(decision.problem.status).toBe(held ? 403 : 404);
          if (held) expect(decision.problem.reason.rolesHeld).toEqual(roles);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('allowed ⇒ the caller’s kind is declared, for random policies and grants', () => {
    fc.assert(
      fc.property(
        fc.subarray([...PRINCIPAL_KINDS], { minLength: 1 }),
        fc.constantFrom(...PRINCIPAL_KINDS),
        fc.option(fc.subarray([...catalogGrants('project')]), { nil: null }),
        fc.option(fc.constantFrom(...catalogGrants('project')), { nil: undefined }),
        (accepts, kind, grants, permission) => {
          const policy: RoutePolicy = { accepts, resource: 'path', ...(permission ? { permission } : {}) };
          const held = grants === null ? null : { roleNames: ['custom'], grants: new Set(grants) };
          const decision = decide(policy, principalOfKind(kind), project, held);
          if (decision.allowed) {
            expect(accepts).toContain(kind);
            expect(held).not.toBeNull();
            if (permission) expect(held?.grants.has(permission)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('properties with custom and implied roles', () => {
  const types = ['project', 'organization'] as const;

  /** A custom role: any non-empty set of (permission, action) pairs of the catalog for the type. */
  function customRole(type: ResourceType) {
    const pairs = PREDEFINED_PERMISSIONS.filter((p) => p.resourceType === type).flatMap((p) =>
      p.actions.map((action) => ({ name: p.name, action })),
    );
    return fc
      .record({ name: fc.stringMatching(/^custom-[a-z]{1,6}$/), permissions: fc.subarray(pairs, { minLength: 1 }) })
      .map((role) => ({ ...role, grants: [...grantsOf(role)].sort() }));
  }

  /** Roles held on a resource (built-in and custom) and, for a project, on its organization. */
  const holdingsArbitrary = fc.constantFrom(...types).chain((type) =>
    fc.record({
      type: fc.constant(type),
      builtIns: fc.subarray(builtInRoles(type).map((r) => r.name)),
      customs: fc.array(customRole(type), { maxLength: 4 }),
      organizationRoles:
        type === 'project' ? fc.subarray(builtInRoles('organization').map((r) => r.name)) : fc.constant<string[]>([]),
    }),
  );

  function holdingsOf(h: {
    type: ResourceType;
    builtIns: string[];
    customs: Array<{ name: string; grants: string[] }>;
    organizationRoles: string[];
  }) {
    const out: RoleHolding[] = [
      ...h.builtIns.map((roleName) => ({ resourceType: h.type, roleName, customGrants: null })),
      ...h.customs.map((c) => ({ resourceType: h.type, roleName: c.name, customGrants: JSON.stringify(c.grants) })),
      ...h.organizationRoles.map((roleName) => ({ resourceType: 'organization' as const, roleName, customGrants: null })),
    ];
    return out;
  }

  it('no principal ever holds a permission that none of its roles (held or implied) grants', () => {
    fc.assert(
      fc.property(holdingsArbitrary, (h) => {
        const { grants } = accessFromHoldings(h.type, holdingsOf(h));
        const implied = h.organizationRoles.flatMap((name) => (IMPLIED_PROJECT_ROLES[name] ? [IMPLIED_PROJECT_ROLES[name]] : []));
        const fromRoles = new Set([
          ...[...h.builtIns, ...implied].flatMap((name) => [
            ...grantsOf(builtInRole(h.type, name) as NonNullable<ReturnType<typeof builtInRole>>),
          ]),
          ...h.customs.flatMap((c) => c.grants),
        ]);
        for (const grant of grants) expect(fromRoles.has(grant), grant).toBe(true);
        for (const grant of fromRoles) expect(grants.has(grant), grant).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('removing a role never adds a permission', () => {
    fc.assert(
      fc.property(holdingsArbitrary, fc.nat(), (h, pick) => {
        const all = holdingsOf(h);
        fc.pre(all.length > 0);
        const without = all.filter((_, i) => i !== pick % all.length);
        const before = accessFromHoldings(h.type, all).grants;
        const after = accessFromHoldings(h.type, without).grants;
        for (const grant of after) expect(before.has(grant), grant).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('organization roles never reach the organization’s projects except through an implied built-in role', () => {
    fc.assert(
      fc.property(
        fc.subarray(builtInRoles('organization').map((r) => r.name)),
        fc.array(customRole('organization'), { maxLength: 3 }),
        (names, customs) => {
          const holdings: RoleHolding[] = [
            ...names.map((roleName) => ({ resourceType: 'organization' as const, roleName, customGrants: null })),
            ...customs.map((c) => ({
              resourceType: 'organization' as const,
              roleName: c.name,
              customGrants: JSON.stringify(c.grants),
            })),
          ];
          const access = accessFromHoldings('project', holdings);
          expect(access.roleNames).toEqual([]);
          const implied = names.flatMap((n) => (IMPLIED_PROJECT_ROLES[n] ? [IMPLIED_PROJECT_ROLES[n]] : []));
          expect([...access.grants].sort()).toEqual([...goldenGrants('project', implied)].sort());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a robot is never accepted on a route of the table that does not accept robots, whatever it holds', () => {
    const refusing = routes.filter((route) => !route.policy.accepts.includes('robot'));
    fc.assert(
      fc.property(fc.constantFrom(...refusing), holdingsArbitrary, fc.boolean(), (route, h, policySwitch) => {
        const held = accessFromHoldings(h.type, holdingsOf(h));
        const access: Access = { ...held, organizationPolicy: { organizationId: 'o1', robotsMayManageMembers: policySwitch } };
        const decision = decide(route.policy, { ...robot, resourceType: h.type }, { type: h.type, id: 'p1' }, access);
        expect(decision.allowed).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('the robotsMayManageMembers switch only ever removes access, only from robots, only on access-managing routes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...routes),
        holdingsArbitrary,
        fc.constantFrom('user' as const, 'robot' as const),
        (route, h, kind) => {
          const held = accessFromHoldings(h.type, holdingsOf(h));
          const principal = kind === 'user' ? user : { ...robot, resourceType: h.type };
          const resource: ResourceRef = { type: h.type, id: 'p1' };
          const withSwitch = (on: boolean): Access => ({
            ...held,
            organizationPolicy: { organizationId: 'o1', robotsMayManageMembers: on },
          });
          const open = decide(route.policy, principal, resource, withSwitch(true));
          const closed = decide(route.policy, principal, resource, withSwitch(false));
          const none = decide(route.policy, principal, resource, held);
          expect(open.allowed).toBe(none.allowed);
          if (closed.allowed) expect(open.allowed).toBe(true);
          if (open.allowed && !closed.allowed) {
            expect(kind).toBe('robot');
            expect(route.policy.managesAccess).toBe(true);
            expect(closed.problem.reason.code).toBe('robots_may_not_manage_members');
            expect(closed.problem.message).toBe('Robots are not allowed');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('properties of giving and taking away roles (services/invariants.ts#roleChangeProblem)', () => {
  const types = ['project', 'organization'] as const;

  /** Any role of the type: a built-in one, or a custom one made of catalog permissions. */
  function anyRole(type: ResourceType) {
    const pairs = PREDEFINED_PERMISSIONS.filter((p) => p.resourceType === type).flatMap((p) =>
      p.actions.map((action) => ({ name: p.name, action })),
    );
    const builtIn = fc.constantFrom(...builtInRoles(type)).map((role) => ({
      name: role.name,
      isCustom: false,
      grants: grantsOf(role) as ReadonlySet<string>,
    }));
    const custom = fc
      .record({
        name: fc.constantFrom('custom-a', 'custom-b', 'administrator'),
        permissions: fc.subarray(pairs, { minLength: 1 }),
      })
      .map((role) => ({ name: role.name, isCustom: true, grants: grantsOf(role) as ReadonlySet<string> }));
    return fc.oneof(builtIn, custom);
  }

  /** What a caller holds: any built-in roles, plus any extra grants (as a custom role would add). */
  function anyGranter(type: ResourceType): fc.Arbitrary<Granter> {
    return fc
      .record({
        roleNames: fc.subarray(builtInRoles(type).map((r) => r.name)),
        extra: fc.subarray([...catalogGrants(type)]),
      })
      .map(({ roleNames, extra }) => ({ roleNames, grants: new Set([...grantsOfBuiltIns(type, roleNames), ...extra]) }));
  }

  const scenario = fc
    .constantFrom(...types)
    .chain((type) => fc.record({ type: fc.constant(type), role: anyRole(type), granter: anyGranter(type) }));

  it('taking a role away is allowed exactly when giving it would be', () => {
    fc.assert(
      fc.property(scenario, ({ type, role, granter }) => {
        const resource = { type, id: 'r1' };
        const grant = roleChangeProblem(resource, role, role.grants, granter, 'grant');
        const revoke = roleChangeProblem(resource, role, role.grants, granter, 'revoke');
        expect(revoke === null).toBe(grant === null);
        if (grant && revoke) expect(revoke.reason.code).toBe(grant.reason.code);
      }),
      { numRuns: 2000 },
    );
  });

  it('nobody takes away (or gives) a role holding a permission they lack, and only administrators the administrator role', () => {
    fc.assert(
      fc.property(scenario, fc.constantFrom('grant' as const, 'revoke' as const), ({ type, role, granter }, operation) => {
        const problem = roleChangeProblem({ type, id: 'r1' }, role, role.grants, granter, operation);
        const lacking = [...role.grants].filter((g) => !granter.grants.has(g));
        if (lacking.length > 0) {
          expect(problem?.reason).toMatchObject({ code: 'privilege_escalation', missingPermissions: lacking.sort() });
        } else if (role.name === 'administrator' && !role.isCustom && !granter.roleNames.includes('administrator')) {
          expect(problem?.reason.code).toBe('administrator_only');
        } else {
          expect(problem).toBeNull();
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('removing a member (all its roles) by anyone but an administrator never removes an administrator', () => {
    // A member holding administrator among other roles: whoever does not hold administrator is refused.
    fc.assert(
      fc.property(
        fc.constantFrom(...types).chain((type) =>
          fc.record({
            type: fc.constant(type),
            others: fc.subarray(builtInRoles(type).map((r) => r.name)),
            granter: anyGranter(type).filter((g) => !g.roleNames.includes('administrator')),
          }),
        ),
        ({ type, others, granter }) => {
          const held = [...new Set(['administrator', ...others])];
          const problems = held.map((name) => {
            const role = builtInRole(type, name) as NonNullable<ReturnType<typeof builtInRole>>;
            return roleChangeProblem({ type, id: 'r1' }, role, grantsOf(role), granter, 'revoke');
          });
          expect(problems.some((p) => p !== null)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('deny by default', () => {
  it('refuses a resource route whose resource could not be determined', () => {
    const policy: RoutePolicy = { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.project.read' };
    const user = { kind: 'user' as const, id: 'g1', tokenId: 't1', email: 'a@example.com', displayName: 'A' };
    const decision = decide(policy, user, undefined, { roleNames: ['administrator'], grants: new Set(['sanity.project.read']) });
    expect(decision.allowed).toBe(false);
  });
});
