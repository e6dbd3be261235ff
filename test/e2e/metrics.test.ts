/**
 * Prometheus metrics (GATEHOUSE_METRICS_ADDRESS): off by default, served on a listener of their own
 * and never on the API port, every metric docs/operations.md lists is there, and no label carries a
 * token, a secret, a concrete path or an e-mail address.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../support/database.js';
import { createProject, createRobot, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The metric names of the "Metrics" section of docs/operations.md; `*` stands for a prefix. */
function documentedMetrics(): string[] {
  const text = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
  const section = text.slice(text.indexOf('\n## Metrics'));
  const table = section.slice(0, section.indexOf('What to alert on'));
  return [...new Set([...table.matchAll(/`(gatehouse_[a-z_]+\*?)/g)].map((m) => m[1] as string))];
}

/** Metric families in an exposition: name → label sets (one object per sample line). */
function parseExposition(text: string): Map<string, Array<Record<string, string>>> {
  const families = new Map<string, Array<Record<string, string>>>();
  for (const line of text.split('\n')) {
    const declared = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    if (declared?.[1]) {
      if (!families.has(declared[1])) families.set(declared[1], []);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!sample?.[1]) continue;
    const family = sample[1].replace(/_(bucket|sum|count)$/, '');
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1] as string] = m[2] as string;
    }
    const list = families.get(family) ?? families.get(sample[1]) ?? [];
    if (!families.has(family) && !families.has(sample[1])) families.set(family, list);
    list.push(labels);
  }
  return families;
}

describe('metrics are off by default', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('no metrics listener, and the API port does not serve /metrics', async () => {
    expect(server.running.metricsUrl).toBeNull();
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('gatehouse_');
  });
});

describe('metrics on their own listener', () => {
  let server: TestServer;
  let api: Api;
  let owner: { userId: string; token: string };
  let projectId: string;
  let robotToken: string;

  beforeAll(async () => {
    server = await startTestServer({ metricsAddress: '127.0.0.1:0' });
    api = apiClient(server.url);
    owner = await server.createUser('metrics.owner@example.com');
    projectId = await createProject(api, owner.token, 'Metrics');
    robotToken = (await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'])).token;
  });
  afterAll(async () => {
    await server?.close();
  });

  const scrape = async () => {
    const url = server.running.metricsUrl as string;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return res.text();
  };

  it('listens on an address of its own, serves GET /metrics only, and the API port still does not', async () => {
    const url = server.running.metricsUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(url as string).port).not.toBe(new URL(server.url).port);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(new URL('/', url as string))).status).toBe(404);
    expect((await fetch(url as string, { method: 'POST' })).status).toBe(404);
  });

  it('exposes every metric docs/operations.md lists, and documents every one it exposes', async () => {
    // Traffic first, so the request histogram has samples.
    expect((await api('GET', `${V}/access/project/${projectId}/users`, { token: robotToken })).status).toBe(200);
    const families = parseExposition(await scrape());
    const names = [...families.keys()];
    const documented = documentedMetrics();
    expect(documented.length).toBeGreaterThan(10);
    for (const name of documented) {
      if (name.endsWith('*'))
        expect(
          names.some((n) => n.startsWith(name.slice(0, -1))),
          name,
        ).toBe(true);
      else expect(names, name).toContain(name);
    }
    const prefixes = documented.filter((n) => n.endsWith('*')).map((n) => n.slice(0, -1));
    for (const name of names) {
      if (prefixes.some((p) => name.startsWith(p))) continue;
      expect(documented, `${name} is exposed but not documented`).toContain(name);
    }
    expect(names.every((n) => n.startsWith('gatehouse_'))).toBe(true);
  });

  it('counts requests by route template and status, and cache hits, with the listener up', async () => {
    for (let i = 0; i < 3; i++) await api('GET', `${V}/users/me`, { token: robotToken });
    const families = parseExposition(await scrape());
    const requests = families.get('gatehouse_http_request_duration_seconds') ?? [];
    expect(requests).toContainEqual(expect.objectContaining({ route: '/:apiVersion/users/me', method: 'GET', status: '200' }));
    expect(families.get('gatehouse_change_listener_up')).toEqual([{}]);
    const text = await scrape();
    expect(text).toMatch(/^gatehouse_change_listener_up 1$/m);
    expect(text).toMatch(/^gatehouse_auth_cache_hits_total\{table="credential"\} [1-9]/m);
    if (TEST_DIALECT === 'postgres') expect(text).toMatch(/^gatehouse_db_pool_connections\{state="total"\} \d+/m);
  });

  it('never puts a token, the secret, a concrete path or an e-mail address in a label', async () => {
    const forged = `gth_user_${'x'.repeat(49)}`;
    await api('GET', `${V}/projects/${projectId}`, { token: owner.token });
    await api('GET', `${V}/projects/${projectId}`, { token: forged });
    await api('GET', `${V}/users/me`, { headers: { authorization: `Bearer ${robotToken}x` } });
    await api('GET', `/nothing/here/${forged}?token=${robotToken}`);
    await api('GET', `${V}/access/project/${projectId}/users/${owner.userId}`, { token: owner.token });
    const text = await scrape();
    for (const secret of [owner.token, robotToken, forged, server.secret, 'metrics.owner@example.com', projectId, owner.userId]) {
      expect(text).not.toContain(secret);
    }
    const families = parseExposition(text);
    const routes = new Set((families.get('gatehouse_http_request_duration_seconds') ?? []).map((l) => l.route));
    expect(routes).toContain('unmatched');
    expect(routes).toContain('/:apiVersion/projects/:projectId');
    for (const route of routes) expect(route).toMatch(/^(unmatched|\/[a-zA-Z0-9/:_{}.-]*)$/);
    for (const labels of [...families.values()].flat()) {
      for (const value of Object.values(labels)) expect(value).not.toMatch(/gth_|@|Bearer/);
    }
  });

  it('stops listening when the server closes', async () => {
    const other = await startTestServer({ metricsAddress: '127.0.0.1:0', sameDatabaseAs: server });
    const url = other.running.metricsUrl as string;
    expect((await fetch(url)).status).toBe(200);
    await other.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});
