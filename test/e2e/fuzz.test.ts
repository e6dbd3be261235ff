/**
 * The adversary's fuzzer, kept (test/support/fuzz.ts): requests derived from the server's OpenAPI
 * document — every operation, valid, almost valid and hostile, with every kind of credential —
 * must never get a 5xx or an error outside the envelope, and the server must be as healthy after
 * as before. Bounded here (GATEHOUSE_FUZZ_RUNS, default 1,500: seconds); `npm run fuzz` runs the
 * full-size campaign and prints its figures (docs/security.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSsoDomain, createOrganization, createProject, createRobot, V } from '../support/fixtures.js';
import { fuzz, operationsOf } from '../support/fuzz.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const RUNS = Number(process.env.GATEHOUSE_FUZZ_RUNS ?? 1_500);

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startTestServer({ identity: { signup: 'open' } });
  api = apiClient(server.url);
});

afterAll(async () => {
  await server?.close();
});

describe('fuzzing every operation of the OpenAPI document', () => {
  it(`${RUNS} generated requests: no 5xx, every error in the envelope, the server still healthy`, async () => {
    const owner = await server.createUser('fuzz-owner@fuzz.example', 'Fay Fuzz');
    const projectId = await createProject(api, owner.token, 'Fuzzed');
    const organizationId = await createOrganization(api, owner.token, 'Fuzzed org');
    await approveSsoDomain(server, organizationId, 'fuzz.example');
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['developer']);
    const provider = await api('POST', `${V}/organizations/${organizationId}/providers`, {
      token: owner.token,
      body: { type: 'oidc', title: 'Fuzz', config: { issuer: 'https://login.example.com', clientId: 'fuzz' } },
    });
    expect(provider.status, provider.text).toBe(201);
    const document = (await api('GET', '/openapi.json')).body;
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(80);

    const report = await fuzz(
      server.url,
      operations,
      {
        ids: {
          resourceType: ['project', 'organization', 'projects', 'organizations'],
          resourceId: [projectId, organizationId],
          projectId: [projectId],
          organizationId: [organizationId],
          userId: [owner.userId, 'me'],
          userIds: [owner.userId, `${owner.userId},${owner.userId}`],
          robotId: [robot.id],
          tokenId: [robot.tokenId],
          roleName: ['viewer', 'administrator', 'auditor'],
          permissionName: ['sanity-project', 'sanity-organization'],
          provider: ['sanity', provider.body.id],
          providerId: [provider.body.id],
        },
        tokens: [undefined, owner.token, robot.token, 'gth_user_garbage', `gth_robot_${'A'.repeat(49)}`],
      },
      { count: RUNS },
    );
    console.info(
      `fuzz: ${report.requests} requests over ${report.operations} operations in ${report.elapsedMs} ms`,
      JSON.stringify(report.statuses),
    );
    expect(report.failures.slice(0, 5)).toEqual([]);
    expect(report.requests).toBe(RUNS);

    // Still healthy: the health check, and a normal caller's normal requests (a new one: the fuzzer
    // may well have logged the owner out, which is a legitimate request).
    expect((await api('GET', '/health')).status).toBe(200);
    const fresh = await server.createUser();
    const me = await api('GET', `${V}/users/me`, { token: fresh.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(fresh.userId);
    expect((await api('POST', `${V}/projects`, { token: fresh.token, body: { displayName: 'After the storm' } })).status).toBe(
      201,
    );
  }, 600_000);
});
