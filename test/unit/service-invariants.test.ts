/**
 * The invariants of services/invariants.ts, enforced by the use cases themselves (no HTTP, no route
 * policy in front): the services are called directly on a migrated in-memory SQLite store. Every
 * refusal must name its rule and leave the database as it was: same roles, no audit event.
 *
 * - the last person able to manage a resource's access can be neither demoted nor removed;
 * - nobody gives (or takes away) a role holding permissions they do not hold;
 * - only administrators give, take away or remove administrator;
 * - a role goes only to the principal kinds it applies to; a member keeps at least one role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Problem } from '../../src/model/errors.js';
import type { ResourceRef } from '../../src/model/policy.js';
import { deleteMembership, findMembership } from '../../src/store/memberships.js';
import type { MembershipRow } from '../../src/store/schema.js';
import { goldenGrants } from '../support/golden-roles.js';
import { openServiceStore, type ServiceStore } from '../support/service-store.js';

let h: ServiceStore;

beforeAll(async () => {
  h = await openServiceStore();
});

afterAll(async () => {
  await h?.close();
});

/** A fresh project, created through the service by a new user (its only administrator). */
async function newProject() {
  const owner = await h.user('Owner');
  const view = (await h.services.projects.create(owner.actor, { displayName: 'Service test' })) as { id: string };
  const project: ResourceRef = { type: 'project', id: view.id };
  return { owner, project };
}

/**
 * Runs a change that must be refused: returns the Problem, and checks that no audit event was
 * written and that `unchanged` reads the same before and after.
 */
async function refused(change: () => Promise<unknown>, unchanged: () => Promise<unknown>): Promise<Problem> {
  const [auditBefore, stateBefore] = [await h.auditCount(), await unchanged()];
  let problem: unknown;
  try {
    await change();
  } catch (error) {
    problem = error;
  }
  expect(problem, 'the change was not refused').toBeInstanceOf(Problem);
  expect(await h.auditCount(), 'a refused change wrote an audit event').toBe(auditBefore);
  expect(await unchanged(), 'a refused change left something changed').toEqual(stateBefore);
  return problem as Problem;
}

describe('the last access manager', () => {
  it('the only administrator cannot demote themselves; with a second administrator they can, with one audit event', async () => {
    const { owner, project } = await newProject();
    const granter = await h.granter(project, owner.id);
    const problem = await refused(
      () => h.services.members.setRoles(owner.actor, project, granter, owner.id, ['viewer']),
      () => h.rolesOf(project, owner.id),
    );
    expect(problem.status).toBe(409);
    expect(problem.reason).toMatchObject({
      code: 'last_access_manager',
      requiredPermissions: ['sanity.project.members.read', 'sanity.project.roles.read', 'sanity.project.members.update'],
    });
    // Removing the administrator role while keeping another is the same demotion.
    await h.services.members.addRole(owner.actor, project, granter, owner.id, 'editor');
    const remove = await refused(
      () => h.services.members.removeRole(owner.actor, project, granter, owner.id, 'administrator'),
      () => h.rolesOf(project, owner.id),
    );
    expect(remove.reason.code).toBe('last_access_manager');

    const second = await h.user();
    await h.grant(project, { kind: 'user', id: second.id }, ['administrator']);
    const before = await h.auditCount();
    await h.services.members.setRoles(owner.actor, project, granter, owner.id, ['viewer']);
    expect(await h.rolesOf(project, owner.id)).toEqual(['viewer']);
    expect(await h.auditCount()).toBe(before + 1);
  });

  it('the only administrator cannot be removed, not even by themselves', async () => {
    const { owner, project } = await newProject();
    const granter = await h.granter(project, owner.id);
    const problem = await refused(
      () => h.services.members.remove(owner.actor, project, granter, owner.id),
      () => h.rolesOf(project, owner.id),
    );
    expect(problem.status).toBe(409);
    expect(problem.reason.code).toBe('last_access_manager');
  });

  it('an administrator robot does not count: a project needs a person who can manage it', async () => {
    const { owner, project } = await newProject();
    const granter = await h.granter(project, owner.id);
    const robot = await h.services.robots.create(owner.actor, project, granter, {
      label: 'ci',
      memberships: [{ resourceType: 'project', resourceId: project.id, roleNames: ['administrator'] }],
    });
    expect(await h.rolesOf(project, robot.id)).toEqual(['administrator']);
    const problem = await refused(
      () => h.services.members.setRoles(owner.actor, project, granter, owner.id, ['developer']),
      () => h.rolesOf(project, owner.id),
    );
    expect(problem.reason.code).toBe('last_access_manager');
  });

  it('a change that takes nothing from a person who manages access is not held to the rule', async () => {
    // No person manages the project any more (an operator removed its owner in the store); an
    // administrator robot is left. The rule guards against changes that take access management
    // away, and this one takes nothing from anyone who has it: a viewer becomes an editor and back.
    const { owner, project } = await newProject();
    const robot = await h.services.robots.create(owner.actor, project, await h.granter(project, owner.id), {
      label: 'ops',
      memberships: [{ resourceType: 'project', resourceId: project.id, roleNames: ['administrator'] }],
    });
    const viewer = await h.user();
    await h.grant(project, { kind: 'user', id: viewer.id }, ['viewer']);
    await deleteMembership(h.store.db, (await findMembership(h.store.db, project, owner.id)) as MembershipRow);
    const granter = await h.granter(project, robot.id);
    await h.services.members.setRoles(owner.actor, project, granter, viewer.id, ['editor']);
    expect(await h.rolesOf(project, viewer.id)).toEqual(['editor']);
    await h.services.members.setRoles(owner.actor, project, granter, viewer.id, ['viewer']);
    expect(await h.rolesOf(project, viewer.id)).toEqual(['viewer']);
  });

  it('the same holds on an organization', async () => {
    const owner = await h.user();
    const organization = (await h.services.organizations.create(owner.actor, { name: 'Service test org' })) as { id: string };
    const resource: ResourceRef = { type: 'organization', id: organization.id };
    expect(await h.rolesOf(resource, owner.id)).toEqual(['administrator']);
    const granter = await h.granter(resource, owner.id);
    const problem = await refused(
      () => h.services.members.setRoles(owner.actor, resource, granter, owner.id, ['member']),
      () => h.rolesOf(resource, owner.id),
    );
    expect(problem.reason).toMatchObject({ code: 'last_access_manager', requiredPermissions: expect.any(Array) });
  });
});

describe('no escalation', () => {
  it('a developer cannot give a person a role holding permissions it lacks, and is told which', async () => {
    const { project } = await newProject();
    const developer = await h.user();
    const target = await h.user();
    await h.grant(project, { kind: 'user', id: developer.id }, ['developer']);
    await h.grant(project, { kind: 'user', id: target.id }, ['viewer']);
    const granter = await h.granter(project, developer.id);
    // The service does not rely on the route's permission check: the developer's granter is enough.
    const problem = await refused(
      () => h.services.members.addRole(developer.actor, project, granter, target.id, 'administrator'),
      () => h.rolesOf(project, target.id),
    );
    expect(problem.status).toBe(403);
    const missing = [...goldenGrants('project', ['administrator'])].filter((g) => !goldenGrants('project', ['developer']).has(g));
    expect(problem.reason).toMatchObject({ code: 'privilege_escalation', role: 'administrator', operation: 'grant' });
    expect(problem.reason.missingPermissions).toEqual(missing.sort());
  });

  it('a developer may create robots with roles it holds all of, and not with administrator', async () => {
    const { project } = await newProject();
    const developer = await h.user();
    await h.grant(project, { kind: 'user', id: developer.id }, ['developer']);
    const granter = await h.granter(project, developer.id);
    const robotWith = (roleNames: string[]) =>
      h.services.robots.create(developer.actor, project, granter, {
        label: roleNames.join('+'),
        memberships: [{ resourceType: 'project', resourceId: project.id, roleNames }],
      });
    for (const role of ['developer', 'editor', 'viewer', 'deploy-studio']) {
      const robot = await robotWith([role]);
      expect(await h.rolesOf(project, robot.id), role).toEqual([role]);
    }
    const robotCount = () => h.store.db.selectFrom('robots').select('id').where('resource_id', '=', project.id).execute();
    const problem = await refused(() => robotWith(['viewer', 'administrator']), robotCount);
    expect(problem.reason).toMatchObject({ code: 'privilege_escalation', role: 'administrator' });
  });

  it('taking a role away follows the rule for giving it: a developer may take editor away, not administrator', async () => {
    const { project } = await newProject();
    const developer = await h.user();
    const target = await h.user();
    await h.grant(project, { kind: 'user', id: developer.id }, ['developer']);
    await h.grant(project, { kind: 'user', id: target.id }, ['viewer', 'editor', 'administrator']);
    const granter = await h.granter(project, developer.id);
    // The developer holds every permission of editor (the project's owner stays its administrator)…
    await h.services.members.removeRole(developer.actor, project, granter, target.id, 'editor');
    expect(await h.rolesOf(project, target.id)).toEqual(['administrator', 'viewer']);
    // …but not those of administrator.
    const problem = await refused(
      () => h.services.members.removeRole(developer.actor, project, granter, target.id, 'administrator'),
      () => h.rolesOf(project, target.id),
    );
    expect(problem.reason).toMatchObject({ code: 'privilege_escalation', role: 'administrator', operation: 'revoke' });
  });
});

describe('administrators only', () => {
  /** A caller holding every permission an administrator has, under another role's name. */
  const everythingButTheName = () => ({ roleNames: ['operator'], grants: goldenGrants('project', ['administrator']) });

  it('only an administrator removes an administrator, even from a caller holding every permission', async () => {
    const { owner, project } = await newProject();
    const second = await h.user();
    await h.grant(project, { kind: 'user', id: second.id }, ['administrator']);
    const problem = await refused(
      () => h.services.members.remove(owner.actor, project, everythingButTheName(), second.id),
      () => h.rolesOf(project, second.id),
    );
    expect(problem.status).toBe(403);
    expect(problem.reason).toMatchObject({ code: 'administrator_only', operation: 'remove', rolesHeld: ['operator'] });
    expect(problem.message).toBe(`Only administrators can remove an administrator from project ${project.id}`);

    await h.services.members.remove(owner.actor, project, await h.granter(project, owner.id), second.id);
    expect(await h.rolesOf(project, second.id)).toEqual([]);
  });

  it('only an administrator gives the administrator role', async () => {
    const { project } = await newProject();
    const target = await h.user();
    await h.grant(project, { kind: 'user', id: target.id }, ['viewer']);
    const problem = await refused(
      () => h.services.members.addRole(target.actor, project, everythingButTheName(), target.id, 'administrator'),
      () => h.rolesOf(project, target.id),
    );
    expect(problem.reason).toMatchObject({ code: 'administrator_only', operation: 'grant' });
  });

  it('only an administrator deletes an administrator robot', async () => {
    const { owner, project } = await newProject();
    const granter = await h.granter(project, owner.id);
    const robot = await h.services.robots.create(owner.actor, project, granter, {
      label: 'admin robot',
      memberships: [{ resourceType: 'project', resourceId: project.id, roleNames: ['administrator'] }],
    });
    const problem = await refused(
      () => h.services.robots.remove(owner.actor, project, everythingButTheName(), robot.id),
      () => h.rolesOf(project, robot.id),
    );
    expect(problem.reason.code).toBe('administrator_only');
    expect(problem.message).toContain('an administrator robot');
    await h.services.robots.remove(owner.actor, project, granter, robot.id);
    expect(await h.rolesOf(project, robot.id)).toEqual([]);
  });
});

describe('roles apply to principal kinds', () => {
  it('a robot cannot get a role that does not apply to robots (contributor)', async () => {
    const { owner, project } = await newProject();
    const granter = await h.granter(project, owner.id);
    const robots = () => h.store.db.selectFrom('robots').select('id').where('resource_id', '=', project.id).execute();
    const problem = await refused(
      () =>
        h.services.robots.create(owner.actor, project, granter, {
          label: 'writer',
          memberships: [{ resourceType: 'project', resourceId: project.id, roleNames: ['contributor'] }],
        }),
      robots,
    );
    expect(problem.status).toBe(400);
    expect(problem.reason).toMatchObject({ code: 'role_not_applicable', role: 'contributor', recipientKind: 'robot' });
  });

  it('a person cannot get a role that applies to robots only (deploy-studio)', async () => {
    const { owner, project } = await newProject();
    const target = await h.user();
    await h.grant(project, { kind: 'user', id: target.id }, ['viewer']);
    const granter = await h.granter(project, owner.id);
    const problem = await refused(
      () => h.services.members.addRole(owner.actor, project, granter, target.id, 'deploy-studio'),
      () => h.rolesOf(project, target.id),
    );
    expect(problem.status).toBe(400);
    expect(problem.reason).toMatchObject({ code: 'role_not_applicable', role: 'deploy-studio', recipientKind: 'user' });
  });

  it('a member keeps at least one role', async () => {
    const { owner, project } = await newProject();
    const target = await h.user();
    await h.grant(project, { kind: 'user', id: target.id }, ['viewer']);
    const granter = await h.granter(project, owner.id);
    const problem = await refused(
      () => h.services.members.setRoles(owner.actor, project, granter, target.id, []),
      () => h.rolesOf(project, target.id),
    );
    expect(problem.status).toBe(409);
    expect(problem.reason.code).toBe('last_role');
  });
});
