/**
 * What may I do here? Every member can ask about itself: `/user-permissions/me` lists the
 * permissions of the roles it holds, `/check` answers yes or no per `<type>.<action>`, and the
 * legacy `/grants` endpoints group the same answers by permission type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createOrganization, createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { goldenGrants, goldenRoles } from '../support/golden-roles.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser();
  projectId = await createProject(api, owner.token);
});

afterAll(async () => {
  await server?.close();
});

const check = (resource: string, permissions: string[]) =>
  `${V}/access/${resource}/user-permissions/me/check?${permissions.map((p) => `permissions=${encodeURIComponent(p)}`).join('&')}`;

/** A sample of check strings across the catalog, including ones nobody holds. */
const SAMPLE = [
  'sanity.project.read',
  'sanity.project.update',
  'sanity.project.delete',
  'sanity.project.createSession',
  'sanity.project.deployStudio',
  'sanity.project.members.read',
  'sanity.project.members.invite',
  'sanity.project.members.update',
  'sanity.project.roles.read',
  'sanity.project.roles.create',
  'sanity.project.tokens.read',
  'sanity.project.tokens.create',
  'sanity.project.cors.create',
  'sanity.project.datasets.read',
  'sanity.project.datasets.delete',
  'sanity.document.filter.update',
  'sanity.document.filter.read',
  'sanity.document.filter.mode.mode',
  'sanity.project.graphql.manage',
];

type EffectivePermission = { name: string; type: string; action: string; params: Record<string, unknown> };

describe('GET /access/{type}/{id}/user-permissions/me/check', () => {
  for (const role of goldenRoles('project').filter((r) => r.appliesToUsers)) {
    it(`answers per permission for a ${role.name}`, async () => {
      const user = await server.createUser();
      await addMember(server, { type: 'project', id: projectId }, user.userId, [role.name]);
      const res = await api('GET', check(`project/${projectId}`, SAMPLE), { token: user.token });
      expect(res.status, res.text).toBe(200);
      const grants = goldenGrants('project', [role.name]);
      expect(res.body).toEqual({ data: Object.fromEntries(SAMPLE.map((p) => [p, grants.has(p)])) });
    });
  }

  it('a viewer may read members but not update them; an administrator may do both', async () => {
    const viewer = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);
    const asked = ['sanity.project.members.read', 'sanity.project.members.update'];
    expect((await api('GET', check(`project/${projectId}`, asked), { token: viewer.token })).body).toEqual({
      data: { 'sanity.project.members.read': true, 'sanity.project.members.update': false },
    });
    expect((await api('GET', check(`projects/${projectId}`, asked), { token: owner.token })).body).toEqual({
      data: { 'sanity.project.members.read': true, 'sanity.project.members.update': true },
    });
  });

  it('an action that does not exist is false, even for an administrator', async () => {
    const res = await api('GET', check(`project/${projectId}`, ['sanity.project.members.fly', 'acme.rocket.launch']), {
      token: owner.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ data: { 'sanity.project.members.fly': false, 'acme.rocket.launch': false } });
  });

  it('takes one parameter or many; without any it is a 400 naming the parameter', async () => {
    const one = await api('GET', check(`project/${projectId}`, ['sanity.project.read']), { token: owner.token });
    expect(one.status, one.text).toBe(200);
    expect(one.body).toEqual({ data: { 'sanity.project.read': true } });

    const repeated = await api('GET', check(`project/${projectId}`, ['sanity.project.read', 'sanity.project.read']), {
      token: owner.token,
    });
    expect(repeated.body).toEqual({ data: { 'sanity.project.read': true } });

    const none = await api('GET', `${V}/access/project/${projectId}/user-permissions/me/check`, { token: owner.token });
    expectErrorEnvelope(none, 400, 'invalid_input');
    expect(none.body.message).toContain('"permissions"');

    const empty = await api('GET', check(`project/${projectId}`, ['']), { token: owner.token });
    expectErrorEnvelope(empty, 400, 'invalid_input');
    expect(empty.body.reason.field).toMatch(/^querystring\.permissions/);

    const weird = await api('GET', check(`project/${projectId}`, ['sanity.project.read;drop']), { token: owner.token });
    expectErrorEnvelope(weird, 400, 'invalid_input');

    const tooLong = await api('GET', check(`project/${projectId}`, ['a'.repeat(201)]), { token: owner.token });
    expectErrorEnvelope(tooLong, 400, 'invalid_input');

    const tooMany = Array.from({ length: 101 }, (_, i) => `sanity.project.p${i}.read`);
    const many = await api('GET', check(`project/${projectId}`, tooMany), { token: owner.token });
    expectErrorEnvelope(many, 400, 'invalid_input');
    expect(many.body.reason.field).toBe('querystring.permissions');
    const hundred = await api('GET', check(`project/${projectId}`, tooMany.slice(0, 100)), { token: owner.token });
    expect(hundred.status).toBe(200);
    expect(Object.keys(hundred.body.data)).toHaveLength(100);
  });

  it('is a 404 for a non-member and for a robot of another project; the project’s own robot may ask', async () => {
    const stranger = await server.createUser();
    const res = await api('GET', check(`project/${projectId}`, ['sanity.project.read']), { token: stranger.token });
    expectErrorEnvelope(res, 404, 'not_found');
    expect(res.body.message).toBe(`Project not found: ${projectId}`);

    const otherProject = await createProject(api, owner.token, 'Other');
    const otherRobot = await createRobot(api, owner.token, { type: 'project', id: otherProject }, ['administrator']);
    const foreign = await api('GET', check(`project/${projectId}`, ['sanity.project.read']), { token: otherRobot.token });
    expectErrorEnvelope(foreign, 404, 'not_found');

    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const own = await api('GET', check(`project/${projectId}`, ['sanity.project.read', 'sanity.project.tokens.create']), {
      token: robot.token,
    });
    expect(own.body).toEqual({ data: { 'sanity.project.read': true, 'sanity.project.tokens.create': false } });

    const anonymous = await api('GET', check(`project/${projectId}`, ['sanity.project.read']));
    expectErrorEnvelope(anonymous, 401, 'missing_token');
  });

  it('works on an organization', async () => {
    const orgOwner = await server.createUser();
    const organizationId = await createOrganization(api, orgOwner.token);
    const member = await server.createUser();
    await addMember(server, { type: 'organization', id: organizationId }, member.userId, ['member']);
    const asked = ['sanity.organization.members.read', 'sanity.organization.members.update'];
    expect((await api('GET', check(`organization/${organizationId}`, asked), { token: member.token })).body).toEqual({
      data: { 'sanity.organization.members.read': true, 'sanity.organization.members.update': false },
    });
    expect((await api('GET', check(`organizations/${organizationId}`, asked), { token: orgOwner.token })).body).toEqual({
      data: { 'sanity.organization.members.read': true, 'sanity.organization.members.update': true },
    });
  });
});

describe('GET /access/{type}/{id}/user-permissions/me', () => {
  it('lists the permissions of the roles held, each once, in a stable order', async () => {
    const viewer = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);
    const res = await api('GET', `${V}/access/project/${projectId}/user-permissions/me`, { token: viewer.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    const data = res.body.data as EffectivePermission[];
    expect(data).toContainEqual({ name: 'sanity-project-members', type: 'sanity.project.members', action: 'read', params: {} });
    expect(data).toContainEqual({
      name: 'sanity-all-documents',
      type: 'sanity.document.filter.mode',
      action: 'mode',
      params: { mode: 'read', history: false },
    });
    expect(data.some((p) => p.type === 'sanity.project.members' && p.action === 'update')).toBe(false);
    // Every permission it lists is one /check says yes to, and the other way round.
    const listed = new Set(data.map((p) => `${p.type}.${p.action}`));
    expect(listed).toEqual(new Set(goldenGrants('project', ['viewer'])));

    // Two roles with overlapping permissions: each permission once.
    await api('PUT', `${V}/access/project/${projectId}/users/${viewer.userId}/roles/editor`, { token: owner.token });
    const both = await api('GET', `${V}/access/project/${projectId}/user-permissions/me`, { token: viewer.token });
    const keys = (both.body.data as EffectivePermission[]).map((p) => JSON.stringify(p));
    expect(new Set(keys).size).toBe(keys.length);
    expect(both.body.data).toContainEqual({
      name: 'sanity-all-documents',
      type: 'sanity.document.filter.mode',
      action: 'mode',
      params: { mode: 'publish', history: true },
    });
    const again = await api('GET', `${V}/access/project/${projectId}/user-permissions/me`, { token: viewer.token });
    expect(again.body).toEqual(both.body);
  });

  it('pages with limit and nextCursor, and validates both', async () => {
    const path = `${V}/access/project/${projectId}/user-permissions/me`;
    const all = (await api('GET', path, { token: owner.token })).body;
    const seen: EffectivePermission[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&nextCursor=${cursor}` : '';
      const res = await api<{ data: EffectivePermission[]; nextCursor: string | null; totalCount: number }>(
        'GET',
        `${path}?limit=7${query}`,
        { token: owner.token },
      );
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(7);
      expect(res.body.totalCount).toBe(all.data.length);
      seen.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(all.data);

    expectErrorEnvelope(await api('GET', `${path}?limit=0`, { token: owner.token }), 400, 'invalid_input');
    expectErrorEnvelope(await api('GET', `${path}?limit=501`, { token: owner.token }), 400, 'invalid_input');
    expectErrorEnvelope(await api('GET', `${path}?nextCursor=bogus`, { token: owner.token }), 400, 'invalid_input');
  });

  it('includes custom roles, whose custom permissions resolve to their type', async () => {
    const now = new Date().toISOString();
    const db = server.running.store.db;
    await db
      .insertInto('permissions')
      .values({
        resource_type: 'project',
        resource_id: projectId,
        name: 'acme-webhooks',
        type: 'sanity.project.webhooks',
        title: 'Acme webhooks',
        description: 'Made by a test',
        config: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const permissions = [
      { name: 'acme-webhooks', action: 'read' },
      { name: 'sanity-project', action: 'read' },
    ];
    await db
      .insertInto('roles')
      .values({
        resource_type: 'project',
        resource_id: projectId,
        name: 'hook-reader',
        title: 'Hook reader',
        description: 'Made by a test',
        applies_to_users: 1,
        applies_to_robots: 1,
        permissions: JSON.stringify(permissions),
        grants: JSON.stringify(['sanity.project.webhooks.read', 'sanity.project.read']),
        created_at: now,
        updated_at: now,
      })
      .execute();
    const user = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, user.userId, ['hook-reader']);
    const res = await api('GET', `${V}/access/project/${projectId}/user-permissions/me`, { token: user.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toEqual([
      { name: 'sanity-project', type: 'sanity.project', action: 'read', params: {} },
      { name: 'acme-webhooks', type: 'sanity.project.webhooks', action: 'read', params: {} },
    ]);
    const checked = await api(
      'GET',
      check(`project/${projectId}`, ['sanity.project.webhooks.read', 'sanity.project.webhooks.create']),
      {
        token: user.token,
      },
    );
    expect(checked.body.data).toEqual({ 'sanity.project.webhooks.read': true, 'sanity.project.webhooks.create': false });
  });

  it('is a 404 for a non-member', async () => {
    const stranger = await server.createUser();
    const res = await api('GET', `${V}/access/project/${projectId}/user-permissions/me`, { token: stranger.token });
    expectErrorEnvelope(res, 404, 'not_found');
  });
});

describe('implied roles: an organization administrator administers the organization’s projects', () => {
  it('answers for a project it is not a member of', async () => {
    const orgOwner = await server.createUser();
    const organizationId = await createOrganization(api, orgOwner.token);
    const created = await api('POST', `${V}/projects`, {
      token: orgOwner.token,
      body: { displayName: 'Inside', organizationId },
    });
    expect(created.status, created.text).toBe(201);
    const inside: string = created.body.id;

    const orgAdmin = await server.createUser();
    await addMember(server, { type: 'organization', id: organizationId }, orgAdmin.userId, ['administrator']);
    const orgMember = await server.createUser();
    await addMember(server, { type: 'organization', id: organizationId }, orgMember.userId, ['member']);

    const asked = ['sanity.project.members.read', 'sanity.project.members.update', 'sanity.project.delete'];
    const res = await api('GET', check(`project/${inside}`, asked), { token: orgAdmin.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ data: Object.fromEntries(asked.map((p) => [p, true])) });

    const listed = await api('GET', `${V}/access/project/${inside}/user-permissions/me`, { token: orgAdmin.token });
    expect(listed.status, listed.text).toBe(200);
    const types = new Set((listed.body.data as EffectivePermission[]).map((p) => `${p.type}.${p.action}`));
    expect(types).toEqual(new Set(goldenGrants('project', ['administrator'])));

    const grants = await api('GET', `${V}/projects/${inside}/grants`, { token: orgAdmin.token });
    expect(grants.status, grants.text).toBe(200);
    expect(grants.body['sanity.project.members'][0].grants.map((g: { name: string }) => g.name)).toEqual([
      'delete',
      'invite',
      'read',
      'update',
    ]);

    // A plain organization member gets nothing on the project: the standard 404.
    expectErrorEnvelope(await api('GET', check(`project/${inside}`, asked), { token: orgMember.token }), 404, 'not_found');
  });
});

describe('grants (legacy shape)', () => {
  it('GET /projects/{id}/grants groups the permissions held by type, actions sorted', async () => {
    const viewer = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);
    const res = await api('GET', `${V}/projects/${projectId}/grants`, { token: viewer.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body['sanity.project']).toEqual([
      {
        grants: [
          { name: 'createSession', params: {} },
          { name: 'read', params: {} },
        ],
      },
    ]);
    expect(res.body['sanity.project.members']).toEqual([{ grants: [{ name: 'read', params: {} }] }]);
    expect(res.body['sanity.project.tokens']).toBeUndefined();
    expect(Object.keys(res.body)).toEqual([...Object.keys(res.body)].sort());

    const admin = await api('GET', `${V}/projects/${projectId}/grants`, { token: owner.token });
    expect(admin.body['sanity.project'][0].grants.map((g: { name: string }) => g.name)).toEqual([
      'createSession',
      'delete',
      'deployStudio',
      'read',
      'update',
    ]);
    // Exactly the grants /check answers yes to.
    const flat = Object.entries(admin.body as Record<string, Array<{ grants: Array<{ name: string }> }>>).flatMap(
      ([type, entries]) => entries.flatMap((e) => e.grants.map((g) => `${type}.${g.name}`)),
    );
    expect(new Set(flat)).toEqual(new Set(goldenGrants('project', ['administrator'])));

    const stranger = await server.createUser();
    expectErrorEnvelope(await api('GET', `${V}/projects/${projectId}/grants`, { token: stranger.token }), 404, 'not_found');
  });

  it('GET /organizations/{id}/grants', async () => {
    const orgOwner = await server.createUser();
    const organizationId = await createOrganization(api, orgOwner.token);
    const res = await api('GET', `${V}/organizations/${organizationId}/grants`, { token: orgOwner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body['sanity.organization.projects']).toEqual([
      {
        grants: [
          { name: 'attach', params: {} },
          { name: 'create', params: {} },
          { name: 'detach', params: {} },
          { name: 'read', params: {} },
        ],
      },
    ]);
    const stranger = await server.createUser();
    expectErrorEnvelope(
      await api('GET', `${V}/organizations/${organizationId}/grants`, { token: stranger.token }),
      404,
      'not_found',
    );
  });

  it('GET /users/me/grants: every membership without a project context, one project with it', async () => {
    const user = await server.createUser();
    const organizationId = await createOrganization(api, user.token);
    const ownProject = await createProject(api, user.token, 'Mine');
    await addMember(server, { type: 'project', id: projectId }, user.userId, ['viewer']);

    const all = await api('GET', `${V}/users/me/grants`, { token: user.token });
    expect(all.status, all.text).toBe(200);
    expect(Object.keys(all.body).sort()).toEqual(['organizations', 'projects']);
    expect(Object.keys(all.body.organizations)).toEqual([organizationId]);
    expect(Object.keys(all.body.projects).sort()).toEqual([ownProject, projectId].sort());
    expect(all.body.projects[projectId]).toEqual(
      (await api('GET', `${V}/projects/${projectId}/grants`, { token: user.token })).body,
    );
    expect(all.body.organizations[organizationId]).toEqual(
      (await api('GET', `${V}/organizations/${organizationId}/grants`, { token: user.token })).body,
    );

    const inContext = await api('GET', `${V}/users/me/grants`, {
      token: user.token,
      headers: { 'x-sanity-project-id': projectId },
    });
    expect(inContext.status, inContext.text).toBe(200);
    expect(inContext.body).toEqual({ organizations: {}, projects: { [projectId]: all.body.projects[projectId] } });

    const otherProject = await createProject(api, owner.token, 'Not theirs');
    const notMember = await api('GET', `${V}/users/me/grants`, {
      token: user.token,
      headers: { 'x-sanity-project-id': otherProject },
    });
    expectErrorEnvelope(notMember, 404, 'not_found');
    expect(notMember.body.message).toBe(`Project not found: ${otherProject}`);
  });

  it('GET /users/me/grants for a robot: its one resource', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['editor']);
    const res = await api('GET', `${V}/users/me/grants`, { token: robot.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      projects: { [projectId]: (await api('GET', `${V}/projects/${projectId}/grants`, { token: robot.token })).body },
      organizations: {},
    });
    expectErrorEnvelope(await api('GET', `${V}/users/me/grants`), 401, 'missing_token');
  });
});
