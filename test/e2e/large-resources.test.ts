/**
 * Projects and organizations with more members than a view embeds: `GET /projects/{id}`,
 * `GET /projects` and `GET /organizations/{id}?includeMembers=true` embed at most 1,000 members (the
 * first to join), say how many there are (`memberCount`), and their size does not grow with the
 * membership; the paged member routes list everyone, and the API document says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/model/ids.js';
import { MAX_EMBEDDED_MEMBERS } from '../../src/services/views.js';
import { runTransaction } from '../../src/store/changes.js';
import type { MembershipRow, UserRow } from '../../src/store/schema.js';
import { adjustCounts, bumpVersion, countNames } from '../../src/store/versions.js';
import { createOrganization, createProject, createRobot, issuePersonalToken, V } from '../support/fixtures.js';
import { type Api, type ApiResponse, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser();
});

afterAll(async () => {
  await server?.close();
});

let seeded = 0;

/**
 * Adds `n` people holding `viewer` to a resource in one transaction (batched inserts with the
 * maintained counts, as the benchmark seeds), joined after everyone already there. Returns their ids
 * in joining order.
 */
async function addPeople(resource: { type: 'project' | 'organization'; id: string }, n: number): Promise<string[]> {
  const ids: string[] = [];
  const base = Date.now();
  await runTransaction(server.running.store.db, async (trx) => {
    for (let start = 0; start < n; start += 500) {
      const users: UserRow[] = [];
      const memberships: MembershipRow[] = [];
      const roles: Array<{ membership_id: string; role_name: string }> = [];
      for (let i = start; i < Math.min(n, start + 500); i++) {
        const at = new Date(base + i).toISOString();
        const id = newId.user();
        const number = ++seeded;
        users.push({
          id,
          email: `person${number}@large.example`,
          display_name: `Person ${number}`,
          given_name: 'Person',
          family_name: String(number),
          image_url: null,
          provider: 'google',
          created_at: at,
          updated_at: at,
          disabled_at: null,
        });
        const membershipId = newId.membership(base + i);
        memberships.push({
          id: membershipId,
          resource_type: resource.type,
          resource_id: resource.id,
          principal_kind: 'user',
          principal_id: id,
          resource_user_id: id,
          added_at: at,
          last_seen_at: null,
        });
        roles.push({ membership_id: membershipId, role_name: 'viewer' });
        ids.push(id);
      }
      await trx.insertInto('users').values(users).execute();
      await trx.insertInto('memberships').values(memberships).execute();
      await trx.insertInto('membership_roles').values(roles).execute();
    }
    await adjustCounts(
      trx,
      resource,
      new Map([
        [countNames.members('user'), n],
        [countNames.roleHolders('viewer'), n],
      ]),
    );
    await bumpVersion(trx, resource);
  });
  return ids;
}

/** Every member id of a resource through the paged route, following the cursor. */
async function pageThrough(type: 'project' | 'organization', id: string): Promise<{ ids: string[]; totalCount: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let totalCount = 0;
  do {
    const res: ApiResponse<{ data: Array<{ sanityUserId: string }>; totalCount: number; nextCursor: string | null }> = await api(
      'GET',
      `${V}/access/${type}/${id}/users?limit=500${cursor ? `&nextCursor=${cursor}` : ''}`,
      {
        token: owner.token,
      },
    );
    expect(res.status, res.text).toBe(200);
    ids.push(...res.body.data.map((u) => u.sanityUserId));
    totalCount = res.body.totalCount;
    cursor = res.body.nextCursor;
  } while (cursor);
  return { ids, totalCount };
}

describe('a project with more members than a view embeds', () => {
  let projectId: string;
  let people: string[];

  beforeAll(async () => {
    projectId = await createProject(api, owner.token, 'Large');
    await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'large robot');
    people = await addPeople({ type: 'project', id: projectId }, MAX_EMBEDDED_MEMBERS + 20);
  });

  it('GET /projects/{id} embeds the first 1,000 members and says how many there are', async () => {
    const res = await api('GET', `${V}/projects/${projectId}`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.members).toHaveLength(MAX_EMBEDDED_MEMBERS);
    // The owner, then the robot, then the people in the order they joined.
    const total = 1 + 1 + people.length;
    expect(res.body.memberCount).toBe(total);
    expect(res.body.members[0]).toMatchObject({ id: owner.userId, isCurrentUser: true, isRobot: false });
    expect(res.body.members[1]).toMatchObject({ isRobot: true });
    expect(res.body.members.slice(2).map((m: { id: string }) => m.id)).toEqual(people.slice(0, MAX_EMBEDDED_MEMBERS - 2));
    // Without members: neither the list nor the count.
    const plain = await api('GET', `${V}/projects/${projectId}?includeMembers=false`, { token: owner.token });
    expect(plain.body.members).toBeUndefined();
    expect(plain.body.memberCount).toBeUndefined();
  });

  it('a member beyond the first 1,000 sees the same view, and is not marked as the current user in it', async () => {
    const late = people[people.length - 1] as string;
    const token = await issuePersonalToken(server, late, 'late');
    const res = await api('GET', `${V}/projects/${projectId}`, { token: token.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.members).toHaveLength(MAX_EMBEDDED_MEMBERS);
    expect(res.body.members.some((m: { isCurrentUser: boolean }) => m.isCurrentUser)).toBe(false);
    expect(res.body.memberCount).toBe(2 + people.length);
  });

  it('the paged member route lists every person, and the API document points there', async () => {
    const listed = await pageThrough('project', projectId);
    expect(listed.totalCount).toBe(1 + people.length);
    expect(listed.ids).toEqual([owner.userId, ...people]);
    const doc = await api('GET', '/openapi.json');
    expect(doc.text).toContain('Page through all of them with GET /access/project/{projectId}/users');
    expect(doc.text).toContain('Page through all of them with GET /access/organization/{organizationId}/users');
  });

  it('GET /projects does not grow with members: 500 more leave each entry at 1,000 members', async () => {
    const small = await createProject(api, owner.token, 'Small');
    const before = await api('GET', `${V}/projects`, { token: owner.token });
    expect(before.status, before.text).toBe(200);
    const entry = (body: Array<{ id: string }>, id: string) => body.find((p) => p.id === id) as Record<string, unknown>;
    expect(entry(before.body, projectId).members).toHaveLength(MAX_EMBEDDED_MEMBERS);
    expect(entry(before.body, projectId).memberCount).toBe(2 + people.length);
    // A project under the cap embeds everyone and has no count.
    expect(entry(before.body, small).members).toHaveLength(1);
    expect(entry(before.body, small).memberCount).toBeUndefined();

    const more = await addPeople({ type: 'project', id: projectId }, 500);
    const after = await api('GET', `${V}/projects`, { token: owner.token });
    expect(entry(after.body, projectId).members).toHaveLength(MAX_EMBEDDED_MEMBERS);
    expect(entry(after.body, projectId).memberCount).toBe(2 + people.length + more.length);
    // The same bytes but for the count's digits.
    expect(Math.abs(after.text.length - before.text.length)).toBeLessThanOrEqual(2);
  });
});

describe('an organization with more members than its view embeds', () => {
  it('GET /organizations/{id}?includeMembers=true embeds the first 1,000 people and says how many there are', async () => {
    const organizationId = await createOrganization(api, owner.token, 'Large org');
    const small = await api('GET', `${V}/organizations/${organizationId}?includeMembers=true`, { token: owner.token });
    expect(small.body.members).toHaveLength(1);
    expect(small.body.memberCount).toBeUndefined();

    const people = await addPeople({ type: 'organization', id: organizationId }, MAX_EMBEDDED_MEMBERS + 5);
    const res = await api('GET', `${V}/organizations/${organizationId}?includeMembers=true`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.members).toHaveLength(MAX_EMBEDDED_MEMBERS);
    expect(res.body.memberCount).toBe(1 + people.length);
    expect(res.body.members[0]).toMatchObject({ sanityUserId: owner.userId, isCurrentUser: true });
    expect(res.body.members.slice(1).map((m: { sanityUserId: string }) => m.sanityUserId)).toEqual(
      people.slice(0, MAX_EMBEDDED_MEMBERS - 1),
    );
    const listed = await pageThrough('organization', organizationId);
    expect(listed.totalCount).toBe(1 + people.length);
    expect(listed.ids).toEqual([owner.userId, ...people]);
  });
});
