/**
 * The permissions-used counters (services/usage.ts) keep a UTC day per counter: requests on either
 * side of midnight count on their own day, whichever order the clock shows them in, and each day
 * keeps the time of its last request. Checked through the rows a flush writes, on an in-memory store.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ResourceRef } from '../../src/model/policy.js';
import type { Principal } from '../../src/model/principals.js';
import { UsageService } from '../../src/services/usage.js';
import { openServiceStore, type ServiceStore } from '../support/service-store.js';

let h: ServiceStore;

beforeAll(async () => {
  h = await openServiceStore();
});

afterAll(async () => {
  await h?.close();
});

it('counts each request on its own UTC day, with the time of each day’s last request', async () => {
  const owner = await h.user('Owner');
  const view = (await h.services.projects.create(owner.actor, { displayName: 'Usage days' })) as { id: string };
  const project: ResourceRef = { type: 'project', id: view.id };
  const robot = await h.services.robots.create(owner.actor, project, await h.granter(project, owner.id), {
    label: 'nightly',
    memberships: [{ resourceType: 'project', resourceId: project.id, roleNames: ['viewer'] }],
  });
  let clock = new Date('2026-03-01T23:59:59.900Z');
  const usage = new UsageService({ ...h.deps, now: () => clock });
  const principal = { kind: 'robot', id: robot.id } as Principal;
  const permission = 'sanity.project.members.read';

  usage.record(principal, project, permission);
  clock = new Date('2026-03-02T00:00:00.100Z');
  usage.record(principal, project, permission);
  // A clock that steps back (a time sync) counts on the day it shows.
  clock = new Date('2026-03-01T23:59:59.950Z');
  usage.record(principal, project, permission);
  clock = new Date('2026-03-02T00:00:01.000Z');
  usage.record(principal, project, permission);
  await usage.flush();

  const rows = await h.store.db
    .selectFrom('robot_permission_usage')
    .select(['day', 'count', 'last_used_at'])
    .where('robot_id', '=', robot.id)
    .orderBy('day')
    .execute();
  expect(rows).toEqual([
    { day: '2026-03-01', count: 2, last_used_at: '2026-03-01T23:59:59.950Z' },
    { day: '2026-03-02', count: 2, last_used_at: '2026-03-02T00:00:01.000Z' },
  ]);
});
