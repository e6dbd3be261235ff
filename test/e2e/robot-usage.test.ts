/**
 * The permissions-used report (`GET …/robots/{id}/usage`, `gatehouse tokens usage`): what each robot
 * actually exercised in a window, and the smallest built-in or custom role that covers it.
 *
 * Recording it adds no database write to the request path: counts stay in memory until a flush
 * (every minute, before a report, on graceful shutdown). The tests run with a flush interval of an
 * hour, so every write they see comes from a report, a shutdown, or a flush the test calls.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../support/cli.js';
import { createOrganization, createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const HOUR = 3_600_000;

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;

beforeAll(async () => {
  server = await startTestServer({ usageFlushMs: HOUR });
  api = apiClient(server.url);
  owner = await server.createUser('usage-owner@example.com', 'Uma Usage');
  projectId = await createProject(api, owner.token, 'Measured');
});

afterAll(async () => {
  await server?.close();
});

async function usageRows(): Promise<number> {
  const row = await server.running.store.db
    .selectFrom('robot_permission_usage')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function usage(robotId: string, query = '', resource = `project/${projectId}`) {
  const res = await api('GET', `${V}/access/${resource}/robots/${robotId}/usage${query}`, { token: owner.token });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe('what a robot exercised', () => {
  it('counts allowed requests per permission in memory only, and names the smallest covering role', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['developer'], 'CI');
    const before = await usageRows();
    for (let i = 0; i < 3; i++) {
      expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token })).status).toBe(200);
    }
    expect((await api('GET', `${V}/access/project/${projectId}/robots`, { token: robot.token })).status).toBe(200);
    const cors = await api('POST', `${V}/projects/${projectId}/cors`, {
      token: robot.token,
      body: { origin: 'https://ci.example.com', allowCredentials: false },
    });
    expect(cors.status, cors.text).toBe(201);
    // A denied request exercised nothing.
    expect(
      (await api('PUT', `${V}/access/project/${projectId}/users/${owner.userId}/roles/viewer`, { token: robot.token })).status,
    ).toBe(403);
    // Not one write so far: the counts are in memory.
    expect(await usageRows()).toBe(before);

    const report = await usage(robot.id);
    expect(report).toMatchObject({ robotId: robot.id, days: 30, rolesHeld: ['developer'] });
    expect(report.permissions.map((p: { permission: string; count: number }) => [p.permission, p.count])).toEqual([
      ['sanity.project.cors.create', 1],
      ['sanity.project.members.read', 3],
      ['sanity.project.tokens.read', 1],
    ]);
    for (const p of report.permissions) expect(p).toMatchObject({ resourceType: 'project', resourceId: projectId });
    // Of the built-in roles, developer is the smallest that covers it (administrator does too, with more).
    expect(report.smallestRole).toMatchObject({ name: 'developer', isCustom: false });
    expect(report.unusedPermissions).toContain('sanity.project.tokens.delete');
    expect(report.unusedPermissions).not.toContain('sanity.project.members.read');
    expect(await usageRows()).toBeGreaterThan(before);

    // A custom role with exactly these permissions is smaller: the report suggests it.
    const created = await api('POST', `${V}/access/project/${projectId}/roles`, {
      token: owner.token,
      body: {
        name: 'ci-minimal',
        title: 'CI, minimal',
        appliesToUsers: false,
        appliesToRobots: true,
        permissions: [
          { name: 'sanity-project-members', action: 'read' },
          { name: 'sanity-project-tokens', action: 'read' },
          { name: 'sanity-project-cors', action: 'create' },
        ],
      },
    });
    expect(created.status, created.text).toBe(201);
    expect((await usage(robot.id)).smallestRole).toEqual({
      name: 'ci-minimal',
      title: 'CI, minimal',
      isCustom: true,
      grantCount: 3,
    });
  });

  it('a read-only robot is told viewer; one that did nothing in the window is told so', async () => {
    // A project of its own: no custom role there is smaller than the built-in ones.
    const plain = await createProject(api, owner.token, 'Plain');
    const reader = await createRobot(api, owner.token, { type: 'project', id: plain }, ['editor'], 'reader');
    await api('GET', `${V}/access/project/${plain}/users`, { token: reader.token });
    expect((await usage(reader.id, '', `project/${plain}`)).smallestRole?.name).toBe('viewer');
    server.advance(31 * 24 * HOUR);
    try {
      const later = await usage(reader.id, '', `project/${plain}`);
      expect(later.permissions).toEqual([]);
      // Every role covers nothing: the smallest, the auditor, holds one permission.
      expect(later.smallestRole).toMatchObject({ name: 'auditor', grantCount: 1 });
      expect((await usage(reader.id, '?days=90', `project/${plain}`)).permissions).toHaveLength(1);
    } finally {
      server.advance(-31 * 24 * HOUR);
    }
  });

  it('an organization robot acting on the organization’s projects: only administrator covers that', async () => {
    const organizationId = await createOrganization(api, owner.token, 'Measured org');
    const inOrg = await api('POST', `${V}/projects`, { token: owner.token, body: { displayName: 'Child', organizationId } });
    expect(inOrg.status, inOrg.text).toBe(201);
    const orgRobot = await createRobot(
      api,
      owner.token,
      { type: 'organization', id: organizationId },
      ['administrator'],
      'org CI',
    );
    expect((await api('GET', `${V}/access/project/${inOrg.body.id}/users`, { token: orgRobot.token })).status).toBe(200);
    const report = await usage(orgRobot.id, '', `organization/${organizationId}`);
    expect(report.permissions).toEqual([
      expect.objectContaining({ permission: 'sanity.project.members.read', resourceType: 'project', resourceId: inOrg.body.id }),
    ]);
    expect(report.smallestRole?.name).toBe('administrator');
  });

  it('refuses an unknown robot, another resource’s robot, and a window out of range', async () => {
    expectErrorEnvelope(
      await api('GET', `${V}/access/project/${projectId}/robots/rnosuchrobot/usage`, { token: owner.token }),
      404,
      'not_found',
    );
    const other = await createProject(api, owner.token, 'Other');
    const elsewhere = await createRobot(api, owner.token, { type: 'project', id: other }, ['viewer']);
    expectErrorEnvelope(
      await api('GET', `${V}/access/project/${projectId}/robots/${elsewhere.id}/usage`, { token: owner.token }),
      404,
      'not_found',
    );
    for (const days of ['0', '91', 'x']) {
      expectErrorEnvelope(
        await api('GET', `${V}/access/project/${projectId}/robots/${elsewhere.id}/usage?days=${days}`, { token: owner.token }),
        400,
        'invalid_input',
      );
    }
  });

  it('gatehouse tokens usage prints the report', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator'], 'cli measured');
    await api('GET', `${V}/access/project/${projectId}/roles`, { token: robot.token });
    const run = await runCli(
      ['tokens', 'usage', robot.id, '--project', projectId],
      cleanEnv({ GATEHOUSE_API_HOST: server.url, GATEHOUSE_AUTH_TOKEN: owner.token, NO_COLOR: '1' }),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/PERMISSION\s+ON\s+REQUESTS\s+LAST USED/);
    expect(run.stdout).toContain('sanity.project.roles.read');
    expect(run.stdout).toContain('Smallest role that covers this: viewer');
    expect(run.stdout).toContain('Granted but never used');
    const json = await runCli(
      ['tokens', 'usage', robot.id, '--project', projectId, '--days', '7', '--json'],
      cleanEnv({ GATEHOUSE_API_HOST: server.url, GATEHOUSE_AUTH_TOKEN: owner.token }),
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ robotId: robot.id, days: 7 });
  });
});

describe('a graceful shutdown writes what is counted', () => {
  it('a second node’s counts reach the database when it closes', async () => {
    const node = await startTestServer({ sameDatabaseAs: server, usageFlushMs: HOUR });
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'short-lived node');
    const nodeApi = apiClient(node.url);
    for (let i = 0; i < 4; i++) await nodeApi('GET', `${V}/access/project/${projectId}/users`, { token: robot.token });
    await node.close();
    const rows = await server.running.store.db
      .selectFrom('robot_permission_usage')
      .selectAll()
      .where('robot_id', '=', robot.id)
      .execute();
    expect(rows.map((r) => [r.permission, Number(r.count)])).toEqual([['sanity.project.members.read', 4]]);
  });
});

describe('two nodes writing the same counters at once', () => {
  it('lose no count: every node writes its rows in one order, so neither waits for the other in a cycle', async () => {
    const node = await startTestServer({ sameDatabaseAs: server, usageFlushMs: HOUR });
    try {
      const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'counted twice');
      const principal = { kind: 'robot', id: robot.id } as Parameters<typeof server.running.services.usage.record>[0];
      const resource = { type: 'project', id: projectId } as const;
      // 40 counters, noted in opposite orders on the two nodes: one statement each, run at once,
      // locked these rows in opposite orders when rows went in the order noted (PostgreSQL then
      // broke the deadlock by failing one statement, and its counts were lost).
      const permissions = Array.from({ length: 40 }, (_, i) => `test.counter.${String(i).padStart(2, '0')}`);
      const rounds = 15;
      for (let round = 0; round < rounds; round++) {
        for (const permission of permissions) server.running.services.usage.record(principal, resource, permission);
        for (const permission of [...permissions].reverse()) node.running.services.usage.record(principal, resource, permission);
        await Promise.all([server.running.services.usage.flush(), node.running.services.usage.flush()]);
      }
      const rows = await server.running.store.db
        .selectFrom('robot_permission_usage')
        .select(['permission', 'count'])
        .where('robot_id', '=', robot.id)
        .execute();
      expect(rows).toHaveLength(permissions.length);
      for (const row of rows) expect(Number(row.count), row.permission).toBe(2 * rounds);
      expect(server.logs() + node.logs()).not.toContain('could not write robot permission usage');
    } finally {
      await node.close();
    }
  });
});
