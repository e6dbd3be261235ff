/**
 * What a request costs in round trips to PostgreSQL (store/postgres-commit.ts counts every query the
 * pool's connections send and wait for; `gatehouse_db_round_trips_total`). A warm read sends none;
 * a write sends its `begin` with its first statement, pipelines the inserts nothing waits for, and
 * sends the version and count updates, the audit event and the notification with its `commit`.
 * These counts are the write path's design, so a change that adds a round trip fails here rather
 * than only in a benchmark. On SQLite nothing crosses a network and the store counts nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_DIALECT } from '../support/database.js';
import { addMember, createProject } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const V = '/v2025-01-09';
let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser('round-trips@example.com');
  projectId = await createProject(api, owner.token);
});

afterAll(async () => {
  await server?.close();
});

/** Round trips `request` made, on a node whose background writes are flushed first. */
async function roundTripsOf(request: () => Promise<{ status: number; text: string }>, status: number): Promise<number> {
  const counter = server.running.store.roundTrips as () => number;
  await server.running.services.bookkeeping.flush();
  const before = counter();
  const res = await request();
  expect(res.status, res.text).toBe(status);
  return counter() - before;
}

it('PostgreSQL: a warm read 0, creating a robot 2, a role change 3, adding a CORS origin 3 round trips', async () => {
  if (TEST_DIALECT !== 'postgres') {
    expect(server.running.store.roundTrips).toBeUndefined();
    return;
  }
  const member = await server.createUser('round-trips-member@example.com');
  await addMember(server, { type: 'project', id: projectId }, member.userId, ['viewer']);
  const users = `${V}/access/project/${projectId}/users`;
  // Twice first: the cache and the page are warm for the third.
  for (let i = 0; i < 2; i++) await api('GET', users, { token: owner.token });
  expect(await roundTripsOf(() => api('GET', users, { token: owner.token }), 200)).toBe(0);

  const robot = () =>
    api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: { label: 'counted', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
    });
  await robot();
  // begin + the organization policy read; the robot, its token, membership and roles, the tail, commit.
  expect(await roundTripsOf(robot, 201)).toBe(2);

  const roles = (roleNames: string[]) => () =>
    api('PUT', `${users}/${member.userId}/roles`, { token: owner.token, body: { roleNames } });
  // begin + the membership, locked; the user and its roles; the new roles, the tail, commit.
  expect(await roundTripsOf(roles(['editor']), 200)).toBe(3);
  expect(await roundTripsOf(roles(['viewer']), 200)).toBe(3);

  const cors = (n: number) => () =>
    api('POST', `${V}/projects/${projectId}/cors`, {
      token: owner.token,
      body: { origin: `https://counted-${n}.example`, allowCredentials: false },
    });
  await cors(0);
  // begin + the project's read; the origins it holds; the origin, the tail, commit.
  expect(await roundTripsOf(cors(1), 201)).toBe(3);
});
