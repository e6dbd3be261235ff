/**
 * Wire compatibility with the official Sanity clients, request by request.
 *
 * Every call here is one the official clients make, sent the way they send it: through the
 * official `@sanity/client` (7.x, unmodified) for the global host, and, for what Sanity's CLI sends
 * to a project host (`<projectId>.api.sanity.io`), as a raw request with that `Host` header, the
 * CLI's API version, its `tag=sanity.cli` and the client's user agent. Each test asserts the
 * fields the client reads from the answer (the CLI's command → request → fields table in
 * docs/concepts.md, "Compatibility notes", lists them), and where Gatehouse's ids meet, that they
 * are the same ids (one id per robot: docs/concepts.md, "Ids").
 */
import { createClient, type SanityClient } from '@sanity/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRobot, expectErrorEnvelope, rawRequest, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;
/** A robot made through the Access API (CLI 8's way). */
let reader: { id: string; token: string; tokenId: string };

const CUSTOM_ROLE = { name: 'translator', title: 'Translator (custom)' };
const CLIENT_VERSION = '7.28.0';

/** The CLI's "global client": api.sanity.io with a token, no project host, tagged `sanity.cli`. */
function globalClient(token: string | undefined, apiVersion: string): SanityClient {
  return createClient({
    apiHost: server.url,
    useProjectHostname: false,
    useCdn: false,
    apiVersion,
    token,
    requestTagPrefix: 'sanity.cli',
    maxRetries: 0,
  });
}

/**
 * A request to the project host as the CLI's "project client" sends it: `Host:
 * <projectId>.api.sanity.io`, the version in the path, `tag=sanity.cli`, the client's headers.
 */
function projectHost(token: string, method: string, path: string) {
  const separator = path.includes('?') ? '&' : '?';
  return rawRequest(server.url, method, `${path}${separator}tag=sanity.cli`, {
    headers: {
      host: `${projectId}.api.sanity.io`,
      accept: 'application/json',
      'user-agent': `@sanity/client ${CLIENT_VERSION}`,
      authorization: `Bearer ${token}`,
    },
  });
}

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser('compat-owner@example.com', 'Cora Compat');
  const project = await api('POST', `${V}/projects`, { token: owner.token, body: { displayName: 'Compat' } });
  expect(project.status, project.text).toBe(201);
  projectId = project.body.id;
  const role = await api('POST', `${V}/access/project/${projectId}/roles`, {
    token: owner.token,
    body: {
      ...CUSTOM_ROLE,
      description: 'Edits drafts',
      appliesToUsers: true,
      appliesToRobots: true,
      permissions: [
        { name: 'sanity-project', action: 'read' },
        { name: 'sanity-document-filter-drafts', action: 'update' },
      ],
    },
  });
  expect(role.status, role.text).toBe(201);
  reader = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'Docs reader');
});

afterAll(async () => {
  await server?.close();
});

describe('sanity debug / login --with-token', () => {
  it('GET /v2025-08-30/users/me on the global host: id, name, email, provider', async () => {
    const me = (await globalClient(owner.token, 'v2025-08-30').users.getById('me')) as unknown as Record<string, unknown>;
    expect(me).toMatchObject({ id: owner.userId, name: 'Cora Compat', email: 'compat-owner@example.com' });
    expect(typeof me.provider).toBe('string');
  });

  it('a robot token is recognised as one (provider sanity-token), so a new login does not log it out', async () => {
    const me = await globalClient(reader.token, 'v2025-08-30').users.getById('me');
    expect(me).toMatchObject({ id: reader.id, name: 'Docs reader', provider: 'sanity-token' });
  });

  it('on the project host, users/me carries the project roles with their titles', async () => {
    const res = await projectHost(owner.token, 'GET', '/v2025-08-30/users/me');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      id: owner.userId,
      role: 'administrator',
      roles: [{ name: 'administrator', title: 'Administrator' }],
    });
  });

  it('a rejected token answers 401 with statusCode in the body (the CLI checks body.statusCode for its login hint)', async () => {
    const res = await api('GET', '/v2025-08-30/users/me', { token: 'gth_user_not-a-real-token' });
    expect(res.status).toBe(401);
    expect(res.body.statusCode).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('sanity projects list', () => {
  it('GET /v2025-09-22/projects?onlyExplicitMembership=true: id, displayName, createdAt, members.length', async () => {
    const projects = await globalClient(owner.token, 'v2025-09-22').request<
      Array<{ id: string; displayName: string; createdAt: string; members: unknown[] }>
    >({ uri: '/projects', query: { onlyExplicitMembership: 'true' }, tag: 'projects.list' });
    const mine = projects.find((p) => p.id === projectId);
    expect(mine).toMatchObject({ displayName: 'Compat', createdAt: expect.any(String) });
    expect(mine?.members.length).toBe(2); // the owner and the robot
  });
});

describe('sanity users invite <email> --role <role>', () => {
  it('GET /v2025-09-22/projects/<id>/roles: a plain array with name, title, description, appliesToUsers', async () => {
    const roles = await globalClient(owner.token, 'v2025-09-22').request<
      Array<{ name: string; title: string; description: string; appliesToUsers: boolean; appliesToRobots: boolean }>
    >({ uri: `/projects/${projectId}/roles` });
    expect(Array.isArray(roles)).toBe(true);
    expect(roles.map((r) => r.name)).toEqual([
      'administrator',
      'developer',
      'editor',
      'contributor',
      'viewer',
      'auditor',
      'deploy-studio',
      CUSTOM_ROLE.name,
    ]);
    for (const role of roles) {
      expect(typeof role.title).toBe('string');
      expect(typeof role.description).toBe('string');
      expect(typeof role.appliesToUsers).toBe('boolean');
      expect(typeof role.appliesToRobots).toBe('boolean');
    }
    expect(roles.find((r) => r.name === 'viewer')).toMatchObject({
      title: 'Viewer',
      appliesToUsers: true,
      appliesToRobots: true,
    });
    expect(roles.find((r) => r.name === 'contributor')).toMatchObject({ appliesToRobots: false });
    expect(roles.find((r) => r.name === CUSTOM_ROLE.name)).toMatchObject({
      title: CUSTOM_ROLE.title,
      description: 'Edits drafts',
      isCustom: true,
      projectId,
      grants: {
        'sanity.project': [{ name: 'sanity-project', isCustom: false, grants: [{ name: 'read', params: {} }] }],
        'sanity.document.filter': [{ name: 'sanity-document-filter-drafts', grants: [{ name: 'update', params: {} }] }],
      },
    });
  });

  it('GET /projects/<id>/roles/<name> reads one role; a typo is a 404 that suggests the closest role', async () => {
    const client = globalClient(owner.token, 'v2025-09-22');
    expect(await client.request({ uri: `/projects/${projectId}/roles/viewer` })).toMatchObject({ name: 'viewer', projectId });
    const typo = await api('GET', `/v2025-09-22/projects/${projectId}/roles/viewr`, { token: owner.token });
    expectErrorEnvelope(typo, 404, 'role_not_found');
    expect(typo.body.message).toBe('Role not found: viewr');
    expect(typo.body.reason).toMatchObject({ didYouMean: 'viewer', resourceType: 'project', resourceId: projectId });
    expect(typo.body.reason.hint).not.toContain('{');
  });

  it('a robot holding viewer may read the roles too (sanity.project.roles.read)', async () => {
    const roles = await globalClient(reader.token, 'v2025-09-22').request<unknown[]>({ uri: `/projects/${projectId}/roles` });
    expect(roles.length).toBe(8);
  });

  it('POST /v2025-09-22/invitations/project/<id> {email, role} with a custom role, then users list shows its title', async () => {
    const client = globalClient(owner.token, 'v2025-09-22');
    await client.request({
      method: 'POST',
      uri: `/invitations/project/${projectId}`,
      body: { email: 'invitee@example.com', role: CUSTOM_ROLE.name },
    });
    const invites = await client.request<
      Array<{
        email: string;
        createdAt: string;
        isAccepted: boolean;
        isRevoked: boolean;
        acceptedByUserId: string | null;
        roles: Array<{ title: string }>;
      }>
    >({ uri: `/invitations/project/${projectId}` });
    const invite = invites.find((i) => i.email === 'invitee@example.com');
    expect(invite).toMatchObject({ isAccepted: false, isRevoked: false, acceptedByUserId: null, createdAt: expect.any(String) });
    expect(invite?.roles.map((r) => r.title)).toEqual([CUSTOM_ROLE.title]);
  });
});

describe('sanity tokens add|list|delete (CLI 7: the legacy /projects/<id>/tokens)', () => {
  let legacy: { id: string; label: string; key: string; projectUserId: string; roles: Array<{ name: string; title: string }> };

  it('POST /v2025-08-18/projects/<id>/tokens {label, roleName}: id, label, key, roles[].title', async () => {
    const client = globalClient(owner.token, 'v2025-08-18');
    legacy = await client.request({
      method: 'POST',
      uri: `/projects/${projectId}/tokens`,
      body: { label: 'Legacy CI', roleName: CUSTOM_ROLE.name },
    });
    expect(legacy).toMatchObject({ label: 'Legacy CI', roles: [{ name: CUSTOM_ROLE.name, title: CUSTOM_ROLE.title }] });
    expect(legacy.key).toMatch(/^gth_robot_/);
    expect(legacy.id).toMatch(/^t/);
  });

  it('one id story: projectUserId is the robot id, which is the member id and resolves through /users; id is its tokenId', async () => {
    const robot = (await globalClient(legacy.key, 'v2025-08-30').users.getById('me')) as unknown as { id: string };
    expect(legacy.projectUserId).toBe(robot.id);
    const accessRobot = await api('GET', `/v2025-07-11/access/project/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(accessRobot.status, accessRobot.text).toBe(200);
    expect(accessRobot.body.tokenId).toBe(legacy.id);
    expect(accessRobot.body.memberships[0].resourceUserId).toBe(robot.id);
    const project = await projectHost(owner.token, 'GET', `/v2025-09-22/projects/${projectId}`);
    const member = project.body.members.find((m: { id: string }) => m.id === robot.id);
    expect(member).toMatchObject({ isRobot: true, roles: [{ name: CUSTOM_ROLE.name, title: CUSTOM_ROLE.title }] });
  });

  it('GET /v2025-08-18/projects/<id>/tokens: id, label, roles[].title (custom titles too)', async () => {
    const tokens = await globalClient(owner.token, 'v2025-08-18').request<
      Array<{ id: string; label: string; projectUserId: string; roles: Array<{ title: string }> }>
    >({ uri: `/projects/${projectId}/tokens` });
    const mine = tokens.find((t) => t.id === legacy.id);
    expect(mine).toMatchObject({ label: 'Legacy CI', projectUserId: legacy.projectUserId });
    expect(mine?.roles.map((r) => r.title)).toEqual([CUSTOM_ROLE.title]);
    expect(tokens.find((t) => t.projectUserId === reader.id)).toMatchObject({ id: reader.tokenId, roles: [{ title: 'Viewer' }] });
  });

  it('DELETE /v2025-08-18/projects/<id>/tokens/<id>; an unknown id is a 404 "Token not found"', async () => {
    const missing = await api('DELETE', `/v2025-08-18/projects/${projectId}/tokens/tnosuchtoken1`, { token: owner.token });
    expectErrorEnvelope(missing, 404, 'not_found');
    expect(missing.body.message).toBe('Token not found: tnosuchtoken1');
    await globalClient(owner.token, 'v2025-08-18').request({
      method: 'DELETE',
      uri: `/projects/${projectId}/tokens/${legacy.id}`,
    });
    const after = await api('GET', '/v2025-08-30/users/me', { token: legacy.key });
    expect(after.status).toBe(401);
  });

  it('the robot’s own id (its member id) deletes it through the legacy route too', async () => {
    const created = await api('POST', `/v2025-08-18/projects/${projectId}/tokens`, {
      token: owner.token,
      body: { label: 'by member id', roleName: 'viewer' },
    });
    expect(created.status, created.text).toBe(201);
    const gone = await api('DELETE', `/v2025-08-18/projects/${projectId}/tokens/${created.body.projectUserId}`, {
      token: owner.token,
    });
    expect(gone.status, gone.text).toBe(204);
  });
});

describe('sanity tokens create|list|delete|rotate (CLI 8: the Access API robots)', () => {
  it('GET /v2025-07-11/access/project/<id>/roles pages {data:[{name,title,appliesToRobots}], nextCursor} until null', async () => {
    const client = globalClient(owner.token, 'v2025-07-11');
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await client.request<{
        data: Array<{ name: string; title: string; appliesToRobots: boolean }>;
        nextCursor: string | null;
      }>({
        uri: `/access/project/${projectId}/roles`,
        query: { limit: '3', ...(cursor ? { nextCursor: cursor } : {}) },
      });
      for (const role of page.data) {
        expect(typeof role.appliesToRobots).toBe('boolean');
        seen.push(role.title);
      }
      expect(page.nextCursor === null || typeof page.nextCursor === 'string').toBe(true);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toContain(CUSTOM_ROLE.title);
  });

  it('POST robots → id, label, expiresAt, token; list, rotate with its own token, delete (204)', async () => {
    const client = globalClient(owner.token, 'v2025-07-11');
    const created = await client.request<{ id: string; label: string; expiresAt: string | null; token: string }>({
      method: 'POST',
      uri: `/access/project/${projectId}/robots`,
      query: { sendNotification: 'false' },
      body: { label: 'CLI 8', memberships: [{ resourceId: projectId, resourceType: 'project', roleNames: ['viewer'] }] },
    });
    expect(created).toMatchObject({ label: 'CLI 8', expiresAt: null, token: expect.stringMatching(/^gth_robot_/) });

    const page = await client.request<{
      data: Array<{
        id: string;
        label: string;
        managedBy: unknown;
        memberships: Array<{ resourceType: string; resourceId: string; roleNames: string[] }>;
      }>;
      nextCursor: string | null;
    }>({ uri: `/access/project/${projectId}/robots` });
    expect(page.nextCursor).toBeNull();
    expect(page.data.find((r) => r.id === created.id)).toMatchObject({
      managedBy: null,
      memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
    });

    const rotated = await globalClient(created.token, 'v2025-07-11').request<{ id: string; token: string }>({
      method: 'POST',
      uri: '/access/robots/me/rotate',
    });
    expect(rotated.id).toBe(created.id);
    expect(rotated.token).not.toBe(created.token);

    const deleted = await api('DELETE', `/v2025-07-11/access/project/${projectId}/robots/${created.id}`, { token: owner.token });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
  });
});

describe('sanity users list', () => {
  it('members from the project host, then GET /users/<id1>,<id2>: robots answer with their label and isRobot', async () => {
    const project = await projectHost(owner.token, 'GET', `/v2025-09-22/projects/${projectId}`);
    expect(project.status, project.text).toBe(200);
    const members = project.body.members as Array<{ id: string; isRobot: boolean; roles: Array<{ title: string }> }>;
    expect(members.map((m) => m.isRobot).sort()).toEqual([false, true]);
    const ids = members.map((m) => m.id).join(',');
    const users = (await globalClient(owner.token, 'v2025-08-30').users.getById(ids)) as unknown as Array<{
      id: string;
      displayName: string;
      createdAt: string;
      isRobot: boolean;
    }>;
    expect(Array.isArray(users)).toBe(true);
    const byId = new Map(users.map((u) => [u.id, u]));
    for (const member of members) {
      const user = byId.get(member.id);
      expect(user, `member ${member.id} resolves`).toBeDefined();
      expect(user?.displayName).not.toBe('');
      expect(user?.createdAt).toEqual(expect.any(String));
      expect(user?.isRobot).toBe(member.isRobot);
    }
    expect(byId.get(reader.id)).toMatchObject({ displayName: 'Docs reader', isRobot: true });
    expect(byId.get(owner.userId)).toMatchObject({ displayName: 'Cora Compat', isRobot: false, isCurrentUser: true });
  });

  it('one id is one object, not an array (the CLI accepts both)', async () => {
    const one = await globalClient(owner.token, 'v2025-08-30').users.getById(reader.id);
    expect(one).toMatchObject({ id: reader.id, displayName: 'Docs reader', isRobot: true });
  });

  it('a robot of another project stays invisible: the same 404 as an id that does not exist', async () => {
    const stranger = await server.createUser();
    const elsewhere = await api('POST', `${V}/projects`, { token: stranger.token, body: { displayName: 'Elsewhere' } });
    const other = await createRobot(api, stranger.token, { type: 'project', id: elsewhere.body.id }, ['viewer'], 'Hidden');
    const res = await api('GET', `/v2025-08-30/users/${other.id}`, { token: owner.token });
    expectErrorEnvelope(res, 404, 'not_found');
    const both = await api('GET', `/v2025-08-30/users/${other.id},${reader.id}`, { token: owner.token });
    expect(both.body.map((u: { id: string }) => u.id)).toEqual([reader.id]);
  });
});

describe('sanity cors list|add|delete', () => {
  it('cors add of the seeded origin with the same credentials succeeds and says nothing changed', async () => {
    const client = globalClient(owner.token, 'v2025-08-14');
    const before = await client.request<Array<{ id: number; origin: string }>>({ uri: `/projects/${projectId}/cors` });
    expect(before.map((o) => o.origin)).toEqual(['http://localhost:3333']);

    const res = await api('POST', `/v2025-08-14/projects/${projectId}/cors`, {
      token: owner.token,
      body: { allowCredentials: true, origin: 'http://localhost:3333' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: before[0]?.id, origin: 'http://localhost:3333', allowCredentials: true });
    expect(res.headers.get('x-sanity-warning')).toMatch(/already allowed with credentials .*nothing changed/);

    // Through the official client too (it resolves; a 409 would throw).
    await client.request({
      method: 'POST',
      uri: `/projects/${projectId}/cors`,
      body: { allowCredentials: true, origin: 'http://localhost:3333' },
    });
    expect(await client.request({ uri: `/projects/${projectId}/cors` })).toHaveLength(1);

    const events = await api('GET', `/v2021-02-01/activity?projectId=${projectId}&action=cors.create`, { token: owner.token });
    expect(events.body.data).toEqual([]); // a repeat writes no audit event: nothing changed
  });

  it('the same origin with other credentials is still a conflict that names the entry', async () => {
    const res = await api('POST', `/v2025-08-14/projects/${projectId}/cors`, {
      token: owner.token,
      body: { allowCredentials: false, origin: 'http://localhost:3333' },
    });
    expectErrorEnvelope(res, 409, 'cors_origin_exists');
    expect(res.body.message).toMatch(/already allowed with credentials/);
  });

  it('cors add of a new origin is a 201; cors delete finds it by origin and deletes it by id', async () => {
    const client = globalClient(owner.token, 'v2025-08-14');
    const created = await api('POST', `/v2025-08-14/projects/${projectId}/cors`, {
      token: owner.token,
      body: { allowCredentials: false, origin: 'https://studio.example.com' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-sanity-warning')).toBeNull();
    const list = await client.request<Array<{ id: number; origin: string }>>({ uri: `/projects/${projectId}/cors` });
    const entry = list.find((o) => o.origin.toLowerCase() === 'https://studio.example.com');
    expect(entry).toBeDefined();
    await client.request({ method: 'DELETE', uri: `/projects/${projectId}/cors/${entry?.id}` });
    expect(await client.request({ uri: `/projects/${projectId}/cors` })).toHaveLength(1);
  });
});

describe('list filters take several values in either spelling', () => {
  it('the Activity API’s documented bracket syntax: projectId[]=, actorId[]=, action[]=', async () => {
    const client = globalClient(owner.token, 'v2021-02-01');
    const plain = await client.request<{ data: Array<{ action: string; actorId: string | null; projectId: string }> }>({
      uri: `/activity?projectId=${projectId}&actorId=${owner.userId}&action=robot.create&action=role.create&limit=100`,
    });
    expect(plain.data.length).toBeGreaterThan(1);
    const brackets = await client.request<{ data: Array<{ id: string }> }>({
      uri: `/activity?projectId[]=${projectId}&actorId[]=${owner.userId}&action[]=robot.create&action[]=role.create&limit=100`,
    });
    expect(brackets.data).toEqual(plain.data);
    expect(new Set(plain.data.map((e) => e.action))).toEqual(new Set(['robot.create', 'role.create']));
    // Encoded brackets (%5B%5D, as URLSearchParams writes them) and a mix of both spellings.
    const mixed = await api(
      'GET',
      `/v2021-02-01/activity?projectId%5B%5D=${projectId}&actorId=${owner.userId}&action[]=robot.create&action=role.create&limit=100`,
      { token: owner.token },
    );
    expect(mixed.status, mixed.text).toBe(200);
    expect(mixed.body.data).toEqual(plain.data);
  });

  it('brackets on the CSV export, the permission check and the invitation status filter', async () => {
    const csv = await api('GET', `/v2021-02-01/activity/export/csv?action[]=robot.create&projectId[]=${projectId}`, {
      token: owner.token,
    });
    expect(csv.status).toBe(200);
    expect(csv.text.split('\r\n').filter((line) => line.includes('robot.create')).length).toBeGreaterThan(0);
    const check = await api(
      'GET',
      `${V}/access/project/${projectId}/user-permissions/me/check?permissions[]=sanity.project.read&permissions[]=sanity.project.delete`,
      { token: reader.token },
    );
    expect(check.status, check.text).toBe(200);
    expect(check.body).toEqual({ data: { 'sanity.project.read': true, 'sanity.project.delete': false } });
    const invites = await api('GET', `${V}/access/project/${projectId}/invites?status[]=pending&status[]=revoked`, {
      token: owner.token,
    });
    expect(invites.status, invites.text).toBe(200);
    expect(invites.body.data.map((i: { email: string }) => i.email)).toContain('invitee@example.com');
  });

  it('a bracket value is validated like a plain one, and brackets on a single-valued parameter are not a list', async () => {
    const bad = await api('GET', `/v2021-02-01/activity?action[]=Not%20An%20Action`, { token: owner.token });
    expectErrorEnvelope(bad, 400, 'invalid_input');
    const limit = await api('GET', `/v2021-02-01/activity?limit[]=5`, { token: owner.token });
    expectErrorEnvelope(limit, 400, 'invalid_input');
  });

  it('the API reference says so for every list parameter', async () => {
    const doc = (await api('GET', '/openapi.json')).body;
    const parameters = doc.paths['/{apiVersion}/activity'].get.parameters as Array<{ name: string; description?: string }>;
    for (const name of ['actorId', 'userId', 'projectId', 'organizationId', 'action']) {
      expect(parameters.find((p) => p.name === name)?.description, name).toContain(`name[]=a`);
    }
  });
});
