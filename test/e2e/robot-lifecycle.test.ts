/**
 * A robot's life: its token is rotated (at once, or with a grace period during which both secrets
 * work), its label and expiry are changed, and the three ways a token stops working — expired,
 * revoked, rotated — each say which one it was.
 */
import { createClient } from '@sanity/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createProject, createRobot, expectErrorEnvelope, type RobotFixture, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };

beforeAll(async () => {
  // Every use is recorded (no throttling), so lastSeenAt / lastUsedAt show up at once.
  server = await startTestServer({ lastUsedWriteIntervalMs: 0 });
  api = apiClient(server.url);
  owner = await server.createUser();
});

afterAll(async () => {
  await server?.close();
});

const me = (token: string) => api('GET', `${V}/access/robots/me`, { token });
const rotate = (token: string, body?: unknown) => api('POST', `${V}/access/robots/me/rotate`, { token, body });

async function projectWithRobot(roleNames = ['editor']): Promise<{ projectId: string; robot: RobotFixture }> {
  const projectId = await createProject(api, owner.token);
  const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, roleNames);
  return { projectId, robot };
}

/** A time `ms` after the server's clock (which tests move forward), as ISO text. */
const fromNow = (ms: number) => new Date(server.running.deps.now().getTime() + ms).toISOString();

/** Tokens of a robot that still work at the server's current time (its clock may have been advanced). */
async function workingTokens(robotId: string): Promise<string[]> {
  const rows = await server.running.store.db
    .selectFrom('tokens')
    .select(['id', 'revoked_at'])
    .where('principal_id', '=', robotId)
    .execute();
  const now = server.running.deps.now().toISOString();
  return rows.filter((r) => r.revoked_at === null || r.revoked_at > now).map((r) => r.id);
}

describe('POST /access/robots/me/rotate', () => {
  it('without a body: returns the same robot with a new secret; the old one is refused at once as rotated', async () => {
    const { projectId, robot } = await projectWithRobot();
    const res = await api('POST', `${V}/access/robots/me/rotate`, { token: robot.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      id: robot.id,
      label: 'robot editor',
      expiresAt: null,
      memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['editor'] }],
    });
    expect(res.body.token).toMatch(/^gth_robot_/);
    expect(res.body.token).not.toBe(robot.token);
    expect(res.body.tokenId).not.toBe(robot.tokenId);
    expect(res.body.tokenHint).toBe(res.body.token.slice(-4));

    const old = await me(robot.token);
    expectErrorEnvelope(old, 401, 'token_rotated');
    expect(old.body.message).toBe('Session not found');
    expect(old.body.reason.hint).toContain(res.body.tokenId);
    const fresh = await me(res.body.token);
    expect(fresh.status, fresh.text).toBe(200);
    expect(fresh.body).toMatchObject({ id: robot.id, tokenId: res.body.tokenId });
  });

  it('through the official client, as the CLI calls it: a POST with no body', async () => {
    const { robot } = await projectWithRobot();
    const client = createClient({
      apiHost: server.url,
      useProjectHostname: false,
      useCdn: false,
      apiVersion: '2025-01-09',
      token: robot.token,
      maxRetries: 0,
    });
    const rotated = await client.request<{ id: string; token: string; tokenId: string }>({
      method: 'POST',
      uri: '/access/robots/me/rotate',
    });
    expect(rotated).toMatchObject({ id: robot.id, tokenId: expect.any(String), token: expect.stringMatching(/^gth_robot_/) });
    expectErrorEnvelope(await me(robot.token), 401, 'token_rotated');
    expect((await me(rotated.token)).status).toBe(200);
  });

  it('with an empty JSON object and with an explicit zero grace period', async () => {
    const { robot } = await projectWithRobot();
    const first = await rotate(robot.token, {});
    expect(first.status, first.text).toBe(200);
    const second = await rotate(first.body.token, { gracePeriodSeconds: 0 });
    expect(second.status, second.text).toBe(200);
    expectErrorEnvelope(await me(first.body.token), 401, 'token_rotated');
  });

  it('with a grace period: both secrets work until it ends, then the old one is refused as rotated', async () => {
    const { projectId, robot } = await projectWithRobot();
    const res = await rotate(robot.token, { gracePeriodSeconds: 60 });
    expect(res.status, res.text).toBe(200);
    expect((await me(robot.token)).status).toBe(200);
    expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token })).status).toBe(200);
    expect((await me(res.body.token)).status).toBe(200);

    server.advance(61_000);
    expectErrorEnvelope(await me(robot.token), 401, 'token_rotated');
    expect((await me(res.body.token)).status).toBe(200);
  });

  it('rotating again during a grace period ends the oldest token at once: never more than two work', async () => {
    const { robot } = await projectWithRobot();
    const b = await rotate(robot.token, { gracePeriodSeconds: 300 });
    expect(b.status, b.text).toBe(200);
    expect(await workingTokens(robot.id)).toHaveLength(2);
    const c = await rotate(b.body.token, { gracePeriodSeconds: 300 });
    expect(c.status, c.text).toBe(200);

    expectErrorEnvelope(await me(robot.token), 401, 'token_rotated');
    expect((await me(b.body.token)).status).toBe(200);
    expect((await me(c.body.token)).status).toBe(200);
    expect((await workingTokens(robot.id)).sort()).toEqual([b.body.tokenId, c.body.tokenId].sort());
  });

  it('a token already replaced cannot rotate, even during its grace period, and nothing changes', async () => {
    const { robot } = await projectWithRobot();
    const b = await rotate(robot.token, { gracePeriodSeconds: 300 });
    expect(b.status).toBe(200);
    const again = await rotate(robot.token);
    expectErrorEnvelope(again, 401, 'token_rotated');
    expect(again.body.reason.hint).toContain(b.body.tokenId);
    // The refused rotation issued nothing and cut no grace period short.
    expect((await workingTokens(robot.id)).sort()).toEqual([robot.tokenId, b.body.tokenId].sort());
    expect((await me(b.body.token)).body.tokenId).toBe(b.body.tokenId);
  });

  it('two rotations at once with the same token: exactly one wins', async () => {
    const { robot } = await projectWithRobot();
    const results = await Promise.all([rotate(robot.token), rotate(robot.token), rotate(robot.token)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401, 401]);
    const winner = results.find((r) => r.status === 200);
    for (const loser of results.filter((r) => r.status === 401)) expectErrorEnvelope(loser, 401, 'token_rotated');
    expect(await workingTokens(robot.id)).toEqual([winner?.body.tokenId]);
  });

  it('a personal token is refused with 403: rotation is for robots', async () => {
    const res = await rotate(owner.token);
    expectErrorEnvelope(res, 403, 'principal_not_accepted');
    expect(res.body.message).toBe('Users are not allowed');
    expect(res.body.reason).toMatchObject({ principalKind: 'user', accepts: ['robot'] });
    expect(res.body.reason.hint).toContain("robot's own token");
  });

  it('without a token: 401', async () => {
    expectErrorEnvelope(await api('POST', `${V}/access/robots/me/rotate`), 401, 'missing_token');
  });

  it('refuses a grace period out of bounds or of the wrong type, and unknown fields', async () => {
    const { robot } = await projectWithRobot();
    for (const body of [
      { gracePeriodSeconds: 86_401 },
      { gracePeriodSeconds: -1 },
      { gracePeriodSeconds: 1.5 },
      { gracePeriodSeconds: '60' },
      { gracePeriod: 60 },
    ]) {
      expectErrorEnvelope(await rotate(robot.token, body), 400, undefined, JSON.stringify(body));
    }
    // Nothing was rotated by the refused calls.
    expect((await me(robot.token)).status).toBe(200);
    expect(await workingTokens(robot.id)).toEqual([robot.tokenId]);
  });

  it('the listings (Access API and legacy tokens) show the new token; the expiry is kept', async () => {
    const projectId = await createProject(api, owner.token);
    const expiresAt = fromNow(90 * 86_400_000);
    const created = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: {
        label: 'deployer',
        expiresAt,
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
      },
    });
    expect(created.status, created.text).toBe(201);
    const rotated = await rotate(created.body.token);
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.expiresAt).toBe(created.body.expiresAt);
    expect(rotated.body.label).toBe('deployer');

    const list = await api('GET', `${V}/access/project/${projectId}/robots`, { token: owner.token });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      expect.objectContaining({
        id: created.body.id,
        tokenId: rotated.body.tokenId,
        tokenHint: rotated.body.token.slice(-4),
        expiresAt: created.body.expiresAt,
      }),
    ]);
    const legacy = await api('GET', `${V}/projects/${projectId}/tokens`, { token: owner.token });
    expect(legacy.status).toBe(200);
    expect(legacy.body.map((t: { id: string }) => t.id)).toEqual([rotated.body.tokenId]);
    const one = await api('GET', `${V}/access/project/${projectId}/robots/${created.body.id}`, { token: owner.token });
    expect(one.body.tokenId).toBe(rotated.body.tokenId);
  });

  it('writes one audit event naming the old and the new token', async () => {
    const { projectId, robot } = await projectWithRobot();
    const res = await rotate(robot.token, { gracePeriodSeconds: 30 });
    expect(res.status).toBe(200);
    const events = await server.running.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'robot.rotate')
      .where('target_id', '=', robot.id)
      .execute();
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      resource_type: 'project',
      resource_id: projectId,
      actor_kind: 'robot',
      actor_id: robot.id,
      actor_token_id: robot.tokenId,
      target_type: 'robot',
    });
    expect(JSON.parse(event?.before ?? 'null')).toEqual({ tokenId: robot.tokenId });
    expect(JSON.parse(event?.after ?? 'null')).toMatchObject({ tokenId: res.body.tokenId, gracePeriodSeconds: 30 });
    // The secret itself is never in the log of changes.
    expect(JSON.stringify(event)).not.toContain(res.body.token);
  });

  it('an organization robot rotates the same way', async () => {
    const org = await api('POST', `${V}/organizations`, { token: owner.token, body: { name: 'Rotating org' } });
    const robot = await createRobot(api, owner.token, { type: 'organization', id: org.body.id }, ['member']);
    const res = await rotate(robot.token);
    expect(res.status, res.text).toBe(200);
    expect(res.body.memberships).toMatchObject([{ resourceType: 'organization', resourceId: org.body.id }]);
    expectErrorEnvelope(await me(robot.token), 401, 'token_rotated');
  });
});

describe('why a token stopped working: expired, revoked or rotated', () => {
  it('answers three distinct 401s', async () => {
    const projectId = await createProject(api, owner.token);
    const expiring = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: {
        label: 'short-lived',
        expiresAt: fromNow(3_600_000),
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
      },
    });
    expect(expiring.status, expiring.text).toBe(201);
    const deleted = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'deleted');
    const rotated = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'rotated');

    expect((await api('DELETE', `${V}/access/project/${projectId}/robots/${deleted.id}`, { token: owner.token })).status).toBe(
      204,
    );
    expect((await rotate(rotated.token)).status).toBe(200);
    server.advance(2 * 3_600_000);

    const expired = await me(expiring.body.token);
    expectErrorEnvelope(expired, 401, 'token_expired');
    expect(expired.body.message).toBe('Session is expired, please re-authenticate');
    const revoked = await me(deleted.token);
    expectErrorEnvelope(revoked, 401, 'token_revoked');
    expect(revoked.body.message).toBe('Session not found');
    const replaced = await me(rotated.token);
    expectErrorEnvelope(replaced, 401, 'token_rotated');
    expect(replaced.body.message).toBe('Session not found');
    for (const res of [expired, revoked, replaced]) expect(res.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('deleting a robot also ends a rotated token still in its grace period', async () => {
    const { projectId, robot } = await projectWithRobot();
    const b = await rotate(robot.token, { gracePeriodSeconds: 3_600 });
    expect(b.status).toBe(200);
    expect((await api('DELETE', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: owner.token })).status).toBe(204);
    expect(await workingTokens(robot.id)).toEqual([]);
    expect((await me(robot.token)).status).toBe(401);
    expectErrorEnvelope(await me(b.body.token), 401, 'token_revoked');
  });
});

describe('PUT /access/{resourceType}/{resourceId}/robots/{robotId}', () => {
  const put = (resource: string, robotId: string, token: string, body: unknown) =>
    api('PUT', `${V}/access/${resource}/robots/${robotId}`, { token, body });

  it('changes the label and the expiry, and records both in one audit event each', async () => {
    const { projectId, robot } = await projectWithRobot();
    const res = await put(`project/${projectId}`, robot.id, owner.token, { label: 'renamed' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: robot.id, label: 'renamed', expiresAt: null, tokenId: robot.tokenId });
    expect(res.body.token).toBeUndefined();

    const expiresAt = fromNow(7 * 86_400_000);
    const later = await put(`project/${projectId}`, robot.id, owner.token, { expiresAt });
    expect(later.status, later.text).toBe(200);
    expect(Date.parse(later.body.expiresAt)).toBe(Date.parse(expiresAt));
    expect(later.body.label).toBe('renamed');

    const never = await put(`project/${projectId}`, robot.id, owner.token, { expiresAt: null, label: 'again' });
    expect(never.status, never.text).toBe(200);
    expect(never.body).toMatchObject({ label: 'again', expiresAt: null });

    const got = await api('GET', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(got.body).toMatchObject({ label: 'again', expiresAt: null });
    expect((await me(robot.token)).body.label).toBe('again');

    const events = await server.running.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'robot.update')
      .where('target_id', '=', robot.id)
      .orderBy('id')
      .execute();
    expect(events.map((e) => [JSON.parse(e.before ?? 'null'), JSON.parse(e.after ?? 'null')])).toEqual([
      [
        { label: 'robot editor', expiresAt: null },
        { label: 'renamed', expiresAt: null },
      ],
      [
        { label: 'renamed', expiresAt: null },
        { label: 'renamed', expiresAt: later.body.expiresAt },
      ],
      [
        { label: 'renamed', expiresAt: later.body.expiresAt },
        { label: 'again', expiresAt: null },
      ],
    ]);
  });

  it('a shorter expiry bites: the token expires then', async () => {
    const { projectId, robot } = await projectWithRobot();
    const expiresAt = fromNow(60_000);
    const res = await put(`project/${projectId}`, robot.id, owner.token, { expiresAt });
    expect(res.status, res.text).toBe(200);
    expect((await me(robot.token)).status).toBe(200);
    server.advance(120_000);
    expectErrorEnvelope(await me(robot.token), 401, 'token_expired');
  });

  it('refuses an expiry in the past, an empty body, unknown fields and bad values', async () => {
    const { projectId, robot } = await projectWithRobot();
    const past = await put(`project/${projectId}`, robot.id, owner.token, { expiresAt: '2020-01-01T00:00:00.000Z' });
    expectErrorEnvelope(past, 400, 'invalid_input');
    expect(past.body.message).toContain('expiresAt must be in the future');
    for (const body of [{}, { name: 'x' }, { label: '' }, { label: 'x'.repeat(201) }, { expiresAt: 'tomorrow' }, { label: 5 }]) {
      expectErrorEnvelope(await put(`project/${projectId}`, robot.id, owner.token, body), 400, undefined, JSON.stringify(body));
    }
    const got = await api('GET', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(got.body).toMatchObject({ label: 'robot editor', expiresAt: null });
  });

  it('a robot of another resource is not found here', async () => {
    const { robot } = await projectWithRobot();
    const otherProject = await createProject(api, owner.token);
    const res = await put(`project/${otherProject}`, robot.id, owner.token, { label: 'stolen' });
    expectErrorEnvelope(res, 404, 'not_found');
  });

  it('needs tokens.create, and changing the expiry needs the right to grant the robot’s roles', async () => {
    const { projectId, robot } = await projectWithRobot(['administrator']);
    const developer = await server.createUser();
    const viewer = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, developer.userId, ['developer']);
    await addMember(server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);

    expectErrorEnvelope(await put(`project/${projectId}`, robot.id, viewer.token, { label: 'x' }), 403, 'missing_permission');
    // A developer manages tokens, so it may rename this one…
    expect((await put(`project/${projectId}`, robot.id, developer.token, { label: 'ci admin' })).status).toBe(200);
    // …but keeping an administrator credential alive longer is granting administrator.
    const extend = await put(`project/${projectId}`, robot.id, developer.token, { expiresAt: fromNow(86_400_000) });
    expectErrorEnvelope(extend, 403, 'privilege_escalation');
    expect(extend.body.reason.role).toBe('administrator');
    // An editor robot's expiry is the developer's to change.
    const editor = await createRobot(api, developer.token, { type: 'project', id: projectId }, ['editor']);
    expect((await put(`project/${projectId}`, editor.id, developer.token, { expiresAt: fromNow(86_400_000) })).status).toBe(200);
  });
});

describe('lastSeenAt and lastUsedAt', () => {
  it('appear on the robot once it has been used', async () => {
    const { projectId, robot } = await projectWithRobot();
    const before = await api('GET', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(before.body.memberships[0].lastSeenAt).toBeNull();
    expect(before.body.lastUsedAt).toBeNull();

    expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token })).status).toBe(200);

    const after = await api('GET', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(after.body.memberships[0].lastSeenAt).toEqual(expect.any(String));
    expect(after.body.lastUsedAt).toEqual(expect.any(String));
  });
});
