/**
 * Member lists are served from each node's memory while nothing changed, yet a change shows on the
 * node that made it on its very next request, and on every other node on its very next request on
 * SQLite (`data_version`) and within 1 s on PostgreSQL (LISTEN/NOTIFY; services/change-feed.ts).
 * No TTLs: a node whose change feed cannot vouch for its cache reads the version every time.
 *
 * That pages really come from memory is shown, not assumed: a row changed straight in the database
 * (moving no version) stays unseen in a page already rendered, and shows once a real change moves
 * the version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../support/database.js';
import { addMember, createProject, createRobot } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let nodeA: TestServer;
let nodeB: TestServer;
let a: Api;
let b: Api;
let owner: { userId: string; token: string };
let projectId: string;
let robotToken: string;

const ids = (res: { body: { data: Array<{ sanityUserId: string }> } }) => res.body.data.map((u) => u.sanityUserId);

/**
 * What `read` answers on node `api` once it satisfies `check`: on the node that made the change, and
 * on SQLite, at once; on another node on PostgreSQL, within 1 s.
 */
async function seenBy<T>(api: Api, changedOn: Api, read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = performance.now() + (api === changedOn || TEST_DIALECT === 'sqlite' ? 0 : 1_000);
  let value = await read();
  while (!check(value) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}

beforeAll(async () => {
  nodeA = await startTestServer();
  nodeB = await startTestServer({ sameDatabaseAs: nodeA });
  a = apiClient(nodeA.url);
  b = apiClient(nodeB.url);
  owner = await nodeA.createUser('owner@example.com');
  projectId = await createProject(a, owner.token);
  robotToken = (await createRobot(a, owner.token, { type: 'project', id: projectId }, ['viewer'])).token;
});

afterAll(async () => {
  await nodeB?.close();
  await nodeA?.close();
});

describe('member list pages on two nodes', () => {
  it('serve a page from memory while the resource’s version is unchanged, and render it again once it moves', async () => {
    // A project of its own, so the other tests' expectations of the fixture project stay as they are.
    const project = { type: 'project' as const, id: await createProject(a, owner.token) };
    const reader = (await createRobot(a, owner.token, project, ['viewer'])).token;
    const path = `/v2025-01-09/access/project/${project.id}/users`;
    const quiet = await nodeA.createUser('quiet@example.com', 'Quiet Member');
    await addMember(nodeA, project, quiet.userId, ['viewer']);
    const nameOf = (res: { body: { data: Array<{ sanityUserId: string; profile: { displayName: string } }> } }) =>
      res.body.data.find((u) => u.sanityUserId === quiet.userId)?.profile.displayName;
    const list = (api: Api) => api('GET', `${path}?limit=100`, { token: reader });
    for (const api of [a, b]) {
      const res = await seenBy(
        api,
        a,
        () => list(api),
        (r) => nameOf(r) === 'Quiet Member',
      );
      expect(nameOf(res)).toBe('Quiet Member');
    }
    // Whatever bookkeeping the requests so far noted (lastSeenAt, lastUsedAt) is written now, so no
    // version moves from here on but the ones this test makes; then both nodes hold a current page.
    await nodeA.running.services.bookkeeping.flush();
    await nodeB.running.services.bookkeeping.flush();
    for (const api of [a, b]) expect(nameOf(await list(api))).toBe('Quiet Member');

    // A change made behind the servers' backs (straight in the database, through no service, so
    // no version moves and no node hears of it): a page rendered from the database would show it;
    // a page served from memory does not. Without the page cache, this fails.
    await nodeA.running.store.db
      .updateTable('users')
      .set({ display_name: 'Renamed Behind The Servers' })
      .where('id', '=', quiet.userId)
      .execute();
    for (const api of [a, b]) expect(nameOf(await list(api)), 'served from the page cache').toBe('Quiet Member');
    // Another limit is another page, never rendered before: it reads the database.
    const fresh = await a('GET', `${path}?limit=99`, { token: reader });
    expect(nameOf(fresh)).toBe('Renamed Behind The Servers');

    // A change through the service moves the version: both nodes render the page again.
    const newcomer = await nodeA.createUser();
    await addMember(nodeA, project, newcomer.userId, ['viewer']);
    for (const api of [a, b]) {
      const res = await seenBy(
        api,
        a,
        () => list(api),
        (r) => ids(r).includes(newcomer.userId),
      );
      expect(ids(res)).toContain(newcomer.userId);
      expect(nameOf(res)).toBe('Renamed Behind The Servers');
    }
  });

  it('a member added and removed shows on both nodes on the next request', async () => {
    const path = `/v2025-01-09/access/project/${projectId}/users`;
    // Warm both nodes' caches.
    for (const api of [a, b]) expect(ids(await api('GET', path, { token: robotToken }))).toEqual([owner.userId]);
    for (const api of [a, b]) expect(ids(await api('GET', path, { token: robotToken }))).toEqual([owner.userId]);

    const newcomer = await nodeA.createUser('newcomer@example.com');
    await addMember(nodeA, { type: 'project', id: projectId }, newcomer.userId, ['editor']);
    for (const api of [a, b]) {
      const res = await seenBy(
        api,
        a,
        () => api('GET', path, { token: robotToken }),
        (r) => ids(r).length === 2,
      );
      expect(ids(res)).toEqual([owner.userId, newcomer.userId]);
      expect(res.body.totalCount).toBe(2);
    }

    const removed = await b('DELETE', `${path}/${newcomer.userId}`, { token: owner.token });
    expect(removed.status).toBe(204);
    for (const api of [b, a]) {
      const res = await seenBy(
        api,
        b,
        () => api('GET', path, { token: robotToken }),
        (r) => ids(r).length === 1,
      );
      expect(ids(res)).toEqual([owner.userId]);
    }
  });

  it('pages of different sizes and cursors are cached separately and stay consistent', async () => {
    const path = `/v2025-01-09/access/project/${projectId}/users`;
    for (let i = 0; i < 3; i++) {
      const user = await nodeA.createUser();
      await addMember(nodeA, { type: 'project', id: projectId }, user.userId, ['viewer']);
    }
    const all = ids(await a('GET', `${path}?limit=100`, { token: robotToken }));
    expect(all).toHaveLength(4);
    await seenBy(
      b,
      a,
      () => b('GET', `${path}?limit=100`, { token: robotToken }),
      (r) => ids(r).length === 4,
    );
    for (const api of [a, b, a]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=1&nextCursor=${encodeURIComponent(cursor)}` : '?limit=1';
        const res = await api('GET', path + query, { token: robotToken });
        seen.push(...ids(res));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all);
    }
  });

  it('a member seen again shows the new lastSeenAt on both nodes', async () => {
    const path = `/v2025-01-09/access/project/${projectId}/users/${owner.userId}`;
    const listPath = `/v2025-01-09/access/project/${projectId}/users?limit=1`;
    const before = (await b('GET', listPath, { token: robotToken })).body.data[0].memberships[0].lastSeenAt;
    nodeA.advance(3600_000);
    nodeB.advance(3600_000);
    // The owner's own request records that they were seen (throttled bookkeeping write).
    expect((await a('GET', path, { token: owner.token })).status).toBe(200);
    // The owner's node writes its bookkeeping before it reads it back (services/bookkeeping.ts).
    const after = (
      await seenBy(
        b,
        a,
        () => b('GET', listPath, { token: robotToken }),
        (r) => r.body.data[0].memberships[0].lastSeenAt !== before,
      )
    ).body.data[0].memberships[0].lastSeenAt;
    expect(after).not.toBe(before);
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before ?? '1970-01-01'));
  });

  it('sends a page gzip-compressed to clients that ask for it, and the same JSON to those that do not', async () => {
    const { request } = await import('node:http');
    const { gunzipSync } = await import('node:zlib');
    const url = new URL(`${nodeA.url}/v2025-01-09/access/project/${projectId}/users`);
    const get = (acceptEncoding: string) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const req = request(
          url,
          { headers: { authorization: `Bearer ${robotToken}`, 'accept-encoding': acceptEncoding } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const plain = await get('identity');
    const zipped = await get('br, gzip, deflate');
    const refused = await get('gzip;q=0');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/accept-encoding/i);
    expect(zipped.body.length).toBeLessThan(plain.body.length);
    expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual(JSON.parse(plain.body.toString('utf8')));
  });
});
