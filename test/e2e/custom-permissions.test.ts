/**
 * Custom permissions: a resource names its own permissions (a type from the catalog, a title, an
 * optional config such as a GROQ filter), and its custom roles grant them like predefined ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREDEFINED_PERMISSIONS } from '../../src/model/permissions.js';
import { createOrganization, createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

/** The parts of an error body the cases below look into. */
type Refusal = { message: string; reason: Record<string, unknown> };

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

const PROJECT_PREDEFINED = PREDEFINED_PERMISSIONS.filter((p) => p.resourceType === 'project').map((p) => p.name);
const ORGANIZATION_PREDEFINED = PREDEFINED_PERMISSIONS.filter((p) => p.resourceType === 'organization').map((p) => p.name);

const permissionsPath = (id: string, type = 'project') => `${V}/access/${type}/${id}/permissions`;
const rolesPath = (id: string, type = 'project') => `${V}/access/${type}/${id}/roles`;

interface PermissionBody {
  name?: string;
  type: string;
  title: string;
  description?: string;
  config?: Record<string, unknown>;
}

async function createPermission(projectId: string, body: PermissionBody, type = 'project') {
  const res = await api('POST', permissionsPath(projectId, type), { token: owner.token, body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function createRole(projectId: string, name: string, permissions: Array<{ name: string; action: string }>) {
  const res = await api('POST', rolesPath(projectId), {
    token: owner.token,
    body: { name, title: name, appliesToUsers: true, appliesToRobots: true, permissions },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function auditActions(resourceId: string): Promise<string[]> {
  const rows = await server.running.store.db
    .selectFrom('audit_events')
    .select(['action', 'id'])
    .where('resource_id', '=', resourceId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.action).filter((a) => a.startsWith('permission.'));
}

describe('the permission catalog of a resource', () => {
  it('lists the predefined permissions of the resource type, read-only, with their actions', async () => {
    const projectId = await createProject(api, owner.token);
    const res = await api('GET', permissionsPath(projectId), { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((p: { name: string }) => p.name)).toEqual(PROJECT_PREDEFINED);
    expect(res.body.totalCount).toBe(PROJECT_PREDEFINED.length);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data.find((p: { name: string }) => p.name === 'sanity-project-members')).toEqual({
      name: 'sanity-project-members',
      type: 'sanity.project.members',
      title: 'Project members',
      description: 'Who is in the project',
      config: null,
      isCustom: false,
      actions: ['invite', 'read', 'update', 'delete'],
      resourceType: 'project',
      resourceId: projectId,
    });
    const drafts = await api('GET', `${permissionsPath(projectId)}/sanity-document-filter-drafts`, { token: owner.token });
    expect(drafts.body).toMatchObject({
      type: 'sanity.document.filter',
      config: { filter: '_id in path("drafts.**") || _id in path("versions.**")' },
      actions: ['create', 'read', 'update', 'manage', 'history', 'editHistory'],
    });

    const orgId = await createOrganization(api, owner.token);
    const org = await api('GET', permissionsPath(orgId, 'organizations'), { token: owner.token });
    expect(org.body.data.map((p: { name: string }) => p.name)).toEqual(ORGANIZATION_PREDEFINED);
    expect(org.body.data.every((p: { resourceType: string }) => p.resourceType === 'organization')).toBe(true);
    // A permission of the other resource type is not one of this resource.
    expectErrorEnvelope(
      await api('GET', `${permissionsPath(orgId, 'organization')}/sanity-project`, { token: owner.token }),
      404,
      'not_found',
    );
  });

  it('needs roles.read: a robot with a role lacking it is refused', async () => {
    const projectId = await createProject(api, owner.token);
    const deployer = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['deploy-studio']);
    const res = await api('GET', permissionsPath(projectId), { token: deployer.token });
    expectErrorEnvelope(res, 403, 'missing_permission');
    expect(res.body.reason.permission).toBe('sanity.project.roles.read');
    const viewer = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    expect((await api('GET', permissionsPath(projectId), { token: viewer.token })).status).toBe(200);
    expectErrorEnvelope(
      await api('POST', permissionsPath(projectId), {
        token: viewer.token,
        body: { name: 'x', type: 'sanity.project', title: 'X' },
      }),
      403,
      'missing_permission',
    );
  });

  it('pages walk the predefined permissions then the custom ones by name, with one cursor', async () => {
    const projectId = await createProject(api, owner.token);
    for (const name of ['zz-last', 'aa-first', 'mm_middle']) {
      await createPermission(projectId, { name, type: 'sanity.project', title: name });
    }
    const expected = [...PROJECT_PREDEFINED, 'aa-first', 'mm_middle', 'zz-last'];
    for (const limit of [1, 5, PROJECT_PREDEFINED.length, 500]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `limit=${limit}${cursor ? `&nextCursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await api('GET', `${permissionsPath(projectId)}?${query}`, { token: owner.token });
        expect(res.status, res.text).toBe(200);
        expect(res.body.totalCount).toBe(expected.length);
        seen.push(...res.body.data.map((p: { name: string }) => p.name));
        cursor = res.body.nextCursor;
      } while (cursor !== null && seen.length < 200);
      expect(seen, `limit ${limit}`).toEqual(expected);
    }
    const roles = await api('GET', `${rolesPath(projectId)}?limit=1`, { token: owner.token });
    for (const cursor of [roles.body.nextCursor, Buffer.from('permissions:b:999', 'utf8').toString('base64url'), 'nope!']) {
      const res = await api('GET', `${permissionsPath(projectId)}?nextCursor=${encodeURIComponent(cursor)}`, {
        token: owner.token,
      });
      expectErrorEnvelope(res, 400, 'invalid_input', cursor);
    }
  });
});

describe('creating custom permissions', () => {
  it('POST creates one (201) that GET and the list show', async () => {
    const projectId = await createProject(api, owner.token);
    const created = await createPermission(projectId, {
      name: 'post-editor-permission',
      title: 'Post editor',
      description: 'Documents of type post',
      type: 'sanity.document.filter',
      config: { filter: '_type == "post"', dataset: 'production' },
    });
    expect(created).toEqual({
      name: 'post-editor-permission',
      type: 'sanity.document.filter',
      title: 'Post editor',
      description: 'Documents of type post',
      config: { filter: '_type == "post"', dataset: 'production' },
      isCustom: true,
      actions: ['create', 'read', 'update', 'manage', 'history', 'editHistory'],
      resourceType: 'project',
      resourceId: projectId,
    });
    const got = await api('GET', `${permissionsPath(projectId)}/post-editor-permission`, { token: owner.token });
    expect(got.body).toEqual(created);
    const list = await api('GET', permissionsPath(projectId), { token: owner.token });
    expect(list.body.data.at(-1)).toEqual(created);
    const plain = await createPermission(projectId, { name: 'plain', type: 'sanity.project.members', title: 'Plain' });
    expect(plain).toMatchObject({ description: '', config: null });
    expect(await auditActions(projectId)).toEqual(['permission.create', 'permission.create']);
  });

  it('every input rule is a 4xx that explains itself, and a refused write leaves nothing behind', async () => {
    const projectId = await createProject(api, owner.token);
    const cases: Array<{ body: unknown; status: number; code: string; check?: (body: Refusal) => void }> = [
      {
        body: { name: 'org-type', type: 'sanity.organization.members', title: 'T' },
        status: 400,
        code: 'invalid_permission_type',
        check: (b) => {
          expect(b.reason.allowedTypes).toContain('sanity.project.members');
          expect(b.reason.allowedTypes).not.toContain('sanity.organization.members');
          expect(b.reason.hint).toContain('sanity.document.filter');
        },
      },
      { body: { name: 'no-type', type: 'sanity.nothing', title: 'T' }, status: 400, code: 'invalid_permission_type' },
      {
        body: { name: 'no-filter', type: 'sanity.document.filter', title: 'T' },
        status: 400,
        code: 'invalid_config',
        check: (b) => expect(b.reason.field).toBe('config.filter'),
      },
      {
        body: { name: 'blank-filter', type: 'sanity.document.filter', title: 'T', config: { filter: '  ' } },
        status: 400,
        code: 'invalid_input',
      },
      {
        body: { name: 'stray-filter', type: 'sanity.project', title: 'T', config: { filter: '_type == "x"' } },
        status: 400,
        code: 'invalid_config',
      },
      {
        body: { name: 'long-filter', type: 'sanity.document.filter', title: 'T', config: { filter: 'x'.repeat(2001) } },
        status: 400,
        code: 'invalid_input',
      },
      {
        body: { name: 'bad-dataset', type: 'sanity.project.datasets', title: 'T', config: { dataset: 'Prod!' } },
        status: 400,
        code: 'invalid_input',
      },
      {
        body: { name: 'extra-config', type: 'sanity.project', title: 'T', config: { grants: 'all' } },
        status: 400,
        code: 'invalid_input',
      },
      { body: { name: 'extra', type: 'sanity.project', title: 'T', isCustom: false }, status: 400, code: 'invalid_input' },
      { body: { name: 'Bad Name', type: 'sanity.project', title: 'T' }, status: 400, code: 'invalid_input' },
      { body: { name: 'no-title', type: 'sanity.project', title: '' }, status: 400, code: 'invalid_input' },
      { body: { name: 'long-title', type: 'sanity.project', title: 't'.repeat(101) }, status: 400, code: 'invalid_input' },
      {
        body: { name: 'long-desc', type: 'sanity.project', title: 'T', description: 'd'.repeat(1001) },
        status: 400,
        code: 'invalid_input',
      },
      { body: { type: 'sanity.project', title: 'No name' }, status: 400, code: 'invalid_input' },
      {
        body: { name: 'sanity-project-members', type: 'sanity.project.members', title: 'T' },
        status: 409,
        code: 'permission_exists',
        check: (b) => expect(b.reason).toMatchObject({ permission: 'sanity-project-members', predefined: true }),
      },
      // Predefined names of the other resource type are reserved too.
      { body: { name: 'sanity-organization', type: 'sanity.project', title: 'T' }, status: 409, code: 'permission_exists' },
    ];
    for (const c of cases) {
      const res = await api('POST', permissionsPath(projectId), { token: owner.token, body: c.body });
      const name = (c.body as { name?: string }).name ?? '';
      expectErrorEnvelope(res, c.status, c.code, name);
      c.check?.(res.body);
      if (name && !name.startsWith('sanity-') && /^[a-z0-9_-]+$/.test(name)) {
        expectErrorEnvelope(await api('GET', `${permissionsPath(projectId)}/${name}`, { token: owner.token }), 404, 'not_found');
      }
    }
    const list = await api('GET', permissionsPath(projectId), { token: owner.token });
    expect(list.body.totalCount).toBe(PROJECT_PREDEFINED.length);
    expect(await auditActions(projectId)).toEqual([]);
  });

  it('a name already used on the resource is 409 permission_exists', async () => {
    const projectId = await createProject(api, owner.token);
    await createPermission(projectId, { name: 'twice', type: 'sanity.project', title: 'First' });
    const again = await api('POST', permissionsPath(projectId), {
      token: owner.token,
      body: { name: 'twice', type: 'sanity.project.members', title: 'Second' },
    });
    expectErrorEnvelope(again, 409, 'permission_exists');
    const got = await api('GET', `${permissionsPath(projectId)}/twice`, { token: owner.token });
    expect(got.body).toMatchObject({ title: 'First', type: 'sanity.project' });
  });
});

describe('custom permissions in custom roles', () => {
  it('a custom permission of type sanity.project.members grants sanity.project.members.<action>', async () => {
    const projectId = await createProject(api, owner.token);
    await createPermission(projectId, { name: 'team', type: 'sanity.project.members', title: 'The team' });
    const bad = await api('POST', rolesPath(projectId), {
      token: owner.token,
      body: {
        name: 'r',
        title: 'R',
        appliesToUsers: true,
        appliesToRobots: true,
        permissions: [{ name: 'team', action: 'manage' }],
      },
    });
    expectErrorEnvelope(bad, 400, 'invalid_action');
    expect(bad.body.reason.allowedActions).toEqual(['invite', 'read', 'update', 'delete']);

    const role = await createRole(projectId, 'team-reader', [{ name: 'team', action: 'read' }]);
    expect(role.permissions).toEqual([{ name: 'team', action: 'read', params: {} }]);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['team-reader']);
    expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token })).status).toBe(200);
    expectErrorEnvelope(
      await api('DELETE', `${V}/access/project/${projectId}/users/${owner.userId}`, { token: robot.token }),
      403,
      'missing_permission',
    );
    const check = await api(
      'GET',
      `${V}/access/project/${projectId}/user-permissions/me/check?permissions=sanity.project.members.read&permissions=sanity.project.members.delete`,
      { token: robot.token },
    );
    expect(check.status, check.text).toBe(200);
    expect(check.body.data).toEqual({ 'sanity.project.members.read': true, 'sanity.project.members.delete': false });
  });

  it('a custom permission belongs to its resource: another project cannot use it', async () => {
    const projectId = await createProject(api, owner.token);
    const other = await createProject(api, owner.token);
    await createPermission(projectId, { name: 'local', type: 'sanity.project', title: 'Local' });
    const res = await api('POST', rolesPath(other), {
      token: owner.token,
      body: {
        name: 'r',
        title: 'R',
        appliesToUsers: true,
        appliesToRobots: true,
        permissions: [{ name: 'local', action: 'read' }],
      },
    });
    expectErrorEnvelope(res, 400, 'unknown_permission');
    expect(res.body.reason.permissions).toEqual(['local']);
  });
});

describe('updating and deleting custom permissions', () => {
  it('PUT replaces title, description and config even while in use; the type only while unused', async () => {
    const projectId = await createProject(api, owner.token);
    await createPermission(projectId, {
      name: 'posts',
      type: 'sanity.document.filter',
      title: 'Posts',
      config: { filter: '_type == "post"' },
    });
    await createRole(projectId, 'post-reader', [{ name: 'posts', action: 'read' }]);

    const retitled = await api('PUT', `${permissionsPath(projectId)}/posts`, {
      token: owner.token,
      body: { type: 'sanity.document.filter', title: 'Posts and pages', config: { filter: '_type in ["post", "page"]' } },
    });
    expect(retitled.status, retitled.text).toBe(200);
    expect(retitled.body).toMatchObject({ title: 'Posts and pages', config: { filter: '_type in ["post", "page"]' } });

    const retyped = await api('PUT', `${permissionsPath(projectId)}/posts`, {
      token: owner.token,
      body: { name: 'posts', type: 'sanity.project.members', title: 'Members now' },
    });
    expectErrorEnvelope(retyped, 409, 'permission_in_use');
    expect(retyped.body.reason).toMatchObject({ permission: 'posts', roles: ['post-reader'], roleCount: 1 });
    expect(retyped.body.message).toContain('post-reader');
    const got = await api('GET', `${permissionsPath(projectId)}/posts`, { token: owner.token });
    expect(got.body).toMatchObject({ type: 'sanity.document.filter', title: 'Posts and pages' });

    const unused = await createPermission(projectId, { name: 'spare', type: 'sanity.project', title: 'Spare' });
    expect(unused.type).toBe('sanity.project');
    const moved = await api('PUT', `${permissionsPath(projectId)}/spare`, {
      token: owner.token,
      body: { type: 'sanity.project.tokens', title: 'Spare tokens' },
    });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({ type: 'sanity.project.tokens', actions: ['read', 'create', 'delete'], config: null });

    expectErrorEnvelope(
      await api('PUT', `${permissionsPath(projectId)}/spare`, {
        token: owner.token,
        body: { name: 'other', type: 'sanity.project', title: 'X' },
      }),
      400,
      'name_mismatch',
    );
    expectErrorEnvelope(
      await api('PUT', `${permissionsPath(projectId)}/missing`, {
        token: owner.token,
        body: { type: 'sanity.project', title: 'X' },
      }),
      404,
      'not_found',
    );
    expectErrorEnvelope(
      await api('PUT', `${permissionsPath(projectId)}/spare`, {
        token: owner.token,
        body: { type: 'sanity.document.filter', title: 'X' },
      }),
      400,
      'invalid_config',
    );
    expect(await auditActions(projectId)).toEqual([
      'permission.create',
      'permission.update',
      'permission.create',
      'permission.update',
    ]);
  });

  it('predefined permissions are read-only: PUT and DELETE are 409 read_only', async () => {
    const projectId = await createProject(api, owner.token);
    const put = await api('PUT', `${permissionsPath(projectId)}/sanity-project`, {
      token: owner.token,
      body: { type: 'sanity.project', title: 'Mine now' },
    });
    expectErrorEnvelope(put, 409, 'read_only');
    expect(put.body.reason.hint).toContain(`POST /access/project/${projectId}/permissions`);
    expectErrorEnvelope(
      await api('DELETE', `${permissionsPath(projectId)}/sanity-project-members`, { token: owner.token }),
      409,
      'read_only',
    );
    const got = await api('GET', `${permissionsPath(projectId)}/sanity-project`, { token: owner.token });
    expect(got.body.title).toBe('Project');
  });

  it('DELETE of a permission a role uses is 409 permission_in_use naming the role; unused, it is deleted', async () => {
    const projectId = await createProject(api, owner.token);
    await createPermission(projectId, { name: 'ops', type: 'sanity.project.cors', title: 'Ops' });
    await createRole(projectId, 'ops-role', [
      { name: 'ops', action: 'read' },
      { name: 'sanity-project', action: 'read' },
    ]);
    const used = await api('DELETE', `${permissionsPath(projectId)}/ops`, { token: owner.token });
    expectErrorEnvelope(used, 409, 'permission_in_use');
    expect(used.body.reason).toMatchObject({ roles: ['ops-role'], roleCount: 1 });
    expect(used.body.reason.hint).toContain(`/access/project/${projectId}/roles/{roleName}`);
    expect((await api('GET', `${permissionsPath(projectId)}/ops`, { token: owner.token })).status).toBe(200);

    // Take it out of the role, then it can go.
    const put = await api('PUT', `${rolesPath(projectId)}/ops-role`, {
      token: owner.token,
      body: {
        title: 'Ops',
        appliesToUsers: true,
        appliesToRobots: true,
        permissions: [{ name: 'sanity-project', action: 'read' }],
      },
    });
    expect(put.status, put.text).toBe(200);
    const del = await api('DELETE', `${permissionsPath(projectId)}/ops`, { token: owner.token });
    expect(del.status, del.text).toBe(204);
    expectErrorEnvelope(await api('GET', `${permissionsPath(projectId)}/ops`, { token: owner.token }), 404, 'not_found');
    expectErrorEnvelope(await api('DELETE', `${permissionsPath(projectId)}/ops`, { token: owner.token }), 404, 'not_found');
    expect(await auditActions(projectId)).toEqual(['permission.create', 'permission.delete']);
  });

  it('organizations have custom permissions too, of organization types', async () => {
    const orgId = await createOrganization(api, owner.token);
    const created = await createPermission(
      orgId,
      { name: 'org-people', type: 'sanity.organization.members', title: 'People' },
      'organization',
    );
    expect(created).toMatchObject({
      resourceType: 'organization',
      resourceId: orgId,
      actions: ['invite', 'read', 'update', 'delete'],
    });
    const role = await api('POST', rolesPath(orgId, 'organization'), {
      token: owner.token,
      body: {
        name: 'people-reader',
        title: 'People reader',
        appliesToUsers: true,
        appliesToRobots: true,
        permissions: [{ name: 'org-people', action: 'read' }],
      },
    });
    expect(role.status, role.text).toBe(201);
    const robot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['people-reader']);
    expect((await api('GET', `${V}/access/organization/${orgId}/users`, { token: robot.token })).status).toBe(200);
    const wrong = await api('POST', permissionsPath(orgId, 'organization'), {
      token: owner.token,
      body: { name: 'docs', type: 'sanity.document.filter', title: 'Docs', config: { filter: 'true' } },
    });
    expectErrorEnvelope(wrong, 400, 'invalid_permission_type');
  });
});
