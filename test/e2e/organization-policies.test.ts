/**
 * Organization policies: the rules an organization sets for the robots of itself and of its
 * projects — how long their tokens may live, and whether they may manage members and roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createProject, createRobot, expectErrorEnvelope, type RobotFixture, V } from '../support/fixtures.js';
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

const DAY = 86_400_000;
const fromNow = (ms: number) => new Date(server.running.deps.now().getTime() + ms).toISOString();

async function organization(name = 'Policy org'): Promise<string> {
  const res = await api('POST', `${V}/organizations`, { token: owner.token, body: { name } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

async function projectIn(organizationId: string): Promise<string> {
  const res = await api('POST', `${V}/projects`, { token: owner.token, body: { displayName: 'In org', organizationId } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

const policies = (organizationId: string, token = owner.token) =>
  api('GET', `${V}/organizations/${organizationId}/policies`, { token });
const patchPolicies = (organizationId: string, body: unknown, token = owner.token) =>
  api('PATCH', `${V}/organizations/${organizationId}/policies`, { token, body });

function robotBody(resource: { type: string; id: string }, roleNames: string[], expiresAt?: string | null) {
  return {
    label: 'policy robot',
    memberships: [{ resourceType: resource.type, resourceId: resource.id, roleNames }],
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

describe('GET and PATCH /organizations/{organizationId}/policies', () => {
  it('starts with no lifetime limit and robots allowed to manage members', async () => {
    const orgId = await organization();
    const res = await policies(orgId);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      organizationId: orgId,
      robotTokenMaxLifetimeDays: null,
      robotsMayManageMembers: true,
      ssoTokenLifetimeDays: null,
      updatedAt: expect.any(String),
    });
  });

  it('is readable by members and by the organization’s robots; 404 for anyone else', async () => {
    const orgId = await organization();
    const member = await server.createUser();
    await addMember(server, { type: 'organization', id: orgId }, member.userId, ['member']);
    expect((await policies(orgId, member.token)).status).toBe(200);
    const robot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['member']);
    expect((await policies(orgId, robot.token)).status).toBe(200);
    const stranger = await server.createUser();
    expectErrorEnvelope(await policies(orgId, stranger.token), 404, 'not_found');
    const projectId = await projectIn(orgId);
    const projectRobot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    expectErrorEnvelope(await policies(orgId, projectRobot.token), 404, 'not_found');
  });

  it('changes either field or both, and writes one audit event with before and after', async () => {
    const orgId = await organization();
    const first = await patchPolicies(orgId, { robotTokenMaxLifetimeDays: 90 });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({
      organizationId: orgId,
      robotTokenMaxLifetimeDays: 90,
      robotsMayManageMembers: true,
      ssoTokenLifetimeDays: null,
    });
    const second = await patchPolicies(orgId, { robotsMayManageMembers: false, robotTokenMaxLifetimeDays: null });
    expect(second.status, second.text).toBe(200);
    expect(second.body).toMatchObject({ robotTokenMaxLifetimeDays: null, robotsMayManageMembers: false });
    expect((await policies(orgId)).body).toEqual(second.body);

    const events = await server.running.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'organization.policies.update')
      .where('resource_id', '=', orgId)
      .orderBy('id')
      .execute();
    expect(events.map((e) => [JSON.parse(e.before ?? 'null'), JSON.parse(e.after ?? 'null')])).toEqual([
      [
        { organizationId: orgId, robotTokenMaxLifetimeDays: null, robotsMayManageMembers: true, ssoTokenLifetimeDays: null },
        { organizationId: orgId, robotTokenMaxLifetimeDays: 90, robotsMayManageMembers: true, ssoTokenLifetimeDays: null },
      ],
      [
        { organizationId: orgId, robotTokenMaxLifetimeDays: 90, robotsMayManageMembers: true, ssoTokenLifetimeDays: null },
        { organizationId: orgId, robotTokenMaxLifetimeDays: null, robotsMayManageMembers: false, ssoTokenLifetimeDays: null },
      ],
    ]);
    expect(events[0]).toMatchObject({ actor_kind: 'user', actor_id: owner.userId });
  });

  it('refuses empty bodies, unknown fields and values out of bounds', async () => {
    const orgId = await organization();
    for (const body of [
      {},
      { robotTokenMaxLifetimeDays: 0 },
      { robotTokenMaxLifetimeDays: 3651 },
      { robotTokenMaxLifetimeDays: 1.5 },
      { robotTokenMaxLifetimeDays: '30' },
      { robotsMayManageMembers: 'no' },
      { robotsMayManageMembers: true, maxDays: 3 },
    ]) {
      expectErrorEnvelope(await patchPolicies(orgId, body), 400, undefined, JSON.stringify(body));
    }
    expect((await policies(orgId)).body).toMatchObject({ robotTokenMaxLifetimeDays: null, robotsMayManageMembers: true });
  });

  it('needs sanity.organization.update: a member gets 403', async () => {
    const orgId = await organization();
    const member = await server.createUser();
    await addMember(server, { type: 'organization', id: orgId }, member.userId, ['member']);
    const res = await patchPolicies(orgId, { robotsMayManageMembers: false }, member.token);
    expectErrorEnvelope(res, 403, 'missing_permission');
    expect(res.body.reason.permission).toBe('sanity.organization.update');
  });

  it('robots cannot change the rules that govern robots, not even an administrator robot', async () => {
    const orgId = await organization();
    const robot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['administrator']);
    const res = await patchPolicies(orgId, { robotsMayManageMembers: true }, robot.token);
    expectErrorEnvelope(res, 403, 'principal_not_accepted');
    expect(res.body.message).toBe('Robots are not allowed');
    expect(res.body.reason.hint).toContain('robots cannot change the rules that govern robots');
  });
});

describe('robotTokenMaxLifetimeDays', () => {
  it('limits robots of the organization on creation: no expiry, or one past the limit, is refused', async () => {
    const orgId = await organization();
    const existing = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['member']);
    expect((await patchPolicies(orgId, { robotTokenMaxLifetimeDays: 30 })).status).toBe(200);
    const resource = { type: 'organization', id: orgId };

    const never = await api('POST', `${V}/access/organization/${orgId}/robots`, {
      token: owner.token,
      body: robotBody(resource, ['member']),
    });
    expectErrorEnvelope(never, 400, 'token_lifetime_exceeded');
    expect(never.body.message).toContain('at most 30 days');
    expect(never.body.reason).toMatchObject({ maxDays: 30, organizationId: orgId, latestExpiresAt: expect.any(String) });
    expect(Date.parse(never.body.reason.latestExpiresAt) - Date.parse(fromNow(30 * DAY))).toBeLessThan(60_000);
    expect(never.body.reason.hint).toContain(`PATCH /organizations/${orgId}/policies`);

    const tooLate = await api('POST', `${V}/access/organization/${orgId}/robots`, {
      token: owner.token,
      body: robotBody(resource, ['member'], fromNow(31 * DAY)),
    });
    expectErrorEnvelope(tooLate, 400, 'token_lifetime_exceeded');

    const fine = await api('POST', `${V}/access/organization/${orgId}/robots`, {
      token: owner.token,
      body: robotBody(resource, ['member'], fromNow(29 * DAY)),
    });
    expect(fine.status, fine.text).toBe(201);

    // Robots created before the policy are left as they are.
    const mine = await api('GET', `${V}/access/robots/me`, { token: existing.token });
    expect(mine.status).toBe(200);
    expect(mine.body.expiresAt).toBeNull();
  });

  it('limits the robots of the organization’s projects too, through the legacy tokens API as well', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    expect((await patchPolicies(orgId, { robotTokenMaxLifetimeDays: 7 })).status).toBe(200);
    const resource = { type: 'project', id: projectId };

    const never = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: robotBody(resource, ['viewer']),
    });
    expectErrorEnvelope(never, 400, 'token_lifetime_exceeded');
    expect(never.body.reason).toMatchObject({ maxDays: 7, organizationId: orgId });
    expect(never.body.message).toContain(`organization ${orgId}`);

    const legacy = await api('POST', `${V}/projects/${projectId}/tokens`, {
      token: owner.token,
      body: { label: 'legacy', roleName: 'viewer' },
    });
    expectErrorEnvelope(legacy, 400, 'token_lifetime_exceeded');

    const fine = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: robotBody(resource, ['viewer'], fromNow(6 * DAY)),
    });
    expect(fine.status, fine.text).toBe(201);
  });

  it('limits a change of expiry; a new label alone is fine for a robot made before the policy', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    const old = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const orgRobot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['member']);
    expect((await patchPolicies(orgId, { robotTokenMaxLifetimeDays: 10 })).status).toBe(200);

    for (const [resource, robot] of [
      [`project/${projectId}`, old],
      [`organization/${orgId}`, orgRobot],
    ] as Array<[string, RobotFixture]>) {
      const path = `${V}/access/${resource}/robots/${robot.id}`;
      const rename = await api('PUT', path, { token: owner.token, body: { label: 'renamed' } });
      expect(rename.status, rename.text).toBe(200);
      expect(rename.body.expiresAt).toBeNull();
      expectErrorEnvelope(
        await api('PUT', path, { token: owner.token, body: { expiresAt: null } }),
        400,
        'token_lifetime_exceeded',
      );
      expectErrorEnvelope(
        await api('PUT', path, { token: owner.token, body: { expiresAt: fromNow(11 * DAY) } }),
        400,
        'token_lifetime_exceeded',
      );
      const shorter = await api('PUT', path, { token: owner.token, body: { expiresAt: fromNow(9 * DAY) } });
      expect(shorter.status, shorter.text).toBe(200);
    }
  });

  it('does not reach projects outside the organization', async () => {
    const orgId = await organization();
    expect((await patchPolicies(orgId, { robotTokenMaxLifetimeDays: 1 })).status).toBe(200);
    const projectId = await createProject(api, owner.token);
    const res = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: robotBody({ type: 'project', id: projectId }, ['viewer']),
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.expiresAt).toBeNull();
  });
});

describe('robotsMayManageMembers', () => {
  it('false: a project robot may still read, but not manage members or robots, until it is switched back', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    const admin = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    const victim = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const person = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, person.userId, ['viewer']);
    expect((await patchPolicies(orgId, { robotsMayManageMembers: false })).status).toBe(200);

    const base = `${V}/access/project/${projectId}`;
    const refused = [
      await api('POST', `${base}/robots`, {
        token: admin.token,
        body: robotBody({ type: 'project', id: projectId }, ['viewer']),
      }),
      await api('DELETE', `${base}/robots/${victim.id}`, { token: admin.token }),
      await api('PUT', `${base}/robots/${victim.id}`, { token: admin.token, body: { label: 'x' } }),
      await api('DELETE', `${base}/users/${person.userId}`, { token: admin.token }),
    ];
    for (const res of refused) {
      expectErrorEnvelope(res, 403, 'robots_may_not_manage_members');
      expect(res.body.message).toBe('Robots are not allowed');
      expect(res.body.reason).toMatchObject({ organizationId: orgId, policy: 'robotsMayManageMembers' });
    }
    expect((await api('GET', `${base}/users`, { token: admin.token })).status).toBe(200);
    expect((await api('GET', `${base}/robots`, { token: admin.token })).status).toBe(200);
    // People are unaffected.
    expect((await api('PUT', `${base}/robots/${victim.id}`, { token: owner.token, body: { label: 'y' } })).status).toBe(200);

    expect((await patchPolicies(orgId, { robotsMayManageMembers: true })).status).toBe(200);
    expect(
      (
        await api('POST', `${base}/robots`, {
          token: admin.token,
          body: robotBody({ type: 'project', id: projectId }, ['viewer']),
        })
      ).status,
    ).toBe(201);
    expect((await api('DELETE', `${base}/robots/${victim.id}`, { token: admin.token })).status).toBe(204);
  });

  it('false: an organization robot is refused on the organization’s access routes too', async () => {
    const orgId = await organization();
    const admin = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['administrator']);
    expect((await patchPolicies(orgId, { robotsMayManageMembers: false })).status).toBe(200);
    const base = `${V}/access/organization/${orgId}`;
    const body = robotBody({ type: 'organization', id: orgId }, ['member']);
    expectErrorEnvelope(await api('POST', `${base}/robots`, { token: admin.token, body }), 403, 'robots_may_not_manage_members');
    expect((await api('GET', `${base}/users`, { token: admin.token })).status).toBe(200);
    expect((await patchPolicies(orgId, { robotsMayManageMembers: true })).status).toBe(200);
    expect((await api('POST', `${base}/robots`, { token: admin.token, body })).status).toBe(201);
  });

  it('false: a robot may still rotate its own token', async () => {
    const orgId = await organization();
    const projectId = await projectIn(orgId);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    expect((await patchPolicies(orgId, { robotsMayManageMembers: false })).status).toBe(200);
    const res = await api('POST', `${V}/access/robots/me/rotate`, { token: robot.token });
    expect(res.status, res.text).toBe(200);
  });

  it('does not reach projects outside any organization', async () => {
    const orgId = await organization();
    expect((await patchPolicies(orgId, { robotsMayManageMembers: false })).status).toBe(200);
    const projectId = await createProject(api, owner.token);
    const admin = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    const res = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: admin.token,
      body: robotBody({ type: 'project', id: projectId }, ['viewer']),
    });
    expect(res.status, res.text).toBe(201);
  });
});
