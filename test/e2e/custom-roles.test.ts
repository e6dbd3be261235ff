/**
 * Custom roles: a project or organization defines its own roles from the permission catalog, and
 * they work everywhere a built-in role does — a robot holding one can do exactly what it grants,
 * and a change to the role bites on the next request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createOrganization, createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
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

const PROJECT_BUILT_INS = ['administrator', 'developer', 'editor', 'contributor', 'viewer', 'auditor', 'deploy-studio'];

interface RoleBody {
  name?: string;
  title: string;
  description?: string;
  appliesToUsers: boolean;
  appliesToRobots: boolean;
  permissions: Array<{ name: string; action: string; params?: Record<string, unknown> }>;
}

function roleBody(name: string, permissions: RoleBody['permissions'], extra: Partial<RoleBody> = {}): RoleBody {
  return { name, title: `Role ${name}`, appliesToUsers: true, appliesToRobots: true, permissions, ...extra };
}

const rolesPath = (projectId: string, type = 'project') => `${V}/access/${type}/${projectId}/roles`;

async function createRole(token: string, projectId: string, body: RoleBody, type = 'project') {
  const res = await api('POST', rolesPath(projectId, type), { token, body });
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
  return rows.map((r) => r.action).filter((a) => a.startsWith('role.'));
}

describe('creating and reading custom roles', () => {
  it('POST creates a role (201); GET finds it; the list shows it after the built-in roles', async () => {
    const projectId = await createProject(api, owner.token);
    const created = await createRole(
      owner.token,
      projectId,
      roleBody('members-reader', [{ name: 'sanity-project-members', action: 'read' }], {
        description: 'Reads who is in the project',
      }),
    );
    expect(created).toEqual({
      name: 'members-reader',
      title: 'Role members-reader',
      description: 'Reads who is in the project',
      isCustom: true,
      appliesToUsers: true,
      appliesToRobots: true,
      resourceType: 'project',
      resourceId: projectId,
      permissions: [{ name: 'sanity-project-members', action: 'read', params: {} }],
    });
    const got = await api('GET', `${rolesPath(projectId)}/members-reader`, { token: owner.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created);
    const plural = await api('GET', `${V}/access/projects/${projectId}/roles/members-reader`, { token: owner.token });
    expect(plural.body).toEqual(created);

    const list = await api('GET', rolesPath(projectId), { token: owner.token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((r: { name: string }) => r.name)).toEqual([...PROJECT_BUILT_INS, 'members-reader']);
    expect(list.body.totalCount).toBe(PROJECT_BUILT_INS.length + 1);
    expect(list.body.data.find((r: { name: string }) => r.name === 'viewer').isCustom).toBe(false);
    expect(await auditActions(projectId)).toEqual(['role.create']);
  });

  it('description defaults to empty, duplicates collapse, params are kept', async () => {
    const projectId = await createProject(api, owner.token);
    const created = await createRole(owner.token, projectId, {
      name: 'publisher',
      title: 'Publisher',
      appliesToUsers: true,
      appliesToRobots: false,
      permissions: [
        { name: 'sanity-all-documents', action: 'mode', params: { mode: 'publish', history: true } },
        { name: 'sanity-all-documents', action: 'mode', params: { history: true, mode: 'publish' } },
        { name: 'sanity-project', action: 'read' },
        { name: 'sanity-project', action: 'read' },
      ],
    });
    expect(created.description).toBe('');
    expect(created.permissions).toEqual([
      { name: 'sanity-all-documents', action: 'mode', params: { history: true, mode: 'publish' } },
      { name: 'sanity-project', action: 'read', params: {} },
    ]);
  });

  it('every input rule is a 4xx that explains itself, and a refused write leaves nothing behind', async () => {
    const projectId = await createProject(api, owner.token);
    const members = [{ name: 'sanity-project-members', action: 'read' }];
    const cases: Array<{ body: unknown; status: number; code: string; check?: (body: Refusal) => void }> = [
      {
        body: roleBody('viewer', members),
        status: 409,
        code: 'role_exists',
        check: (b) => expect(b.reason).toMatchObject({ role: 'viewer', builtIn: true }),
      },
      {
        body: roleBody('nobody', members, { appliesToUsers: false, appliesToRobots: false }),
        status: 400,
        code: 'role_applies_to_nobody',
      },
      {
        body: roleBody('ghost', [{ name: 'sanity-nonsense', action: 'read' }, ...members]),
        status: 400,
        code: 'unknown_permission',
        check: (b) => {
          expect(b.reason.permissions).toEqual(['sanity-nonsense']);
          expect(b.message).toContain('sanity-nonsense');
          expect(b.reason.hint).toContain(`/access/project/${projectId}/permissions`);
        },
      },
      {
        // An organization permission is not a permission of a project.
        body: roleBody('wrong-kind', [{ name: 'sanity-organization', action: 'read' }]),
        status: 400,
        code: 'unknown_permission',
      },
      {
        body: roleBody('bad-action', [{ name: 'sanity-project-members', action: 'publish' }]),
        status: 400,
        code: 'invalid_action',
        check: (b) => {
          expect(b.reason).toMatchObject({
            permission: 'sanity-project-members',
            action: 'publish',
            allowedActions: ['invite', 'read', 'update', 'delete'],
          });
          expect(b.message).toContain('invite, read, update, delete');
        },
      },
      { body: roleBody('empty', []), status: 400, code: 'invalid_input' },
      { body: roleBody('Bad Name', members), status: 400, code: 'invalid_input' },
      { body: roleBody('x'.repeat(65), members), status: 400, code: 'invalid_input' },
      { body: roleBody('long-title', members, { title: 't'.repeat(101) }), status: 400, code: 'invalid_input' },
      { body: roleBody('blank-title', members, { title: '   ' }), status: 400, code: 'invalid_input' },
      { body: roleBody('long-desc', members, { description: 'd'.repeat(1001) }), status: 400, code: 'invalid_input' },
      { body: { ...roleBody('extra', members), isCustom: false }, status: 400, code: 'invalid_input' },
      {
        body: roleBody('extra-perm', [{ name: 'sanity-project', action: 'read', grant: 'all' } as never]),
        status: 400,
        code: 'invalid_input',
      },
      {
        body: roleBody('deep-params', [{ name: 'sanity-all-documents', action: 'mode', params: { mode: { nested: 1 } } }]),
        status: 400,
        code: 'invalid_input',
      },
      {
        body: roleBody(
          'too-many',
          Array.from({ length: 101 }, () => ({ name: 'sanity-project', action: 'read' })),
        ),
        status: 400,
        code: 'invalid_input',
      },
      {
        body: { title: 'No name', appliesToUsers: true, appliesToRobots: true, permissions: members },
        status: 400,
        code: 'invalid_input',
      },
    ];
    for (const c of cases) {
      const res = await api('POST', rolesPath(projectId), { token: owner.token, body: c.body });
      const name = (c.body as { name?: string }).name ?? '';
      expectErrorEnvelope(res, c.status, c.code, name);
      expect(typeof res.body.reason.hint === 'string' || c.code === 'invalid_input', name).toBe(true);
      c.check?.(res.body);
    }
    const list = await api('GET', rolesPath(projectId), { token: owner.token });
    expect(list.body.data.map((r: { name: string }) => r.name)).toEqual(PROJECT_BUILT_INS);
    expect(await auditActions(projectId)).toEqual([]);
  });

  it('a name already taken on the resource is 409 role_exists; the same name on another project is fine', async () => {
    const projectId = await createProject(api, owner.token);
    const other = await createProject(api, owner.token);
    const body = roleBody('reviewer', [{ name: 'sanity-project', action: 'read' }]);
    await createRole(owner.token, projectId, body);
    const again = await api('POST', rolesPath(projectId), { token: owner.token, body: { ...body, title: 'Other' } });
    expectErrorEnvelope(again, 409, 'role_exists');
    expect(again.body.reason.builtIn).toBe(false);
    expect((await api('GET', `${rolesPath(projectId)}/reviewer`, { token: owner.token })).body.title).toBe('Role reviewer');
    await createRole(owner.token, other, body);
  });

  it('an unknown role is a 404 that names it', async () => {
    const projectId = await createProject(api, owner.token);
    const res = await api('GET', `${rolesPath(projectId)}/nope`, { token: owner.token });
    expectErrorEnvelope(res, 404, 'role_not_found');
    expect(res.body.message).toBe('Role not found: nope');
  });
});

describe('a custom role held by a robot', () => {
  it('grants exactly its permissions, and an update changes them on the next request', async () => {
    const projectId = await createProject(api, owner.token);
    await createRole(
      owner.token,
      projectId,
      roleBody('my-role', [
        { name: 'sanity-project-members', action: 'read' },
        { name: 'sanity-project', action: 'read' },
      ]),
    );
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['my-role']);
    const robotView = await api('GET', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(robotView.body.memberships[0].roleNames).toEqual(['my-role']);

    // members.read: may list members, may not remove one.
    expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token })).status).toBe(200);
    const remove = await api('DELETE', `${V}/access/project/${projectId}/users/${owner.userId}`, { token: robot.token });
    expectErrorEnvelope(remove, 403, 'missing_permission');
    expect(remove.body.reason).toMatchObject({ permission: 'sanity.project.members.delete', rolesHeld: ['my-role'] });
    const robots = await api('GET', `${V}/access/project/${projectId}/robots`, { token: robot.token });
    expectErrorEnvelope(robots, 403, 'missing_permission');

    // Update: tokens.read in, members.read out.
    const put = await api('PUT', `${rolesPath(projectId)}/my-role`, {
      token: owner.token,
      body: roleBody('my-role', [
        { name: 'sanity-project-tokens', action: 'read' },
        { name: 'sanity-project', action: 'read' },
      ]),
    });
    expect(put.status, put.text).toBe(200);
    expect((await api('GET', `${V}/access/project/${projectId}/robots`, { token: robot.token })).status).toBe(200);
    expectErrorEnvelope(
      await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token }),
      403,
      'missing_permission',
    );

    const check = await api(
      'GET',
      `${V}/access/project/${projectId}/user-permissions/me/check?permissions=sanity.project.tokens.read&permissions=sanity.project.members.read`,
      { token: robot.token },
    );
    expect(check.status, check.text).toBe(200);
    expect(check.body.data).toEqual({ 'sanity.project.tokens.read': true, 'sanity.project.members.read': false });
  });

  it('a role that does not apply to robots cannot be given to one', async () => {
    const projectId = await createProject(api, owner.token);
    await createRole(
      owner.token,
      projectId,
      roleBody('people-only', [{ name: 'sanity-project', action: 'read' }], { appliesToRobots: false }),
    );
    const res = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: { label: 'x', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['people-only'] }] },
    });
    expectErrorEnvelope(res, 400, 'role_not_applicable');
  });
});

describe('updating custom roles', () => {
  it('PUT replaces the whole role; name may be left out or repeated, never changed', async () => {
    const projectId = await createProject(api, owner.token);
    await createRole(owner.token, projectId, roleBody('editorial', [{ name: 'sanity-project', action: 'read' }]));
    const put = await api('PUT', `${rolesPath(projectId)}/editorial`, {
      token: owner.token,
      body: {
        title: 'Editorial',
        appliesToUsers: true,
        appliesToRobots: false,
        permissions: [{ name: 'sanity-project-datasets', action: 'read' }],
      },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      name: 'editorial',
      title: 'Editorial',
      description: '',
      appliesToRobots: false,
      permissions: [{ name: 'sanity-project-datasets', action: 'read', params: {} }],
    });
    const same = await api('PUT', `${rolesPath(projectId)}/editorial`, {
      token: owner.token,
      body: roleBody('editorial', [{ name: 'sanity-project', action: 'read' }]),
    });
    expect(same.status).toBe(200);

    const renamed = await api('PUT', `${rolesPath(projectId)}/editorial`, {
      token: owner.token,
      body: roleBody('renamed', [{ name: 'sanity-project', action: 'read' }]),
    });
    expectErrorEnvelope(renamed, 400, 'name_mismatch');
    const missing = await api('PUT', `${rolesPath(projectId)}/missing`, {
      token: owner.token,
      body: roleBody('missing', [{ name: 'sanity-project', action: 'read' }]),
    });
    expectErrorEnvelope(missing, 404, 'role_not_found');
    const invalid = await api('PUT', `${rolesPath(projectId)}/editorial`, {
      token: owner.token,
      body: roleBody('editorial', [{ name: 'sanity-project', action: 'fly' }]),
    });
    expectErrorEnvelope(invalid, 400, 'invalid_action');
    const got = await api('GET', `${rolesPath(projectId)}/editorial`, { token: owner.token });
    expect(got.body.permissions).toEqual([{ name: 'sanity-project', action: 'read', params: {} }]);
    expect(await auditActions(projectId)).toEqual(['role.create', 'role.update', 'role.update']);
  });

  it('built-in roles are read-only: PUT and DELETE are 409 read_only', async () => {
    const projectId = await createProject(api, owner.token);
    const put = await api('PUT', `${rolesPath(projectId)}/viewer`, {
      token: owner.token,
      body: roleBody('viewer', [{ name: 'sanity-project', action: 'read' }]),
    });
    expectErrorEnvelope(put, 409, 'read_only');
    expect(put.body.reason.hint).toContain(`POST /access/project/${projectId}/roles`);
    expectErrorEnvelope(await api('DELETE', `${rolesPath(projectId)}/administrator`, { token: owner.token }), 409, 'read_only');
    const orgId = await createOrganization(api, owner.token);
    expectErrorEnvelope(
      await api('DELETE', `${rolesPath(orgId, 'organization')}/member`, { token: owner.token }),
      409,
      'read_only',
    );
  });

  it('a held role cannot stop applying to the kind of principal that holds it', async () => {
    const projectId = await createProject(api, owner.token);
    const body = roleBody('shared', [{ name: 'sanity-project', action: 'read' }]);
    await createRole(owner.token, projectId, body);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['shared']);
    const person = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, person.userId, ['shared']);

    const noRobots = await api('PUT', `${rolesPath(projectId)}/shared`, {
      token: owner.token,
      body: { ...body, appliesToRobots: false },
    });
    expectErrorEnvelope(noRobots, 409, 'role_in_use');
    expect(noRobots.body.reason).toMatchObject({ holders: [{ kind: 'robot', id: robot.id }], holderCount: 1 });
    const noUsers = await api('PUT', `${rolesPath(projectId)}/shared`, {
      token: owner.token,
      body: { ...body, appliesToUsers: false },
    });
    expectErrorEnvelope(noUsers, 409, 'role_in_use');
    expect(noUsers.body.reason).toMatchObject({ holders: [{ kind: 'user', id: person.userId }], holderCount: 1 });
    const got = await api('GET', `${rolesPath(projectId)}/shared`, { token: owner.token });
    expect(got.body).toMatchObject({ appliesToUsers: true, appliesToRobots: true });
    expect(await auditActions(projectId)).toEqual(['role.create']);
  });

  it('a role update cannot leave the project without a person who manages access', async () => {
    const projectId = await createProject(api, owner.token);
    const managerPermissions = [
      { name: 'sanity-project-members', action: 'read' },
      { name: 'sanity-project-members', action: 'update' },
      { name: 'sanity-project-members', action: 'delete' },
      { name: 'sanity-project-roles', action: 'read' },
      { name: 'sanity-project-roles', action: 'update' },
    ];
    await createRole(owner.token, projectId, roleBody('manager', managerPermissions));
    const manager = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, manager.userId, ['manager']);
    // The owner leaves (removing an administrator is for administrators: the owner removes itself):
    // the manager, through the custom role, is now the only one managing access.
    const leave = await api('DELETE', `${V}/access/project/${projectId}/users/${owner.userId}`, { token: owner.token });
    expect(leave.status, leave.text).toBe(204);

    const narrowed = managerPermissions.filter((p) => !(p.name === 'sanity-project-members' && p.action === 'update'));
    const res = await api('PUT', `${rolesPath(projectId)}/manager`, {
      token: manager.token,
      body: roleBody('manager', narrowed),
    });
    expectErrorEnvelope(res, 409, 'last_access_manager');
    const got = await api('GET', `${rolesPath(projectId)}/manager`, { token: manager.token });
    expect(got.body.permissions).toHaveLength(managerPermissions.length);
    // A change that keeps the manager's grants is fine.
    const ok = await api('PUT', `${rolesPath(projectId)}/manager`, {
      token: manager.token,
      body: roleBody('manager', managerPermissions, { title: 'Access manager' }),
    });
    expect(ok.status, ok.text).toBe(200);
  });
});

describe('no escalation', () => {
  it('a role may only carry permissions its author holds, on create and on update', async () => {
    const projectId = await createProject(api, owner.token);
    await createRole(
      owner.token,
      projectId,
      roleBody('role-writer', [
        { name: 'sanity-project-roles', action: 'create' },
        { name: 'sanity-project-roles', action: 'read' },
        { name: 'sanity-project-roles', action: 'update' },
        { name: 'sanity-project-members', action: 'read' },
      ]),
    );
    const writer = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, writer.userId, ['role-writer']);

    const fine = await api('POST', rolesPath(projectId), {
      token: writer.token,
      body: roleBody('reader', [{ name: 'sanity-project-members', action: 'read' }]),
    });
    expect(fine.status, fine.text).toBe(201);

    const escalate = await api('POST', rolesPath(projectId), {
      token: writer.token,
      body: roleBody('deleter', [
        { name: 'sanity-project-members', action: 'read' },
        { name: 'sanity-project-members', action: 'delete' },
        { name: 'sanity-project-tokens', action: 'create' },
      ]),
    });
    expectErrorEnvelope(escalate, 403, 'privilege_escalation');
    expect(escalate.body.reason).toMatchObject({
      role: 'deleter',
      missingPermissions: ['sanity.project.members.delete', 'sanity.project.tokens.create'],
    });
    expectErrorEnvelope(await api('GET', `${rolesPath(projectId)}/deleter`, { token: owner.token }), 404, 'role_not_found');

    const widen = await api('PUT', `${rolesPath(projectId)}/reader`, {
      token: writer.token,
      body: roleBody('reader', [{ name: 'sanity-project', action: 'delete' }]),
    });
    expectErrorEnvelope(widen, 403, 'privilege_escalation');
    expect(widen.body.reason.missingPermissions).toEqual(['sanity.project.delete']);
    const got = await api('GET', `${rolesPath(projectId)}/reader`, { token: owner.token });
    expect(got.body.permissions).toEqual([{ name: 'sanity-project-members', action: 'read', params: {} }]);

    // Without roles.delete the writer cannot delete; without roles.create a viewer cannot create.
    expectErrorEnvelope(
      await api('DELETE', `${rolesPath(projectId)}/reader`, { token: writer.token }),
      403,
      'missing_permission',
    );
    const viewer = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    expectErrorEnvelope(
      await api('POST', rolesPath(projectId), {
        token: viewer.token,
        body: roleBody('v', [{ name: 'sanity-project', action: 'read' }]),
      }),
      403,
      'missing_permission',
    );
  });
});

describe('deleting custom roles', () => {
  it('a held role is 409 role_in_use naming its holders; once unheld it is deleted (204)', async () => {
    const projectId = await createProject(api, owner.token);
    await createRole(owner.token, projectId, roleBody('ci', [{ name: 'sanity-project', action: 'read' }]));
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['ci']);
    const held = await api('DELETE', `${rolesPath(projectId)}/ci`, { token: owner.token });
    expectErrorEnvelope(held, 409, 'role_in_use');
    expect(held.body.reason).toMatchObject({ role: 'ci', holders: [{ kind: 'robot', id: robot.id }], holderCount: 1 });
    expect(held.body.message).toContain('held by 1 member');
    expect(held.body.reason.hint).toContain(`DELETE /access/project/${projectId}/robots/{robotId}`);
    expect((await api('GET', `${rolesPath(projectId)}/ci`, { token: owner.token })).status).toBe(200);

    expect((await api('DELETE', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: owner.token })).status).toBe(204);
    const del = await api('DELETE', `${rolesPath(projectId)}/ci`, { token: owner.token });
    expect(del.status, del.text).toBe(204);
    expect(del.text).toBe('');
    expectErrorEnvelope(await api('GET', `${rolesPath(projectId)}/ci`, { token: owner.token }), 404, 'role_not_found');
    expectErrorEnvelope(await api('DELETE', `${rolesPath(projectId)}/ci`, { token: owner.token }), 404, 'role_not_found');
    expect(await auditActions(projectId)).toEqual(['role.create', 'role.delete']);
    // A deleted role can no longer be granted.
    const grant = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: { label: 'x', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['ci'] }] },
    });
    expectErrorEnvelope(grant, 404, 'role_not_found');
  });
});

describe('listing roles', () => {
  it('pages walk the built-in roles then the custom ones by name, with one cursor', async () => {
    const projectId = await createProject(api, owner.token);
    for (const name of ['zeta', 'alpha', 'mid_role']) {
      await createRole(owner.token, projectId, roleBody(name, [{ name: 'sanity-project', action: 'read' }]));
    }
    const expected = [...PROJECT_BUILT_INS, 'alpha', 'mid_role', 'zeta'];
    for (const limit of [1, 4, 6, 7, 100]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `limit=${limit}${cursor ? `&nextCursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await api('GET', `${rolesPath(projectId)}?${query}`, { token: owner.token });
        expect(res.status, res.text).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(limit);
        expect(res.body.totalCount).toBe(expected.length);
        seen.push(...res.body.data.map((r: { name: string }) => r.name));
        cursor = res.body.nextCursor;
      } while (cursor !== null && seen.length < 100);
      expect(seen, `limit ${limit}`).toEqual(expected);
    }
  });

  it('a cursor this list did not issue is a 400', async () => {
    const projectId = await createProject(api, owner.token);
    const permissions = await api('GET', `${V}/access/project/${projectId}/permissions?limit=1`, { token: owner.token });
    const foreign = [
      'bad!cursor',
      Buffer.from('roles:b:99', 'utf8').toString('base64url'),
      Buffer.from('roles:c:Bad Name', 'utf8').toString('base64url'),
      Buffer.from("roles:c:' or 1=1", 'utf8').toString('base64url'),
      Buffer.from('roles:x:p1:a', 'utf8').toString('base64url'), // children without includeChildren
      permissions.body.nextCursor,
    ];
    for (const cursor of foreign) {
      const res = await api('GET', `${rolesPath(projectId)}?nextCursor=${encodeURIComponent(cursor)}`, { token: owner.token });
      expectErrorEnvelope(res, 400, 'invalid_input', cursor);
      expect(res.body.message).toContain('nextCursor');
    }
  });

  it('on an organization, includeChildren adds the custom roles of its projects', async () => {
    const orgId = await createOrganization(api, owner.token);
    const inOrg = await api('POST', `${V}/projects`, {
      token: owner.token,
      body: { displayName: 'Child', organizationId: orgId },
    });
    expect(inOrg.status, inOrg.text).toBe(201);
    const childId: string = inOrg.body.id;
    const outside = await createProject(api, owner.token);

    await createRole(
      owner.token,
      orgId,
      roleBody('org-auditor', [{ name: 'sanity-organization', action: 'read' }]),
      'organization',
    );
    await createRole(owner.token, childId, roleBody('child-b', [{ name: 'sanity-project', action: 'read' }]));
    await createRole(owner.token, childId, roleBody('child-a', [{ name: 'sanity-project', action: 'read' }]));
    await createRole(owner.token, outside, roleBody('elsewhere', [{ name: 'sanity-project', action: 'read' }]));

    const plain = await api('GET', rolesPath(orgId, 'organization'), { token: owner.token });
    expect(plain.body.data.map((r: { name: string }) => r.name)).toEqual(['administrator', 'member', 'auditor', 'org-auditor']);
    expect(plain.body.data[3]).toMatchObject({ isCustom: true, resourceType: 'organization', resourceId: orgId });

    const expected = [
      { name: 'administrator', resourceType: 'organization', resourceId: orgId },
      { name: 'member', resourceType: 'organization', resourceId: orgId },
      { name: 'auditor', resourceType: 'organization', resourceId: orgId },
      { name: 'org-auditor', resourceType: 'organization', resourceId: orgId },
      { name: 'child-a', resourceType: 'project', resourceId: childId },
      { name: 'child-b', resourceType: 'project', resourceId: childId },
    ];
    for (const limit of [1, 2, 100]) {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `includeChildren=true&limit=${limit}${cursor ? `&nextCursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await api('GET', `${rolesPath(orgId, 'organizations')}?${query}`, { token: owner.token });
        expect(res.status, res.text).toBe(200);
        expect(res.body.totalCount).toBe(expected.length);
        seen.push(
          ...res.body.data.map((r: { name: string; resourceType: string; resourceId: string }) => ({
            name: r.name,
            resourceType: r.resourceType,
            resourceId: r.resourceId,
          })),
        );
        cursor = res.body.nextCursor;
      } while (cursor !== null && seen.length < 100);
      expect(seen, `limit ${limit}`).toEqual(expected);
    }
    // On a project, includeChildren changes nothing; includeImpliedRoles is accepted.
    const onProject = await api('GET', `${rolesPath(childId)}?includeChildren=true&includeImpliedRoles=true`, {
      token: owner.token,
    });
    expect(onProject.body.data.map((r: { name: string }) => r.name)).toEqual([...PROJECT_BUILT_INS, 'child-a', 'child-b']);
  });

  it('an organization custom role can be held on the organization and grants its permissions there', async () => {
    const orgId = await createOrganization(api, owner.token);
    await createRole(
      owner.token,
      orgId,
      roleBody('org-reader', [
        { name: 'sanity-organization', action: 'read' },
        { name: 'sanity-organization-members', action: 'read' },
      ]),
      'organization',
    );
    const robot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['org-reader']);
    expect((await api('GET', `${V}/access/organization/${orgId}/users`, { token: robot.token })).status).toBe(200);
    expectErrorEnvelope(
      await api('GET', `${V}/access/organization/${orgId}/roles`, { token: robot.token }),
      403,
      'missing_permission',
    );
  });
});
