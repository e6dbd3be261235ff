/**
 * Invitations: by e-mail through a real SMTP server started here (the `smtp-server` package), the
 * link in the received message followed and accepted by the invited user; expiry, revocation and
 * reuse refused; only administrators invite administrators; the outbox folder without SMTP, and a
 * mail server that is down (the invitation waits in the outbox and is delivered when it is back); the
 * legacy `/invitations/project/{id}` façade; and the CLI.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInRole, grantsOf, type RolePermission } from '../../src/model/roles.js';
import { cleanEnv, runCli } from '../support/cli.js';
import { addMember, createOrganization, createProject, expectErrorEnvelope, type ResourceKind, V } from '../support/fixtures.js';
import { outboxMessage } from '../support/outbox.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

interface Received {
  to: string[];
  raw: string;
}

let smtp: SMTPServer;
let smtpPort: number;
const inbox: Received[] = [];
let outboxDir: string;
let server: TestServer;
let api: Api;

const DAY_MS = 86_400_000;
const TOKEN = /gth_invite_[0-9A-Za-z]{49}/;

/** A mail server that keeps every message it receives in `into`. */
function smtpSink(into: Received[]): SMTPServer {
  return new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        raw += chunk;
      });
      stream.on('end', () => {
        into.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
}

beforeAll(async () => {
  smtp = smtpSink(inbox);
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  outboxDir = mkdtempSync(join(tmpdir(), 'gatehouse-unused-outbox-'));
  server = await startTestServer({
    identity: {
      mail: {
        smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
        from: 'Gatehouse <gatehouse@example.com>',
        inviteTtlDays: 7,
        outboxDir,
      },
    },
  });
  api = apiClient(server.url);
});

afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  rmSync(outboxDir, { recursive: true, force: true });
});

/** Quoted-printable soft line breaks and escapes undone, so a long link reads whole. */
function decoded(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The last message the SMTP sink received for `email`, waiting briefly for it. */
async function mailTo(email: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const message = inbox.filter((m) => m.to.includes(email)).at(-1);
    if (message) return decoded(message.raw);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no e-mail to ${email}`);
}

function linkIn(message: string): string {
  const link = new RegExp(`${server.url.replace(/[.]/g, '\\.')}/v1/invites/${TOKEN.source}`).exec(message)?.[0];
  if (!link) throw new Error(`no invite link in:\n${message}`);
  return link;
}

async function project(displayName = 'Invite fixture') {
  const owner = await server.createUser();
  const projectId = await createProject(api, owner.token, displayName);
  return { owner, projectId, base: `${V}/access/project/${projectId}/invites` };
}

let emailCounter = 0;
function freshEmail(name = 'invitee'): string {
  emailCounter += 1;
  return `${name}${emailCounter}-${process.pid}@example.com`;
}

async function invite(base: string, token: string, email: string, role = 'editor') {
  const res = await api('POST', base, { token, body: { email, role } });
  expect(res.status, res.text).toBe(201);
  const message = await mailTo(email);
  const link = linkIn(message);
  return { invite: res.body, link, token: TOKEN.exec(link)?.[0] as string };
}

async function auditActions(resourceId: string, action: string) {
  return server.running.store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('resource_id', '=', resourceId)
    .where('action', '=', action)
    .execute();
}

async function insertCustomRole(resource: { type: ResourceKind; id: string }, name: string, permissions: RolePermission[]) {
  const now = new Date().toISOString();
  await server.running.store.db
    .insertInto('roles')
    .values({
      resource_type: resource.type,
      resource_id: resource.id,
      name,
      title: name,
      description: 'Made by a test',
      applies_to_users: 1,
      applies_to_robots: 1,
      permissions: JSON.stringify(permissions),
      grants: JSON.stringify([...grantsOf({ permissions })]),
      created_at: now,
      updated_at: now,
    })
    .execute();
}

describe('inviting by e-mail through SMTP, following the link and accepting', () => {
  it('sends the link, shows it, and makes the invited user a member with the role, once', async () => {
    const { owner, projectId, base } = await project('Apollo');
    const email = freshEmail('alice');
    const { invite: created, link, token } = await invite(base, owner.token, email, 'editor');
    expect(created).toMatchObject({
      email,
      role: 'editor',
      status: 'pending',
      resourceType: 'project',
      resourceId: projectId,
      invitedByUserId: owner.userId,
      acceptedByUserId: null,
    });
    expect(Date.parse(created.expiresAt) - Date.parse(created.createdAt)).toBe(7 * DAY_MS);
    const message = await mailTo(email);
    expect(message).toContain('Apollo');
    expect(message).toContain('From: Gatehouse <gatehouse@example.com>');

    // Only the digest is stored.
    const rows = await server.running.store.db.selectFrom('invites').selectAll().where('id', '=', created.id).execute();
    expect(JSON.stringify(rows)).not.toContain(token);

    // The link: a page for browsers, the invitation as JSON otherwise.
    const page = await fetch(link, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('Apollo');
    expect(html).toContain(`gatehouse invites accept ${token}`);
    const asJson = await fetch(link);
    expect(asJson.status).toBe(200);
    expect(await asJson.json()).toMatchObject({ id: created.id, resourceDisplayName: 'Apollo', roleTitle: 'Editor' });

    // Anonymous read of the token route.
    const byToken = await api('GET', `${base}/token/${token}`);
    expect(byToken.status, byToken.text).toBe(200);
    expect(byToken.body).toMatchObject({ id: created.id, email, role: 'editor', resourceDisplayName: 'Apollo' });

    // Somebody else's account cannot use it.
    const bob = await server.createUser(freshEmail('bob'));
    expectErrorEnvelope(await api('POST', `${base}/token/${token}/accept`, { token: bob.token }), 403, 'invite_email_mismatch');
    // Anonymous callers must log in first.
    expect((await api('POST', `${base}/token/${token}/accept`)).status).toBe(401);

    const alice = await server.createUser(email);
    const mine = await api('GET', `${V}/access/invites/me`, { token: alice.token });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body.data.map((i: { id: string }) => i.id)).toEqual([created.id]);

    const accepted = await api('POST', `${base}/token/${token}/accept`, { token: alice.token });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.sanityUserId).toBe(alice.userId);
    expect(accepted.body.memberships[0]).toMatchObject({ resourceType: 'project', resourceId: projectId, roleNames: ['editor'] });

    const member = await api('GET', `${V}/access/project/${projectId}/users/${alice.userId}`, { token: owner.token });
    expect(member.status, member.text).toBe(200);
    expect(member.body.memberships[0].roleNames).toEqual(['editor']);
    // The new member can now read the project.
    expect((await api('GET', `${V}/projects/${projectId}`, { token: alice.token })).status).toBe(200);

    // Single use.
    expectErrorEnvelope(await api('POST', `${base}/token/${token}/accept`, { token: alice.token }), 410, 'invite_used');
    expectErrorEnvelope(await api('GET', `${base}/token/${token}`), 410, 'invite_used');
    const gonePage = await fetch(link, { headers: { accept: 'text/html' } });
    expect(gonePage.status).toBe(410);
    expect(await gonePage.text()).toContain('invite_used');
    expect((await api('GET', `${V}/access/invites/me`, { token: alice.token })).body.data).toEqual([]);

    const listed = await api('GET', `${base}?status=accepted&status=revoked`, { token: owner.token });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.data).toEqual([
      expect.objectContaining({ id: created.id, status: 'accepted', acceptedByUserId: alice.userId }),
    ]);
    expect((await api('GET', base, { token: owner.token })).body.data).toEqual([]);

    expect(await auditActions(projectId, 'invite.create')).toHaveLength(1);
    const acceptEvents = await auditActions(projectId, 'invite.accept');
    expect(acceptEvents).toHaveLength(1);
    expect(acceptEvents[0]).toMatchObject({ actor_id: alice.userId, target_id: alice.userId });
  });

  it('an existing member who accepts gets the role added to the ones they hold', async () => {
    const { owner, projectId, base } = await project();
    const email = freshEmail('member');
    const user = await server.createUser(email);
    await addMember(server, { type: 'project', id: projectId }, user.userId, ['viewer']);
    const { token } = await invite(base, owner.token, email, 'developer');
    const res = await api('POST', `${base}/token/${token}/accept`, { token: user.token });
    expect(res.status, res.text).toBe(200);
    expect([...res.body.memberships[0].roleNames].sort()).toEqual(['developer', 'viewer']);
  });

  it('works for organizations too', async () => {
    const owner = await server.createUser();
    const organizationId = await createOrganization(api, owner.token);
    const base = `${V}/access/organization/${organizationId}/invites`;
    const email = freshEmail('orgling');
    const { token } = await invite(base, owner.token, email, 'member');
    const user = await server.createUser(email);
    const res = await api('POST', `${V}/access/organizations/${organizationId}/invites/token/${token}/accept`, {
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.memberships[0]).toMatchObject({ resourceType: 'organization', roleNames: ['member'] });
    // The token belongs to that resource only.
    const { projectId } = await project();
    expectErrorEnvelope(await api('GET', `${V}/access/project/${projectId}/invites/token/${token}`), 404, 'invite_not_found');
  });
});

describe('tokens that no longer work', () => {
  it('a revoked invitation cannot be read or accepted, and is revoked once', async () => {
    const { owner, base } = await project();
    const email = freshEmail('revoked');
    const { invite: created, token } = await invite(base, owner.token, email);
    const res = await api('DELETE', `${base}/${created.id}`, { token: owner.token });
    expect(res.status, res.text).toBe(204);
    expectErrorEnvelope(await api('GET', `${base}/token/${token}`), 410, 'invite_revoked');
    const user = await server.createUser(email);
    expectErrorEnvelope(await api('POST', `${base}/token/${token}/accept`, { token: user.token }), 410, 'invite_revoked');
    expectErrorEnvelope(await api('DELETE', `${base}/${created.id}`, { token: owner.token }), 409, 'invite_not_pending');
    expectErrorEnvelope(await api('DELETE', `${base}/nosuchinvite`, { token: owner.token }), 404, 'invite_not_found');
    const listed = await api('GET', `${base}?status=revoked`, { token: owner.token });
    expect(listed.body.data).toEqual([expect.objectContaining({ id: created.id, status: 'revoked' })]);
    // Revoked, so the address may be invited again.
    expect((await api('POST', base, { token: owner.token, body: { email, role: 'viewer' } })).status).toBe(201);
  });

  it('unknown and malformed tokens', async () => {
    const { base } = await project();
    const unknown = `gth_invite_${'a'.repeat(49)}`;
    expectErrorEnvelope(await api('GET', `${base}/token/${unknown}`), 404, 'invite_not_found');
    expectErrorEnvelope(await api('GET', `${base}/token/not-a-token`), 400);
    expect((await fetch(`${server.url}/v1/invites/${unknown}`, { headers: { accept: 'text/html' } })).status).toBe(404);
  });

  it('an invitation expires after the configured lifetime', async () => {
    const { owner, base } = await project();
    const email = freshEmail('late');
    const { token } = await invite(base, owner.token, email);
    const user = await server.createUser(email);
    server.advance(7 * DAY_MS + 60_000);
    expectErrorEnvelope(await api('GET', `${base}/token/${token}`), 410, 'invite_expired');
    expectErrorEnvelope(await api('POST', `${base}/token/${token}/accept`, { token: user.token }), 410, 'invite_expired');
    expect((await api('GET', `${V}/access/invites/me`, { token: user.token })).body.data).toEqual([]);
  });
});

describe('who may invite whom', () => {
  it('only administrators invite administrators; nobody invites with a role they could not grant', async () => {
    const { owner, projectId, base } = await project();
    const resource = { type: 'project' as const, id: projectId };
    const admin = builtInRole('project', 'administrator');
    if (!admin) throw new Error('no administrator role');
    await insertCustomRole(resource, 'almost-admin', [...admin.permissions]);
    await insertCustomRole(resource, 'inviter', [
      { name: 'sanity-project', action: 'read' },
      { name: 'sanity-project-members', action: 'read' },
      { name: 'sanity-project-members', action: 'invite' },
    ]);
    const almost = await server.createUser();
    await addMember(server, resource, almost.userId, ['almost-admin']);
    const inviter = await server.createUser();
    await addMember(server, resource, inviter.userId, ['inviter']);

    expectErrorEnvelope(
      await api('POST', base, { token: almost.token, body: { email: freshEmail(), role: 'administrator' } }),
      403,
      'administrator_only',
    );
    expect((await api('POST', base, { token: almost.token, body: { email: freshEmail(), role: 'editor' } })).status).toBe(201);
    expect((await api('POST', base, { token: owner.token, body: { email: freshEmail(), role: 'administrator' } })).status).toBe(
      201,
    );
    expectErrorEnvelope(
      await api('POST', base, { token: inviter.token, body: { email: freshEmail(), role: 'editor' } }),
      403,
      'privilege_escalation',
    );
    // A viewer cannot invite at all.
    const viewer = await server.createUser();
    await addMember(server, resource, viewer.userId, ['viewer']);
    expect((await api('POST', base, { token: viewer.token, body: { email: freshEmail(), role: 'viewer' } })).status).toBe(403);
  });

  it('an invitation to administrator no longer works once its inviter was demoted to viewer (403 inviter_not_allowed)', async () => {
    const { owner, projectId, base } = await project();
    const resource = { type: 'project' as const, id: projectId };
    const inviter = await server.createUser();
    await addMember(server, resource, inviter.userId, ['administrator']);
    const email = freshEmail('admin-invitee');
    const sent = await invite(base, inviter.token, email, 'administrator');
    const invitee = await server.createUser(email);

    // The owner demotes the inviter after the invitation went out.
    const demoted = await api('PUT', `${V}/access/project/${projectId}/users/${inviter.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['viewer'] },
    });
    expect(demoted.status, demoted.text).toBe(200);

    const accept = await api('POST', `${base}/token/${sent.token}/accept`, { token: invitee.token });
    expectErrorEnvelope(accept, 403, 'inviter_not_allowed');
    expect(accept.body.reason).toMatchObject({ roles: ['administrator'] });
    expect(accept.body.message).toBe('Whoever sent this invitation can no longer give its roles');
    // Nothing happened: not a member, the invitation still pending (an administrator may revoke it).
    expect((await api('GET', `${V}/access/project/${projectId}/users/${invitee.userId}`, { token: owner.token })).status).toBe(
      404,
    );
    const listed = await api('GET', `${base}?status=pending`, { token: owner.token });
    expect(listed.body.data.map((i: { id: string }) => i.id)).toContain(sent.invite.id);
    expect(await auditActions(projectId, 'invite.accept')).toHaveLength(0);

    // Promoted again, the inviter's invitation works again: the rule is about now, not about then.
    await api('PUT', `${V}/access/project/${projectId}/users/${inviter.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['administrator'] },
    });
    const again = await api('POST', `${base}/token/${sent.token}/accept`, { token: invitee.token });
    expect(again.status, again.text).toBe(200);
    expect(again.body.memberships[0].roleNames).toEqual(['administrator']);
  });

  it('an invitation sent by a robot stops working when the robot is deleted', async () => {
    const { owner, projectId, base } = await project();
    const robot = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: {
        label: 'inviter bot',
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['administrator'] }],
      },
    });
    expect(robot.status, robot.text).toBe(201);
    const email = freshEmail('robot-invitee');
    const sent = await invite(base, robot.body.token, email, 'editor');
    const invitee = await server.createUser(email);
    expect((await api('DELETE', `${V}/access/project/${projectId}/robots/${robot.body.id}`, { token: owner.token })).status).toBe(
      204,
    );
    expectErrorEnvelope(
      await api('POST', `${base}/token/${sent.token}/accept`, { token: invitee.token }),
      403,
      'inviter_not_allowed',
    );
  });

  it('refuses roles that do not exist or do not apply to people, and a second pending invitation', async () => {
    const { owner, projectId, base } = await project();
    expectErrorEnvelope(await api('POST', base, { token: owner.token, body: { email: freshEmail(), role: 'nope' } }), 404);
    expectErrorEnvelope(
      await api('POST', base, { token: owner.token, body: { email: freshEmail(), role: 'deploy-studio' } }),
      400,
      'role_not_applicable',
    );
    expectErrorEnvelope(await api('POST', base, { token: owner.token, body: { email: 'not-an-email', role: 'viewer' } }), 400);
    const email = freshEmail();
    await invite(base, owner.token, email);
    expectErrorEnvelope(await api('POST', base, { token: owner.token, body: { email, role: 'viewer' } }), 409, 'invite_pending');
    const pending = await server.running.store.db
      .selectFrom('invites')
      .selectAll()
      .where('resource_id', '=', projectId)
      .execute();
    expect(pending).toHaveLength(1);
  });
});

describe('legacy /invitations/project/{id}', () => {
  it('invites and lists in the legacy /invitations/project shape', async () => {
    const { owner, projectId, base } = await project();
    const email = freshEmail('legacy');
    const res = await api('POST', `${V}/invitations/project/${projectId}`, {
      token: owner.token,
      body: { email, role: 'developer' },
    });
    expect(res.status, res.text).toBe(201);
    const token = TOKEN.exec(linkIn(await mailTo(email)))?.[0];
    const list = await api('GET', `${V}/invitations/project/${projectId}`, { token: owner.token });
    expect(list.status, list.text).toBe(200);
    expect(list.body).toEqual([
      expect.objectContaining({
        email,
        isAccepted: false,
        isRevoked: false,
        acceptedByUserId: null,
        roles: [expect.objectContaining({ name: 'developer' })],
      }),
    ]);
    const user = await server.createUser(email);
    expect((await api('POST', `${base}/token/${token}/accept`, { token: user.token })).status).toBe(200);
    const after = await api('GET', `${V}/invitations/project/${projectId}`, { token: owner.token });
    expect(after.body[0]).toMatchObject({ isAccepted: true, acceptedByUserId: user.userId });
  });
});

describe('without SMTP: the outbox folder', () => {
  it('writes the message to <data dir>/outbox, and logs where, never the link', async () => {
    const local = await startTestServer();
    try {
      const localApi = apiClient(local.url);
      const owner = await local.createUser();
      const projectId = await createProject(localApi, owner.token, 'Outboxed');
      const email = freshEmail('outbox');
      const res = await localApi('POST', `${V}/access/project/${projectId}/invites`, {
        token: owner.token,
        body: { email, role: 'viewer' },
      });
      expect(res.status, res.text).toBe(201);
      const dir = join(local.dataDir, 'outbox');
      const message = await outboxMessage(dir, email);
      const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
      expect(files).toHaveLength(1);
      expect(statSync(join(dir, files[0] as string)).mode & 0o777).toBe(0o600);
      expect(message).toContain(`To: ${email}`);
      // The file is named after the message's id, which is also its Message-ID.
      expect(message).toContain(`Message-ID: <${(files[0] as string).replace(/\.eml$/, '')}@gatehouse>`);
      const token = TOKEN.exec(message)?.[0] as string;
      expect(token).toBeDefined();
      // The log says where the message is, never the link: the link is a secret.
      expect(local.logs()).toContain('e-mail written to the outbox folder');
      expect(local.logs()).not.toContain(token);
      const user = await local.createUser(email);
      const accepted = await localApi('POST', `${V}/access/project/${projectId}/invites/token/${token}/accept`, {
        token: user.token,
      });
      expect(accepted.status, accepted.text).toBe(200);
    } finally {
      await local.close();
    }
  });
});

describe('a mail server that is down', () => {
  it('never blocks or loses an invitation: 201 at once, delivered when the server is back, with one Message-ID', async () => {
    // A mail server on a port of its own, which the test stops and starts again.
    const received: Received[] = [];
    const sink = () => smtpSink(received);
    let mailServer = sink();
    await new Promise<void>((resolve) => mailServer.listen(0, '127.0.0.1', resolve));
    const port = (mailServer.server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => mailServer.close(() => resolve()));

    const flaky = await startTestServer({
      identity: { mail: { smtpUrl: `smtp://127.0.0.1:${port}`, from: 'g@example.com', inviteTtlDays: 7, outboxDir } },
      mailTiming: { retryBaseMs: 100, pollMs: 100 },
    });
    try {
      const flakyApi = apiClient(flaky.url);
      const owner = await flaky.createUser();
      const projectId = await createProject(flakyApi, owner.token);
      const email = freshEmail('patient');
      const started = Date.now();
      const res = await flakyApi('POST', `${V}/access/project/${projectId}/invites`, {
        token: owner.token,
        body: { email, role: 'viewer' },
      });
      expect(res.status, res.text).toBe(201);
      // No transaction waited for the mail server.
      expect(Date.now() - started).toBeLessThan(2_000);
      const db = flaky.running.store.db;
      expect(await db.selectFrom('invites').select('id').where('resource_id', '=', projectId).execute()).toHaveLength(1);
      // The sender fails, retries, and says so in the log (without the link).
      await expect
        .poll(() => flaky.logs().includes('e-mail could not be delivered; it will be retried'), { timeout: 5_000 })
        .toBe(true);
      const pending = await db.selectFrom('mail_outbox').selectAll().where('recipient', '=', email).executeTakeFirstOrThrow();
      expect(pending.sent_at).toBeNull();
      expect(pending.attempts).toBeGreaterThanOrEqual(1);
      // While it waits, the database holds the invite token only sealed.
      expect(pending.payload).not.toMatch(TOKEN);
      expect(pending.payload).toContain('gsb1.');

      // The mail server comes back on the same port: the message arrives, once, with its outbox id.
      mailServer = sink();
      await new Promise<void>((resolve) => mailServer.listen(port, '127.0.0.1', resolve));
      await expect.poll(() => received.filter((m) => m.to.includes(email)).length, { timeout: 10_000 }).toBe(1);
      const message = decoded((received.find((m) => m.to.includes(email)) as Received).raw);
      expect(message).toContain(`Message-ID: <${pending.id}@gatehouse>`);
      const token = TOKEN.exec(message)?.[0] as string;
      expect(token).toBeDefined();
      // The sender marks the message sent once the mail server has accepted it: a moment after.
      const sentRow = () => db.selectFrom('mail_outbox').selectAll().where('id', '=', pending.id).executeTakeFirstOrThrow();
      await expect.poll(async () => (await sentRow()).sent_at, { timeout: 5_000 }).not.toBeNull();
      const sent = await sentRow();
      expect(sent.payload).toBeNull();
      expect(flaky.logs()).not.toContain(token);
      // And the invitation works.
      const user = await flaky.createUser(email);
      const accepted = await flakyApi('POST', `${V}/access/project/${projectId}/invites/token/${token}/accept`, {
        token: user.token,
      });
      expect(accepted.status, accepted.text).toBe(200);
    } finally {
      await flaky.close();
      await new Promise<void>((resolve) => mailServer.close(() => resolve()));
    }
  }, 30_000);

  it('a message enqueued by a node that stopped is sent by the next one (the outbox is in the database)', async () => {
    const first = await startTestServer({
      identity: { mail: { smtpUrl: 'smtp://127.0.0.1:1', from: 'g@example.com', inviteTtlDays: 7, outboxDir } },
      mailTiming: { retryBaseMs: 60_000, pollMs: 60_000 },
    });
    const email = freshEmail('handover');
    const owner = await first.createUser();
    const projectId = await createProject(apiClient(first.url), owner.token);
    const res = await apiClient(first.url)('POST', `${V}/access/project/${projectId}/invites`, {
      token: owner.token,
      body: { email, role: 'viewer' },
    });
    expect(res.status, res.text).toBe(201);
    // The first node cannot reach its mail server; a second node on the same database can.
    const second = await startTestServer({
      sameDatabaseAs: first,
      identity: { mail: { smtpUrl: `smtp://127.0.0.1:${smtpPort}`, from: 'g@example.com', inviteTtlDays: 7, outboxDir } },
      mailTiming: { retryBaseMs: 100, pollMs: 100 },
    });
    try {
      // It waits out the first node's backoff, then delivers.
      second.advance(120_000);
      await second.running.services.mail.flush();
      expect((await mailTo(email)).length).toBeGreaterThan(0);
    } finally {
      await second.close();
      await first.close();
    }
  }, 30_000);
});

describe('the CLI', () => {
  async function gatehouse(args: string[], token: string) {
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-home-'));
    try {
      return await runCli(
        args,
        cleanEnv({
          HOME: home,
          XDG_CONFIG_HOME: home,
          GATEHOUSE_API_HOST: server.url,
          GATEHOUSE_AUTH_TOKEN: token,
          NO_COLOR: '1',
        }),
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }

  it('send, list, accept (with the link from the e-mail) and revoke', async () => {
    const { owner, projectId } = await project('CLI project');
    const email = freshEmail('cli');
    const sent = await gatehouse(['invites', 'send', email, '--role', 'viewer', '--project', projectId, '--json'], owner.token);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const created = JSON.parse(sent.stdout);
    expect(created).toMatchObject({ email, role: 'viewer', status: 'pending' });

    const listed = await gatehouse(['invites', 'list', '--project', projectId], owner.token);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(email);

    const link = linkIn(await mailTo(email));
    const user = await server.createUser(email);
    const accepted = await gatehouse(['invites', 'accept', link], user.token);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain(`Joined project ${projectId} (CLI project) as viewer`);

    const again = await gatehouse(['invites', 'accept', TOKEN.exec(link)?.[0] as string], user.token);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('invite_used');

    const other = freshEmail('cli-revoke');
    const second = JSON.parse(
      (await gatehouse(['invites', 'send', other, '--role', 'viewer', '--project', projectId, '--json'], owner.token)).stdout,
    );
    const revoked = await gatehouse(['invites', 'revoke', second.id, '--project', projectId], owner.token);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked invite ${second.id}`);
    const all = JSON.parse(
      (await gatehouse(['invites', 'list', '--project', projectId, '--status', 'accepted', 'revoked', '--json'], owner.token))
        .stdout,
    );
    expect(all.map((i: { status: string }) => i.status).sort()).toEqual(['accepted', 'revoked']);
  });
});
