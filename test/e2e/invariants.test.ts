/** Rules no change may break, whoever asks: a project always keeps a person who can manage it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, createRobot } from '../support/fixtures.js';
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

describe('the last access manager is a person', () => {
  it('an administrator robot cannot remove the only human administrator', async () => {
    const owner = await server.createUser();
    const projectId = await createProject(api, owner.token);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    const res = await api('DELETE', `/v2025-01-09/access/project/${projectId}/users/${owner.userId}`, { token: robot.token });
    expect(res.status).toBe(409);
    expect(res.body.reason).toMatchObject({ code: 'last_access_manager' });
    expect(res.body.message).toBe(`This change would leave project ${projectId} with no person who can manage its members`);
    const still = await api('GET', `/v2025-01-09/access/project/${projectId}/users/${owner.userId}`, { token: owner.token });
    expect(still.status).toBe(200);
  });

  it('an administrator robot may delete itself: the human administrator remains', async () => {
    const owner = await server.createUser();
    const projectId = await createProject(api, owner.token);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    const res = await api('DELETE', `/v2025-01-09/access/project/${projectId}/robots/${robot.id}`, { token: robot.token });
    expect(res.status).toBe(204);
    const after = await api('GET', `/v2025-01-09/access/project/${projectId}/users`, { token: owner.token });
    expect(after.body.data.map((u: { sanityUserId: string }) => u.sanityUserId)).toEqual([owner.userId]);
    expect((await api('GET', '/v2025-01-09/access/robots/me', { token: robot.token })).status).toBe(401);
  });
});
