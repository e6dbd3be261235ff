/**
 * Organizations and their projects: an organization administrator (person or robot) administers
 * the organization's projects, listings can include the projects' robots, and projects move into,
 * between and out of organizations with the organization's attach and detach permissions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCustomRole } from '../../src/store/custom-roles.js';
import { addMember, createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser();
});

afterAll(async () => {
  await server?.close();
});

async function organization(token = owner.token, name = 'Projects org'): Promise<string> {
  const res = await api('POST', `${V}/organizations`, { token, body: { name } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

async function projectIn(organizationId: string, token = owner.token): Promise<string> {
  const res = await api('POST', `${V}/projects`, { token, body: { displayName: 'In org', organizationId } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

const move = (projectId: string, organizationId: string | null, token = owner.token) =>
  api('PATCH', `${V}/projects/${projectId}`, { token, body: { organizationId } });

const projectUsers = (projectId: string, token: string) => api('GET', `${V}/access/project/${projectId}/users`, { token });

describe('organization robots and the organization’s projects', () => {
  it('an administrator robot of the organization reaches its projects and creates robots there', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    const robot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['administrator']);

    const users = await projectUsers(projectId, robot.token);
    expect(users.status, users.text).toBe(200);
    expect(users.body.data.map((u: { sanityUserId: string }) => u.sanityUserId)).toEqual([owner.userId]);
    const created = await createRobot(api, robot.token, { type: 'project', id: projectId }, ['editor']);
    expect((await api('GET', `${V}/access/robots/me`, { token: created.token })).status).toBe(200);
    expect((await api('GET', `${V}/projects/${projectId}`, { token: robot.token })).status).toBe(200);
  });

  it('a member robot of the organization gets 404 on its projects', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    const robot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['member']);
    expectErrorEnvelope(await projectUsers(projectId, robot.token), 404, 'not_found');
    expectErrorEnvelope(
      await api('POST', `${V}/access/project/${projectId}/robots`, {
        token: robot.token,
        body: { label: 'x', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
      }),
      404,
      'not_found',
    );
  });

  it('an organization robot does not reach projects outside its organization', async () => {
    const orgId = await organization();
    const outside = await createProject(api, owner.token);
    const otherOrg = await organization();
    const elsewhere = await projectIn(otherOrg);
    const robot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['administrator']);
    expectErrorEnvelope(await projectUsers(outside, robot.token), 404, 'not_found');
    expectErrorEnvelope(await projectUsers(elsewhere, robot.token), 404, 'not_found');
  });

  it('a project robot never reaches the organization, whatever its role', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    expectErrorEnvelope(await api('GET', `${V}/access/organization/${orgId}/users`, { token: robot.token }), 404, 'not_found');
    expectErrorEnvelope(await api('GET', `${V}/organizations/${orgId}`, { token: robot.token }), 404, 'not_found');
    expectErrorEnvelope(await api('GET', `${V}/access/organization/${orgId}/robots`, { token: robot.token }), 404, 'not_found');
  });
});

describe('GET /access/organization/{id}/robots?includeChildren=true', () => {
  it('lists the robots of the organization and of its projects, paged by one cursor', async () => {
    const orgId = await organization();
    const p1 = await projectIn(orgId);
    const p2 = await projectIn(orgId);
    const outside = await createProject(api, owner.token);
    const orgRobots = [
      await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['member']),
      await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['administrator']),
    ];
    const childRobots = [
      await createRobot(api, owner.token, { type: 'project', id: p1 }, ['viewer']),
      await createRobot(api, owner.token, { type: 'project', id: p2 }, ['editor']),
      await createRobot(api, owner.token, { type: 'project', id: p1 }, ['developer']),
    ];
    await createRobot(api, owner.token, { type: 'project', id: outside }, ['viewer']);

    const own = await api('GET', `${V}/access/organization/${orgId}/robots`, { token: owner.token });
    expect(own.status).toBe(200);
    expect(own.body.totalCount).toBe(2);
    expect(own.body.data.map((r: { id: string }) => r.id).sort()).toEqual(orgRobots.map((r) => r.id).sort());

    const seen: Array<{ id: string; memberships: Array<{ resourceType: string; resourceId: string }> }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `includeChildren=true&limit=2${cursor ? `&nextCursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api('GET', `${V}/access/organization/${orgId}/robots?${query}`, { token: owner.token });
      expect(page.status, page.text).toBe(200);
      expect(page.body.totalCount).toBe(5);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    const ids = seen.map((r) => r.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids.sort()).toEqual([...orgRobots, ...childRobots].map((r) => r.id).sort());
    const child = seen.find((r) => r.id === childRobots[1]?.id);
    expect(child?.memberships).toMatchObject([{ resourceType: 'project', resourceId: p2 }]);
    // No secrets in listings.
    expect(JSON.stringify(seen)).not.toContain('gth_robot_');
  });

  it('is the plain listing on a project', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const res = await api('GET', `${V}/access/project/${projectId}/robots?includeChildren=true`, { token: owner.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalCount: 1, data: [{ id: robot.id }] });
  });

  it('follows a project that leaves the organization', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const list = () => api('GET', `${V}/access/organization/${orgId}/robots?includeChildren=true`, { token: owner.token });
    expect((await list()).body.totalCount).toBe(1);
    expect((await move(projectId, null)).status).toBe(200);
    expect((await list()).body).toMatchObject({ totalCount: 0, data: [] });
  });
});

describe('PATCH /projects/{projectId} with organizationId', () => {
  it('moves a project in and out; its members stay, and the organization’s administrators gain and lose access', async () => {
    const orgId = await organization();
    const orgAdmin = await server.createUser();
    await addMember(server, { type: 'organization', id: orgId }, orgAdmin.userId, ['administrator']);
    const projectId = await createProject(api, owner.token);
    const editor = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, editor.userId, ['editor']);
    const orgRobot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['administrator']);

    const before = await projectUsers(projectId, owner.token);
    expectErrorEnvelope(await projectUsers(projectId, orgAdmin.token), 404, 'not_found');
    expectErrorEnvelope(await projectUsers(projectId, orgRobot.token), 404, 'not_found');

    const moved = await move(projectId, orgId);
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.organizationId).toBe(orgId);
    expect((await api('GET', `${V}/projects/${projectId}`, { token: owner.token })).body.organizationId).toBe(orgId);
    const during = await projectUsers(projectId, owner.token);
    expect(during.body.data).toEqual(before.body.data);
    const implied = await projectUsers(projectId, orgAdmin.token);
    expect(implied.status, implied.text).toBe(200);
    expect((await projectUsers(projectId, orgRobot.token)).status).toBe(200);
    const listed = await api('GET', `${V}/projects?organizationId=${orgId}`, { token: owner.token });
    expect(listed.body.map((p: { id: string }) => p.id)).toContain(projectId);

    const out = await move(projectId, null);
    expect(out.status, out.text).toBe(200);
    expect(out.body.organizationId).toBeNull();
    expect((await projectUsers(projectId, owner.token)).body.data).toEqual(before.body.data);
    expectErrorEnvelope(await projectUsers(projectId, orgAdmin.token), 404, 'not_found');
    expectErrorEnvelope(await projectUsers(projectId, orgRobot.token), 404, 'not_found');
    expect((await projectUsers(projectId, editor.token)).status).toBe(200);

    const events = await server.running.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'project.update')
      .where('resource_id', '=', projectId)
      .orderBy('id')
      .execute();
    expect(events.map((e) => [JSON.parse(e.before ?? '{}').organizationId, JSON.parse(e.after ?? '{}').organizationId])).toEqual([
      [null, orgId],
      [orgId, null],
    ]);
  });

  it('moves a project between organizations with detach on one and attach on the other', async () => {
    const from = await organization();
    const to = await organization();
    const projectId = await projectIn(from);
    const res = await move(projectId, to);
    expect(res.status, res.text).toBe(200);
    expect(res.body.organizationId).toBe(to);
    // Moving to where it already is changes nothing and needs nothing more.
    expect((await move(projectId, to)).status).toBe(200);
  });

  it('needs attach on the organization it enters: 403 for a member, 404 for a stranger', async () => {
    const orgId = await organization();
    const user = await server.createUser();
    const projectId = await createProject(api, user.token);
    const stranger = await move(projectId, orgId, user.token);
    expectErrorEnvelope(stranger, 404, 'not_found');
    expect(stranger.body.message).toBe(`Organization not found: ${orgId}`);

    await addMember(server, { type: 'organization', id: orgId }, user.userId, ['member']);
    const member = await move(projectId, orgId, user.token);
    expectErrorEnvelope(member, 403, 'missing_permission');
    expect(member.body.reason).toMatchObject({
      permission: 'sanity.organization.projects.attach',
      resourceType: 'organization',
      resourceId: orgId,
      rolesHeld: ['member'],
    });
    expect((await api('GET', `${V}/projects/${projectId}`, { token: user.token })).body.organizationId).toBeNull();
  });

  it('needs detach on the organization it leaves', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    const user = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, user.userId, ['administrator']);
    await addMember(server, { type: 'organization', id: orgId }, user.userId, ['member']);
    const res = await move(projectId, null, user.token);
    expectErrorEnvelope(res, 403, 'missing_permission');
    expect(res.body.reason.permission).toBe('sanity.organization.projects.detach');
    expect((await api('GET', `${V}/projects/${projectId}`, { token: owner.token })).body.organizationId).toBe(orgId);
  });

  it('counts custom organization roles: attach without detach lets a project in but not out', async () => {
    const orgId = await organization();
    const now = new Date().toISOString();
    await insertCustomRole(server.running.store.db, {
      resource_type: 'organization',
      resource_id: orgId,
      name: 'project-attacher',
      title: 'Project attacher',
      description: 'May bring projects into the organization',
      applies_to_users: 1,
      applies_to_robots: 0,
      permissions: JSON.stringify([
        { name: 'sanity-organization', action: 'read' },
        { name: 'sanity-organization-projects', action: 'attach' },
      ]),
      grants: JSON.stringify(['sanity.organization.read', 'sanity.organization.projects.attach']),
      created_at: now,
      updated_at: now,
    });
    const user = await server.createUser();
    await addMember(server, { type: 'organization', id: orgId }, user.userId, ['project-attacher']);
    const projectId = await createProject(api, user.token);
    const into = await move(projectId, orgId, user.token);
    expect(into.status, into.text).toBe(200);
    const out = await move(projectId, null, user.token);
    expectErrorEnvelope(out, 403, 'missing_permission');
    expect(out.body.reason).toMatchObject({
      permission: 'sanity.organization.projects.detach',
      rolesHeld: ['project-attacher'],
    });
    // Creating a project inside the organization uses the same check.
    const created = await api('POST', `${V}/projects`, {
      token: user.token,
      body: { displayName: 'Made inside', organizationId: orgId },
    });
    expect(created.status, created.text).toBe(201);
  });

  it('needs sanity.project.update on the project itself', async () => {
    const orgId = await organization();
    const projectId = await createProject(api, owner.token);
    const viewer = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);
    await addMember(server, { type: 'organization', id: orgId }, viewer.userId, ['administrator']);
    expectErrorEnvelope(await move(projectId, orgId, viewer.token), 403, 'missing_permission');
  });

  it('refuses an organization id of the wrong shape', async () => {
    const projectId = await createProject(api, owner.token);
    for (const organizationId of ['', 'not an id!', 5, true]) {
      const res = await api('PATCH', `${V}/projects/${projectId}`, { token: owner.token, body: { organizationId } });
      expectErrorEnvelope(res, 400, undefined, JSON.stringify(organizationId));
    }
  });
});
