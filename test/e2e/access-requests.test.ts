/**
 * Access requests (docs/collaboration.md, "Access requests"): people ask for access to a project or
 * organization whose id they know, and its member managers accept (with roles, under the
 * no-escalation rule) or decline. The 14-day rules are checked with the server's controllable
 * clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../support/cli.js';
import { addMember, createOrganization, createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
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

const ask = (token: string, type: string, id: string, body: Record<string, unknown> = {}) =>
  api('POST', `${V}/access/${type}/${id}/requests`, { token, body });
const list = (token: string, type: string, id: string, query = '') =>
  api('GET', `${V}/access/${type}/${id}/requests${query}`, { token });
const accept = (token: string, type: string, id: string, requestId: string, body: Record<string, unknown> = {}) =>
  api('PUT', `${V}/access/${type}/${id}/requests/${requestId}/accept`, { token, body });
const decline = (token: string, type: string, id: string, requestId: string) =>
  api('PUT', `${V}/access/${type}/${id}/requests/${requestId}/decline`, { token });
const rolesOf = async (type: string, id: string, userId: string) => {
  const res = await api('GET', `${V}/access/${type}/${id}/users/${userId}`, { token: owner.token });
  if (res.status === 404) return null;
  expect(res.status, res.text).toBe(200);
  return [...res.body.memberships[0].roleNames].sort();
};
const auditCount = async (action: string) => {
  const rows = await server.running.store.db.selectFrom('audit_events').select('id').where('action', '=', action).execute();
  return rows.length;
};

async function projectIn(organizationId: string): Promise<string> {
  const res = await api('POST', `${V}/projects`, { token: owner.token, body: { displayName: 'In org', organizationId } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

describe('POST /access/{type}/{id}/requests', () => {
  it('lets a non-member ask for access to a project whose id they know, and answers only their request', async () => {
    const project = await createProject(api, owner.token);
    const stranger = await server.createUser();
    const before = await auditCount('request.create');
    const res = await ask(stranger.token, 'project', project, {
      note: 'I write the docs',
      requestUrl: 'https://studio.example.com/desk',
      requestedRole: 'editor',
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      status: 'pending',
      resourceId: project,
      resourceType: 'project',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      updatedByUserId: null,
      requestedByUserId: stranger.userId,
      requestedRole: 'editor',
      type: 'access',
      note: 'I write the docs',
    });
    expect(await auditCount('request.create')).toBe(before + 1);
    // Asking gives no other view of the project.
    expectErrorEnvelope(await api('GET', `${V}/projects/${project}`, { token: stranger.token }), 404, 'not_found');
    expectErrorEnvelope(await list(stranger.token, 'project', project), 404, 'not_found');
  });

  it('answers 404 for a project that does not exist, as for any resource the caller cannot see', async () => {
    const stranger = await server.createUser();
    const res = await ask(stranger.token, 'project', 'nosuchproject');
    expectErrorEnvelope(res, 404, 'not_found');
    expect(res.body.message).toBe('Project not found: nosuchproject');
    expectErrorEnvelope(await ask(stranger.token, 'organization', 'onosuchorg'), 404, 'not_found');
  });

  it('refuses robots and anonymous callers', async () => {
    const project = await createProject(api, owner.token);
    const robot = await createRobot(api, owner.token, { type: 'project', id: project }, ['viewer']);
    const other = await createProject(api, owner.token);
    expectErrorEnvelope(await ask(robot.token, 'project', other), 403, 'principal_not_accepted');
    expectErrorEnvelope(await api('POST', `${V}/access/project/${other}/requests`, { body: {} }), 401, 'missing_token');
  });

  it('validates the body and leaves nothing behind when it is refused', async () => {
    const project = await createProject(api, owner.token);
    const stranger = await server.createUser();
    expectErrorEnvelope(await ask(stranger.token, 'project', project, { note: 'x'.repeat(151) }), 400);
    expectErrorEnvelope(await ask(stranger.token, 'project', project, { requestUrl: 'not a url' }), 400, 'invalid_input');
    expectErrorEnvelope(await ask(stranger.token, 'project', project, { requestUrl: 'javascript:alert(1)' }), 400);
    expectErrorEnvelope(await ask(stranger.token, 'project', project, { requestUrl: `https://e.com/${'a'.repeat(2000)}` }), 400);
    expectErrorEnvelope(await ask(stranger.token, 'project', project, { type: 'other' }), 400);
    expectErrorEnvelope(await ask(stranger.token, 'project', project, { extra: true }), 400);
    const mine = await api('GET', `${V}/access/requests/me`, { token: stranger.token });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([]);
    // requestedRole is a suggestion: an unknown role is accepted as is.
    const res = await ask(stranger.token, 'project', project, { requestedRole: 'no-such-role', type: 'access' });
    expect(res.status, res.text).toBe(201);
  });

  it('refuses a second request while one is pending, and allows one after 14 days (expired)', async () => {
    const project = await createProject(api, owner.token);
    const user = await server.createUser();
    const first = await ask(user.token, 'project', project);
    expect(first.status).toBe(201);
    const again = await ask(user.token, 'project', project);
    expectErrorEnvelope(again, 409, 'request_pending');
    expect(again.body.reason.requestId).toBe(first.body.id);
    expect(again.body.reason.hint).toMatch(/expires/);
    server.advance(13 * DAY);
    expectErrorEnvelope(await ask(user.token, 'project', project), 409, 'request_pending');
    server.advance(1 * DAY + 1000);
    const listed = await list(owner.token, 'project', project);
    expect(listed.body.find((r: { id: string }) => r.id === first.body.id).status).toBe('expired');
    // An expired request can no longer be accepted.
    expectErrorEnvelope(await accept(owner.token, 'project', project, first.body.id), 409, 'request_expired');
    const later = await ask(user.token, 'project', project);
    expect(later.status, later.text).toBe(201);
  });

  it('blocks new requests for 14 days after a decline', async () => {
    const project = await createProject(api, owner.token);
    const user = await server.createUser();
    const first = await ask(user.token, 'project', project);
    const before = await auditCount('request.decline');
    const declined = await decline(owner.token, 'project', project, first.body.id);
    expect(declined.status, declined.text).toBe(200);
    expect(declined.body).toMatchObject({ status: 'declined', updatedByUserId: owner.userId });
    expect(await auditCount('request.decline')).toBe(before + 1);
    expect(await rolesOf('project', project, user.userId)).toBeNull();
    expectErrorEnvelope(await ask(user.token, 'project', project), 409, 'request_declined');
    server.advance(13 * DAY);
    expectErrorEnvelope(await ask(user.token, 'project', project), 409, 'request_declined');
    server.advance(1 * DAY + 1000);
    expect((await ask(user.token, 'project', project)).status).toBe(201);
    // Deciding twice is refused.
    expectErrorEnvelope(await decline(owner.token, 'project', project, first.body.id), 409, 'request_not_pending');
    expectErrorEnvelope(await accept(owner.token, 'project', project, first.body.id), 409, 'request_not_pending');
  });

  it('limits a person to 10 requests per 24 hours across projects', async () => {
    const user = await server.createUser();
    const projects: string[] = [];
    for (let i = 0; i < 11; i++) projects.push(await createProject(api, owner.token, `limit ${i}`));
    for (let i = 0; i < 10; i++) expect((await ask(user.token, 'project', projects[i] as string)).status).toBe(201);
    const refused = await ask(user.token, 'project', projects[10] as string);
    expectErrorEnvelope(refused, 429, 'request_limit');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const mine = await api('GET', `${V}/access/requests/me`, { token: user.token });
    expect(mine.body).toHaveLength(10);
    server.advance(DAY + 1000);
    expect((await ask(user.token, 'project', projects[10] as string)).status).toBe(201);
  });

  it('refuses a member asking for access they hold, but takes a role request', async () => {
    const project = await createProject(api, owner.token);
    const member = await server.createUser();
    await addMember(server, { type: 'project', id: project }, member.userId, ['viewer']);
    expectErrorEnvelope(await ask(member.token, 'project', project), 409, 'already_member');
    expectErrorEnvelope(await ask(owner.token, 'project', project), 409, 'already_member');
    const res = await ask(member.token, 'project', project, { type: 'role', requestedRole: 'editor' });
    expect(res.status, res.text).toBe(201);
    const accepted = await accept(owner.token, 'project', project, res.body.id);
    expect(accepted.status, accepted.text).toBe(200);
    expect(await rolesOf('project', project, member.userId)).toEqual(['editor', 'viewer']);
  });
});

describe('accepting and declining', () => {
  it('adds a membership with the requested role, or viewer by default, and audits it once', async () => {
    const project = await createProject(api, owner.token);
    const a = await server.createUser();
    const b = await server.createUser();
    const c = await server.createUser();
    const ra = await ask(a.token, 'project', project, { requestedRole: 'editor' });
    const rb = await ask(b.token, 'project', project, { requestedRole: 'deploy-studio' });
    const rc = await ask(c.token, 'project', project);
    const before = await auditCount('request.accept');
    const accepted = await accept(owner.token, 'project', project, ra.body.id);
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body).toMatchObject({ id: ra.body.id, status: 'accepted', updatedByUserId: owner.userId });
    expect(await auditCount('request.accept')).toBe(before + 1);
    expect(await rolesOf('project', project, a.userId)).toEqual(['editor']);
    // deploy-studio does not apply to users: the default applies.
    expect((await accept(owner.token, 'project', project, rb.body.id)).status).toBe(200);
    expect(await rolesOf('project', project, b.userId)).toEqual(['viewer']);
    // The body is a JSON object (`{}` for the defaults); none at all is a 400 that says so.
    const d = await server.createUser();
    const rd = await ask(d.token, 'project', project);
    const bare = await api('PUT', `${V}/access/project/${project}/requests/${rd.body.id}/accept`, { token: owner.token });
    expectErrorEnvelope(bare, 400, 'invalid_input');
    expect((await accept(owner.token, 'project', project, rd.body.id, {})).status).toBe(200);
    expect(await rolesOf('project', project, d.userId)).toEqual(['viewer']);
    // The approver picks the roles.
    const picked = await accept(owner.token, 'project', project, rc.body.id, { roleNames: ['developer', 'editor'] });
    expect(picked.status, picked.text).toBe(200);
    expect(await rolesOf('project', project, c.userId)).toEqual(['developer', 'editor']);
    // The new member now reaches the project.
    expect((await api('GET', `${V}/projects/${project}`, { token: a.token })).status).toBe(200);
    const mine = await api('GET', `${V}/access/requests/me`, { token: a.token });
    expect(mine.body.map((r: { status: string }) => r.status)).toEqual(['accepted']);
  });

  it('refuses escalation and leaves the request pending', async () => {
    const project = await createProject(api, owner.token);
    const editor = await server.createUser();
    await addMember(server, { type: 'project', id: project }, editor.userId, ['editor']);
    // An editor may read members but not invite: no access to the decision at all.
    const user = await server.createUser();
    const req = await ask(user.token, 'project', project, { requestedRole: 'administrator' });
    expectErrorEnvelope(await accept(editor.token, 'project', project, req.body.id), 403, 'missing_permission');
    // A custom role with members.invite but not administrator's permissions.
    const role = await api('POST', `${V}/access/project/${project}/roles`, {
      token: owner.token,
      body: {
        name: 'gatekeeper',
        title: 'Gatekeeper',
        appliesToUsers: true,
        appliesToRobots: false,
        permissions: [
          { name: 'sanity-project', action: 'read' },
          { name: 'sanity-project-members', action: 'read' },
          { name: 'sanity-project-members', action: 'invite' },
        ],
      },
    });
    expect(role.status, role.text).toBe(201);
    const keeper = await server.createUser();
    await addMember(server, { type: 'project', id: project }, keeper.userId, ['gatekeeper']);
    const refused = await accept(keeper.token, 'project', project, req.body.id, { roleNames: ['administrator'] });
    expectErrorEnvelope(refused, 403, 'privilege_escalation');
    expectErrorEnvelope(
      await accept(keeper.token, 'project', project, req.body.id, { roleNames: ['viewer'] }),
      403,
      'privilege_escalation',
    );
    expectErrorEnvelope(
      await accept(owner.token, 'project', project, req.body.id, { roleNames: ['nope'] }),
      404,
      'role_not_found',
    );
    expect(await rolesOf('project', project, user.userId)).toBeNull();
    const listed = await list(owner.token, 'project', project);
    expect(listed.body.find((r: { id: string }) => r.id === req.body.id).status).toBe('pending');
    // The keeper can give their own role; requestedRole=administrator is out of their reach, so they name one.
    const ok = await accept(keeper.token, 'project', project, req.body.id, { roleNames: ['gatekeeper'] });
    expect(ok.status, ok.text).toBe(200);
    expect(await rolesOf('project', project, user.userId)).toEqual(['gatekeeper']);
  });

  it('answers 404 for a request of another resource', async () => {
    const p1 = await createProject(api, owner.token);
    const p2 = await createProject(api, owner.token);
    const user = await server.createUser();
    const req = await ask(user.token, 'project', p1);
    expectErrorEnvelope(await accept(owner.token, 'project', p2, req.body.id), 404, 'not_found');
    expectErrorEnvelope(await decline(owner.token, 'project', p2, req.body.id), 404, 'not_found');
  });

  it('lets a robot with members.invite decide', async () => {
    const project = await createProject(api, owner.token);
    const robot = await createRobot(api, owner.token, { type: 'project', id: project }, ['administrator']);
    const user = await server.createUser();
    const req = await ask(user.token, 'project', project);
    const res = await decline(robot.token, 'project', project, req.body.id);
    expect(res.status, res.text).toBe(200);
    expect(res.body.updatedByUserId).toBe(robot.id);
  });
});

describe('organizations', () => {
  it('lists requests with includeChildren, accepts with the default role and honours requestAccessStatus', async () => {
    const org = await createOrganization(api, owner.token);
    const project = await projectIn(org);
    const got = await api('GET', `${V}/organizations/${org}`, { token: owner.token });
    expect(got.body.requestAccessStatus).toBe('allowed');
    const u1 = await server.createUser();
    const u2 = await server.createUser();
    const toOrg = await ask(u1.token, 'organization', org, { requestedRole: 'not-an-org-role' });
    expect(toOrg.status, toOrg.text).toBe(201);
    const toProject = await ask(u2.token, 'project', project);
    expect(toProject.status).toBe(201);

    const own = await list(owner.token, 'organization', org);
    expect(own.body.map((r: { id: string }) => r.id)).toEqual([toOrg.body.id]);
    const all = await list(owner.token, 'organization', org, '?includeChildren=true');
    expect(all.body.map((r: { id: string }) => r.id)).toEqual([toProject.body.id, toOrg.body.id]);

    expect((await accept(owner.token, 'organization', org, toOrg.body.id)).status).toBe(200);
    expect(await rolesOf('organization', org, u1.userId)).toEqual(['member']);

    const before = await auditCount('organization.update');
    const off = await api('PATCH', `${V}/organizations/${org}`, {
      token: owner.token,
      body: { requestAccessStatus: 'disabled' },
    });
    expect(off.status, off.text).toBe(200);
    expect(off.body.requestAccessStatus).toBe('disabled');
    expect(await auditCount('organization.update')).toBe(before + 1);
    expect((await api('GET', `${V}/organizations/${org}`, { token: owner.token })).body.requestAccessStatus).toBe('disabled');
    expectErrorEnvelope(
      await api('PATCH', `${V}/organizations/${org}`, { token: owner.token, body: { requestAccessStatus: 'maybe' } }),
      400,
    );

    const u3 = await server.createUser();
    expectErrorEnvelope(await ask(u3.token, 'project', project), 403, 'requests_disabled');
    expectErrorEnvelope(await ask(u3.token, 'organization', org), 403, 'requests_disabled');
    // Pending requests can still be answered.
    expect((await decline(owner.token, 'project', project, toProject.body.id)).status).toBe(200);

    await api('PATCH', `${V}/organizations/${org}`, { token: owner.token, body: { requestAccessStatus: 'allowed' } });
    expect((await ask(u3.token, 'project', project)).status).toBe(201);
  });

  it('counts access implied by the organization as access already held', async () => {
    const org = await createOrganization(api, owner.token);
    const project = await projectIn(org);
    expectErrorEnvelope(await ask(owner.token, 'project', project), 409, 'already_member');
  });
});

describe('GET /access/requests/me', () => {
  it("lists the caller's own requests, newest first, and refuses robots", async () => {
    const p1 = await createProject(api, owner.token);
    const p2 = await createProject(api, owner.token);
    const user = await server.createUser();
    const r1 = await ask(user.token, 'project', p1);
    server.advance(1000);
    const r2 = await ask(user.token, 'project', p2);
    const mine = await api('GET', `${V}/access/requests/me`, { token: user.token });
    expect(mine.status).toBe(200);
    expect(mine.body.map((r: { id: string }) => r.id)).toEqual([r2.body.id, r1.body.id]);
    const robot = await createRobot(api, owner.token, { type: 'project', id: p1 }, ['viewer']);
    expectErrorEnvelope(await api('GET', `${V}/access/requests/me`, { token: robot.token }), 403, 'principal_not_accepted');
  });
});

describe('CLI', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'gatehouse-requests-cli-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  function gatehouse(args: string[], token: string) {
    return runCli(
      args,
      cleanEnv({
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        GATEHOUSE_API_HOST: server.url,
        GATEHOUSE_AUTH_TOKEN: token,
        NO_COLOR: '1',
      }),
    );
  }

  it('requests create, list, accept and decline', async () => {
    const project = await createProject(api, owner.token);
    const alice = await server.createUser();
    const bob = await server.createUser();
    const created = await gatehouse(
      ['requests', 'create', '--project', project, '--note', 'hello', '--role', 'editor', '--json'],
      alice.token,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const request = JSON.parse(created.stdout);
    expect(request).toMatchObject({ status: 'pending', note: 'hello', requestedRole: 'editor' });

    const again = await gatehouse(['requests', 'create', '--project', project], alice.token);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/request_pending|pending request/);

    const human = await gatehouse(['requests', 'create', '--project', project], bob.token);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Asked for access to project/);

    const listed = await gatehouse(['requests', 'list', '--project', project], owner.token);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(request.id);
    expect(listed.stdout).toContain(alice.userId);
    const bobs = JSON.parse((await gatehouse(['requests', 'list', '--project', project, '--json'], owner.token)).stdout).find(
      (r: { requestedByUserId: string }) => r.requestedByUserId === bob.userId,
    );

    const accepted = await gatehouse(
      ['requests', 'accept', request.id, '--project', project, '--role', 'developer', '--role', 'viewer'],
      owner.token,
    );
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(/Accepted request/);
    expect(await rolesOf('project', project, alice.userId)).toEqual(['developer', 'viewer']);

    const declined = await gatehouse(['requests', 'decline', bobs.id, '--project', project, '--json'], owner.token);
    expect(declined.code, declined.stderr).toBe(0);
    expect(JSON.parse(declined.stdout).status).toBe('declined');

    const mine = await gatehouse(['requests', 'mine', '--json'], bob.token);
    expect(JSON.parse(mine.stdout).map((r: { status: string }) => r.status)).toEqual(['declined']);
  });
});
