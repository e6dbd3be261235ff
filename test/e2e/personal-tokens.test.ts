/**
 * Personal tokens (docs/identity.md, "Personal tokens"): their lifetimes under a controllable
 * clock, `GET /auth/id`, logging out, a user's own token list and revoking one, and the operator's
 * `gatehouse admin revoke-tokens` / `disable-user` / `enable-user`, run through the real CLI binary
 * against this server's database. Every revocation bites on the very next request.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, runCli } from '../support/cli.js';
import { createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, type ApiResponse, apiClient, startTestServer, type TestServer } from '../support/server.js';

const DAY = 86_400_000;
const LIFETIME_DAYS = 30;

let server: TestServer;
let api: Api;

/** The sources the admin commands run, compiled: they must not be older than the build. */
const ADMIN_SOURCES = [
  'cli/commands/admin.ts',
  'services/bootstrap.ts',
  'services/login/sessions.ts',
  'store/tokens.ts',
  'store/users.ts',
];

/** Fails with a clear message instead of testing yesterday's build. */
function assertBuilt(): void {
  const stale = ADMIN_SOURCES.filter((file) => {
    const built = join(ROOT, 'dist', file.replace(/\.ts$/, '.js'));
    return !existsSync(built) || statSync(built).mtimeMs < statSync(join(ROOT, 'src', file)).mtimeMs;
  });
  if (stale.length > 0)
    throw new Error(`dist/ is older than ${stale.map((f) => `src/${f}`).join(', ')}: run \`npm run build\` first`);
}

/** `gatehouse admin …` on this server's database, as an operator runs it. */
function admin(args: string[], env: Record<string, string> = {}) {
  return runCli(
    ['admin', ...args, '--database-url', server.databaseUrl],
    cleanEnv({ GATEHOUSE_SECRET: server.secret, GATEHOUSE_LOG_LEVEL: 'silent', ...env }),
  );
}

/**
 * A login as the providers end one: a flow, its single-use sid (`services.login.finish`), then the
 * personal token from `GET /auth/fetch`, as the CLI collects it.
 */
async function login(userId: string, label = 'laptop / Linux') {
  const services = server.running.services;
  const origin = 'http://127.0.0.1:4321/callback';
  const flowId = await services.login.startFlow({ provider: 'sanity', origin, type: 'token', label });
  const flow = await services.login.takeFlow(flowId, 'sanity');
  const target = await services.login.finish({
    flow,
    userId,
    source: 'password',
    organizationId: null,
    lifetimeDays: server.running.deps.identity.personalTokenLifetimeDays,
  });
  const sid = new URL(target).searchParams.get('sid');
  const res = await api('GET', `/v1/auth/fetch?sid=${sid}`);
  return res;
}

async function loginToken(userId: string, label?: string): Promise<string> {
  const res = await login(userId, label);
  expect(res.status, res.text).toBe(200);
  return res.body.token;
}

async function auditActions(targetId: string): Promise<{ action: string; actor_kind: string }[]> {
  return server.running.store.db
    .selectFrom('audit_events')
    .select(['action', 'actor_kind'])
    .where('target_id', '=', targetId)
    .orderBy('id')
    .execute();
}

beforeAll(async () => {
  assertBuilt();
  server = await startTestServer({ identity: { personalTokenLifetimeDays: LIFETIME_DAYS } });
  api = apiClient(server.url);
});

afterAll(async () => {
  await server?.close();
});

describe('lifetimes', { timeout: 60_000 }, () => {
  it('a token from `admin create-user` lasts GATEHOUSE_TOKEN_LIFETIME_DAYS, then 401 token_expired', async () => {
    const run = await admin(['create-user', '--email', 'lifetime@example.com', '--json'], {
      GATEHOUSE_TOKEN_LIFETIME_DAYS: String(LIFETIME_DAYS),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { token, userId } = JSON.parse(run.stdout) as { token: string; userId: string };

    const id = await api('GET', `${V}/auth/id`, { token });
    expect(id.status, id.text).toBe(200);
    expect(id.body.id).toBe(userId);
    const expectedExpiry = (Date.now() + LIFETIME_DAYS * DAY) / 1000;
    expect(Math.abs(id.body.expiry - expectedExpiry)).toBeLessThan(120);

    server.advance(LIFETIME_DAYS * DAY - 60 * 60_000);
    try {
      expect((await api('GET', `${V}/users/me`, { token })).status).toBe(200);
      server.advance(2 * 60 * 60_000);
      const expired = await api('GET', `${V}/users/me`, { token });
      expectErrorEnvelope(expired, 401, 'token_expired');
      expect(expired.body.message).toBe('Session is expired, please re-authenticate');
    } finally {
      server.advance(-(LIFETIME_DAYS * DAY + 60 * 60_000));
    }
  });

  it('without the setting, `admin create-user` gives a year', async () => {
    const run = await admin(['create-user', '--email', 'year@example.com', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { token } = JSON.parse(run.stdout) as { token: string };
    const id = await api('GET', `${V}/auth/id`, { token });
    expect(Math.abs(id.body.expiry - (Date.now() + 365 * DAY) / 1000)).toBeLessThan(120);
  });

  it('a token from a login lasts the configured personal token lifetime, then 401 token_expired', async () => {
    const user = await server.createUser();
    const fetched = await login(user.userId);
    expect(fetched.status, fetched.text).toBe(200);
    expect(Date.parse(fetched.body.expiresAt) - Date.now()).toBeGreaterThan(LIFETIME_DAYS * DAY - 120_000);
    expect(Date.parse(fetched.body.expiresAt) - Date.now()).toBeLessThan(LIFETIME_DAYS * DAY + 120_000);
    const token = fetched.body.token as string;

    server.advance(LIFETIME_DAYS * DAY - 60 * 60_000);
    try {
      expect((await api('GET', `${V}/auth/id`, { token })).status).toBe(200);
      server.advance(2 * 60 * 60_000);
      const expired = await api('GET', `${V}/auth/id`, { token });
      expectErrorEnvelope(expired, 401, 'token_expired');
      expect(expired.body.reason.expiredAt).toBe(fetched.body.expiresAt);
    } finally {
      server.advance(-(LIFETIME_DAYS * DAY + 60 * 60_000));
    }
  });
});

describe('GET /auth/id', () => {
  it('answers a user with their id and the token’s expiry in unix seconds', async () => {
    const user = await server.createUser();
    const fetched = await login(user.userId);
    const res = await api('GET', `/vX/auth/id`, { token: fetched.body.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id: user.userId, expiry: Math.floor(Date.parse(fetched.body.expiresAt) / 1000) });
  });

  it('answers a robot with its id, and expiry null or the robot’s own expiry', async () => {
    const owner = await server.createUser();
    const projectId = await createProject(api, owner.token, 'Robots for /auth/id');
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    expect((await api('GET', `${V}/auth/id`, { token: robot.token })).body).toEqual({ id: robot.id, expiry: null });

    const expiresAt = new Date(Date.now() + 3 * DAY).toISOString();
    const expiring = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: {
        label: 'expiring',
        expiresAt,
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
      },
    });
    expect(expiring.status, expiring.text).toBe(201);
    const res = await api('GET', `${V}/auth/id`, { token: expiring.body.token });
    expect(res.body).toEqual({ id: expiring.body.id, expiry: Math.floor(Date.parse(expiresAt) / 1000) });
  });

  it('is 401 without a token', async () => {
    const res = await api('GET', `${V}/auth/id`);
    expectErrorEnvelope(res, 401, 'missing_token');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });
});

describe('POST /auth/logout', () => {
  it('revokes the caller’s token on the next request; a second logout with it is 401', async () => {
    const user = await server.createUser();
    const token = await loginToken(user.userId);
    const other = await loginToken(user.userId, 'other device');

    const res = await api('POST', `${V}/auth/logout`, { token });
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe('');
    const cleared = res.headers.getSetCookie();
    expect(cleared).toEqual(
      expect.arrayContaining([expect.stringMatching(/^gatehouse_session=; Max-Age=0; Path=\/; SameSite=Lax; HttpOnly$/)]),
    );
    expect(cleared).toEqual(expect.arrayContaining([expect.stringMatching(/^gatehouse_csrf=; Max-Age=0;/)]));

    expectErrorEnvelope(await api('GET', `${V}/users/me`, { token }), 401, 'token_revoked');
    expectErrorEnvelope(await api('POST', `${V}/auth/logout`, { token }), 401, 'token_revoked');
    // Only that session ended.
    expect((await api('GET', `${V}/users/me`, { token: other })).status).toBe(200);

    const tokenId = (await api('GET', `${V}/auth/tokens`, { token: other })).body.data.map((t: { id: string }) => t.id);
    expect(tokenId).toHaveLength(2); // the create-user token and `other`
    expect(await auditActions(user.userId)).toEqual(expect.arrayContaining([{ action: 'user.logout', actor_kind: 'user' }]));
  });

  it('is 204 without a token: nothing to end', async () => {
    const res = await api('POST', `${V}/auth/logout`);
    expect(res.status, res.text).toBe(204);
  });

  it('refuses a robot with 403 robot_logout: delete or rotate the robot instead; the robot keeps working', async () => {
    const owner = await server.createUser();
    const projectId = await createProject(api, owner.token, 'Robot logout');
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const res = await api('POST', `${V}/auth/logout`, { token: robot.token });
    expectErrorEnvelope(res, 403, 'robot_logout');
    expect(res.body.message).toBe('Robots are not allowed');
    expect(res.body.reason.hint).toMatch(/delete the robot/);
    expect(res.body.reason.hint).toMatch(/rotate/);
    expect((await api('GET', `${V}/auth/id`, { token: robot.token })).status).toBe(200);

    // `explain` predicts the same answer from the route table.
    const explained = await api('GET', `${V}/access/explain?method=POST&path=${encodeURIComponent(`${V}/auth/logout`)}`, {
      token: robot.token,
    });
    expect(explained.body).toMatchObject({ allowed: false, status: 403, reason: { code: 'robot_logout' } });
  });
});

describe('your own personal tokens', () => {
  it('lists the tokens that still work, newest first, marking the current one and showing no secret', async () => {
    const user = await server.createUser();
    // A second apart each, so "newest first" is one order.
    server.advance(1000);
    const second = await loginToken(user.userId, 'second');
    server.advance(1000);
    const third = await loginToken(user.userId, 'third');
    server.advance(-2000);
    const gone = await loginToken(user.userId, 'logged out');
    expect((await api('POST', `${V}/auth/logout`, { token: gone })).status).toBe(204);

    const res = await api('GET', `${V}/auth/tokens`, { token: second });
    expect(res.status, res.text).toBe(200);
    expect(res.body.totalCount).toBe(3);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data.map((t: { label: string }) => t.label)).toEqual(['third', 'second', 'gatehouse admin create-user']);
    expect(res.body.data.map((t: { current: boolean }) => t.current)).toEqual([false, true, false]);
    for (const item of res.body.data) {
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'current', 'expiresAt', 'id', 'label', 'lastUsedAt', 'source']);
    }
    expect(res.body.data[0].source).toBe('password');
    expect(res.body.data[2].source).toBe('admin');
    for (const secret of [user.token, second, third, gone]) expect(res.text).not.toContain(secret.slice(9));

    // Pages of one, by cursor, cover the same list.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse<{ data: { id: string }[]; nextCursor: string | null }> = await api(
        'GET',
        `${V}/auth/tokens?limit=1${cursor ? `&nextCursor=${cursor}` : ''}`,
        {
          token: second,
        },
      );
      expect(page.status, page.text).toBe(200);
      seen.push(...page.body.data.map((t) => t.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null && seen.length < 10);
    expect(seen).toEqual(res.body.data.map((t: { id: string }) => t.id));

    expectErrorEnvelope(await api('GET', `${V}/auth/tokens?nextCursor=bogus`, { token: second }), 400, 'invalid_input');
    // Unknown query parameters are ignored, as on every list (docs/concepts.md, compatibility notes).
    expect((await api('GET', `${V}/auth/tokens?extra=1`, { token: second })).status).toBe(200);
  });

  it('revokes one of them on the next request; another user’s, a robot’s or an unknown id is 404 alike', async () => {
    const user = await server.createUser();
    const keep = await loginToken(user.userId, 'keep');
    const drop = await loginToken(user.userId, 'drop');
    const list = await api('GET', `${V}/auth/tokens`, { token: keep });
    const dropId = list.body.data.find((t: { label: string }) => t.label === 'drop').id as string;

    const res = await api('DELETE', `${V}/auth/tokens/${dropId}`, { token: keep });
    expect(res.status, res.text).toBe(204);
    expectErrorEnvelope(await api('GET', `${V}/users/me`, { token: drop }), 401, 'token_revoked');
    expect((await api('GET', `${V}/users/me`, { token: keep })).status).toBe(200);
    expect(await auditActions(dropId)).toEqual([{ action: 'user.token.revoke', actor_kind: 'user' }]);
    // Once more: it already stopped working, nothing changes.
    expect((await api('DELETE', `${V}/auth/tokens/${dropId}`, { token: keep })).status).toBe(204);
    expect(await auditActions(dropId)).toHaveLength(1);

    // Somebody else cannot see or revoke it.
    const stranger = await server.createUser();
    const theirs = await api('GET', `${V}/auth/tokens`, { token: stranger.token });
    expect(theirs.body.data.map((t: { id: string }) => t.id)).not.toContain(dropId);
    const keepId = list.body.data.find((t: { label: string }) => t.label === 'keep').id as string;
    const refused = await api('DELETE', `${V}/auth/tokens/${keepId}`, { token: stranger.token });
    expectErrorEnvelope(refused, 404, 'not_found');
    expect(refused.body.message).toBe(`Token not found: ${keepId}`);
    const unknown = await api('DELETE', `${V}/auth/tokens/tnosuchtoken0`, { token: stranger.token });
    expectErrorEnvelope(unknown, 404, 'not_found');
    expect(unknown.body.reason.hint).toBe(refused.body.reason.hint);
    expect((await api('GET', `${V}/users/me`, { token: keep })).status).toBe(200);

    const projectId = await createProject(api, user.token, 'Robot tokens are not personal');
    const robot = await createRobot(api, user.token, { type: 'project', id: projectId }, ['viewer']);
    expectErrorEnvelope(await api('DELETE', `${V}/auth/tokens/${robot.tokenId}`, { token: keep }), 404, 'not_found');
    expect((await api('GET', `${V}/auth/id`, { token: robot.token })).status).toBe(200);
  });

  it('robots have no personal tokens to list or revoke', async () => {
    const owner = await server.createUser();
    const projectId = await createProject(api, owner.token, 'Robot lists');
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    expectErrorEnvelope(await api('GET', `${V}/auth/tokens`, { token: robot.token }), 403, 'principal_not_accepted');
    expectErrorEnvelope(
      await api('DELETE', `${V}/auth/tokens/${robot.tokenId}`, { token: robot.token }),
      403,
      'principal_not_accepted',
    );
    expectErrorEnvelope(await api('GET', `${V}/auth/tokens`), 401, 'missing_token');
  });
});

describe('operator commands', { timeout: 60_000 }, () => {
  it('`admin revoke-tokens` ends every personal token of a user on the next request', async () => {
    const user = await server.createUser('revoke-me@example.com');
    const second = await loginToken(user.userId);
    const bystander = await server.createUser();

    const run = await admin(['revoke-tokens', '--email', 'Revoke-Me@Example.com']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Revoked 2 personal tokens of user ${user.userId} <revoke-me@example.com>`);
    for (const token of [user.token, second]) {
      expectErrorEnvelope(await api('GET', `${V}/users/me`, { token }), 401, 'token_revoked');
    }
    expect((await api('GET', `${V}/users/me`, { token: bystander.token })).status).toBe(200);
    expect(await auditActions(user.userId)).toEqual(
      expect.arrayContaining([{ action: 'user.tokens.revoke', actor_kind: 'system' }]),
    );

    // The user logs in again; a second run with --json counts that one.
    await loginToken(user.userId);
    const again = await admin(['revoke-tokens', '--email', 'revoke-me@example.com', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ userId: user.userId, email: 'revoke-me@example.com', revokedTokens: 1 });
    const none = await admin(['revoke-tokens', '--email', 'revoke-me@example.com']);
    expect(none.stdout).toContain('nothing to revoke');
  });

  it('`admin disable-user` kills every token on the next request and stops logins; `enable-user` lets them log in again', async () => {
    const user = await server.createUser('disable-me@example.com');
    const session = await loginToken(user.userId);

    const run = await admin(['disable-user', '--email', 'disable-me@example.com']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Disabled user ${user.userId} <disable-me@example.com>; revoked 2 personal tokens.`);
    for (const token of [user.token, session]) {
      expectErrorEnvelope(await api('GET', `${V}/users/me`, { token }), 401, 'token_revoked');
    }
    // A login that reached its end anyway cannot collect a token.
    expectErrorEnvelope(await login(user.userId), 401, 'invalid_sid');

    const twice = await admin(['disable-user', '--email', 'disable-me@example.com', '--json']);
    expect(JSON.parse(twice.stdout)).toMatchObject({ userId: user.userId, disabled: true, changed: false });

    const enabled = await admin(['enable-user', '--email', 'disable-me@example.com', '--json']);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(JSON.parse(enabled.stdout)).toEqual({
      userId: user.userId,
      email: 'disable-me@example.com',
      disabled: false,
      disabledAt: null,
      changed: true,
    });
    const fresh = await loginToken(user.userId);
    expect((await api('GET', `${V}/users/me`, { token: fresh })).status).toBe(200);
    // Old sessions stay dead.
    expectErrorEnvelope(await api('GET', `${V}/users/me`, { token: session }), 401, 'token_revoked');
    const actions = (await auditActions(user.userId)).map((e) => `${e.actor_kind}:${e.action}`);
    expect(actions).toEqual(expect.arrayContaining(['system:user.disable', 'system:user.enable']));
  });

  it('an unknown address is an error that says so, and changes nothing', async () => {
    for (const command of ['revoke-tokens', 'disable-user', 'enable-user']) {
      const run = await admin([command, '--email', 'nobody@example.com']);
      expect(run.code, command).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^gatehouse: User not found: nobody@example.com/);
    }
    const bad = await admin(['disable-user', '--email', 'not-an-address']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid e-mail address/);
  });

  it('never logged a token', () => {
    expect(server.logs()).not.toMatch(/gth_(user|robot)_[0-9A-Za-z]{20}/);
  });
});

describe('the optional inactivity timeout (GATEHOUSE_TOKEN_IDLE_TIMEOUT_MINUTES)', () => {
  const MINUTE = 60_000;
  let idle: TestServer;
  let idleApi: Api;

  beforeAll(async () => {
    idle = await startTestServer({ identity: { tokenIdleTimeoutMinutes: 15 } });
    idleApi = apiClient(idle.url);
  });

  afterAll(async () => {
    await idle?.close();
  });

  it('a personal token used now and then lives on; one left unused for 15 minutes is refused: 401 token_inactive', async () => {
    const user = await idle.createUser();
    const me = () => idleApi('GET', `${V}/users/me/grants`, { token: user.token });
    expect((await me()).status).toBe(200);
    try {
      // Used every 10 minutes, it never goes idle.
      for (let i = 0; i < 3; i++) {
        idle.advance(10 * MINUTE);
        expect((await me()).status).toBe(200);
      }
      idle.advance(16 * MINUTE);
      const refused = await me();
      expectErrorEnvelope(refused, 401, 'token_inactive');
      expect(refused.body.message).toBe('Session is expired, please re-authenticate');
      expect(refused.body.reason).toMatchObject({ idleMinutes: 15 });
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="invalid_token"');
    } finally {
      // Tokens made next are made on the real clock: put the server's back.
      idle.advance(-46 * MINUTE);
    }
  });

  it('counts uses on every node: a token in use on one node is not refused as idle by another', async () => {
    const other = await startTestServer({ sameDatabaseAs: idle, identity: { tokenIdleTimeoutMinutes: 15 } });
    const otherApi = apiClient(other.url);
    const user = await idle.createUser();
    const on = (nodeApi: Api) => nodeApi('GET', `${V}/users/me/grants`, { token: user.token });
    const both = (ms: number) => {
      idle.advance(ms);
      other.advance(ms);
    };
    let moved = 0;
    try {
      // Both nodes know the token (the other one caches it, with this use as its latest).
      expect((await on(idleApi)).status).toBe(200);
      expect((await on(otherApi)).status).toBe(200);
      // Used on the first node only, ten minutes later; its bookkeeping writes the use.
      both(10 * MINUTE);
      moved += 10 * MINUTE;
      expect((await on(idleApi)).status).toBe(200);
      await idle.running.services.bookkeeping.flush();
      // Twenty minutes after the other node last saw it, ten after its last use: it works there too.
      both(10 * MINUTE);
      moved += 10 * MINUTE;
      expect((await on(otherApi)).status).toBe(200);
      // Unused anywhere for 16 minutes: refused on both.
      both(16 * MINUTE);
      moved += 16 * MINUTE;
      expectErrorEnvelope(await on(otherApi), 401, 'token_inactive');
      expectErrorEnvelope(await on(idleApi), 401, 'token_inactive');
    } finally {
      both(-moved);
      await other.close();
    }
  });

  it('a token never used is idle from its creation; robot tokens have no inactivity timeout', async () => {
    const owner = await idle.createUser();
    const projectId = await createProject(idleApi, owner.token, 'Idle');
    const robot = await createRobot(idleApi, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const unused = await idle.createUser();
    idle.advance(60 * MINUTE);
    try {
      expectErrorEnvelope(await idleApi('GET', `${V}/users/me/grants`, { token: unused.token }), 401, 'token_inactive');
      expect((await idleApi('GET', `${V}/access/project/${projectId}/users`, { token: robot.token })).status).toBe(200);
    } finally {
      idle.advance(-60 * MINUTE);
    }
  });

  it('without the setting there is no inactivity timeout', async () => {
    const user = await server.createUser();
    server.advance(24 * 60 * MINUTE);
    try {
      expect((await api('GET', `${V}/users/me/grants`, { token: user.token })).status).toBe(200);
    } finally {
      server.advance(-24 * 60 * MINUTE);
    }
  });
});
