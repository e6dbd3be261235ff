/**
 * Browser sessions for the console (R28 in docs/security.md): `GET /auth/fetch` called from a
 * configured console origin sets the personal token as an HttpOnly, SameSite=Lax cookie plus a CSRF
 * cookie; the cookie then authenticates requests that carry no Authorization header, a
 * cookie-authenticated write needs `X-CSRF-Token`, and bearer tokens are unaffected. A stale cookie
 * never stands in the way of logging in again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearedCookies, sessionCookies } from '../../src/http/cookies.js';
import { SessionService } from '../../src/services/login/sessions.js';
import { createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const CONSOLE = 'https://console.example.com';
const LIFETIME_DAYS = 30;

let server: TestServer;
let api: Api;

/** A login's single-use sid, as a provider ends it. */
async function sid(userId: string): Promise<string> {
  const services = server.running.services;
  const flowId = await services.login.startFlow({ provider: 'sanity', origin: CONSOLE, type: 'token', label: 'console' });
  const flow = await services.login.takeFlow(flowId, 'sanity');
  const target = await services.login.finish({
    flow,
    userId,
    source: 'password',
    organizationId: null,
    lifetimeDays: LIFETIME_DAYS,
  });
  return new URL(target).searchParams.get('sid') as string;
}

interface Session {
  token: string;
  csrf: string;
  cookie: string;
  setCookies: string[];
}

/** The console's side of a login: `/auth/fetch` with its Origin, and the cookies the answer sets. */
async function consoleLogin(userId: string): Promise<Session> {
  const res = await api('GET', `/v1/auth/fetch?sid=${await sid(userId)}`, { headers: { origin: CONSOLE } });
  expect(res.status, res.text).toBe(200);
  const setCookies = res.headers.getSetCookie();
  const value = (name: string) => {
    const found = setCookies.find((c) => c.startsWith(`${name}=`));
    return found?.slice(name.length + 1).split(';')[0] ?? '';
  };
  expect(value('gatehouse_session')).toBe(res.body.token);
  return {
    token: res.body.token,
    csrf: value('gatehouse_csrf'),
    cookie: `gatehouse_session=${value('gatehouse_session')}; gatehouse_csrf=${value('gatehouse_csrf')}`,
    setCookies,
  };
}

beforeAll(async () => {
  server = await startTestServer({ identity: { consoleOrigins: [CONSOLE], personalTokenLifetimeDays: LIFETIME_DAYS } });
  api = apiClient(server.url);
});

afterAll(async () => {
  await server?.close();
});

describe('setting the session', () => {
  it('/auth/fetch from a console origin sets the token cookie (HttpOnly, SameSite=Lax) and the CSRF cookie', async () => {
    const user = await server.createUser();
    const session = await consoleLogin(user.userId);
    const maxAge = LIFETIME_DAYS * 86_400;
    const [cookie, csrf] = session.setCookies;
    expect(cookie).toMatch(/^gatehouse_session=gth_user_[0-9A-Za-z]+; Max-Age=(\d+); Path=\/; SameSite=Lax; HttpOnly$/);
    expect(Number(/Max-Age=(\d+)/.exec(cookie ?? '')?.[1])).toBeGreaterThan(maxAge - 120);
    expect(Number(/Max-Age=(\d+)/.exec(cookie ?? '')?.[1])).toBeLessThanOrEqual(maxAge);
    // Readable by the console's script (no HttpOnly), same scope and lifetime.
    expect(csrf).toMatch(/^gatehouse_csrf=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; SameSite=Lax$/);
    // Served over http here: no Secure (see the https case below).
    expect(session.setCookies.join('\n')).not.toContain('Secure');
  });

  it('sets no cookie without an Origin, or for an origin that is not a configured console', async () => {
    const user = await server.createUser();
    for (const headers of [{}, { origin: 'http://127.0.0.1:4321' }, { origin: 'https://evil.example.com' }] as Record<
      string,
      string
    >[]) {
      const res = await api('GET', `/v1/auth/fetch?sid=${await sid(user.userId)}`, { headers });
      expect(res.status, res.text).toBe(200);
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('marks the cookies Secure when the server is reached over https', async () => {
    const user = await server.createUser();
    const deps = server.running.deps;
    const https = new SessionService({ ...deps, baseUrl: () => 'https://gatehouse.example.com' });
    const baseUrl = 'https://gatehouse.example.com';
    const session = await https.browserSession(user.token, new Date(Date.now() + 3_600_000).toISOString());
    const cookies = sessionCookies(session, baseUrl);
    expect(cookies[0]).toMatch(/; Path=\/; SameSite=Lax; Secure; HttpOnly$/);
    expect(cookies[1]).toMatch(/; Path=\/; SameSite=Lax; Secure$/);
    for (const cleared of clearedCookies(baseUrl)) expect(cleared).toMatch(/Max-Age=0; Path=\/; SameSite=Lax; Secure/);
  });
});

describe('a cookie-authenticated request', () => {
  it('reads with the cookie alone', async () => {
    const user = await server.createUser();
    const session = await consoleLogin(user.userId);
    const me = await api('GET', `${V}/users/me`, { headers: { cookie: session.cookie } });
    expect(me.status, me.text).toBe(200);
    expect(me.body.id).toBe(user.userId);
    const id = await api('GET', `${V}/auth/id`, { headers: { cookie: `sanitySession=${session.token}` } });
    expect(id.body.id).toBe(user.userId);
  });

  it('writes only with X-CSRF-Token: missing or wrong → 403 csrf_failed and nothing changes', async () => {
    const user = await server.createUser();
    const session = await consoleLogin(user.userId);
    const other = await consoleLogin(user.userId);
    const before = (await api('GET', `${V}/projects`, { token: user.token })).body.length;

    const missing = await api('POST', `${V}/projects`, { headers: { cookie: session.cookie }, body: { displayName: 'No CSRF' } });
    expectErrorEnvelope(missing, 403, 'csrf_failed');
    expect(missing.body.reason.hint).toMatch(/X-CSRF-Token/);
    for (const wrong of ['nonsense', other.csrf, `${session.csrf}x`]) {
      const res = await api('POST', `${V}/projects`, {
        headers: { cookie: session.cookie, 'x-csrf-token': wrong },
        body: { displayName: 'Wrong CSRF' },
      });
      expectErrorEnvelope(res, 403, 'csrf_failed');
    }
    expect((await api('GET', `${V}/projects`, { token: user.token })).body.length).toBe(before);

    const allowed = await api('POST', `${V}/projects`, {
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
      body: { displayName: 'With CSRF' },
    });
    expect(allowed.status, allowed.text).toBe(201);
    expect((await api('GET', `${V}/projects`, { token: user.token })).body.length).toBe(before + 1);
  });

  it('bearer tokens are unaffected: no CSRF header needed, and they win over a cookie', async () => {
    const alice = await server.createUser();
    const bob = await server.createUser();
    const session = await consoleLogin(alice.userId);
    const created = await api('POST', `${V}/projects`, {
      token: bob.token,
      headers: { cookie: session.cookie },
      body: { displayName: 'Bearer write' },
    });
    expect(created.status, created.text).toBe(201);
    const me = await api('GET', `${V}/users/me`, { token: bob.token, headers: { cookie: session.cookie } });
    expect(me.body.id).toBe(bob.userId);
  });

  it('a robot token in a session cookie is refused', async () => {
    const owner = await server.createUser();
    const projectId = await createProject(api, owner.token, 'Robot cookie');
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const res = await api('GET', `${V}/auth/id`, { headers: { cookie: `gatehouse_session=${robot.token}` } });
    expectErrorEnvelope(res, 401, 'invalid_token');
    expect(res.body.reason.hint).toMatch(/personal token/);
  });

  it('two different session cookies are refused rather than guessed between', async () => {
    const user = await server.createUser();
    const a = await consoleLogin(user.userId);
    const b = await consoleLogin(user.userId);
    const res = await api('GET', `${V}/users/me`, {
      headers: { cookie: `gatehouse_session=${a.token}; other=1; gatehouse_session=${b.token}` },
    });
    expectErrorEnvelope(res, 400, 'invalid_request');
    // The same cookie twice is no ambiguity; other sites' odd cookies are skipped.
    const same = await api('GET', `${V}/users/me`, {
      headers: { cookie: `junk; =x; theme="dark mode"; gatehouse_session=${a.token}; gatehouse_session="${a.token}"` },
    });
    expect(same.status, same.text).toBe(200);
  });
});

describe('logging out a browser session', () => {
  it('needs the CSRF header, revokes the token and clears the cookies', async () => {
    const user = await server.createUser();
    const session = await consoleLogin(user.userId);

    expectErrorEnvelope(await api('POST', `${V}/auth/logout`, { headers: { cookie: session.cookie } }), 403, 'csrf_failed');
    expect((await api('GET', `${V}/users/me`, { headers: { cookie: session.cookie } })).status).toBe(200);

    const res = await api('POST', `${V}/auth/logout`, { headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } });
    expect(res.status, res.text).toBe(204);
    const cleared = res.headers.getSetCookie();
    expect(cleared).toContain('gatehouse_session=; Max-Age=0; Path=/; SameSite=Lax; HttpOnly');
    expect(cleared).toContain('gatehouse_csrf=; Max-Age=0; Path=/; SameSite=Lax');
    expectErrorEnvelope(await api('GET', `${V}/users/me`, { headers: { cookie: session.cookie } }), 401, 'token_revoked');
    expectErrorEnvelope(await api('GET', `${V}/users/me`, { token: session.token }), 401, 'token_revoked');
  });

  it('a stale cookie does not stand in the way of logging in again', async () => {
    const user = await server.createUser();
    const session = await consoleLogin(user.userId);
    await api('POST', `${V}/auth/logout`, { token: session.token });
    const headers = { cookie: session.cookie, origin: CONSOLE };
    expect((await api('GET', '/v1/auth/providers', { headers })).status).toBe(200);
    const login = await api('GET', `/v1/auth/login/sanity?origin=${encodeURIComponent(CONSOLE)}`, { headers });
    expect(login.status, login.text).toBeLessThan(400);
    const fetched = await api('GET', `/v1/auth/fetch?sid=${await sid(user.userId)}`, { headers });
    expect(fetched.status, fetched.text).toBe(200);
    const fresh = fetched.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    expect((await api('GET', `${V}/users/me`, { headers: { cookie: fresh } })).status).toBe(200);
  });

  it('never logged a token or a CSRF value', async () => {
    const user = await server.createUser();
    const session = await consoleLogin(user.userId);
    await api('GET', `${V}/users/me`, { headers: { cookie: session.cookie } });
    const logs = server.logs();
    expect(logs).not.toContain(session.token);
    expect(logs).not.toContain(session.csrf);
    expect(logs).not.toMatch(/gth_(user|robot)_[0-9A-Za-z]{20}/);
  });
});
