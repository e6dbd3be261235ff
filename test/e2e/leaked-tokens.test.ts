/**
 * `POST /v1/tokens/leaked`: anybody who finds a Gatehouse secret reports it, and it stops working
 * (R29). A live robot token, personal token or invitation link is revoked, with an audit event its
 * owner and the resource's administrators see; the answer is byte for byte the same for a live
 * token, a dead one, one that never existed and a string that is no token at all (RFC 7009), so
 * the endpoint is no oracle; reports are limited per client address; no reported secret is logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../support/cli.js';
import { createProject, createRobot, expectErrorEnvelope, issuePersonalToken, V } from '../support/fixtures.js';
import { outboxInviteToken } from '../support/outbox.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let bystander: { userId: string; token: string };
let projectId: string;
const reported: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ trustProxy: true });
  api = apiClient(server.url);
  owner = await server.createUser('leak-owner@example.com', 'Lea Leak');
  bystander = await server.createUser('leak-bystander@example.com', 'Bo Bystander');
  projectId = await createProject(api, owner.token, 'Leaky');
});

afterAll(async () => {
  await server?.close();
});

function report(token: string, options: { url?: string; from?: string; asToken?: string } = {}) {
  reported.push(token);
  return api('POST', '/v1/tokens/leaked', {
    body: { token, ...(options.url ? { url: options.url } : {}) },
    token: options.asToken,
    headers: options.from ? { 'x-forwarded-for': options.from } : {},
  });
}

async function activity(token: string, query: string) {
  const res = await api('GET', `${V}/activity?${query}&limit=100`, { token });
  expect(res.status, res.text).toBe(200);
  return res.body.data as Array<{
    action: string;
    actorType: string;
    target: { type: string; id: string };
    metadata: { after: Record<string, unknown> };
  }>;
}

describe('a live token, reported by anybody', () => {
  it('a robot token is revoked at once; the project’s administrators see token.leaked, with where it was found', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['editor'], 'leaked CI token');
    expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token })).status).toBe(200);
    const res = await report(robot.token, { url: 'https://github.com/someone/repo/blob/main/.env' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ received: true });
    expectErrorEnvelope(await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token }), 401, 'token_revoked');
    const events = await activity(owner.token, `projectId=${projectId}&action=token.leaked`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorType: 'system',
      target: { type: 'robot', id: robot.id },
      metadata: { after: { tokenId: robot.tokenId, kind: 'robot', foundAt: 'https://github.com/someone/repo/blob/main/.env' } },
    });
    // Nobody else sees it.
    expect(await activity(bystander.token, `projectId=${projectId}&action=token.leaked`)).toEqual([]);
  });

  it('a personal token is revoked; its owner sees the event', async () => {
    const victim = await server.createUser('leaked-person@example.com');
    const res = await report(victim.token);
    expect(res.body).toEqual({ received: true });
    expectErrorEnvelope(await api('GET', `${V}/users/me/grants`, { token: victim.token }), 401, 'token_revoked');
    // Logged in again, the owner finds out what happened.
    const fresh = await issuePersonalToken(server, victim.userId, 'after the leak');
    const events = await activity(fresh.token, `userId=${victim.userId}&action=token.leaked`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ target: { type: 'user', id: victim.userId }, metadata: { after: { kind: 'user' } } });
  });

  it('an invitation link’s token revokes the invitation', async () => {
    const email = 'invitee-leak@example.com';
    const invited = await api('POST', `${V}/access/project/${projectId}/invites`, {
      token: owner.token,
      body: { email, role: 'viewer' },
    });
    expect(invited.status, invited.text).toBe(201);
    const inviteToken = await outboxInviteToken(server.config.identity.mail.outboxDir, email, projectId);
    expect((await report(inviteToken)).body).toEqual({ received: true });
    const invitee = await server.createUser(email);
    const accept = await api('POST', `${V}/access/project/${projectId}/invites/token/${inviteToken}/accept`, {
      token: invitee.token,
    });
    expectErrorEnvelope(accept, 410, 'invite_revoked');
    expect(await activity(owner.token, `projectId=${projectId}&action=invite.leaked`)).toHaveLength(1);
  });
});

describe('no oracle', () => {
  it('the same answer, byte for byte, for a live token, a revoked one, one that never existed and garbage', async () => {
    const live = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'oracle probe');
    const answers = [];
    for (const token of [
      live.token,
      live.token, // already revoked by the first report
      `gth_robot_${'Z'.repeat(49)}`, // well formed, never issued (bad checksum)
      `gth_user_${'a'.repeat(43)}000000`,
      'gth_invite_nope',
      'hunter2',
      ' ',
    ]) {
      const res = await report(token);
      answers.push([res.status, res.headers.get('content-type'), res.text]);
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    // The second report of the live token changed nothing more: one event.
    expect(await activity(owner.token, `projectId=${projectId}&action=token.leaked`)).toHaveLength(2);
  });

  it('a body that is not a report is a 400 that says so (no token involved)', async () => {
    expectErrorEnvelope(await api('POST', '/v1/tokens/leaked', { body: {} }), 400, 'invalid_input');
    expectErrorEnvelope(await api('POST', '/v1/tokens/leaked', { body: { token: 'x'.repeat(1001) } }), 400, 'invalid_input');
  });

  it('reports are limited per client address: the 121st in a minute is a 429', async () => {
    const from = '203.0.113.77';
    for (let i = 0; i < 120; i++) expect((await report(`not-a-token-${i}`, { from })).status).toBe(200);
    const limited = await report('one-too-many', { from });
    expectErrorEnvelope(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other addresses are not affected.
    expect((await report('another-reporter', { from: '203.0.113.78' })).status).toBe(200);
  });

  it('gatehouse tokens report-leaked, with no token of one’s own', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'cli leak');
    const run = await runCli(
      ['tokens', 'report-leaked', robot.token, '--url', 'https://pastebin.example/x'],
      cleanEnv({ GATEHOUSE_API_HOST: server.url }),
    );
    reported.push(robot.token);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Reported.');
    expectErrorEnvelope(await api('GET', `${V}/access/project/${projectId}/users`, { token: robot.token }), 401, 'token_revoked');
  });

  it('no reported secret ever reaches the log', () => {
    const logs = server.logs();
    for (const token of reported.filter((t) => t.startsWith('gth_') && t.length > 20)) expect(logs).not.toContain(token);
    expect(logs).toContain('a leaked token was reported, and revoked');
  });
});
