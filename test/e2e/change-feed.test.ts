/**
 * Two nodes on one database (services/change-feed.ts). On PostgreSQL a change made through node A
 * is refused by node B within 1 s (LISTEN/NOTIFY), and B never serves a revoked credential more
 * than 1 s after the revocation, even when its listener is killed (`pg_terminate_backend`) or stops
 * answering (its backend process suspended): B then reads the database on every request until it
 * has re-subscribed. On SQLite the two nodes are two connections to one file, as two processes
 * would be, and B sees A's commit on its very next request (`PRAGMA data_version`), including a
 * write that bypasses Gatehouse altogether.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../support/database.js';
import { addMember, createProject, createRobot } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const V = '/v2025-01-09';
let nodeA: TestServer;
let nodeB: TestServer;
let a: Api;
let b: Api;
let owner: { userId: string; token: string };
let projectId: string;
const postgres = TEST_DIALECT === 'postgres';

beforeAll(async () => {
  nodeA = await startTestServer();
  nodeB = await startTestServer({ sameDatabaseAs: nodeA });
  a = apiClient(nodeA.url);
  b = apiClient(nodeB.url);
  owner = await nodeA.createUser('feed-owner@example.com');
  projectId = await createProject(a, owner.token);
  expect(await nodeB.running.feed.ready(10_000)).toBe(true);
});

afterAll(async () => {
  await nodeB?.close();
  await nodeA?.close();
});

const listPath = () => `${V}/access/project/${projectId}/users`;

/** A robot whose token node B has cached (two requests answered 200). */
async function robotCachedOnB() {
  const robot = await createRobot(a, owner.token, { type: 'project', id: projectId }, ['viewer']);
  for (let i = 0; i < 2; i++) expect((await b('GET', listPath(), { token: robot.token })).status).toBe(200);
  return robot;
}

/**
 * Polls node B with `token` until it refuses it or 3 s pass; returns every answer with the time its
 * request was sent, in ms after `since`.
 */
async function pollB(token: string, since: number, until = (status: number) => status === 401) {
  const answers: Array<{ at: number; status: number }> = [];
  while (performance.now() - since < 3_000) {
    const at = performance.now() - since;
    const { status } = await b('GET', listPath(), { token });
    answers.push({ at, status });
    if (until(status)) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return answers;
}

function expectRefusedWithinOneSecond(answers: Array<{ at: number; status: number }>) {
  const served = answers.filter((x) => x.status === 200);
  // Nothing served after 1 s, and refused in the end.
  expect(served.filter((x) => x.at >= 1_000)).toEqual([]);
  expect(answers.at(-1)?.status).toBe(401);
}

async function deleteRobot(robotId: string): Promise<number> {
  const res = await a('DELETE', `${V}/access/project/${projectId}/robots/${robotId}`, { token: owner.token });
  expect(res.status).toBe(204);
  return performance.now();
}

describe('a change made on node A', () => {
  it(`is refused by node B ${postgres ? 'within 1 s' : 'on the very next request'}`, async () => {
    const robot = await robotCachedOnB();
    const revokedAt = await deleteRobot(robot.id);
    const answers = await pollB(robot.token, revokedAt);
    expectRefusedWithinOneSecond(answers);
    if (!postgres) expect(answers).toHaveLength(1);
  });

  it(`shows in node B's member list ${postgres ? 'within 1 s' : 'on the very next request'}`, async () => {
    const robot = await robotCachedOnB();
    const newcomer = await nodeA.createUser();
    const ids = async () =>
      (await b('GET', `${listPath()}?limit=500`, { token: robot.token })).body.data.map(
        (u: { sanityUserId: string }) => u.sanityUserId,
      );
    expect(await ids()).not.toContain(newcomer.userId);
    await addMember(nodeA, { type: 'project', id: projectId }, newcomer.userId, ['viewer']);
    const since = performance.now();
    let seen = false;
    while (!seen && performance.now() - since < 1_000) {
      seen = (await ids()).includes(newcomer.userId);
      if (!postgres) expect(seen).toBe(true);
    }
    expect(seen).toBe(true);
  });
});

describe(postgres ? 'node B losing its listener' : 'another process writing to the same SQLite file', () => {
  it(
    postgres
      ? 'killed with pg_terminate_backend: B never serves a revoked credential beyond 1 s, then re-subscribes and caches again'
      : 'a write that bypasses Gatehouse (raw SQL on another connection) is seen by both nodes on their next request',
    async () => {
      const robot = await robotCachedOnB();
      if (!postgres) {
        const file = (nodeA.database as { file: string }).file;
        const other = new Database(file);
        try {
          other.pragma('busy_timeout = 5000');
          other.prepare('update tokens set revoked_at = ? where principal_id = ?').run(new Date(0).toISOString(), robot.id);
        } finally {
          other.close();
        }
        expect((await b('GET', listPath(), { token: robot.token })).status).toBe(401);
        expect((await a('GET', listPath(), { token: robot.token })).status).toBe(401);
        return;
      }
      const feed = nodeB.running.feed;
      const pid = feed.backendPid;
      expect(pid).toEqual(expect.any(Number));
      const admin = new pg.Client({ connectionString: (nodeA.database as { url: string }).url });
      await admin.connect();
      try {
        const killed = await admin.query('select pg_terminate_backend($1) as ok', [pid]);
        expect(killed.rows[0].ok).toBe(true);
      } finally {
        await admin.end();
      }
      const revokedAt = await deleteRobot(robot.id);
      expectRefusedWithinOneSecond(await pollB(robot.token, revokedAt));

      // B comes back: a new listener, everything forgotten, and the cache serves again.
      expect(await feed.ready(10_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(feed.backendPid).not.toBe(pid);
      expect(feed.reconnects).toBeGreaterThan(0);
      const again = await robotCachedOnB();
      const hits = nodeB.running.services.auth.cache.stats.hits.credential;
      expect((await b('GET', listPath(), { token: again.token })).status).toBe(200);
      expect(nodeB.running.services.auth.cache.stats.hits.credential).toBeGreaterThan(hits);
      const revokedAgain = await deleteRobot(again.id);
      expectRefusedWithinOneSecond(await pollB(again.token, revokedAgain));
    },
  );

  it(
    postgres
      ? 'silently stuck (its backend suspended): the heartbeat lease lapses and B reads the database, so a revocation is refused within 1 s'
      : 'reads SQLite’s data_version, a counter no table read is needed for',
    async () => {
      const robot = await robotCachedOnB();
      if (!postgres) {
        expect(nodeB.running.feed.state).toBe('sqlite');
        const version = nodeB.running.store.dataVersion?.();
        expect(version).toEqual(expect.any(Number));
        await deleteRobot(robot.id);
        expect(nodeB.running.store.dataVersion?.()).not.toBe(version);
        expect((await b('GET', listPath(), { token: robot.token })).status).toBe(401);
        return;
      }
      const feed = nodeB.running.feed;
      await feed.ready(10_000);
      const pid = feed.backendPid as number;
      process.kill(pid, 'SIGSTOP');
      try {
        const revokedAt = await deleteRobot(robot.id);
        expectRefusedWithinOneSecond(await pollB(robot.token, revokedAt));
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      expect(await feed.ready(10_000)).toBe(true);
    },
  );
});
