import { randomBytes } from 'node:crypto';
/**
 * Secrets are shown once and never kept: the database holds only keyed digests, the logs hold no
 * token and no Authorization header, and listings show only the last four characters. Plus the
 * bookkeeping around tokens: `lastUsedAt` (throttled writes) and `expiresAt`.
 */
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestToken, generateToken } from '../../src/model/tokens.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const WRITE_INTERVAL_MS = 60_000;

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;
/** Every secret this file ever saw or sent, by name. */
const secrets = new Map<string, string>();
type CreatedRobot = { id: string; token: string; tokenId: string; tokenHint: string; lastUsedAt: string | null };
let viewer: CreatedRobot;
let developer: CreatedRobot;
let legacy: { id: string; key: string };
/** How far the server's clock has been moved ahead of the real one. */
let skew = 0;

function advance(ms: number): void {
  server.advance(ms);
  skew += ms;
}

function serverNow(): number {
  return Date.now() + skew;
}

/** A token with one character changed: still the right shape, but the checksum no longer matches. */
function tamper(token: string): string {
  const i = token.length - 10;
  const swapped = token[i] === 'a' ? 'b' : 'a';
  return token.slice(0, i) + swapped + token.slice(i + 1);
}

async function createRobot(label: string, roleName: string, extra: Record<string, unknown> = {}): Promise<CreatedRobot> {
  const res = await api('POST', `/v2025-01-09/access/projects/${projectId}/robots`, {
    token: owner.token,
    body: { label, memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: [roleName] }], ...extra },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

beforeAll(async () => {
  server = await startTestServer({ lastUsedWriteIntervalMs: WRITE_INTERVAL_MS });
  api = apiClient(server.url);
  owner = await server.createUser('secret-keeper@example.com', 'Sam Secret');
  secrets.set('user bootstrap token', owner.token);
  const project = await api('POST', '/v2025-01-09/projects', { token: owner.token, body: { displayName: 'Secrets' } });
  expect(project.status).toBe(201);
  projectId = project.body.id;
});

afterAll(async () => {
  await server?.close();
});

describe('tokens are shown once', () => {
  it('creating robots (Access API and legacy) returns each secret exactly once', async () => {
    viewer = await createRobot('viewer robot', 'viewer');
    developer = await createRobot('developer robot', 'developer');
    secrets.set('viewer robot token', viewer.token);
    secrets.set('developer robot token', developer.token);
    expect(viewer.tokenHint).toBe(viewer.token.slice(-4));

    const res = await api('POST', `/v2025-01-09/projects/${projectId}/tokens`, {
      token: owner.token,
      body: { label: 'legacy token', roleName: 'viewer' },
    });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^gth_robot_[0-9A-Za-z]{49}$/);
    legacy = { id: res.body.id, key: res.body.key };
    secrets.set('legacy key', legacy.key);

    // A robot may create another robot when it holds tokens.create (the developer role does).
    const byRobot = await api('POST', `/v2025-01-09/access/projects/${projectId}/robots`, {
      token: developer.token,
      body: {
        label: 'made by a robot',
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
      },
    });
    expect(byRobot.status).toBe(201);
    secrets.set('robot-created robot token', byRobot.body.token);
    expect(new Set(secrets.values()).size).toBe(secrets.size);
  });

  it('every token works', async () => {
    for (const [name, token] of secrets) {
      const res = await api('GET', `/v2025-01-09/access/projects/${projectId}/users`, { token });
      expect(res.status, name).toBe(200);
    }
  });

  it('a tampered, truncated or never-issued token is refused without echoing it', async () => {
    const attempts = {
      tampered: tamper(viewer.token),
      truncated: viewer.token.slice(0, -1),
      'never issued': generateToken('robot'),
      'tampered user token': tamper(owner.token),
    };
    for (const [name, token] of Object.entries(attempts)) {
      secrets.set(`attempt: ${name}`, token);
      const res = await api('GET', `/v2025-01-09/access/projects/${projectId}/users`, { token });
      expect(res.status, name).toBe(401);
      expect(res.body.message, name).toBe('Session not found');
      expect(res.body.reason.code, name).toBe('invalid_token');
      expect(res.text, name).not.toContain(token);
      expect(res.text, name).not.toContain(token.slice(10, 40));
    }
  });

  it('listings never return a secret, only the last four characters', async () => {
    const reads = [
      { path: `/v2025-01-09/access/projects/${projectId}/robots`, token: owner.token },
      { path: `/v2025-01-09/access/projects/${projectId}/robots`, token: developer.token },
      { path: `/v2025-01-09/access/projects/${projectId}/robots/${viewer.id}`, token: owner.token },
      { path: `/v2025-01-09/projects/${projectId}/tokens`, token: owner.token },
      { path: '/v2025-01-09/access/robots/me', token: viewer.token },
      { path: '/v2025-01-09/users/me', token: viewer.token },
      { path: '/v2025-01-09/users/me', token: owner.token },
      { path: `/v2025-01-09/projects/${projectId}`, token: owner.token },
      { path: `/v2025-01-09/access/projects/${projectId}/users`, token: owner.token },
    ];
    for (const { path, token } of reads) {
      const res = await api('GET', path, { token });
      expect(res.status, path).toBe(200);
      for (const [name, secret] of secrets) {
        expect(res.text, `${path} shows the ${name}`).not.toContain(secret);
        expect(res.text, `${path} shows the body of the ${name}`).not.toContain(secret.slice(10, 40));
      }
    }

    const list = await api('GET', `/v2025-01-09/access/projects/${projectId}/robots`, { token: owner.token });
    expect(list.body.totalCount).toBe(4);
    for (const robot of list.body.data) {
      expect(robot.tokenHint).toMatch(/^[0-9A-Za-z]{4}$/);
      expect(robot).not.toHaveProperty('token');
      expect(robot).not.toHaveProperty('key');
    }
    const hintOf = (id: string) => list.body.data.find((r: { id: string }) => r.id === id).tokenHint;
    expect(hintOf(viewer.id)).toBe(viewer.token.slice(-4));
    expect(hintOf(developer.id)).toBe(developer.token.slice(-4));

    const legacyList = await api('GET', `/v2025-01-09/projects/${projectId}/tokens`, { token: owner.token });
    const entry = legacyList.body.find((t: { id: string }) => t.id === legacy.id);
    expect(entry).toMatchObject({ label: 'legacy token', projectId });
    expect(entry).not.toHaveProperty('key');
  });
});

describe('nothing that authenticates is stored or logged', () => {
  it('the database holds no token, in any form a dump would show', async () => {
    const dump = await dumpDatabase();
    expect(dump.length).toBeGreaterThan(1000);
    // The digests are there (a sanity check that we are looking at the right data)…
    expect(dump).toContain('secret-keeper@example.com');
    const key = server.config.keys[0];
    if (!key) throw new Error('the server has no key');
    for (const token of [owner.token, viewer.token, legacy.key]) expect(dump).toContain(digestToken(token, key));
    // …but no token, nor the random part of one.
    for (const [name, secret] of secrets) {
      expect(dump.includes(secret), `the database contains the ${name}`).toBe(false);
      expect(dump.includes(secret.slice(10, 53)), `the database contains the body of the ${name}`).toBe(false);
    }
  });

  it('the logs hold no token and no Authorization header value', () => {
    const logs = server.logs();
    // The server did log the requests: the check below is not vacuous.
    expect(logs).toContain(`/v2025-01-09/access/projects/${projectId}/users`);
    for (const [name, secret] of secrets) {
      expect(logs.includes(secret), `the logs contain the ${name}`).toBe(false);
      expect(logs.includes(secret.slice(10, 40)), `the logs contain part of the ${name}`).toBe(false);
    }
    expect(logs).not.toMatch(/bearer\s+gth_/i);
    expect(logs).not.toMatch(/"authorization"\s*:\s*"(?!\[redacted\])/i);
    expect(logs).not.toMatch(/gth_(robot|user)_[0-9A-Za-z]{8}/);
  });
});

describe('login credentials in URLs', () => {
  it('sid, code, state and SAML values in a query string are logged as [redacted]', async () => {
    const sid = `sid${randomBytes(16).toString('hex')}`;
    const code = `code${randomBytes(16).toString('hex')}`;
    await api('GET', `/v1/auth/fetch?sid=${sid}`);
    await api('GET', `/v1/auth/callback/oidc/nobody?code=${code}&state=${code}x`);
    const logs = server.logs();
    expect(logs).toContain('/v1/auth/fetch?sid=[redacted]');
    expect(logs).toContain('code=[redacted]&state=[redacted]');
    expect(logs.includes(sid)).toBe(false);
    expect(logs.includes(code)).toBe(false);
  });

  it('a secret in a path (an invitation link) is logged as [redacted]', async () => {
    const invite = `gth_invite_${randomBytes(24).toString('hex').slice(0, 49)}`;
    await api('GET', `/v1/invites/${invite}`);
    const logs = server.logs();
    expect(logs).toContain('/v1/invites/[redacted]');
    expect(logs.includes(invite.slice(11))).toBe(false);
  });
});

describe('lastUsedAt', () => {
  async function robotLastUsed(id: string): Promise<string | null> {
    const res = await api('GET', `/v2025-01-09/access/projects/${projectId}/robots/${id}`, { token: owner.token });
    expect(res.status).toBe(200);
    return res.body.lastUsedAt;
  }

  it('is null until the token is used, then recorded with the caller’s address', async () => {
    const robot = await createRobot('fresh robot', 'viewer');
    secrets.set('fresh robot token', robot.token);
    expect(robot.lastUsedAt).toBeNull();
    expect(await robotLastUsed(robot.id)).toBeNull();

    const before = serverNow();
    expect((await api('GET', '/v2025-01-09/access/robots/me', { token: robot.token })).status).toBe(200);
    const first = await robotLastUsed(robot.id);
    expect(first).not.toBeNull();
    expect(Date.parse(first as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(first as string)).toBeLessThanOrEqual(serverNow() + 1000);

    const row = await server.running.store.db
      .selectFrom('tokens')
      .select(['last_used_at', 'last_used_ip'])
      .where('id', '=', robot.tokenId)
      .executeTakeFirstOrThrow();
    expect(row.last_used_ip).toMatch(/127\.0\.0\.1/);

    // Within the write interval another use changes nothing: the hot path stays a read.
    advance(WRITE_INTERVAL_MS / 2);
    expect((await api('GET', '/v2025-01-09/access/robots/me', { token: robot.token })).status).toBe(200);
    expect(await robotLastUsed(robot.id)).toBe(first);

    // Past the interval the next use is recorded.
    advance(WRITE_INTERVAL_MS);
    const later = serverNow();
    expect((await api('GET', '/v2025-01-09/access/robots/me', { token: robot.token })).status).toBe(200);
    const second = await robotLastUsed(robot.id);
    expect(Date.parse(second as string)).toBeGreaterThan(Date.parse(first as string) + WRITE_INTERVAL_MS);
    expect(Date.parse(second as string)).toBeGreaterThanOrEqual(later - 1000);
  });

  it('the legacy listing shows the same lastUsedAt', async () => {
    const res = await api('GET', `/v2025-01-09/projects/${projectId}/tokens`, { token: owner.token });
    const robot = await robotLastUsed(viewer.id);
    const entry = res.body.find((t: { label: string }) => t.label === 'viewer robot');
    expect(entry.lastUsedAt).toBe(robot);
    expect(entry.lastUsedAt).not.toBeNull();
  });
});

describe('expiresAt', () => {
  it('an expiry in the past (by the server clock) is refused', async () => {
    const res = await api('POST', `/v2025-01-09/access/projects/${projectId}/robots`, {
      token: owner.token,
      body: {
        label: 'already expired',
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
        expiresAt: new Date(serverNow() - 60_000).toISOString(),
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.reason).toMatchObject({ code: 'invalid_input', field: 'expiresAt' });
  });

  it('a robot created to expire in an hour works until then, and gets an explained 401 after', async () => {
    const expiresAt = new Date(serverNow() + 3600_000).toISOString();
    const robot = await createRobot('short-lived', 'viewer', { expiresAt });
    secrets.set('short-lived robot token', robot.token);
    expect(Date.parse((robot as unknown as { expiresAt: string }).expiresAt)).toBe(Date.parse(expiresAt));

    const before = await api('GET', `/v2025-01-09/access/projects/${projectId}/users`, { token: robot.token });
    expect(before.status).toBe(200);

    advance(2 * 3600_000);
    const after = await api('GET', `/v2025-01-09/access/projects/${projectId}/users`, { token: robot.token });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Session is expired, please re-authenticate',
      reason: { code: 'token_expired' },
    });
    expect(after.headers.get('www-authenticate')).toMatch(/^Bearer/);

    // Other tokens are unaffected.
    const other = await api('GET', `/v2025-01-09/access/projects/${projectId}/users`, { token: viewer.token });
    expect(other.status).toBe(200);
  });

  it('still nothing stored or logged after all of the above', async () => {
    const dump = await dumpDatabase();
    const logs = server.logs();
    for (const [name, secret] of secrets) {
      expect(dump.includes(secret), `the database contains the ${name}`).toBe(false);
      expect(logs.includes(secret), `the logs contain the ${name}`).toBe(false);
    }
  });
});

/**
 * Everything a database dump would contain, as one string. SQLite: the raw bytes of the database
 * file and its write-ahead log (free pages included). PostgreSQL: every column of every table,
 * cast to text.
 */
async function dumpDatabase(): Promise<string> {
  const database = server.database;
  if (database.dialect === 'sqlite') {
    const parts = [database.file, `${database.file}-wal`, `${database.file}-journal`]
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file).toString('latin1'));
    return parts.join('\n');
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const columns = await client.query<{ table_name: string; column_name: string }>(
      `select c.table_name, c.column_name
         from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
        order by c.table_name, c.ordinal_position`,
    );
    expect(columns.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['tokens', 'robots', 'users']));
    const out: string[] = [];
    for (const { table_name, column_name } of columns.rows) {
      const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
      const values = await client.query<{ v: string | null }>(
        `select ${quote(column_name)}::text as v from ${quote(table_name)}`,
      );
      for (const row of values.rows) if (row.v !== null) out.push(row.v);
    }
    return out.join('\n');
  } finally {
    await client.end();
  }
}
