/**
 * The edges of HTTP, as an attacker pokes at them:
 *
 * - raw requests over a socket that no client library would send: no `Host`, two `Host`s, an
 *   invalid one, nothing but blank lines, a request line that is not HTTP, a lying Content-Length.
 *   Each gets the error envelope (or 408 for a request that never arrives), never an empty body or
 *   silence, and the connection is closed after the framing errors;
 * - response headers: `X-Content-Type-Options: nosniff` on every kind of answer, and a strict
 *   Content-Security-Policy, no framing and no referrer on the `/docs` pages;
 * - RFC 6750: a 403 that refuses the token's privileges carries `WWW-Authenticate: Bearer
 *   error="insufficient_scope"` and the missing permission as `scope`; 401s keep `invalid_token`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, createRobot, expectErrorEnvelope, V } from '../support/fixtures.js';
import { rawSocket } from '../support/raw-http.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const HEADERS_TIMEOUT_MS = 1_000;

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;
let viewerRobot: string;

beforeAll(async () => {
  server = await startTestServer({ headersTimeoutMs: HEADERS_TIMEOUT_MS });
  api = apiClient(server.url);
  owner = await server.createUser('edges-owner@example.com', 'Edie Edges');
  projectId = await createProject(api, owner.token, 'Edges');
  viewerRobot = (await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'])).token;
});

afterAll(async () => {
  await server?.close();
});

describe('raw HTTP requests are answered in the envelope', () => {
  const host = () => new URL(server.url).host;

  it('an HTTP/1.1 request without Host: 400 missing_host, and the connection closes', async () => {
    const res = await rawSocket(server.url, 'GET /health HTTP/1.1\r\n\r\n');
    expect(res.status, res.text).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', reason: { code: 'missing_host' } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.closed).toBe(true);
  });

  it('HTTP/1.0 may leave Host out', async () => {
    const res = await rawSocket(server.url, 'GET /health HTTP/1.0\r\n\r\n');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });

  it('two Host headers, or one that is not a host: 400 invalid_host, and the connection closes', async () => {
    for (const headers of [`Host: ${host()}\r\nHost: evil.example`, 'Host: a b', 'Host: evil.example/path']) {
      const res = await rawSocket(server.url, `GET /health HTTP/1.1\r\n${headers}\r\n\r\n`);
      expect(res.status, `${headers}: ${res.text}`).toBe(400);
      expect(res.body.reason.code, headers).toBe('invalid_host');
      expect(res.closed, headers).toBe(true);
    }
    const good = await rawSocket(server.url, `GET /health HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
    expect(good.status, good.text).toBe(200);
  });

  it('nothing but blank lines: 408 request_timeout once the header time is up, not silence', async () => {
    const res = await rawSocket(server.url, '\r\n'.repeat(50), HEADERS_TIMEOUT_MS * 8);
    expect(res.status, res.text).toBe(408);
    expect(res.body).toMatchObject({ statusCode: 408, error: 'Request Timeout', reason: { code: 'request_timeout' } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.closed).toBe(true);
    // A connection that sends nothing at all is let go the same way.
    const silent = await rawSocket(server.url, '', HEADERS_TIMEOUT_MS * 8);
    expect(silent.status).toBe(408);
    expect(silent.closed).toBe(true);
  });

  it('a request line that is not HTTP, and a body longer than its Content-Length: 400 malformed_request', async () => {
    for (const bytes of [
      'HELLO\r\n\r\n',
      'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
      `POST ${V}/projects HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ]) {
      const res = await rawSocket(server.url, bytes);
      expect(res.status, JSON.stringify(bytes)).toBe(400);
      expect(res.body.reason.code, JSON.stringify(bytes)).toBe('malformed_request');
      expect(res.closed).toBe(true);
    }
  });
});

describe('response security headers', () => {
  it('nosniff on JSON, errors, 404s, HTML pages and CSV', async () => {
    const answers = [
      await api('GET', '/health'),
      await api('GET', `${V}/projects`, { token: owner.token }),
      await api('GET', `${V}/projects`, { token: 'nope' }),
      await api('GET', '/nowhere'),
      await api('GET', `/v1/auth/login/sanity?origin=${encodeURIComponent('http://127.0.0.1:9/cb')}`),
      await api('GET', `${V}/activity/export/csv`, { token: owner.token }),
      await api('GET', '/openapi.json'),
    ];
    for (const res of answers) {
      expect(res.headers.get('x-content-type-options'), `${res.status} ${res.headers.get('content-type')}`).toBe('nosniff');
    }
  });

  it('/docs and its assets: a Content-Security-Policy of this server only, no framing, no referrer to other sites', async () => {
    for (const path of ['/docs', '/docs/', '/docs/static/index.html', '/docs/json', '/docs/static/swagger-ui-bundle.js']) {
      const res = await api('GET', path);
      expect(res.status, path).toBeLessThan(400);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("connect-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-eval');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('same-origin');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('login pages keep their own stricter policy: no script at all, no referrer to other sites', async () => {
    const res = await api('GET', `/v1/auth/login/sanity?origin=${encodeURIComponent('http://127.0.0.1:9/cb')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'unsafe-inline'/);
    expect(res.headers.get('content-security-policy')).not.toContain('script-src');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
  });
});

describe('RFC 6750 challenges', () => {
  it('a missing permission: 403 with error="insufficient_scope" and the permission as scope', async () => {
    const res = await api('PUT', `${V}/access/project/${projectId}/users/${owner.userId}/roles/viewer`, { token: viewerRobot });
    expectErrorEnvelope(res, 403, 'missing_permission');
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="sanity.project.members.update"',
    );
  });

  it('a robot on a route for people: insufficient_scope without a scope', async () => {
    const res = await api('POST', `${V}/projects`, { token: viewerRobot, body: { displayName: 'No' } });
    expectErrorEnvelope(res, 403, 'principal_not_accepted');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="insufficient_scope"');
  });

  it('granting a role with permissions you lack: insufficient_scope naming them', async () => {
    const developer = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['developer']);
    const res = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: developer.token,
      body: {
        label: 'escalate',
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['administrator'] }],
      },
    });
    expectErrorEnvelope(res, 403, 'privilege_escalation');
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer realm="gatehouse", error="insufficient_scope", scope="[^"]+"$/);
    for (const permission of res.body.reason.missingPermissions) expect(challenge).toContain(permission);
  });

  it('401s keep invalid_token; 403s about the request itself carry no challenge', async () => {
    const bad = await api('GET', `${V}/projects`, { token: 'gth_user_nope' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="invalid_token"');
    const csrf = await api('POST', `${V}/projects`, {
      headers: { cookie: `gatehouse_session=${owner.token}` },
      body: { displayName: 'No CSRF header' },
    });
    expectErrorEnvelope(csrf, 403, 'csrf_failed');
    expect(csrf.headers.get('www-authenticate')).toBeNull();
  });
});
