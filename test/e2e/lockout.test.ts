/**
 * Abuse limits that cannot be turned against the victim, and that hold across nodes.
 *
 * As found: five wrong passwords from an attacker's address locked the real owner out from every
 * address for the whole window, `PUT /users/me/password` never counted failures (a stolen token
 * could guess the password without limit, each miss locking the owner out), and every node counted
 * alone. Now (services/rate-limits.ts):
 *
 * - failures count per (account, address) and per address: the attacker's address is refused, the
 *   owner at another address is not;
 * - an account guessed at from many addresses slows down for addresses that have failed, never for
 *   a clean one;
 * - the current password of `PUT /users/me/password` is counted like a login;
 * - a warning is logged at 80 % of a limit;
 * - with the database store (the default on PostgreSQL) two nodes enforce one limit.
 *
 * The server believes X-Forwarded-For here, so one test plays clients at several addresses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/services/login/password-hash.js';
import { setPasswordHash } from '../../src/store/users.js';
import { TEST_DIALECT } from '../support/database.js';
import { expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, type ApiResponse, apiClient, startTestServer, type TestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery staple';
const CALLBACK = 'http://127.0.0.1:4321/callback';
const LIMITS = {
  loginFailuresPerAccount: 5,
  loginFailuresPerIp: 20,
  loginWindowSeconds: 900,
  accountSlowdownAfter: 10,
  accountSlowdownSeconds: 30,
  tokenFailuresPerIp: 5,
  tokenWindowSeconds: 60,
};

let server: TestServer;
let api: Api;
let addressCounter = 0;

/** A client address nobody used yet (TEST-NET-2), so every test starts clean. */
function freshAddress(): string {
  addressCounter += 1;
  return `198.51.100.${addressCounter}`;
}

beforeAll(async () => {
  server = await startTestServer({ trustProxy: true, identity: { rateLimits: LIMITS } });
  api = apiClient(server.url);
});

afterAll(async () => {
  await server?.close();
});

async function owner(email: string): Promise<{ userId: string; token: string }> {
  const user = await server.createUser(email);
  await setPasswordHash(server.running.store.db, user.userId, await hashPassword(PASSWORD), new Date().toISOString());
  return user;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely.
async function login(client: Api, email: string, password: string, from: string): Promise<ApiResponse<any>> {
  const page = await client('GET', `/v1/auth/login/sanity?origin=${encodeURIComponent(CALLBACK)}`, {
    headers: { 'x-forwarded-for': from },
  });
  const flow = /name="flow" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  return client('POST', '/v1/auth/login/sanity', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
    rawBody: new URLSearchParams({ flow, email, password }).toString(),
  });
}

describe('the owner is never locked out by somebody else’s failures', () => {
  it('five wrong passwords from the attacker’s address: that address waits for this account, the owner elsewhere logs in', async () => {
    await owner('lock@lockout.example');
    const attacker = freshAddress();
    for (let i = 0; i < LIMITS.loginFailuresPerAccount; i++) {
      expectErrorEnvelope(await login(api, 'lock@lockout.example', `guess ${i}`, attacker), 401, 'invalid_credentials');
    }
    const blocked = await login(api, 'lock@lockout.example', PASSWORD, attacker);
    expectErrorEnvelope(blocked, 429, 'rate_limited');
    expect(blocked.body.reason).toMatchObject({ scope: 'account', limit: LIMITS.loginFailuresPerAccount });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);

    const home = await login(api, 'lock@lockout.example', PASSWORD, freshAddress());
    expect(home.status, home.text).toBe(303);
    // The attacker's address may still try other accounts, up to its own limit.
    expectErrorEnvelope(await login(api, 'other@lockout.example', 'guess', attacker), 401, 'invalid_credentials');
  });

  it('guesses spread over many addresses slow the account down for addresses that failed, never for a clean one', async () => {
    await owner('spread@lockout.example');
    const botnet = Array.from({ length: LIMITS.accountSlowdownAfter }, () => freshAddress());
    for (const address of botnet) {
      expectErrorEnvelope(await login(api, 'spread@lockout.example', 'one guess each', address), 401, 'invalid_credentials');
    }
    // A second guess from an address that failed: one per 30 seconds for all of them together.
    expectErrorEnvelope(
      await login(api, 'spread@lockout.example', 'second guess', botnet[0] as string),
      401,
      'invalid_credentials',
    );
    const slowed = await login(api, 'spread@lockout.example', 'third guess', botnet[1] as string);
    expectErrorEnvelope(slowed, 429, 'rate_limited');
    expect(slowed.body.reason).toMatchObject({ scope: 'account_slowdown' });
    expect(Number(slowed.headers.get('retry-after'))).toBeLessThanOrEqual(LIMITS.accountSlowdownSeconds);
    // Even the right password from a failed address waits its turn…
    expectErrorEnvelope(await login(api, 'spread@lockout.example', PASSWORD, botnet[2] as string), 429, 'rate_limited');
    // …but the owner at a clean address is never slowed down.
    const home = await login(api, 'spread@lockout.example', PASSWORD, freshAddress());
    expect(home.status, home.text).toBe(303);
    // After the interval, one more attempt from a failed address.
    server.advance(LIMITS.accountSlowdownSeconds * 1000 + 1000);
    expectErrorEnvelope(
      await login(api, 'spread@lockout.example', 'later guess', botnet[3] as string),
      401,
      'invalid_credentials',
    );
  });

  it('one address is refused after 20 failures across accounts', async () => {
    const attacker = freshAddress();
    for (let i = 0; i < LIMITS.loginFailuresPerIp; i++) {
      expectErrorEnvelope(await login(api, `nobody-${i}@lockout.example`, 'guess', attacker), 401, 'invalid_credentials');
    }
    const refused = await login(api, 'nobody-else@lockout.example', 'guess', attacker);
    expectErrorEnvelope(refused, 429, 'rate_limited');
    expect(refused.body.reason.scope).toBe('ip');
  });
});

describe('PUT /users/me/password is counted like a login', () => {
  it('a stolen token cannot guess the current password without limit, and its misses do not lock the owner out', async () => {
    const user = await owner('stolen@lockout.example');
    const attacker = freshAddress();
    const change = (current: string, from: string) =>
      api('PUT', `${V}/users/me/password`, {
        token: user.token,
        headers: { 'x-forwarded-for': from },
        body: { currentPassword: current, newPassword: 'the attacker would set this one' },
      });
    for (let i = 0; i < LIMITS.loginFailuresPerAccount; i++) {
      expectErrorEnvelope(await change(`guess ${i}`, attacker), 403, 'invalid_current_password');
    }
    const limited = await change(PASSWORD, attacker);
    expectErrorEnvelope(limited, 429, 'rate_limited');
    expect(limited.body.reason.scope).toBe('account');
    // The password did not change, and the owner logs in from home.
    const home = await login(api, 'stolen@lockout.example', PASSWORD, freshAddress());
    expect(home.status, home.text).toBe(303);
  });
});

describe('an early warning at 80 % of a limit', () => {
  it('logs once when an address reaches 4 of its 5 failures for an account', async () => {
    await owner('warned@lockout.example');
    const attacker = freshAddress();
    const warnings = () =>
      server
        .logs()
        .split('\n')
        .filter((line) => line.includes('abuse limit at 80 %') && line.includes(attacker) && line.includes('"scope":"account"'));
    for (let i = 0; i < 3; i++) await login(api, 'warned@lockout.example', `guess ${i}`, attacker);
    expect(warnings()).toHaveLength(0);
    await login(api, 'warned@lockout.example', 'guess 3', attacker);
    expect(warnings()).toHaveLength(1);
    expect(JSON.parse(warnings()[0] as string)).toMatchObject({ level: 40, rateLimit: { scope: 'account', count: 4, limit: 5 } });
    await login(api, 'warned@lockout.example', 'guess 4', attacker);
    expect(warnings()).toHaveLength(1);
    // No e-mail address in the line: the client address and the counts are enough to act on.
    expect(warnings()[0]).not.toContain('warned@lockout.example');
  });
});

describe('two nodes on one database enforce one limit', () => {
  let first: TestServer;
  let second: TestServer;
  let one: Api;
  let two: Api;

  beforeAll(async () => {
    const limits = { ...LIMITS, store: 'database' as const };
    first = await startTestServer({ trustProxy: true, identity: { rateLimits: limits } });
    second = await startTestServer({ sameDatabaseAs: first, trustProxy: true, identity: { rateLimits: limits } });
    one = apiClient(first.url);
    two = apiClient(second.url);
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('PostgreSQL deployments share the counters by default; SQLite keeps them in memory', () => {
    expect(server.running.services.rateLimits.store).toBe(TEST_DIALECT === 'postgres' ? 'database' : 'memory');
    expect(first.running.services.rateLimits.store).toBe('database');
  });

  it('failed logins alternate between the nodes: the limit is reached once, for both', async () => {
    const user = await first.createUser('shared@lockout.example');
    await setPasswordHash(first.running.store.db, user.userId, await hashPassword(PASSWORD), new Date().toISOString());
    const attacker = freshAddress();
    for (let i = 0; i < LIMITS.loginFailuresPerAccount; i++) {
      const node = i % 2 === 0 ? one : two;
      expectErrorEnvelope(await login(node, 'shared@lockout.example', `guess ${i}`, attacker), 401, 'invalid_credentials');
    }
    for (const node of [one, two]) {
      const refused = await login(node, 'shared@lockout.example', PASSWORD, attacker);
      expectErrorEnvelope(refused, 429, 'rate_limited');
      expect(refused.body.reason.scope).toBe('account');
    }
    // The owner, elsewhere, logs in through either node.
    expect((await login(two, 'shared@lockout.example', PASSWORD, freshAddress())).status).toBe(303);
  });

  it('failed token authentications: the second node knows the first one’s count after one more failure at most', async () => {
    const attacker = freshAddress();
    const bad = (node: Api) =>
      node('GET', `${V}/users/me`, { token: `gth_user_${'B'.repeat(49)}`, headers: { 'x-forwarded-for': attacker } });
    for (let i = 0; i < 3; i++) expectErrorEnvelope(await bad(one), 401, 'invalid_token');
    for (let i = 0; i < 2; i++) expectErrorEnvelope(await bad(two), 401, 'invalid_token');
    // The second node counted 5 in the database: it refuses at once.
    await expect.poll(async () => (await bad(two)).status).toBe(429);
    // The first node had counted 3 itself: its next failure brings the database's count home.
    const next = await bad(one);
    expect([401, 429]).toContain(next.status);
    await expect.poll(async () => (await bad(one)).status).toBe(429);
  });
});
