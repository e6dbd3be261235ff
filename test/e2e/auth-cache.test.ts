/**
 * The per-node authorization cache (services/auth-cache.ts) on the node that makes a change: each
 * kind of change is seen by the very next request, with the cache warmed first. Expiry and rotation
 * grace periods are compared with the clock on every request, cached or not. Bookkeeping
 * (`lastUsedAt`) is written in the background and on graceful shutdown.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../support/database.js';
import { addMember, createOrganization, createProject, createRobot, expectErrorEnvelope } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const V = '/v2025-01-09';
let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser('cache-owner@example.com');
  projectId = await createProject(api, owner.token);
});

afterAll(async () => {
  await server?.close();
});

/** Two requests: the first fills the cache, the second is served from it. */
async function warm(path: string, token: string, status = 200): Promise<void> {
  for (let i = 0; i < 2; i++) expect((await api('GET', path, { token })).status).toBe(status);
}

const usersOf = (id: string) => `${V}/access/project/${id}/users`;

describe('on the node that makes the change, the very next request sees it', () => {
  it('a deleted robot’s token is refused', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    await warm(usersOf(projectId), robot.token);
    expect(server.running.services.auth.cache.credentials.size).toBeGreaterThan(0);
    const removed = await api('DELETE', `${V}/access/project/${projectId}/robots/${robot.id}`, { token: owner.token });
    expect(removed.status).toBe(204);
    expectErrorEnvelope(await api('GET', usersOf(projectId), { token: robot.token }), 401);
  });

  it('a revoked personal token is refused', async () => {
    const user = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, user.userId, ['viewer']);
    await warm(usersOf(projectId), user.token);
    const me = await api('GET', `${V}/auth/tokens`, { token: user.token });
    const current = me.body.data.find((t: { current: boolean }) => t.current);
    expect((await api('DELETE', `${V}/auth/tokens/${current.id}`, { token: user.token })).status).toBe(204);
    expectErrorEnvelope(await api('GET', usersOf(projectId), { token: user.token }), 401, 'token_revoked');
  });

  it('rotation: the old secret is refused at once without a grace period, and when the grace period ends by the clock', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    await warm(`${V}/access/robots/me`, robot.token);
    const rotated = await api('POST', `${V}/access/robots/me/rotate`, { token: robot.token });
    expect(rotated.status).toBe(200);
    expectErrorEnvelope(await api('GET', `${V}/access/robots/me`, { token: robot.token }), 401, 'token_rotated');

    const graced = await api('POST', `${V}/access/robots/me/rotate`, {
      token: rotated.body.token,
      body: { gracePeriodSeconds: 60 },
    });
    expect(graced.status).toBe(200);
    // Still valid during the grace period, and now cached with its end time…
    await warm(`${V}/access/robots/me`, rotated.body.token);
    server.advance(61_000);
    // …which the clock ends, with no change to invalidate anything.
    expectErrorEnvelope(await api('GET', `${V}/access/robots/me`, { token: rotated.body.token }), 401, 'token_rotated');
    expect((await api('GET', `${V}/access/robots/me`, { token: graced.body.token })).status).toBe(200);
  });

  it('expiry is checked against the clock on every request, cached or not', async () => {
    const expiresAt = new Date(server.running.deps.now().getTime() + 120_000).toISOString();
    const robot = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: {
        label: 'short-lived',
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
        expiresAt,
      },
    });
    expect(robot.status).toBe(201);
    await warm(usersOf(projectId), robot.body.token);
    const hitsBefore = server.running.services.auth.cache.stats.hits.credential;
    server.advance(121_000);
    const res = await api('GET', usersOf(projectId), { token: robot.body.token });
    expectErrorEnvelope(res, 401, 'token_expired');
    // It was answered from the cache: the clock alone refused it.
    expect(server.running.services.auth.cache.stats.hits.credential).toBeGreaterThan(hitsBefore);
  });

  it('a disabled user’s token is refused', async () => {
    const user = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, user.userId, ['viewer']);
    await warm(usersOf(projectId), user.token);
    await server.running.services.sessions.setDisabled(
      { principal: null, ip: null, userAgent: null, requestId: null },
      (await api('GET', `${V}/users/me`, { token: user.token })).body.email,
      true,
    );
    expectErrorEnvelope(await api('GET', usersOf(projectId), { token: user.token }), 401, 'token_revoked');
  });

  it('a removed member gets 404, and a changed role changes what the member may do', async () => {
    const user = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, user.userId, ['viewer']);
    const robotsPath = `${V}/access/project/${projectId}/robots`;
    await warm(robotsPath, user.token, 403);
    const promoted = await api('PUT', `${usersOf(projectId)}/${user.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['administrator'] },
    });
    expect(promoted.status).toBe(200);
    expect((await api('GET', robotsPath, { token: user.token })).status).toBe(200);
    expect((await api('DELETE', `${usersOf(projectId)}/${user.userId}`, { token: owner.token })).status).toBe(204);
    expectErrorEnvelope(await api('GET', robotsPath, { token: user.token }), 404, 'not_found');
    expectErrorEnvelope(await api('GET', usersOf(projectId), { token: user.token }), 404, 'not_found');
  });

  it('a custom role edit changes what its holders may do', async () => {
    const created = await api('POST', `${V}/access/project/${projectId}/roles`, {
      token: owner.token,
      body: {
        name: 'reviewer',
        title: 'Reviewer',
        appliesToUsers: true,
        appliesToRobots: true,
        permissions: [{ name: 'sanity-project-members', action: 'read' }],
      },
    });
    expect(created.status).toBe(201);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['reviewer']);
    const robotsPath = `${V}/access/project/${projectId}/robots`;
    await warm(usersOf(projectId), robot.token);
    await warm(robotsPath, robot.token, 403);
    const edited = await api('PUT', `${V}/access/project/${projectId}/roles/reviewer`, {
      token: owner.token,
      body: {
        title: 'Auditor',
        appliesToUsers: true,
        appliesToRobots: true,
        permissions: [
          { name: 'sanity-project-members', action: 'read' },
          { name: 'sanity-project-tokens', action: 'read' },
        ],
      },
    });
    expect(edited.status).toBe(200);
    expect((await api('GET', robotsPath, { token: robot.token })).status).toBe(200);
  });

  it('an organization policy change binds its robots on the next request', async () => {
    const orgId = await createOrganization(api, owner.token);
    const robot = await createRobot(api, owner.token, { type: 'organization', id: orgId }, ['administrator']);
    const path = `${V}/access/organization/${orgId}/users/${owner.userId}/roles/administrator`;
    // A managesAccess route: idempotent add of a role already held.
    for (let i = 0; i < 2; i++) expect((await api('PUT', path, { token: robot.token })).status).toBe(200);
    const policy = await api('PATCH', `${V}/organizations/${orgId}/policies`, {
      token: owner.token,
      body: { robotsMayManageMembers: false },
    });
    expect(policy.status).toBe(200);
    expectErrorEnvelope(await api('PUT', path, { token: robot.token }), 403, 'robots_may_not_manage_members');
  });

  it('the member list and project view show a new member on the next request', async () => {
    await warm(usersOf(projectId), owner.token);
    await warm(`${V}/projects/${projectId}`, owner.token);
    const user = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, user.userId, ['viewer']);
    const list = await api('GET', `${usersOf(projectId)}?limit=500`, { token: owner.token });
    expect(list.body.data.map((u: { sanityUserId: string }) => u.sanityUserId)).toContain(user.userId);
    const project = await api('GET', `${V}/projects/${projectId}`, { token: user.token });
    const mine = project.body.members.find((m: { id: string }) => m.id === user.userId);
    expect(mine).toMatchObject({ isCurrentUser: true, isRobot: false });
    const ownerView = await api('GET', `${V}/projects/${projectId}`, { token: owner.token });
    expect(ownerView.body.members.find((m: { id: string }) => m.id === user.userId).isCurrentUser).toBe(false);
    expect(ownerView.body.members.find((m: { id: string }) => m.id === owner.userId).isCurrentUser).toBe(true);
  });
});

describe('a warm cache hit reads no database', () => {
  it('users/me, /check and the member list are answered from memory', async () => {
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const paths = [
      `${V}/users/me`,
      `${V}/access/project/${projectId}/user-permissions/me/check?permissions=sanity.project.members.read`,
      `${usersOf(projectId)}?limit=50`,
      `${V}/projects/${projectId}`,
    ];
    for (const path of paths) await warm(path, robot.token);
    await server.running.services.bookkeeping.flush();
    const db = server.running.store.db;
    const executor = db.getExecutor();
    let queries = 0;
    const original = executor.executeQuery.bind(executor);
    executor.executeQuery = ((...args: Parameters<typeof original>) => {
      queries++;
      return original(...args);
    }) as typeof executor.executeQuery;
    try {
      for (const path of paths) expect((await api('GET', path, { token: robot.token })).status).toBe(200);
    } finally {
      executor.executeQuery = original;
    }
    expect(queries).toBe(0);
  });
});

describe('bookkeeping', () => {
  it('lastUsedAt is written in the background, and pending values are written on graceful shutdown', async () => {
    // A second node whose background writes never come on their own: only shutdown writes them.
    const node = await startTestServer({ sameDatabaseAs: server, bookkeepingFlushMs: 3_600_000 });
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const tokenRow = () =>
      server.running.store.db
        .selectFrom('tokens')
        .select(['last_used_at', 'last_used_ip'])
        .where('principal_id', '=', robot.id)
        .executeTakeFirstOrThrow();
    // users/me reads no bookkeeping, so nothing makes the node write it early.
    expect((await apiClient(node.url)('GET', `${V}/users/me`, { token: robot.token })).status).toBe(200);
    expect(node.running.services.bookkeeping.pending).toBeGreaterThan(0);
    expect((await tokenRow()).last_used_at).toBeNull();
    await node.close();
    const row = await tokenRow();
    expect(row.last_used_at).not.toBeNull();
    expect(row.last_used_ip).toMatch(/127\.0\.0\.1/);
  });

  it(`never deadlocks with a rotation${TEST_DIALECT === 'postgres' ? ', which locks the same tokens in the other order' : ''}`, async () => {
    // A node that writes its notes only when told, and notes every use.
    const node = await startTestServer({ sameDatabaseAs: server, bookkeepingFlushMs: 3_600_000, lastUsedWriteIntervalMs: 0 });
    const nodeApi = apiClient(node.url);
    const rotate = (token: string) =>
      nodeApi('POST', `${V}/access/robots/me/rotate`, { token, body: { gracePeriodSeconds: 300 } });
    const use = async (token: string) => expect((await nodeApi('GET', `${V}/users/me`, { token })).status).toBe(200);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    try {
      const first = await rotate(robot.token);
      expect(first.status, first.text).toBe(200);
      let oldest = robot.token;
      let newest: string = first.body.token;

      if (server.database.dialect === 'postgres') {
        // The flush notes the old token, then the new one. Another transaction locks them the
        // other way round, as a rotation of the new token does: the new one (its replacement),
        // then the old one (ended at once). One transaction for the whole flush deadlocked here,
        // and PostgreSQL broke it after a second by failing one of the two.
        await use(oldest);
        await use(newest);
        const other = new pg.Client({ connectionString: node.databaseUrl });
        await other.connect();
        try {
          await other.query('BEGIN');
          await other.query('UPDATE tokens SET revoked_at = revoked_at WHERE id = $1', [first.body.tokenId]);
          const flushed = node.running.services.bookkeeping.flush();
          const waiting = async () =>
            Number(
              (
                await other.query(
                  "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                )
              ).rows[0].n,
            );
          const deadline = Date.now() + 10_000;
          while ((await waiting()) === 0) {
            if (Date.now() > deadline) throw new Error('the flush never reached the locked token');
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          await other.query('UPDATE tokens SET revoked_at = revoked_at WHERE id = $1', [robot.tokenId]);
          await other.query('COMMIT');
          await flushed;
        } finally {
          await other.end();
        }
        expect(node.running.services.bookkeeping.pending).toBe(0);
      }

      // Rotations and flushes, at once, over and over: each rotation ends the oldest token.
      for (let round = 0; round < 10; round++) {
        await use(oldest);
        await use(newest);
        const [rotated] = await Promise.all([rotate(newest), node.running.services.bookkeeping.flush()]);
        expect(rotated.status, rotated.text).toBe(200);
        oldest = newest;
        newest = rotated.body.token;
      }
      await node.running.services.bookkeeping.flush();
      const rows = await server.running.store.db
        .selectFrom('tokens')
        .select(['last_used_at', 'revoked_at'])
        .where('principal_id', '=', robot.id)
        .execute();
      expect(rows).toHaveLength(12);
      // Every token but the newest was used, and at most two work.
      expect(rows.filter((row) => row.last_used_at !== null)).toHaveLength(11);
      expect(rows.filter((row) => row.revoked_at === null)).toHaveLength(1);
      expect(node.running.services.bookkeeping.failures).toBe(0);
    } finally {
      await node.close();
    }
  });
});
