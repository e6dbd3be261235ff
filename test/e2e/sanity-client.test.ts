/**
 * The official `@sanity/client` (7.x), unmodified, pointed at a Gatehouse server: it lists project
 * users with a robot token, lists projects, reads `users/me`, and reads Gatehouse's errors the way
 * it reads Sanity's (`Forbidden - Robots are not allowed`).
 */
import { ClientError, createClient, isHttpError, type SanityClient } from '@sanity/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let owner: { userId: string; token: string };
let projectId: string;
let robotToken: string;
let robotId: string;

/** What Gatehouse's users/me adds to the client's `CurrentSanityUser` type (as Sanity's API does). */
type Me = { id: string; role: string; roles?: Array<{ name: string }> };

function clientWith(token: string | undefined, extra: { projectId?: string } = {}): SanityClient {
  return createClient({
    apiHost: server.url,
    useProjectHostname: false,
    useCdn: false,
    apiVersion: '2025-01-09',
    token,
    maxRetries: 0,
    ...extra,
  });
}

beforeAll(async () => {
  server = await startTestServer();
  const api = apiClient(server.url);
  owner = await server.createUser('client-owner@example.com', 'Clara Client');
  const project = await api('POST', '/v2025-01-09/projects', { token: owner.token, body: { displayName: 'Client compat' } });
  expect(project.status).toBe(201);
  projectId = project.body.id;
  // A second project the robot must never see.
  await api('POST', '/v2025-01-09/projects', { token: owner.token, body: { displayName: 'Elsewhere' } });
  const robot = await api('POST', `/v2025-01-09/access/project/${projectId}/robots`, {
    token: owner.token,
    body: { label: 'client reader', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
  });
  expect(robot.status).toBe(201);
  robotToken = robot.body.token;
  robotId = robot.body.id;
});

afterAll(async () => {
  await server?.close();
});

describe('@sanity/client with a robot (viewer) token', () => {
  it('lists the users of its project through client.request', async () => {
    const page = await clientWith(robotToken).request({ uri: `/access/project/${projectId}/users` });
    expect(page).toMatchObject({ totalCount: 1, nextCursor: null });
    expect(page.data[0]).toMatchObject({
      sanityUserId: owner.userId,
      profile: { email: 'client-owner@example.com', displayName: 'Clara Client' },
      memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['administrator'] }],
    });
  });

  it('the tag query parameter the client appends is ignored', async () => {
    const page = await clientWith(robotToken).request({ uri: `/access/projects/${projectId}/users`, tag: 'compat.test' });
    expect(page.totalCount).toBe(1);
  });

  it('client.projects.list() returns the one project the robot belongs to', async () => {
    const projects = await clientWith(robotToken).projects.list();
    expect(projects).toHaveLength(1);
    expect(projects[0]).toMatchObject({ id: projectId, displayName: 'Client compat' });
  });

  it('client.projects.getById() reads the project', async () => {
    const project = await clientWith(robotToken).projects.getById(projectId);
    expect(project).toMatchObject({ id: projectId, displayName: 'Client compat' });
  });

  it("client.users.getById('me') says it is a token", async () => {
    const me = (await clientWith(robotToken).users.getById('me')) as unknown as Me;
    expect(me).toMatchObject({ id: robotId, name: 'client reader', provider: 'sanity-token' });
    expect(me.roles?.map((r) => r.name)).toEqual(['viewer']);
  });

  it('creating a project is refused with "Forbidden - Robots are not allowed" and an explained reason', async () => {
    const client = clientWith(robotToken);
    const error = await client.request({ method: 'POST', uri: '/projects', body: { displayName: 'x' } }).then(
      () => {
        throw new Error('expected the request to be refused');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClientError);
    expect(isHttpError(error)).toBe(true);
    const err = error as ClientError;
    // The client appends the trace id from the `traceparent` response header.
    expect(err.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(err.message).toBe(`Forbidden - Robots are not allowed (traceId: ${err.traceId})`);
    expect(err.statusCode).toBe(403);
    expect(err.response.headers.traceparent).toMatch(new RegExp(`^00-${err.traceId}-[0-9a-f]{16}-01$`));
    const body = err.response.body as { reason: { code: string; accepts: string[]; hint: string } };
    expect(body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: 'Robots are not allowed' });
    expect(body.reason.code).toBe('principal_not_accepted');
    expect(body.reason.accepts).toEqual(['user']);
    expect(body.reason.hint).toMatch(/personal token/);
  });

  it('another project is "Not Found", not a hint that it exists', async () => {
    const err = (await clientWith(robotToken)
      .request({ uri: '/access/project/nosuchproject/users' })
      .catch((e: unknown) => e)) as ClientError;
    expect(err.statusCode).toBe(404);
    expect(err.message).toBe(`Not Found - Project not found: nosuchproject (traceId: ${err.traceId})`);
  });

  it('a client without a token is told it is not authenticated', async () => {
    const err = (await clientWith(undefined)
      .request({ uri: `/access/project/${projectId}/users` })
      .catch((e: unknown) => e)) as ClientError;
    expect(err.statusCode).toBe(401);
    expect(err.message).toBe(`Unauthorized - Not authenticated (traceId: ${err.traceId})`);
    expect((err.response.body as { reason: { code: string } }).reason.code).toBe('missing_token');
  });

  it("an anonymous client's users/me is {}", async () => {
    expect(await clientWith(undefined).users.getById('me')).toEqual({});
  });
});

describe('@sanity/client with a personal (user) token', () => {
  it('client.projects.list() returns both of the owner’s projects', async () => {
    const projects = await clientWith(owner.token).projects.list();
    expect(projects.map((p) => p.displayName).sort()).toEqual(['Client compat', 'Elsewhere']);
  });

  it('client.users.getById(<id>) returns the user', async () => {
    const user = await clientWith(owner.token).users.getById(owner.userId);
    expect(user).toMatchObject({ id: owner.userId, displayName: 'Clara Client', isCurrentUser: true });
  });

  it('users/me without a project context has no project roles', async () => {
    const me = (await clientWith(owner.token).users.getById('me')) as unknown as Me;
    expect(me).toMatchObject({ id: owner.userId, email: 'client-owner@example.com' });
    expect(me.roles).toEqual([]);
  });

  it('with projectId set the client sends X-Sanity-Project-ID, and users/me shows the project role', async () => {
    const client = clientWith(owner.token, { projectId });
    const me = (await client.users.getById('me')) as unknown as Me;
    expect(me.roles?.[0]?.name).toBe('administrator');
    expect(me.role).toBe('administrator');
  });
});
