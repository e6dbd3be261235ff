/**
 * Abuse limits (R22 in docs/security.md), with a bounded loop against 127.0.0.1 on a server started
 * with small limits: failed token authentications per client address, failed logins per account and
 * per address. Over a limit the answer is 429 with `Retry-After` and the `RateLimit-*` headers,
 * before the credential is looked at (a valid token, a correct password also wait), and moving the
 * clock past the window restores access.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientKey, FixedWindowCounter } from '../../src/model/rate-limit.js';
import { hashPassword } from '../../src/services/login/password-hash.js';
import { setPasswordHash } from '../../src/store/users.js';
import { expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, type ApiResponse, apiClient, startTestServer, type TestServer } from '../support/server.js';

const LIMITS = {
  tokenFailuresPerIp: 5,
  tokenWindowSeconds: 60,
  loginFailuresPerAccount: 3,
  loginFailuresPerIp: 5,
  loginWindowSeconds: 120,
  accountSlowdownAfter: 1_000,
  accountSlowdownSeconds: 30,
};
const CALLBACK = 'http://127.0.0.1:4321/callback';

let server: TestServer;
let api: Api;

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely.
function expectRateLimited(res: ApiResponse<any>, scope: 'ip' | 'account', limit: number, windowSeconds: number) {
  expectErrorEnvelope(res, 429, 'rate_limited');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  expect(res.headers.get('ratelimit-reset')).toBe(String(retryAfter));
  expect(res.body.reason).toMatchObject({ code: 'rate_limited', scope, retryAfterSeconds: retryAfter, limit, windowSeconds });
  expect(res.body.reason.hint).toMatch(/^Wait \d+ seconds/);
}

beforeAll(async () => {
  server = await startTestServer({ identity: { rateLimits: LIMITS } });
  api = apiClient(server.url);
});

afterAll(async () => {
  await server?.close();
});

describe('the fixed-window counter (model/rate-limit.ts)', () => {
  it('allows `limit` events per window, then reports exceeded until the window ends', () => {
    let now = 1_000_000;
    const counter = new FixedWindowCounter({ limit: 3, windowMs: 10_000 }, () => now);
    expect(counter.peek('a')).toMatchObject({ count: 0, remaining: 3, exceeded: false });
    expect([1, 2, 3].map(() => counter.hit('a').remaining)).toEqual([2, 1, 0]);
    expect(counter.peek('a')).toMatchObject({ count: 3, exceeded: true, resetAt: 1_010_000 });
    expect(counter.peek('b').exceeded).toBe(false);
    now += 9_999;
    expect(counter.peek('a').exceeded).toBe(true);
    now += 1;
    expect(counter.peek('a')).toMatchObject({ count: 0, exceeded: false });
    counter.hit('a');
    counter.reset('a');
    expect(counter.peek('a').count).toBe(0);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const now = 0;
    const counter = new FixedWindowCounter({ limit: 1, windowMs: 60_000 }, () => now, 1000);
    for (let i = 0; i < 5000; i++) counter.hit(`k${i}`);
    expect(counter.size).toBeLessThanOrEqual(1000);
    expect(counter.peek('k4999').exceeded).toBe(true);
  });

  it('counts IPv4 per address and IPv6 per /64', () => {
    expect(clientKey('127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:0:0:2')).toBe('2001:db8:1:2::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey(null)).toBe('unknown');
  });
});

describe('failed token authentications per address', () => {
  it('after 5 bad tokens the 6th request waits (429), a valid token too, until the window ends', async () => {
    const user = await server.createUser();
    const bad = [`${user.token.slice(0, -1)}x`, 'not-a-token', `gth_user_${'A'.repeat(49)}`];
    for (let i = 1; i <= LIMITS.tokenFailuresPerIp; i++) {
      const res = await api('GET', `${V}/users/me`, { token: bad[i % bad.length] });
      expect(res.status, res.text).toBe(401);
      expect(res.headers.get('ratelimit-limit')).toBe('5');
      expect(res.headers.get('ratelimit-remaining')).toBe(String(LIMITS.tokenFailuresPerIp - i));
    }
    expectRateLimited(await api('GET', `${V}/users/me`, { token: bad[0] }), 'ip', 5, 60);
    // Before any lookup: a valid token waits as well, as does a session cookie.
    expectRateLimited(await api('GET', `${V}/users/me`, { token: user.token }), 'ip', 5, 60);
    expectRateLimited(await api('GET', `${V}/users/me`, { headers: { cookie: `gatehouse_session=${user.token}` } }), 'ip', 5, 60);
    // Requests without a credential are not held up.
    expect((await api('GET', '/v1/auth/providers')).status).toBe(200);
    expect((await api('GET', `${V}/users/me`)).status).toBe(200);

    server.advance((LIMITS.tokenWindowSeconds + 1) * 1000);
    try {
      const me = await api('GET', `${V}/users/me`, { token: user.token });
      expect(me.status, me.text).toBe(200);
      expect(me.headers.get('ratelimit-limit')).toBeNull();
      // A failure opens a new window; a success afterwards shows what is left of it.
      expectErrorEnvelope(await api('GET', `${V}/users/me`, { token: bad[0] }), 401, 'invalid_token');
      const after = await api('GET', `${V}/users/me`, { token: user.token });
      expect(after.status).toBe(200);
      expect(after.headers.get('ratelimit-remaining')).toBe('4');
    } finally {
      // Leave the next test a clean window.
      server.advance((LIMITS.tokenWindowSeconds + 1) * 1000);
    }
  });
});

describe('failed logins per account and per address', () => {
  const password = 'correct horse battery staple';

  async function flow(): Promise<string> {
    const page = await api('GET', `/v1/auth/login/sanity?origin=${encodeURIComponent(CALLBACK)}`);
    expect(page.status, page.text.slice(0, 300)).toBe(200);
    const match = /name="flow" value="([^"]+)"/.exec(page.text);
    expect(match, 'the login form carries its flow id').not.toBeNull();
    return match?.[1] as string;
  }

  async function submit(flowId: string, email: string, pass: string) {
    return api('POST', '/v1/auth/login/sanity', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: new URLSearchParams({ flow: flowId, email, password: pass }).toString(),
    });
  }

  it('after 3 wrong passwords the account waits, even with the right one; other accounts from the address until 5', async () => {
    const user = await server.createUser('limited@example.com');
    await setPasswordHash(server.running.store.db, user.userId, await hashPassword(password), new Date().toISOString());
    const flowId = await flow();

    for (let i = 0; i < LIMITS.loginFailuresPerAccount; i++) {
      expectErrorEnvelope(await submit(flowId, 'limited@example.com', `wrong password ${i}`), 401, 'invalid_credentials');
    }
    expectRateLimited(await submit(flowId, 'limited@example.com', password), 'account', 3, 120);
    expectRateLimited(await submit(flowId, 'LIMITED@example.com', 'another guess'), 'account', 3, 120);

    // The address has 3 failures: 2 more at other (unknown) accounts, then every login from it waits.
    expectErrorEnvelope(await submit(flowId, 'nobody-1@example.com', 'guess one'), 401, 'invalid_credentials');
    expectErrorEnvelope(await submit(flowId, 'nobody-2@example.com', 'guess two'), 401, 'invalid_credentials');
    expectRateLimited(await submit(flowId, 'nobody-3@example.com', 'guess three'), 'ip', 5, 120);

    server.advance((LIMITS.loginWindowSeconds + 1) * 1000);
    try {
      const ok = await submit(await flow(), 'limited@example.com', password);
      expect(ok.status, ok.text).toBe(303);
      expect(ok.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:4321\/callback\?sid=/);
    } finally {
      server.advance((LIMITS.loginWindowSeconds + 1) * 1000);
    }
  });

  it('a successful login ends the account’s run of failures', async () => {
    const user = await server.createUser('resets@example.com');
    await setPasswordHash(server.running.store.db, user.userId, await hashPassword(password), new Date().toISOString());
    const flowId = await flow();
    for (let i = 0; i < LIMITS.loginFailuresPerAccount - 1; i++) {
      expectErrorEnvelope(await submit(flowId, 'resets@example.com', `wrong ${i}`), 401, 'invalid_credentials');
    }
    expect((await submit(flowId, 'resets@example.com', password)).status).toBe(303);
    // A fresh run: two more failures are allowed before the limit, not one.
    const next = await flow();
    for (let i = 0; i < LIMITS.loginFailuresPerAccount - 1; i++) {
      expectErrorEnvelope(await submit(next, 'resets@example.com', `again ${i}`), 401, 'invalid_credentials');
    }
    expect((await submit(next, 'resets@example.com', password)).status).toBe(303);
  });
});
