/**
 * What the web console needs from the API, over plain HTTP: rotating a robot's token on its behalf
 * (with a grace period), the robot lifetime policy a project's token dialog states, signing out
 * everywhere, invitations that give several roles, where a robot token was last used from, and
 * logins that come back to the server's own origin (the console) with a browser session.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginService } from '../../src/services/login/flow.js';
import {
  addMember,
  createOrganization,
  createProject,
  createRobot,
  expectErrorEnvelope,
  issuePersonalToken,
  V,
} from '../support/fixtures.js';
import { outboxInviteToken } from '../support/outbox.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser();
  projectId = await createProject(api, owner.token, 'Console API');
});

afterAll(async () => {
  await server?.close();
});

const robotsPath = () => `${V}/access/project/${projectId}/robots`;

async function auditActions(action: string): Promise<Array<{ actorId: string | null; targetId: string }>> {
  const rows = await server.running.store.db
    .selectFrom('audit_events')
    .select(['actor_id', 'target_id'])
    .where('action', '=', action)
    .execute();
  return rows.map((r) => ({ actorId: r.actor_id, targetId: r.target_id as string }));
}

describe('rotating a robot’s token for it', () => {
  it('issues a new secret once; the old one works through the grace period, an older one stops at once', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'CI deploys');
    const first = await api('POST', `${robotsPath()}/${robot.id}/rotate`, {
      token: owner.token,
      body: { gracePeriodSeconds: 3600 },
    });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ id: robot.id, label: 'CI deploys' });
    expect(first.body.token).toMatch(/^gth_robot_/);
    expect(first.body.tokenId).not.toBe(robot.tokenId);
    // Both work during the grace period.
    for (const token of [robot.token, first.body.token]) {
      expect((await api('GET', `${V}/access/project/${projectId}/users`, { token })).status).toBe(200);
    }
    // A second rotation without grace: the one in grace stops now, and so does the one it replaces.
    const second = await api('POST', `${robotsPath()}/${robot.id}/rotate`, { token: owner.token });
    expect(second.status, second.text).toBe(200);
    for (const token of [robot.token, first.body.token]) {
      const res = await api('GET', `${V}/access/project/${projectId}/users`, { token });
      expect(res.status).toBe(401);
    }
    expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: second.body.token })).status).toBe(200);
    // Listed with the new token's hint; the secret is never listed.
    const listed = await api('GET', `${robotsPath()}/${robot.id}`, { token: owner.token });
    expect(listed.body.tokenId).toBe(second.body.tokenId);
    expect(listed.body.tokenHint).toBe(second.body.token.slice(-4));
    expect(listed.text).not.toContain(second.body.token);
    expect((await auditActions('robot.rotate')).filter((e) => e.targetId === robot.id)).toEqual([
      { actorId: owner.userId, targetId: robot.id },
      { actorId: owner.userId, targetId: robot.id },
    ]);
  });

  it('needs tokens.create, and the right to grant the robot’s roles', async () => {
    const admin = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator'], 'admin robot');
    const viewer = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);
    const refused = await api('POST', `${robotsPath()}/${admin.id}/rotate`, { token: viewer.token });
    expectErrorEnvelope(refused, 403, 'missing_permission');
    const developer = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, developer.userId, ['developer']);
    const escalation = await api('POST', `${robotsPath()}/${admin.id}/rotate`, { token: developer.token });
    expect(escalation.status, escalation.text).toBe(403);
    expect(['privilege_escalation', 'administrator_only']).toContain(escalation.body.reason.code);
    // Nothing changed: the administrator robot's token still works.
    expect((await api('GET', `${robotsPath()}`, { token: admin.token })).status).toBe(200);
  });

  it('refuses a robot of another resource as not found, and a bad grace period with 400', async () => {
    const otherProject = await createProject(api, owner.token, 'Other');
    const robot = await createRobot(api, owner.token, { type: 'project', id: otherProject }, ['viewer']);
    const res = await api('POST', `${robotsPath()}/${robot.id}/rotate`, { token: owner.token });
    expectErrorEnvelope(res, 404, 'not_found');
    const bad = await api('POST', `${V}/access/project/${otherProject}/robots/${robot.id}/rotate`, {
      token: owner.token,
      body: { gracePeriodSeconds: 86_401 },
    });
    expectErrorEnvelope(bad, 400, 'invalid_input');
  });
});

describe('the robot lifetime policy', () => {
  it('is none outside an organization, and the organization’s limit inside one', async () => {
    const free = await api('GET', `${V}/access/project/${projectId}/robot-policy`, { token: owner.token });
    expect(free.status, free.text).toBe(200);
    expect(free.body).toEqual({ organizationId: null, robotTokenMaxLifetimeDays: null, latestExpiresAt: null });

    const organizationId = await createOrganization(api, owner.token, 'Limited');
    const patched = await api('PATCH', `${V}/organizations/${organizationId}/policies`, {
      token: owner.token,
      body: { robotTokenMaxLifetimeDays: 30 },
    });
    expect(patched.status, patched.text).toBe(200);
    const created = await api('POST', `${V}/projects`, { token: owner.token, body: { displayName: 'In org', organizationId } });
    expect(created.status, created.text).toBe(201);
    const limited = await api('GET', `${V}/access/project/${created.body.id}/robot-policy`, { token: owner.token });
    expect(limited.body).toMatchObject({ organizationId, robotTokenMaxLifetimeDays: 30 });
    const latest = Date.parse(limited.body.latestExpiresAt);
    expect(Math.abs(latest - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
    // The same limit applies on the organization itself.
    const onOrg = await api('GET', `${V}/access/organization/${organizationId}/robot-policy`, { token: owner.token });
    expect(onOrg.body.robotTokenMaxLifetimeDays).toBe(30);
    // A robot past it is refused with the limit named.
    const tooLong = await api('POST', `${V}/access/project/${created.body.id}/robots`, {
      token: owner.token,
      body: {
        label: 'too long',
        memberships: [{ resourceType: 'project', resourceId: created.body.id, roleNames: ['viewer'] }],
        expiresAt: new Date(latest + 86_400_000).toISOString(),
      },
    });
    expectErrorEnvelope(tooLong, 400, 'token_lifetime_exceeded');
  });
});

describe('signing out everywhere', () => {
  it('revokes every personal token of the caller and clears the session cookies', async () => {
    const user = await server.createUser();
    const other = await api('GET', `${V}/auth/tokens`, { token: user.token });
    expect(other.body.totalCount).toBe(1);
    const { token: laptop } = await issuePersonalToken(server, user.userId, 'laptop');
    const res = await api('DELETE', `${V}/auth/tokens`, { token: user.token });
    expect(res.status, res.text).toBe(204);
    expect(res.headers.getSetCookie().join('\n')).toMatch(/gatehouse_session=; Max-Age=0/);
    for (const token of [user.token, laptop]) expect((await api('GET', `${V}/auth/id`, { token })).status).toBe(401);
    // Everybody else's sessions go on.
    expect((await api('GET', `${V}/auth/id`, { token: owner.token })).status).toBe(200);
    expect((await auditActions('user.tokens.revoke')).some((e) => e.actorId === user.userId)).toBe(true);
  });

  it('is for people: a robot is refused', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    expectErrorEnvelope(await api('DELETE', `${V}/auth/tokens`, { token: robot.token }), 403, 'principal_not_accepted');
  });
});

describe('invitations with several roles', () => {
  it('gives every role on acceptance', async () => {
    const email = `several-${Date.now()}@example.com`;
    const res = await api('POST', `${V}/access/project/${projectId}/invites`, {
      token: owner.token,
      body: { email, roleNames: ['editor', 'developer'] },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ email, role: 'editor', roleNames: ['editor', 'developer'] });
    const listed = await api('GET', `${V}/access/project/${projectId}/invites`, { token: owner.token });
    expect(listed.body.data.find((i: { id: string }) => i.id === res.body.id).roleNames).toEqual(['editor', 'developer']);

    const token = await outboxInviteToken(join(server.dataDir, 'outbox'), email, projectId);
    const shown = await api('GET', `${V}/invites/${token}`);
    expect(shown.body.roleTitle).toBe('Editor, Developer');
    const invitee = await server.createUser(email);
    const accepted = await api('POST', `${V}/access/project/${projectId}/invites/token/${token}/accept`, {
      token: invitee.token,
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.memberships[0].roleNames.sort()).toEqual(['developer', 'editor']);
  });

  it('takes role or roleNames, not both and not neither; one role the inviter may not grant refuses them all', async () => {
    const path = `${V}/access/project/${projectId}/invites`;
    const both = await api('POST', path, {
      token: owner.token,
      body: { email: 'a@example.com', role: 'viewer', roleNames: ['editor'] },
    });
    expectErrorEnvelope(both, 400, 'invalid_input');
    const neither = await api('POST', path, { token: owner.token, body: { email: 'a@example.com' } });
    expectErrorEnvelope(neither, 400, 'invalid_input');
    const empty = await api('POST', path, { token: owner.token, body: { email: 'a@example.com', roleNames: [] } });
    expectErrorEnvelope(empty, 400, 'invalid_input');
    const editor = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, editor.userId, ['editor']);
    const escalation = await api('POST', path, {
      token: editor.token,
      body: { email: 'b@example.com', roleNames: ['viewer', 'administrator'] },
    });
    expect(escalation.status, escalation.text).toBeGreaterThanOrEqual(403);
    const pending = await api('GET', `${path}?limit=500`, { token: owner.token });
    expect(pending.body.data.some((i: { email: string }) => i.email === 'b@example.com')).toBe(false);
  });
});

describe('where a robot token was last used', () => {
  it('is listed with the time and the client address', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'address');
    expect((await api('GET', `${robotsPath()}/${robot.id}`, { token: owner.token })).body).toMatchObject({
      lastUsedAt: null,
      lastUsedIp: null,
    });
    await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token });
    const after = await api('GET', `${robotsPath()}/${robot.id}`, { token: owner.token });
    expect(after.body.lastUsedAt).not.toBeNull();
    expect(after.body.lastUsedIp).toBe('127.0.0.1');
  });
});

describe('logins for the console on this server’s own origin', () => {
  it('may come back to this server, not to another site', async () => {
    const here = await api('GET', `/v1/auth/login/sanity?origin=${encodeURIComponent(`${server.url}/console/auth/callback`)}`);
    expect(here.status, here.text).toBe(200);
    const elsewhere = await api('GET', `/v1/auth/login/sanity?origin=${encodeURIComponent('https://evil.example/console/')}`);
    expectErrorEnvelope(elsewhere, 400, 'invalid_origin');
    expect(elsewhere.body.reason.hint).toContain("this server's own origin");
  });

  it('trusts the Host header only when the server listens everywhere without a public URL', () => {
    const deps = server.running.deps;
    const listening = (baseUrl: string) => new LoginService({ ...deps, baseUrl: () => baseUrl });
    expect(listening('https://gatehouse.example.com').ownOrigins('https://other.example')).toEqual([
      'https://gatehouse.example.com',
    ]);
    expect(listening('http://0.0.0.0:3333').ownOrigins('http://box.lan:3333')).toEqual([
      'http://0.0.0.0:3333',
      'http://box.lan:3333',
    ]);
    expect(() => listening('http://10.0.0.5:3333').checkOrigin('http://box.lan:3333/console/', 'http://box.lan:3333')).toThrow(
      /may not receive a login/,
    );
    expect(listening('http://0.0.0.0:3333').checkOrigin('http://box.lan:3333/console/', 'http://box.lan:3333').origin).toBe(
      'http://box.lan:3333',
    );
  });

  it('/auth/fetch opens a browser session for a same-origin fetch, and only then', async () => {
    const sid = async () => {
      const services = server.running.services;
      const flowId = await services.login.startFlow({
        provider: 'sanity',
        origin: `${server.url}/console/auth/callback`,
        type: 'token',
        label: 'console',
      });
      const flow = await services.login.takeFlow(flowId, 'sanity');
      const target = await services.login.finish({
        flow,
        userId: owner.userId,
        source: 'password',
        organizationId: null,
        lifetimeDays: 1,
      });
      return new URL(target).searchParams.get('sid') as string;
    };
    const cookieNames = (res: { headers: Headers }) => res.headers.getSetCookie().map((c) => c.split('=')[0]);
    // A same-origin fetch carries no Origin; the browser's Sec-Fetch-Site says where it came from.
    const sameOrigin = await api('GET', `/v1/auth/fetch?sid=${await sid()}`, { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(sameOrigin.status, sameOrigin.text).toBe(200);
    expect(cookieNames(sameOrigin)).toEqual(['gatehouse_session', 'gatehouse_csrf']);
    const withOrigin = await api('GET', `/v1/auth/fetch?sid=${await sid()}`, { headers: { origin: server.url } });
    expect(cookieNames(withOrigin)).toEqual(['gatehouse_session', 'gatehouse_csrf']);
    for (const headers of [{}, { 'sec-fetch-site': 'cross-site' }, { origin: 'http://127.0.0.1:9' }] as Record<
      string,
      string
    >[]) {
      const res = await api('GET', `/v1/auth/fetch?sid=${await sid()}`, { headers });
      expect(res.status, res.text).toBe(200);
      expect(res.headers.getSetCookie(), JSON.stringify(headers)).toEqual([]);
    }
  });
});
