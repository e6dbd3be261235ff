/**
 * Changing a member's roles: add one, remove one, or replace the set. Whoever asks must be able to
 * grant (and revoke) the roles involved, every member keeps a role, and some person can always
 * still manage the resource's members.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantsOf, type RolePermission } from '../../src/model/roles.js';
import {
  addMember,
  createOrganization,
  createProject,
  createRobot,
  expectErrorEnvelope,
  type ResourceKind,
  V,
} from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});

afterAll(async () => {
  await server?.close();
});

type User = { userId: string; token: string };

/** A project with its owner (administrator) and one more member holding `roleNames`. */
async function projectWithMember(roleNames: string[] = ['viewer']) {
  const owner = await server.createUser();
  const projectId = await createProject(api, owner.token);
  const member = await server.createUser();
  await addMember(server, { type: 'project', id: projectId }, member.userId, roleNames);
  return { owner, member, projectId, base: `${V}/access/project/${projectId}/users` };
}

async function rolesOf(base: string, userId: string, token: string): Promise<string[]> {
  const res = await api('GET', `${base}/${userId}`, { token });
  expect(res.status, res.text).toBe(200);
  return res.body.memberships[0].roleNames;
}

/**
 * A custom role written straight to the store (the custom-role routes are another slice), with
 * its grants computed the way the role service computes them.
 */
async function insertCustomRole(
  resource: { type: ResourceKind; id: string },
  name: string,
  permissions: RolePermission[],
  applies = { users: true, robots: true },
) {
  const now = new Date().toISOString();
  await server.running.store.db
    .insertInto('roles')
    .values({
      resource_type: resource.type,
      resource_id: resource.id,
      name,
      title: name,
      description: 'Made by a test',
      applies_to_users: applies.users ? 1 : 0,
      applies_to_robots: applies.robots ? 1 : 0,
      permissions: JSON.stringify(permissions),
      grants: JSON.stringify([...grantsOf({ permissions })]),
      created_at: now,
      updated_at: now,
    })
    .execute();
}

async function auditEvents(targetId: string) {
  return server.running.store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('target_id', '=', targetId)
    .where('action', '=', 'member.roles.update')
    .orderBy('id')
    .execute();
}

describe('adding a role (PUT …/users/:userId/roles/:roleName)', () => {
  it('an administrator adds a role; the reply is the updated user, the member list shows it at once', async () => {
    const { owner, member, base } = await projectWithMember(['viewer']);
    // Warm the member-list cache first: the change must still show on the next request.
    const before = await api('GET', base, { token: owner.token });
    expect(before.status).toBe(200);

    const res = await api('PUT', `${base}/${member.userId}/roles/editor`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.sanityUserId).toBe(member.userId);
    expect(res.body.memberships[0].roleNames).toEqual(['editor', 'viewer']);
    expect(res.body).toEqual((await api('GET', `${base}/${member.userId}`, { token: owner.token })).body);

    const list = await api('GET', base, { token: owner.token });
    const listed = list.body.data.find((u: { sanityUserId: string }) => u.sanityUserId === member.userId);
    expect(listed.memberships[0].roleNames).toEqual(['editor', 'viewer']);

    const events = await auditEvents(member.userId);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.before ?? 'null')).toEqual({ roleNames: ['viewer'] });
    expect(JSON.parse(events[0]?.after ?? 'null')).toEqual({ roleNames: ['editor', 'viewer'] });
    expect(events[0]?.actor_id).toBe(owner.userId);
  });

  it('is idempotent: adding a role already held changes nothing and records nothing', async () => {
    const { owner, member, base } = await projectWithMember(['viewer']);
    const res = await api('PUT', `${base}/${member.userId}/roles/viewer`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.memberships[0].roleNames).toEqual(['viewer']);
    expect(await auditEvents(member.userId)).toHaveLength(0);
  });

  it('contributor can be given to a person, but not to a robot', async () => {
    const { owner, member, projectId, base } = await projectWithMember(['viewer']);
    const res = await api('PUT', `${base}/${member.userId}/roles/contributor`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.memberships[0].roleNames).toEqual(['contributor', 'viewer']);

    const robot = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: { label: 'ci', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['contributor'] }] },
    });
    expectErrorEnvelope(robot, 400, 'role_not_applicable');
  });

  it('a robot-only role is not applicable to a person (400 role_not_applicable), and nothing changes', async () => {
    const { owner, member, base } = await projectWithMember(['viewer']);
    const res = await api('PUT', `${base}/${member.userId}/roles/deploy-studio`, { token: owner.token });
    expectErrorEnvelope(res, 400, 'role_not_applicable');
    expect(res.body.reason).toMatchObject({ role: 'deploy-studio', recipientKind: 'user' });
    expect(await rolesOf(base, member.userId, owner.token)).toEqual(['viewer']);
  });

  it('an unknown role is a 404 that names it', async () => {
    const { owner, member, base } = await projectWithMember(['viewer']);
    const res = await api('PUT', `${base}/${member.userId}/roles/no-such-role`, { token: owner.token });
    expectErrorEnvelope(res, 404, 'role_not_found');
    expect(res.body.message).toContain('no-such-role');
    const bad = await api('PUT', `${base}/${member.userId}/roles/Not%20A%20Role`, { token: owner.token });
    expectErrorEnvelope(bad, 400, 'invalid_input');
  });

  it('a non-member is a 404 that points at invitations; a robot is pointed at its robot', async () => {
    const { owner, projectId, base } = await projectWithMember(['viewer']);
    const stranger = await server.createUser();
    const res = await api('PUT', `${base}/${stranger.userId}/roles/viewer`, { token: owner.token });
    expectErrorEnvelope(res, 404, 'not_found');
    expect(res.body.reason.hint).toMatch(/invitation/);

    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const viaUsers = await api('PUT', `${base}/${robot.id}/roles/editor`, { token: owner.token });
    expectErrorEnvelope(viaUsers, 404, 'not_found');
    expect(viaUsers.body.reason.hint).toContain(`/robots/${robot.id}`);
    const robotNow = await api('GET', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(robotNow.body.memberships[0].roleNames).toEqual(['viewer']);
  });

  it('needs members.update: a viewer is refused with missing_permission', async () => {
    const { owner, member, base } = await projectWithMember(['viewer']);
    const res = await api('PUT', `${base}/${owner.userId}/roles/viewer`, { token: member.token });
    expectErrorEnvelope(res, 403, 'missing_permission');
    expect(res.body.reason.permission).toBe('sanity.project.members.update');
    expect(await rolesOf(base, owner.userId, owner.token)).toEqual(['administrator']);
  });

  it('a robot administrator can change a person’s roles', async () => {
    const { owner, member, projectId, base } = await projectWithMember(['viewer']);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    const res = await api('PUT', `${base}/${member.userId}/roles/editor`, { token: robot.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.memberships[0].roleNames).toEqual(['editor', 'viewer']);
    const removed = await api('DELETE', `${base}/${member.userId}/roles/viewer`, { token: robot.token });
    expect(removed.status, removed.text).toBe(204);
    expect(await rolesOf(base, member.userId, owner.token)).toEqual(['editor']);
    const events = await auditEvents(member.userId);
    expect(events.map((e) => e.actor_kind)).toEqual(['robot', 'robot']);
  });
});

describe('no privilege escalation', () => {
  /** A manager of members who holds nothing else: member and role permissions only. */
  const MEMBER_MANAGER: RolePermission[] = [
    { name: 'sanity-project', action: 'read' },
    { name: 'sanity-project-members', action: 'read' },
    { name: 'sanity-project-members', action: 'update' },
    { name: 'sanity-project-roles', action: 'read' },
  ];

  it('a member manager cannot grant roles whose permissions it lacks (403 privilege_escalation)', async () => {
    const { owner, member, projectId, base } = await projectWithMember(['viewer']);
    await insertCustomRole({ type: 'project', id: projectId }, 'member-manager', MEMBER_MANAGER);
    const manager = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, manager.userId, ['member-manager']);

    // viewer is already held: still vetted, so the answer does not depend on the target's roles.
    for (const role of ['administrator', 'editor', 'viewer']) {
      const res = await api('PUT', `${base}/${member.userId}/roles/${role}`, { token: manager.token });
      expectErrorEnvelope(res, 403, 'privilege_escalation', role);
      expect(res.body.reason.missingPermissions.length).toBeGreaterThan(0);
    }
    // It may grant what it holds: its own role.
    const ok = await api('PUT', `${base}/${member.userId}/roles/member-manager`, { token: manager.token });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.memberships[0].roleNames).toEqual(['member-manager', 'viewer']);
    // …but not revoke one whose permissions it lacks (viewer has document permissions).
    const revoke = await api('DELETE', `${base}/${member.userId}/roles/viewer`, { token: manager.token });
    expectErrorEnvelope(revoke, 403, 'privilege_escalation');
    expect(revoke.body.reason.operation).toBe('revoke');
    const replace = await api('PUT', `${base}/${member.userId}/roles`, {
      token: manager.token,
      body: { roleNames: ['member-manager'] },
    });
    expectErrorEnvelope(replace, 403, 'privilege_escalation');
    expect(await rolesOf(base, member.userId, owner.token)).toEqual(['member-manager', 'viewer']);
  });

  it('holding every permission of administrator is not enough to grant or revoke it (403 administrator_only)', async () => {
    const { owner, member, projectId, base } = await projectWithMember(['viewer']);
    const everything = (await api('GET', `${V}/access/project/${projectId}/roles/administrator`, { token: owner.token })).body
      .permissions as RolePermission[];
    await insertCustomRole({ type: 'project', id: projectId }, 'almost-admin', everything);
    const deputy = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, deputy.userId, ['almost-admin']);

    const grant = await api('PUT', `${base}/${member.userId}/roles/administrator`, { token: deputy.token });
    expectErrorEnvelope(grant, 403, 'administrator_only');
    expect(grant.body.message).toBe(`Only administrators can grant the administrator role on project ${projectId}`);

    const setAdmin = await api('PUT', `${base}/${member.userId}/roles`, {
      token: deputy.token,
      body: { roleNames: ['administrator'] },
    });
    expectErrorEnvelope(setAdmin, 403, 'administrator_only');

    // The owner also holds editor, so taking administrator away would not be its last role.
    expect((await api('PUT', `${base}/${owner.userId}/roles/editor`, { token: owner.token })).status).toBe(200);
    const revoke = await api('DELETE', `${base}/${owner.userId}/roles/administrator`, { token: deputy.token });
    expectErrorEnvelope(revoke, 403, 'administrator_only');
    expect(revoke.body.message).toBe(`Only administrators can revoke the administrator role on project ${projectId}`);

    // Everything else it may do: it holds every permission.
    const editor = await api('PUT', `${base}/${member.userId}/roles/editor`, { token: deputy.token });
    expect(editor.status, editor.text).toBe(200);
    expect(await rolesOf(base, member.userId, owner.token)).toEqual(['editor', 'viewer']);
    expect(await rolesOf(base, owner.userId, owner.token)).toEqual(['administrator', 'editor']);
  });
});

describe('removing a role (DELETE …/users/:userId/roles/:roleName)', () => {
  it('removes it (204); a role not held is a 404 that says so', async () => {
    const { owner, member, base } = await projectWithMember(['editor', 'viewer']);
    const res = await api('DELETE', `${base}/${member.userId}/roles/editor`, { token: owner.token });
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe('');
    expect(await rolesOf(base, member.userId, owner.token)).toEqual(['viewer']);

    const again = await api('DELETE', `${base}/${member.userId}/roles/editor`, { token: owner.token });
    expectErrorEnvelope(again, 404, 'role_not_held');
    expect(again.body.message).toContain('does not hold role editor');
    expect(again.body.reason.rolesHeld).toEqual(['viewer']);
  });

  it('the last role cannot be removed (409 last_role): remove the member instead', async () => {
    const { owner, member, base } = await projectWithMember(['viewer']);
    const res = await api('DELETE', `${base}/${member.userId}/roles/viewer`, { token: owner.token });
    expectErrorEnvelope(res, 409, 'last_role');
    expect(res.body.reason.hint).toContain(`DELETE /access/project/`);
    expect(await rolesOf(base, member.userId, owner.token)).toEqual(['viewer']);
    expect(await auditEvents(member.userId)).toHaveLength(0);
  });

  it('the last administrator keeps administrator (409 last_access_manager) until another exists', async () => {
    const { owner, member, base } = await projectWithMember(['viewer']);
    expect((await api('PUT', `${base}/${owner.userId}/roles/viewer`, { token: owner.token })).status).toBe(200);
    const res = await api('DELETE', `${base}/${owner.userId}/roles/administrator`, { token: owner.token });
    expectErrorEnvelope(res, 409, 'last_access_manager');
    expect(await rolesOf(base, owner.userId, owner.token)).toEqual(['administrator', 'viewer']);

    expect((await api('PUT', `${base}/${member.userId}/roles/administrator`, { token: owner.token })).status).toBe(200);
    const now = await api('DELETE', `${base}/${owner.userId}/roles/administrator`, { token: owner.token });
    expect(now.status, now.text).toBe(204);
    expect(await rolesOf(base, owner.userId, member.token)).toEqual(['viewer']);
  });
});

describe('replacing the role set (PUT …/users/:userId/roles)', () => {
  it('replaces the whole set; listing order is by name', async () => {
    const { owner, member, base } = await projectWithMember(['viewer']);
    const res = await api('PUT', `${base}/${member.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['editor', 'developer', 'editor'] },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.memberships[0].roleNames).toEqual(['developer', 'editor']);
    expect(await rolesOf(base, member.userId, owner.token)).toEqual(['developer', 'editor']);
    const events = await auditEvents(member.userId);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.after ?? 'null')).toEqual({ roleNames: ['developer', 'editor'] });

    const same = await api('PUT', `${base}/${member.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['editor', 'developer'] },
    });
    expect(same.status).toBe(200);
    expect(await auditEvents(member.userId)).toHaveLength(1);
  });

  it('an empty set is refused (409 last_role); bad bodies are 400s naming the field', async () => {
    const { owner, member, base } = await projectWithMember(['viewer']);
    const empty = await api('PUT', `${base}/${member.userId}/roles`, { token: owner.token, body: { roleNames: [] } });
    expectErrorEnvelope(empty, 409, 'last_role');
    expect(empty.body.message).toMatch(/at least one role/);

    const cases: Array<[unknown, string]> = [
      [{}, 'body'],
      [{ roleNames: 'viewer' }, 'body.roleNames'],
      [{ roleNames: ['Viewer!'] }, 'body.roleNames.0'],
      [{ roleNames: Array.from({ length: 21 }, (_, i) => `r${i}`) }, 'body.roleNames'],
      [{ roleNames: ['viewer'], extra: true }, 'body.extra'],
    ];
    for (const [body, field] of cases) {
      const res = await api('PUT', `${base}/${member.userId}/roles`, { token: owner.token, body });
      expectErrorEnvelope(res, 400, 'invalid_input', JSON.stringify(body));
      expect(res.body.reason.field).toBe(field);
    }
    const unknown = await api('PUT', `${base}/${member.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['editor', 'nope'] },
    });
    expectErrorEnvelope(unknown, 404, 'role_not_found');
    expect(await rolesOf(base, member.userId, owner.token)).toEqual(['viewer']);
  });

  it('downgrading the last administrator to viewer is refused (409 last_access_manager), allowed once another exists', async () => {
    const { owner, member, projectId, base } = await projectWithMember(['viewer']);
    const res = await api('PUT', `${base}/${owner.userId}/roles`, { token: owner.token, body: { roleNames: ['viewer'] } });
    expectErrorEnvelope(res, 409, 'last_access_manager');
    expect(await rolesOf(base, owner.userId, owner.token)).toEqual(['administrator']);

    // A robot administrator does not count: the last access manager must be a person.
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    const byRobot = await api('PUT', `${base}/${owner.userId}/roles`, { token: robot.token, body: { roleNames: ['viewer'] } });
    expectErrorEnvelope(byRobot, 409, 'last_access_manager');

    const promote = await api('PUT', `${base}/${member.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['administrator'] },
    });
    expect(promote.status, promote.text).toBe(200);
    const now = await api('PUT', `${base}/${owner.userId}/roles`, { token: owner.token, body: { roleNames: ['viewer'] } });
    expect(now.status, now.text).toBe(200);
    expect(now.body.memberships[0].roleNames).toEqual(['viewer']);
    // The former owner is a viewer now: it may no longer change roles.
    const denied = await api('PUT', `${base}/${member.userId}/roles/viewer`, { token: owner.token });
    expectErrorEnvelope(denied, 403, 'missing_permission');
  });

  it('keeping administrator while swapping the other roles needs no other manager', async () => {
    const { owner, base } = await projectWithMember(['viewer']);
    const res = await api('PUT', `${base}/${owner.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['administrator', 'editor'] },
    });
    expect(res.status, res.text).toBe(200);
    const back = await api('PUT', `${base}/${owner.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['administrator'] },
    });
    expect(back.status, back.text).toBe(200);
    expect(back.body.memberships[0].roleNames).toEqual(['administrator']);
  });
});

describe('on an organization', () => {
  it('an organization administrator changes a member’s roles; the plural path works too', async () => {
    const owner: User = await server.createUser();
    const organizationId = await createOrganization(api, owner.token);
    const member = await server.createUser();
    await addMember(server, { type: 'organization', id: organizationId }, member.userId, ['member']);
    const base = `${V}/access/organizations/${organizationId}/users`;

    const add = await api('PUT', `${base}/${member.userId}/roles/administrator`, { token: owner.token });
    expect(add.status, add.text).toBe(200);
    expect(add.body.memberships[0]).toMatchObject({
      resourceType: 'organization',
      resourceId: organizationId,
      roleNames: ['administrator', 'member'],
    });
    const notApplicable = await api('PUT', `${base}/${member.userId}/roles/editor`, { token: owner.token });
    expectErrorEnvelope(notApplicable, 404, 'role_not_found');

    // Two administrators now: the owner may step down to member.
    const down = await api('PUT', `${base}/${owner.userId}/roles`, { token: owner.token, body: { roleNames: ['member'] } });
    expect(down.status, down.text).toBe(200);
    const last = await api('DELETE', `${base}/${member.userId}/roles/administrator`, { token: member.token });
    expectErrorEnvelope(last, 409, 'last_access_manager');
    expect(last.body.reason.requiredPermissions).toContain('sanity.organization.members.update');
  });
});

describe('concurrent changes', () => {
  it('two administrators demoting each other at once: exactly one succeeds, a person still manages', async () => {
    for (let round = 0; round < 5; round++) {
      const { owner, member, base } = await projectWithMember(['administrator']);
      const [a, b] = await Promise.all([
        api('PUT', `${base}/${member.userId}/roles`, { token: owner.token, body: { roleNames: ['viewer'] } }),
        api('PUT', `${base}/${owner.userId}/roles`, { token: member.token, body: { roleNames: ['viewer'] } }),
      ]);
      // The loser is refused by the rule (409) or, if the winner committed before it was even
      // authorized, because it is no longer an administrator (403).
      const [winner, loser] = [a.status, b.status].sort();
      expect(winner, `${a.text} ${b.text}`).toBe(200);
      expect([403, 409], `${a.text} ${b.text}`).toContain(loser);
      const roles = [await rolesOf(base, owner.userId, owner.token), await rolesOf(base, member.userId, member.token)];
      expect(roles.filter((r) => r.includes('administrator'))).toHaveLength(1);
    }
  });
});
