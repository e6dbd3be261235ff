/**
 * Writes racing each other through the API, as the benchmark's eight concurrent writers send them:
 * every one succeeds or fails for a reason the caller can act on (never a 500), numeric ids are
 * never handed out twice, and the audit log's hash chain still verifies afterwards. On PostgreSQL
 * the transactions really interleave (READ COMMITTED, a pool of connections); on SQLite they queue
 * for the write lock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/services/audit.js';
import { addMember, createProject, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser();
  projectId = await createProject(api, owner.token, 'Concurrency');
});

afterAll(async () => {
  await server?.close();
});

const WRITERS = 8;

/** `writers` clients, each sending `each` requests one after another, all at once. */
async function race<T>(writers: number, each: number, send: (writer: number, n: number) => Promise<T>): Promise<T[]> {
  const results = await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const out: T[] = [];
      for (let n = 0; n < each; n++) out.push(await send(writer, n));
      return out;
    }),
  );
  return results.flat();
}

async function expectChainIntact(): Promise<void> {
  const verification = await verifyAuditLog(server.running.store.db);
  expect(verification.break).toBeNull();
}

describe('concurrent writers', () => {
  it('CORS origins added at once all get distinct ids, on one project and across projects', async () => {
    const other = await createProject(api, owner.token, 'Concurrency 2');
    const added = await race(WRITERS, 4, (writer, n) =>
      api('POST', `${V}/projects/${writer % 2 === 0 ? projectId : other}/cors`, {
        token: owner.token,
        body: { origin: `https://w${writer}-n${n}.concurrent.example` },
      }),
    );
    for (const res of added) expect(res.status, res.text).toBe(201);
    const ids = added.map((res) => res.body.id as number);
    expect(new Set(ids).size).toBe(ids.length);
    // Each project lists exactly what was added to it, plus the origin every project starts with.
    for (const pid of [projectId, other]) {
      const listed = await api('GET', `${V}/projects/${pid}/cors`, { token: owner.token });
      const mine = added.filter((res) => res.body.projectId === pid).map((res) => res.body.id);
      expect(listed.body.map((o: { id: number }) => o.id)).toEqual(expect.arrayContaining(mine));
      expect(listed.body).toHaveLength(mine.length + 1);
    }
    await expectChainIntact();
  });

  it('projects created while origins are added keep every id distinct (both take ids from one sequence)', async () => {
    const results = await race(WRITERS, 3, async (writer, n) =>
      writer % 2 === 0
        ? api('POST', `${V}/projects`, { token: owner.token, body: { displayName: `Race ${writer}-${n}` } })
        : api('POST', `${V}/projects/${projectId}/cors`, {
            token: owner.token,
            body: { origin: `https://mixed-w${writer}-n${n}.concurrent.example` },
          }),
    );
    for (const res of results) expect(res.status, res.text).toBe(201);
    const ids: number[] = [];
    for (const res of results) {
      if (res.body.origin) ids.push(res.body.id);
      else {
        const seeded = await api('GET', `${V}/projects/${res.body.id}/cors`, { token: owner.token });
        expect(seeded.body).toHaveLength(1);
        ids.push(seeded.body[0].id);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    await expectChainIntact();
  });

  it('the same origin added by eight writers at once: one 201, the others 200 for the same origin; other settings a 409', async () => {
    const origin = 'https://same.concurrent.example';
    const results = await race(WRITERS, 1, () =>
      api('POST', `${V}/projects/${projectId}/cors`, { token: owner.token, body: { origin } }),
    );
    const statuses = results.map((res) => res.status).sort();
    // Adding an origin that is already there with the same settings is idempotent (docs/reference/api.md).
    expect(statuses).toEqual([...Array(WRITERS - 1).fill(200), 201]);
    expect(new Set(results.map((res) => res.body.id)).size).toBe(1);
    const conflicting = await race(WRITERS, 1, () =>
      api('POST', `${V}/projects/${projectId}/cors`, { token: owner.token, body: { origin, allowCredentials: true } }),
    );
    for (const res of conflicting) {
      expect(res.status, res.text).toBe(409);
      expect(res.body.reason.code).toBe('cors_origin_exists');
    }
    await expectChainIntact();
  });

  it('robots created and member roles changed by eight writers at once all succeed', async () => {
    const members: string[] = [];
    for (let i = 0; i < WRITERS; i++) {
      const user = await server.createUser();
      await addMember(server, { type: 'project', id: projectId }, user.userId, ['viewer']);
      members.push(user.userId);
    }
    const results = await race(WRITERS, 4, (writer, n) =>
      n % 2 === 0
        ? api('POST', `${V}/access/project/${projectId}/robots`, {
            token: owner.token,
            body: {
              label: `racer ${writer}-${n}`,
              memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
            },
          })
        : api('PUT', `${V}/access/project/${projectId}/users/${members[writer]}/roles`, {
            token: owner.token,
            body: { roleNames: [n % 4 === 1 ? 'editor' : 'viewer'] },
          }),
    );
    for (const res of results) expect([200, 201], res.text).toContain(res.status);
    const page = await api('GET', `${V}/access/project/${projectId}/users?limit=100`, { token: owner.token });
    expect(page.body.totalCount).toBe(WRITERS + 1);
    await expectChainIntact();
  });

  it('eight writers moving their members between viewer and editor at once never deadlock on the role counts', async () => {
    const members: string[] = [];
    for (let i = 0; i < WRITERS; i++) {
      const user = await server.createUser();
      await addMember(server, { type: 'project', id: projectId }, user.userId, [i % 2 === 0 ? 'viewer' : 'editor']);
      members.push(user.userId);
    }
    // Half move viewer → editor while the other half move editor → viewer, four times over.
    const results = await race(WRITERS, 4, (writer, n) =>
      api('PUT', `${V}/access/project/${projectId}/users/${members[writer]}/roles`, {
        token: owner.token,
        body: { roleNames: [(writer + n) % 2 === 0 ? 'editor' : 'viewer'] },
      }),
    );
    for (const res of results) expect(res.status, res.text).toBe(200);
    await expectChainIntact();
  });

  it('two writers replacing one member’s roles at once: the member ends with one writer’s set, never a mix', async () => {
    const user = await server.createUser();
    await addMember(server, { type: 'project', id: projectId }, user.userId, ['viewer']);
    for (let round = 0; round < 5; round++) {
      const sets = [['editor'], ['developer']];
      const results = await Promise.all(
        sets.map((roleNames) =>
          api('PUT', `${V}/access/project/${projectId}/users/${user.userId}/roles`, { token: owner.token, body: { roleNames } }),
        ),
      );
      for (const res of results) expect(res.status, res.text).toBe(200);
      const now = await api('GET', `${V}/access/project/${projectId}/users/${user.userId}`, { token: owner.token });
      const held = now.body.memberships[0].roleNames as string[];
      expect(sets.map((set) => set.join())).toContain([...held].sort().join());
      // Back to a start both writers change.
      await api('PUT', `${V}/access/project/${projectId}/users/${user.userId}/roles`, {
        token: owner.token,
        body: { roleNames: ['viewer'] },
      });
    }
    await expectChainIntact();
  });

  it('members demoted while an administrator is demoted at once: the last administrator always stays', async () => {
    const resource = { type: 'project' as const, id: await createProject(api, owner.token, 'Demotions') };
    const admin = await server.createUser();
    await addMember(server, resource, admin.userId, ['administrator']);
    const members: string[] = [];
    for (let i = 0; i < WRITERS; i++) {
      const user = await server.createUser();
      await addMember(server, resource, user.userId, ['editor']);
      members.push(user.userId);
    }
    // The owner and the second administrator demote each other while eight editors become viewers.
    const results = await Promise.all([
      api('PUT', `${V}/access/project/${resource.id}/users/${admin.userId}/roles`, {
        token: owner.token,
        body: { roleNames: ['viewer'] },
      }),
      api('PUT', `${V}/access/project/${resource.id}/users/${owner.userId}/roles`, {
        token: admin.token,
        body: { roleNames: ['viewer'] },
      }),
      ...members.map((userId) =>
        api('PUT', `${V}/access/project/${resource.id}/users/${userId}/roles`, {
          token: owner.token,
          body: { roleNames: ['viewer'] },
        }),
      ),
    ]);
    const [first, second, ...others] = results;
    for (const res of others) expect([200, 401, 403], res.text).toContain(res.status);
    // Exactly one administrator demotion went through; the other was refused for a reason.
    expect([first?.status, second?.status].filter((status) => status === 200)).toHaveLength(1);
    const page = await api('GET', `${V}/access/project/${resource.id}/users?limit=50`, {
      token: first?.status === 200 ? owner.token : admin.token,
    });
    const admins = (page.body.data as Array<{ memberships: Array<{ roleNames: string[] }> }>).filter((u) =>
      u.memberships[0]?.roleNames.includes('administrator'),
    );
    expect(admins).toHaveLength(1);
    await expectChainIntact();
  });
});
