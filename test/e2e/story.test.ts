/**
 * The story this project starts from: a robot token lists the users of its project. It works when
 * the robot holds a role that allows it, and every refusal explains itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;
let otherProjectId: string;
let robot: { id: string; token: string; tokenId: string };

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser('owner@example.com', 'Olive Owner');
  const created = await api('POST', '/v2025-01-09/projects', { token: owner.token, body: { displayName: 'Story' } });
  expect(created.status).toBe(201);
  projectId = created.body.id;
  const other = await api('POST', '/v2025-01-09/projects', { token: owner.token, body: { displayName: 'Other' } });
  otherProjectId = other.body.id;
});

afterAll(async () => {
  await server?.close();
});

describe('a robot token reads project users', () => {
  it('a user creates a robot with the viewer role and gets its secret once', async () => {
    const res = await api('POST', `/v2025-01-09/access/projects/${projectId}/robots`, {
      token: owner.token,
      body: { label: 'CI reader', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
    });
    expect(res.status).toBe(201);
    expect(res.body.token).toMatch(/^gth_robot_[0-9A-Za-z]{49}$/);
    expect(res.body.memberships[0]).toMatchObject({ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] });
    robot = { id: res.body.id, token: res.body.token, tokenId: res.body.tokenId };

    const again = await api('GET', `/v2025-01-09/access/projects/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(again.status).toBe(200);
    expect(again.text).not.toContain(robot.token);
    expect(again.body.tokenHint).toBe(robot.token.slice(-4));
  });

  it('the robot lists the users of its project on a dated version and on vX', async () => {
    for (const version of ['v2025-01-09', 'vX', 'v1']) {
      const res = await api('GET', `/${version}/access/projects/${projectId}/users`, { token: robot.token });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.body.totalCount).toBe(1);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.data[0]).toMatchObject({
        sanityUserId: owner.userId,
        profile: { id: owner.userId, email: 'owner@example.com', displayName: 'Olive Owner' },
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['administrator'] }],
      });
    }
  });

  it('the singular and plural resource spellings are the same resource', async () => {
    const res = await api('GET', `/v2025-01-09/access/project/${projectId}/users?tag=sanity.cli`, { token: robot.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
  });

  it('another project answers 404, the same as a project that does not exist', async () => {
    const other = await api('GET', `/v2025-01-09/access/projects/${otherProjectId}/users`, { token: robot.token });
    const missing = await api('GET', '/v2025-01-09/access/projects/nosuchpj/users', { token: robot.token });
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.reason.code).toBe('not_found');
    // Same text apart from the id the caller sent.
    expect(other.body.message.replace(otherProjectId, 'X')).toBe(missing.body.message.replace('nosuchpj', 'X'));
    expect(other.body.reason.hint).toBe(missing.body.reason.hint);
  });

  it('creating a project is refused with an explained 403 "Robots are not allowed"', async () => {
    const res = await api('POST', '/v2025-01-09/projects', { token: robot.token, body: { displayName: 'Nope' } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      statusCode: 403,
      error: 'Forbidden',
      message: 'Robots are not allowed',
      reason: { code: 'principal_not_accepted', principalKind: 'robot', accepts: ['user'] },
    });
    expect(res.body.reason.hint).toMatch(/personal token/);
  });

  it('a member lacking a permission gets a 403 naming it', async () => {
    const res = await api('POST', `/v2025-01-09/access/projects/${projectId}/robots`, {
      token: robot.token,
      body: { label: 'x', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
    });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe(`Missing permission sanity.project.tokens.create on project ${projectId}`);
    expect(res.body.reason).toMatchObject({
      code: 'missing_permission',
      permission: 'sanity.project.tokens.create',
      rolesHeld: ['viewer'],
    });
  });

  it('an unknown API version is a 400 that names the accepted forms', async () => {
    for (const version of ['v2', 'v3', 'v2025-13-45', 'v2999-01-01', 'version1']) {
      const res = await api('GET', `/${version}/access/projects/${projectId}/users`, { token: robot.token });
      expect(res.status, version).toBe(400);
      expect(res.body.reason.code).toBe('invalid_api_version');
      expect(res.body.message).toContain('vYYYY-MM-DD');
    }
  });

  it('after the robot is deleted its token gets 401 on the next request', async () => {
    const del = await api('DELETE', `/v2025-01-09/access/projects/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(del.status).toBe(204);
    const res = await api('GET', `/v2025-01-09/access/projects/${projectId}/users`, { token: robot.token });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, message: 'Session not found', reason: { code: 'token_revoked' } });
  });
});
