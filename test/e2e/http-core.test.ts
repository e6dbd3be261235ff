/**
 * HTTP conventions every client relies on: project context from host or header, trace ids,
 * `/users/{ids}` shapes and visibility, `/users/me` for each kind of caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let ada: { userId: string; token: string };
let bob: { userId: string; token: string };
let stranger: { userId: string; token: string };
let projectId: string;
let robotToken: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  ada = await server.createUser('ada@example.com', 'Ada');
  bob = await server.createUser('bob@example.com', 'Bob');
  stranger = await server.createUser('stranger@example.com', 'Stranger');
  projectId = (await api('POST', '/v2025-01-09/projects', { token: ada.token, body: { displayName: 'Context' } })).body.id;
  const robot = await api('POST', `/v2025-01-09/access/project/${projectId}/robots`, {
    token: ada.token,
    body: { label: 'reader', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
  });
  robotToken = robot.body.token;
});

afterAll(async () => {
  await server?.close();
});

/** A raw request with a chosen Host header (fetch does not let a page set Host). */
async function withHost(host: string, path: string, token: string) {
  const { request } = await import('node:http');
  const url = new URL(server.url);
  return new Promise<{ status: number; body: { roles?: unknown[] } }>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, headers: { host, authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('/users/me', () => {
  it('answers {} without a token, and the user with one', async () => {
    expect((await api('GET', '/v2025-01-09/users/me')).body).toEqual({});
    const me = await api('GET', '/v2025-01-09/users/me', { token: ada.token });
    expect(me.body).toMatchObject({ id: ada.userId, name: 'Ada', email: 'ada@example.com', roles: [] });
  });

  it('shows the project roles in a project context from the X-Sanity-Project-ID header', async () => {
    const me = await api('GET', '/v2025-01-09/users/me', { token: ada.token, headers: { 'x-sanity-project-id': projectId } });
    expect(me.body).toMatchObject({ role: 'administrator', roles: [{ name: 'administrator', title: 'Administrator' }] });
  });

  it('shows the project roles in a project context from the <projectId>.api.<host> subdomain', async () => {
    const me = await withHost(`${projectId}.api.localhost`, '/v2025-01-09/users/me', ada.token);
    expect(me.status).toBe(200);
    expect(me.body.roles).toEqual([expect.objectContaining({ name: 'administrator' })]);
  });

  it('reveals no roles on a project the caller is not a member of', async () => {
    const me = await api('GET', '/v2025-01-09/users/me', {
      token: stranger.token,
      headers: { 'x-sanity-project-id': projectId },
    });
    expect(me.body).toMatchObject({ id: stranger.userId, role: '', roles: [] });
  });

  it('says a robot is a robot: provider sanity-token, with its role on its project', async () => {
    const me = await api('GET', '/v2025-01-09/users/me', { token: robotToken });
    expect(me.body).toMatchObject({ provider: 'sanity-token', name: 'reader', role: 'viewer' });
  });
});

describe('/users/{ids}', () => {
  it('returns an object for one id and an array for several', async () => {
    const one = await api('GET', `/v2025-01-09/users/${ada.userId}`, { token: ada.token });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: ada.userId, displayName: 'Ada', isCurrentUser: true });
    const robotView = await api('GET', `/v2025-01-09/users/${ada.userId},${ada.userId}`, { token: robotToken });
    expect(Array.isArray(robotView.body)).toBe(true);
    expect(robotView.body).toHaveLength(1);
  });

  it('hides users who share no resource with the caller, with the same 404 as a user that does not exist', async () => {
    const hidden = await api('GET', `/v2025-01-09/users/${bob.userId}`, { token: ada.token });
    const missing = await api('GET', '/v2025-01-09/users/gnosuchuser0', { token: ada.token });
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.body.reason).toEqual(missing.body.reason);
    const several = await api('GET', `/v2025-01-09/users/${ada.userId},${bob.userId}`, { token: ada.token });
    expect(several.body.map((u: { id: string }) => u.id)).toEqual([ada.userId]);
  });
});

describe('tracing and conventions', () => {
  it('answers every response, errors included, with a traceparent header', async () => {
    for (const res of [await api('GET', '/health'), await api('GET', '/v2/x'), await api('GET', '/v1/projects')]) {
      expect(res.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
  });

  it('continues the trace of an incoming traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await api('GET', '/health', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.headers.get('traceparent')?.split('-')[1]).toBe(traceId);
  });

  it('never redirects an API route', async () => {
    for (const path of ['/v1/projects/', '/v2025-01-09/projects']) {
      const res = await api('GET', path, { token: ada.token });
      expect(res.status, path).toBeLessThan(300);
    }
  });

  it('answers 401 with WWW-Authenticate: Bearer when a token is required and missing', async () => {
    const res = await api('GET', '/v2025-01-09/projects');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse"/);
    expect(res.body).toMatchObject({ message: 'Not authenticated', reason: { code: 'missing_token' } });
  });

  it('refuses an encoded (e.g. gzip) body with 415 instead of misreading it', async () => {
    const res = await api('POST', '/v2025-01-09/projects', {
      token: ada.token,
      body: { displayName: 'x' },
      headers: { 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(415);
    expect(res.body.reason.code).toBe('unsupported_content_encoding');
  });

  it('answers a request Node cannot even parse with the JSON envelope', async () => {
    const { connect } = await import('node:net');
    const url = new URL(server.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write('NOT AN HTTP REQUEST\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('content-type: application/json; charset=utf-8');
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request', reason: { code: 'malformed_request' } });
  });

  it('answers many requests at once, each with its own answer, however their writes are grouped', async () => {
    // Responses finished in one turn of the event loop are written together (http/write-batching.ts).
    const callers = [
      { token: ada.token, id: ada.userId },
      { token: bob.token, id: bob.userId },
      { token: stranger.token, id: stranger.userId },
    ];
    const asked = Array.from({ length: 150 }, (_, i) => ({
      caller: callers[i % callers.length] as (typeof callers)[number],
      traceId: (i + 1).toString(16).padStart(32, 'a'),
    }));
    const answers = await Promise.all(
      asked.map(({ caller, traceId }) =>
        api('GET', '/v2025-01-09/users/me', {
          token: caller.token,
          headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        }),
      ),
    );
    answers.forEach((res, i) => {
      const { caller, traceId } = asked[i] as (typeof asked)[number];
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(caller.id);
      expect(res.headers.get('traceparent')?.split('-')[1]).toBe(traceId);
    });
  });

  it('answers pipelined requests on one connection in order', async () => {
    const { connect } = await import('node:net');
    const url = new URL(server.url);
    const ask = (token: string, last: boolean) =>
      `GET /v2025-01-09/users/me HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${token}\r\n${last ? 'connection: close\r\n' : ''}\r\n`;
    const raw = await new Promise<string>((resolve, reject) => {
      // Three requests in one write: Node reads them together and answers them in turn.
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.write(ask(ada.token, false) + ask(bob.token, false) + ask(ada.token, true)),
      );
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const ids = [...raw.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]);
    // Each answer follows the previous body directly, so not at the start of a line.
    expect(raw.match(/HTTP\/1\.1 200 /g)).toHaveLength(3);
    expect(ids).toEqual([ada.userId, bob.userId, ada.userId]);
  });
});
