/**
 * CORS origins per project (docs/collaboration.md, "CORS origins"): validation, the CRUD routes and
 * their project-host alias, the seeded `http://localhost:3333`, enforcement over real HTTP
 * (preflight and actual responses, credentials only where allowed, 403 without CORS headers, Vary),
 * `/check/cors`, the explanation, and the `gatehouse cors` commands run as the built binary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainOrigin, normalizeOrigin } from '../../src/model/cors.js';
import { cleanEnv, runCli } from '../support/cli.js';
import { addMember, createProject, createRobot, expectErrorEnvelope, rawRequest, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser();
  projectId = await createProject(api, owner.token, 'CORS');
});

afterAll(async () => {
  await server?.close();
});

/** A request on the project host `<projectId>.api.gatehouse.test` (fetch would not send that Host). */
const onProjectHost = (pid: string, method: string, path: string, headers: Record<string, string> = {}, token?: string) =>
  rawRequest(server.url, method, path, {
    headers: { ...headers, host: `${pid}.api.gatehouse.test`, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });

const corsOf = (pid: string, token = owner.token) => api('GET', `${V}/projects/${pid}/cors`, { token });
const addOrigin = (pid: string, origin: string, allowCredentials?: boolean, token = owner.token) =>
  api('POST', `${V}/projects/${pid}/cors`, {
    token,
    body: allowCredentials === undefined ? { origin } : { origin, allowCredentials },
  });

describe('origin validation (model)', () => {
  const valid: Array<[string, boolean, string]> = [
    ['https://example.com', false, 'https://example.com'],
    ['https://Example.COM/', true, 'https://example.com'],
    ['https://example.com:443', false, 'https://example.com'],
    ['http://example.com:80', false, 'http://example.com'],
    ['http://localhost:3333', true, 'http://localhost:3333'],
    ['https://example.com:8443', false, 'https://example.com:8443'],
    ['https://*.example.org', false, 'https://*.example.org'],
    ['https://pr-*.example.org', true, 'https://pr-*.example.org'],
    ['http://localhost:*', false, 'http://localhost:*'],
    ['http://[::1]:3000', false, 'http://[::1]:3000'],
    ['*', false, '*'],
    ['null', false, 'null'],
    ['file:///*', false, 'file:///*'],
  ];
  it.each(valid)('%s (credentials %s) → %s', (input, credentials, expected) => {
    const checked = normalizeOrigin(input, credentials);
    expect(checked).toMatchObject({ ok: true, origin: expected });
  });

  const invalid: Array<[string, boolean, RegExp]> = [
    ['example.com', false, /^Invalid origin "example.com", must include protocol \(https:\/\/some\.host\)$/],
    ['localhost:3333', false, /must include protocol/],
    ['*', true, /may not include credentials/],
    ['file:///home/me/index.html', false, /only file origin allowed is file:\/\/\/\*/],
    ['ftp://example.com', false, /http or https/],
    ['https://example.com/path', false, /without a path/],
    ['https://user@example.com', false, /user name/],
    ['https://example.com:99999', false, /port/],
    ['https://exa mple.com', false, /without a path|host/],
    ['https://ex_ample.com', false, /host/],
    ['https://', false, /host is missing/],
    ['', false, /must include protocol/],
  ];
  it.each(invalid)('%s (credentials %s) is refused', (input, credentials, message) => {
    const checked = normalizeOrigin(input, credentials);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toMatch(message);
  });

  it('matches exact entries before wildcards, and says why others do not match', () => {
    const entries = [
      { id: 1, origin: 'https://*.example.org', allowCredentials: false },
      { id: 2, origin: 'https://app.example.org', allowCredentials: true },
      { id: 3, origin: 'http://localhost:*', allowCredentials: false },
    ];
    expect(explainOrigin('https://app.example.org', entries).matched?.id).toBe(2);
    expect(explainOrigin('https://other.example.org', entries)).toMatchObject({
      allowed: true,
      withCredentials: false,
      matched: { id: 1 },
    });
    expect(explainOrigin('http://localhost:5173', entries).matched?.id).toBe(3);
    const refused = explainOrigin('https://example.org', entries);
    expect(refused.allowed).toBe(false);
    expect(refused.entries[0]?.reason).toMatch(/does not match the pattern/);
    expect(explainOrigin('http://app.example.org', entries).entries[1]?.reason).toMatch(/protocol differs/);
    expect(explainOrigin('https://app.example.org:8443', entries).entries[1]?.reason).toMatch(/port differs/);
    expect(explainOrigin('https://evil.com', [{ id: 9, origin: '*', allowCredentials: false }]).allowed).toBe(true);
    expect(explainOrigin('not an origin', entries)).toMatchObject({ allowed: false, normalized: null });
  });
});

describe('CRUD', () => {
  it('a new project starts with http://localhost:3333, with credentials', async () => {
    const res = await corsOf(projectId);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([
      {
        id: expect.any(Number),
        origin: 'http://localhost:3333',
        allowCredentials: true,
        projectId,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        deletedAt: null,
      },
    ]);
  });

  it('adds an origin (normalized), refuses duplicates and invalid ones with nothing written', async () => {
    const pid = await createProject(api, owner.token, 'CRUD');
    const created = await addOrigin(pid, 'https://Studio.Example.com:443/', true);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      origin: 'https://studio.example.com',
      allowCredentials: true,
      projectId: pid,
      deletedAt: null,
    });
    expect(Number.isInteger(created.body.id)).toBe(true);

    const defaulted = await addOrigin(pid, 'https://other.example.com');
    expect(defaulted.body.allowCredentials).toBe(false);

    const duplicate = await addOrigin(pid, 'https://studio.example.com', false);
    expectErrorEnvelope(duplicate, 409, 'cors_origin_exists');
    expect(duplicate.body.reason.hint).toContain(`delete entry ${created.body.id}`);

    const noProtocol = await addOrigin(pid, 'studio.example.com');
    expectErrorEnvelope(noProtocol, 400, 'invalid_origin');
    expect(noProtocol.body.message).toBe('Invalid origin "studio.example.com", must include protocol (https://some.host)');
    expect(noProtocol.body.reason.hint).toMatch(/protocol:\/\/host/);
    expectErrorEnvelope(await addOrigin(pid, '*', true), 400, 'invalid_origin');
    expect((await addOrigin(pid, '*', false)).status).toBe(201);

    const extra = await api('POST', `${V}/projects/${pid}/cors`, {
      token: owner.token,
      body: { origin: 'https://x.example', extra: 1 },
    });
    expectErrorEnvelope(extra, 400);

    const list = await corsOf(pid);
    expect(list.body.map((o: { origin: string }) => o.origin)).toEqual([
      'http://localhost:3333',
      'https://studio.example.com',
      'https://other.example.com',
      '*',
    ]);
  });

  it('deletes by numeric id; an unknown or foreign id is a 404; every change is audited', async () => {
    const pid = await createProject(api, owner.token, 'Delete');
    const other = await createProject(api, owner.token, 'Other');
    const created = await addOrigin(pid, 'https://gone.example.com');
    const foreign = await api('DELETE', `${V}/projects/${other}/cors/${created.body.id}`, { token: owner.token });
    expectErrorEnvelope(foreign, 404, 'not_found');
    const deleted = await api('DELETE', `${V}/projects/${pid}/cors/${created.body.id}`, { token: owner.token });
    expect(deleted.status, deleted.text).toBe(204);
    expectErrorEnvelope(await api('DELETE', `${V}/projects/${pid}/cors/${created.body.id}`, { token: owner.token }), 404);
    expectErrorEnvelope(await api('DELETE', `${V}/projects/${pid}/cors/abc`, { token: owner.token }), 400);

    const events = await server.running.store.db
      .selectFrom('audit_events')
      .select(['action', 'target_id', 'actor_id', 'before', 'after'])
      .where('resource_id', '=', pid)
      .where('action', 'like', 'cors.%')
      .orderBy('at')
      .execute();
    expect(events.map((e) => e.action)).toEqual(['cors.create', 'cors.delete']);
    expect(events.every((e) => e.target_id === String(created.body.id) && e.actor_id === owner.userId)).toBe(true);
    expect(JSON.parse(events[1]?.before ?? 'null')).toEqual({ origin: 'https://gone.example.com', allowCredentials: false });
  });

  it('needs sanity.project.cors permissions: a viewer may read but not add; non-members get 404', async () => {
    const viewer = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);
    const stranger = await server.createUser();
    expectErrorEnvelope(await addOrigin(projectId, 'https://v.example.com', false, viewer.token), 403, 'missing_permission');
    expectErrorEnvelope(await corsOf(projectId, stranger.token), 404);
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator']);
    expect((await corsOf(projectId, robot.token)).status).toBe(200);
  });

  it('the project-host alias /cors works on <projectId>.api.<host> and with X-Sanity-Project-ID', async () => {
    const pid = await createProject(api, owner.token, 'Alias');
    const viaHeader = { 'x-sanity-project-id': pid };
    const created = await api('POST', `${V}/cors`, {
      token: owner.token,
      headers: viaHeader,
      body: { origin: 'https://alias.example.com' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.projectId).toBe(pid);
    const listed = await onProjectHost(pid, 'GET', `${V}/cors`, {}, owner.token);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.map((o: { origin: string }) => o.origin)).toContain('https://alias.example.com');
    const removed = await api('DELETE', `${V}/cors/${created.body.id}`, { token: owner.token, headers: viaHeader });
    expect(removed.status, removed.text).toBe(204);
    const none = await api('GET', `${V}/cors`, { token: owner.token });
    expect(none.status).toBe(404);
  });

  it('explains which entry matches, or why none does', async () => {
    const pid = await createProject(api, owner.token, 'Explain');
    await addOrigin(pid, 'https://*.preview.example.com');
    const wildcard = await api(
      'GET',
      `${V}/projects/${pid}/cors/explain?origin=${encodeURIComponent('https://pr-1.preview.example.com')}`,
      {
        token: owner.token,
      },
    );
    expect(wildcard.status, wildcard.text).toBe(200);
    expect(wildcard.body).toMatchObject({
      allowed: true,
      withCredentials: false,
      matched: { origin: 'https://*.preview.example.com' },
    });
    const refused = await api('GET', `${V}/projects/${pid}/cors/explain?origin=${encodeURIComponent('http://localhost:3000')}`, {
      token: owner.token,
    });
    expect(refused.body.allowed).toBe(false);
    expect(refused.body.entries[0]).toMatchObject({
      origin: 'http://localhost:3333',
      matches: false,
      reason: expect.stringMatching(/port differs/),
    });
    expectErrorEnvelope(await api('GET', `${V}/projects/${pid}/cors/explain`, { token: owner.token }), 400);
  });
});

describe('enforcement over HTTP', () => {
  let pid: string;
  const CREDS = 'https://studio.enforce.test';
  const PLAIN = 'https://plain.enforce.test';

  beforeAll(async () => {
    pid = await createProject(api, owner.token, 'Enforce');
    expect((await addOrigin(pid, CREDS, true)).status).toBe(201);
    expect((await addOrigin(pid, PLAIN, false)).status).toBe(201);
  });

  const preflight = (path: string, origin: string, headers: Record<string, string> = {}) =>
    api('OPTIONS', path, {
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization', ...headers },
    });

  it('preflight for an allowed origin: origin echoed, methods, headers, max age, credentials only when allowed', async () => {
    const withCreds = await preflight(`${V}/projects/${pid}`, CREDS);
    expect(withCreds.status).toBe(204);
    expect(withCreds.headers.get('access-control-allow-origin')).toBe(CREDS);
    expect(withCreds.headers.get('access-control-allow-credentials')).toBe('true');
    expect(withCreds.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(withCreds.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(withCreds.headers.get('access-control-allow-headers')).toContain('x-sanity-project-id');
    expect(withCreds.headers.get('access-control-allow-headers')).toContain('x-csrf-token');
    expect(Number(withCreds.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(withCreds.headers.get('vary')).toMatch(/Origin/);

    const plain = await preflight(`${V}/access/project/${pid}/users`, PLAIN);
    expect(plain.status).toBe(204);
    expect(plain.headers.get('access-control-allow-origin')).toBe(PLAIN);
    expect(plain.headers.get('access-control-allow-credentials')).toBeNull();

    const viaHost = await onProjectHost(pid, 'OPTIONS', `${V}/users/me`, {
      origin: PLAIN,
      'access-control-request-method': 'GET',
    });
    expect(viaHost.headers.get('access-control-allow-origin')).toBe(PLAIN);
  });

  it('preflight for a disallowed origin: 403 without CORS headers, with a hint', async () => {
    const res = await preflight(`${V}/projects/${pid}`, 'https://evil.test');
    expectErrorEnvelope(res, 403, 'cors_origin_not_allowed');
    expect(res.body.reason.hint).toContain(`gatehouse cors add https://evil.test --project ${pid}`);
    expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });

  it('actual requests: headers on success and on errors, credentials only when allowed, Vary merged', async () => {
    const ok = await api('GET', `${V}/projects/${pid}`, { token: owner.token, headers: { origin: CREDS } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(CREDS);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('vary')).toMatch(/Origin/);

    const plain = await api('GET', `${V}/access/project/${pid}/users`, { token: owner.token, headers: { origin: PLAIN } });
    expect(plain.status, plain.text).toBe(200);
    expect(plain.headers.get('access-control-allow-origin')).toBe(PLAIN);
    expect(plain.headers.get('access-control-allow-credentials')).toBeNull();
    expect(plain.headers.get('vary')?.toLowerCase()).toContain('accept-encoding');
    expect(plain.headers.get('vary')).toMatch(/Origin/);

    // An error the page must be able to read (401) still carries the headers.
    const anonymous = await api('GET', `${V}/projects/${pid}`, { headers: { origin: PLAIN } });
    expectErrorEnvelope(anonymous, 401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe(PLAIN);

    const viaHeader = await api('GET', `${V}/users/me`, {
      token: owner.token,
      headers: { origin: PLAIN, 'x-sanity-project-id': pid },
    });
    expect(viaHeader.headers.get('access-control-allow-origin')).toBe(PLAIN);
  });

  it('a disallowed origin gets 403 without CORS headers, and nothing is written', async () => {
    const before = (await corsOf(pid)).body.length;
    const res = await api('POST', `${V}/projects/${pid}/cors`, {
      token: owner.token,
      headers: { origin: 'https://evil.test' },
      body: { origin: 'https://evil.test' },
    });
    expectErrorEnvelope(res, 403, 'cors_origin_not_allowed');
    expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    expect((await corsOf(pid)).body.length).toBe(before);
    // Matching is exact: another port or scheme is another origin.
    expect(
      (await api('GET', `${V}/projects/${pid}`, { token: owner.token, headers: { origin: 'http://studio.enforce.test' } }))
        .status,
    ).toBe(403);
  });

  it('no project context, no Origin, or the server’s own origin: nothing enforced, no CORS headers', async () => {
    const global = await api('GET', `${V}/users/me`, { token: owner.token, headers: { origin: 'https://evil.test' } });
    expect(global.status).toBe(200);
    expect(global.headers.get('access-control-allow-origin')).toBeNull();
    const noOrigin = await api('GET', `${V}/projects/${pid}`, { token: owner.token });
    expect(noOrigin.status).toBe(200);
    expect(noOrigin.headers.get('access-control-allow-origin')).toBeNull();
    const self = await api('GET', `${V}/projects/${pid}`, { token: owner.token, headers: { origin: server.url } });
    expect(self.status).toBe(200);
    const preflightGlobal = await preflight(`${V}/users/me`, 'https://evil.test');
    expect(preflightGlobal.status).toBe(204);
    expect(preflightGlobal.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a deleted origin is refused on the next request', async () => {
    const origin = 'https://temporary.enforce.test';
    const created = await addOrigin(pid, origin);
    expect((await api('GET', `${V}/projects/${pid}`, { token: owner.token, headers: { origin } })).status).toBe(200);
    await api('DELETE', `${V}/projects/${pid}/cors/${created.body.id}`, { token: owner.token });
    expect((await api('GET', `${V}/projects/${pid}`, { token: owner.token, headers: { origin } })).status).toBe(403);
  });

  it('GET /check/cors answers readably for any origin; unknown project → 404 SIO-404-PNF; no context → 400', async () => {
    const allowed = await onProjectHost(pid, 'GET', `${V}/check/cors`, { origin: CREDS });
    expect(allowed.status, allowed.text).toBe(200);
    expect(allowed.body).toEqual({ result: { allowed: true, withCredentials: true } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(CREDS);

    const plain = await api('GET', `${V}/check/cors`, { headers: { 'x-sanity-project-id': pid, origin: PLAIN } });
    expect(plain.body).toEqual({ result: { allowed: true, withCredentials: false } });

    const refused = await onProjectHost(pid, 'GET', `${V}/check/cors`, { origin: 'https://evil.test' });
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({ result: { allowed: false, withCredentials: false } });
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://evil.test');
    expect(refused.headers.get('access-control-allow-credentials')).toBeNull();

    const unknown = await onProjectHost('nosuchproject', 'GET', `${V}/check/cors`, { origin: CREDS });
    expectErrorEnvelope(unknown, 404);
    expect(unknown.body.errorCode).toBe('SIO-404-PNF');
    expect(unknown.headers.get('access-control-allow-origin')).toBe(CREDS);

    expectErrorEnvelope(await api('GET', `${V}/check/cors`, { headers: { origin: CREDS } }), 400, 'project_context_required');
  });
});

describe('gatehouse cors (the built CLI)', () => {
  let home: string;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'gatehouse-cors-cli-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  function gatehouse(args: string[]) {
    return runCli(
      args,
      cleanEnv({
        HOME: home,
        XDG_CONFIG_HOME: home,
        GATEHOUSE_API_HOST: server.url,
        GATEHOUSE_AUTH_TOKEN: owner.token,
        NO_COLOR: '1',
      }),
    );
  }

  it('add, list, explain, delete', async () => {
    const pid = await createProject(api, owner.token, 'CLI');
    const added = await gatehouse(['cors', 'add', 'https://cli.example.com', '--credentials', '--project', pid]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/Allowed https:\/\/cli\.example\.com on project .* with credentials/);

    const listed = await gatehouse(['cors', 'list', '--project', pid, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const origins = JSON.parse(listed.stdout) as Array<{ id: number; origin: string; allowCredentials: boolean }>;
    expect(origins.map((o) => o.origin)).toEqual(['http://localhost:3333', 'https://cli.example.com']);
    const table = await gatehouse(['cors', 'list', '--project', pid]);
    expect(table.stdout).toMatch(/ORIGIN/);
    expect(table.stdout).toContain('https://cli.example.com');

    const matched = await gatehouse(['cors', 'explain', 'https://cli.example.com', '--project', pid]);
    expect(matched.code, matched.stderr).toBe(0);
    expect(matched.stdout).toMatch(/is allowed by entry \d+ \(https:\/\/cli\.example\.com\), with credentials/);
    const refused = await gatehouse(['cors', 'explain', 'http://localhost:3000', '--project', pid]);
    expect(refused.stdout).toMatch(/not allowed: no entry matches/);
    expect(refused.stdout).toMatch(/port differs \(3000 is not 3333\)/);
    expect(refused.stdout).toContain(`gatehouse cors add http://localhost:3000 --project ${pid}`);

    const invalid = await gatehouse(['cors', 'add', 'cli.example.com', '--project', pid]);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('must include protocol');

    const id = origins.find((o) => o.origin === 'https://cli.example.com')?.id;
    const deleted = await gatehouse(['cors', 'delete', String(id), '--project', pid]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`Deleted CORS origin ${id}`);
    const bad = await gatehouse(['cors', 'delete', 'x1', '--project', pid]);
    expect(bad.code).toBe(2);
    expect((await corsOf(pid)).body.length).toBe(1);
  });
});
