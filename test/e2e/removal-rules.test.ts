/**
 * Taking access away follows the rules of giving it: removing a member or deleting a robot takes
 * every role it holds, so the caller must be able to take away each of them — hold all of their
 * permissions (no escalation), and be an administrator to remove an administrator.
 *
 * The attacks, as they were found: a custom role holding only `members.read` and `members.delete`
 * removed an administrator (204), and a developer robot deleted an administrator robot (204).
 * Both must now be refused and change nothing, while the rules still let through what they should.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createOrganization, createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser('removal-owner@example.com', 'Rae Removal');
  projectId = await createProject(api, owner.token, 'Removal rules');
});

afterAll(async () => {
  await server?.close();
});

const project = () => ({ type: 'project' as const, id: projectId });

async function auditCount(): Promise<number> {
  const row = await server.running.store.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A custom role of the project, made through the API by its owner. */
async function customRole(name: string, permissions: Array<{ name: string; action: string }>): Promise<string> {
  const res = await api('POST', `${V}/access/project/${projectId}/roles`, {
    token: owner.token,
    body: { name, title: name, appliesToUsers: true, appliesToRobots: true, permissions },
  });
  expect(res.status, res.text).toBe(201);
  return name;
}

async function isMember(userId: string): Promise<boolean> {
  return (await api('GET', `${V}/access/project/${projectId}/users/${userId}`, { token: owner.token })).status === 200;
}

async function robotExists(robotId: string): Promise<boolean> {
  return (await api('GET', `${V}/access/project/${projectId}/robots/${robotId}`, { token: owner.token })).status === 200;
}

describe('removing a member', () => {
  it('a custom role with only members.read + members.delete cannot remove an administrator: 403 administrator_only', async () => {
    const remover = await server.createUser();
    await addMember(server, project(), remover.userId, [
      await customRole('remover', [
        { name: 'sanity-project-members', action: 'read' },
        { name: 'sanity-project-members', action: 'delete' },
      ]),
    ]);
    const admin = await server.createUser();
    await addMember(server, project(), admin.userId, ['administrator']);

    const before = await auditCount();
    const res = await api('DELETE', `${V}/access/project/${projectId}/users/${admin.userId}`, { token: remover.token });
    expectErrorEnvelope(res, 403, 'administrator_only');
    expect(res.body.message).toBe(`Only administrators can remove an administrator from project ${projectId}`);
    expect(res.body.reason).toMatchObject({ role: 'administrator', operation: 'remove', rolesHeld: ['remover'] });
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="insufficient_scope"');
    expect(await isMember(admin.userId)).toBe(true);
    expect(await auditCount()).toBe(before);
    // The owner itself is just as safe from it.
    expectErrorEnvelope(
      await api('DELETE', `${V}/access/project/${projectId}/users/${owner.userId}`, { token: remover.token }),
      403,
      'administrator_only',
    );
  });

  it('the same role cannot remove members whose roles hold permissions it lacks (403 privilege_escalation), and can remove those it could have given', async () => {
    const remover = await server.createUser();
    await addMember(server, project(), remover.userId, [
      await customRole('remover-and-reader', [
        { name: 'sanity-project-members', action: 'read' },
        { name: 'sanity-project-members', action: 'delete' },
      ]),
    ]);
    const viewer = await server.createUser();
    await addMember(server, project(), viewer.userId, ['viewer']);
    const refused = await api('DELETE', `${V}/access/project/${projectId}/users/${viewer.userId}`, { token: remover.token });
    expectErrorEnvelope(refused, 403, 'privilege_escalation');
    expect(refused.body.reason.missingPermissions).toContain('sanity.project.read');
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope", scope="[^"]*sanity\.project\.read/);
    expect(await isMember(viewer.userId)).toBe(true);

    const reader = await server.createUser();
    await addMember(server, project(), reader.userId, [
      await customRole('members-reader', [{ name: 'sanity-project-members', action: 'read' }]),
    ]);
    const removed = await api('DELETE', `${V}/access/project/${projectId}/users/${reader.userId}`, { token: remover.token });
    expect(removed.status, removed.text).toBe(204);
    expect(await isMember(reader.userId)).toBe(false);
  });

  it('an administrator removes an administrator; an organization administrator removes a project administrator', async () => {
    const admin = await server.createUser();
    await addMember(server, project(), admin.userId, ['administrator']);
    const res = await api('DELETE', `${V}/access/project/${projectId}/users/${admin.userId}`, { token: owner.token });
    expect(res.status, res.text).toBe(204);

    const orgOwner = await server.createUser();
    const organizationId = await createOrganization(api, orgOwner.token, 'Removal org');
    const inOrg = await api('POST', `${V}/projects`, {
      token: orgOwner.token,
      body: { displayName: 'In the org', organizationId },
    });
    expect(inOrg.status, inOrg.text).toBe(201);
    const projectAdmin = await server.createUser();
    await addMember(server, { type: 'project', id: inOrg.body.id }, projectAdmin.userId, ['administrator']);
    const orgRobot = await createRobot(api, orgOwner.token, { type: 'organization', id: organizationId }, ['administrator']);
    const viaOrg = await api('DELETE', `${V}/access/project/${inOrg.body.id}/users/${projectAdmin.userId}`, {
      token: orgRobot.token,
    });
    expect(viaOrg.status, viaOrg.text).toBe(204);
  });
});

describe('deleting a robot', () => {
  it('a developer robot cannot delete an administrator robot: 403 administrator_only, and the robot keeps working', async () => {
    const developer = await createRobot(api, owner.token, project(), ['developer']);
    const admin = await createRobot(api, owner.token, project(), ['administrator']);
    const before = await auditCount();
    const res = await api('DELETE', `${V}/access/project/${projectId}/robots/${admin.id}`, { token: developer.token });
    expectErrorEnvelope(res, 403, 'administrator_only');
    expect(res.body.message).toBe(`Only administrators can remove an administrator robot from project ${projectId}`);
    expect(await robotExists(admin.id)).toBe(true);
    expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: admin.token })).status).toBe(200);
    expect(await auditCount()).toBe(before);

    // Nor through the legacy tokens API.
    const legacy = await api('DELETE', `${V}/projects/${projectId}/tokens/${admin.tokenId}`, { token: developer.token });
    expectErrorEnvelope(legacy, 403, 'administrator_only');
    expect(await robotExists(admin.id)).toBe(true);
  });

  it('a developer deletes robots it could have created (viewer, editor, developer), a viewer none', async () => {
    const developer = await createRobot(api, owner.token, project(), ['developer']);
    for (const role of ['viewer', 'editor', 'developer']) {
      const robot = await createRobot(api, owner.token, project(), [role]);
      const res = await api('DELETE', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: developer.token });
      expect(res.status, `${role}: ${res.text}`).toBe(204);
      expect(await robotExists(robot.id)).toBe(false);
    }
    // A custom role with tokens.delete alone deletes only robots whose roles it holds: none of the built-in ones.
    const deleter = await server.createUser();
    await addMember(server, project(), deleter.userId, [
      await customRole('robot-deleter', [{ name: 'sanity-project-tokens', action: 'delete' }]),
    ]);
    const viewerRobot = await createRobot(api, owner.token, project(), ['viewer']);
    const refused = await api('DELETE', `${V}/access/project/${projectId}/robots/${viewerRobot.id}`, { token: deleter.token });
    expectErrorEnvelope(refused, 403, 'privilege_escalation');
    expect(await robotExists(viewerRobot.id)).toBe(true);
  });

  it('an administrator deletes an administrator robot', async () => {
    const admin = await createRobot(api, owner.token, project(), ['administrator']);
    const res = await api('DELETE', `${V}/access/project/${projectId}/robots/${admin.id}`, { token: owner.token });
    expect(res.status, res.text).toBe(204);
    expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: admin.token })).status).toBe(401);
  });
});
