/**
 * Memberships and their roles. Every function that changes what a member list shows bumps the
 * resource's version (store/versions.ts) and keeps its counts (members per kind, human holders per
 * role) in the same transaction, and notes that the principal's access changed
 * (store/changes.ts), so cached pages and cached access stay exact.
 */
import { PostgresAdapter, sql } from 'kysely';
import { byCodePoint } from '../model/order.js';
import type { ResourceRef } from '../model/policy.js';
import { changes, noteChange, writeSoon } from './changes.js';
import { compiledOnce, insertOnce } from './prepared.js';
import type { Executor, MembershipRow, UserRow } from './schema.js';
import { USER_COLUMNS } from './users.js';
import { adjustCounts, bumpVersion, countNames, readCount } from './versions.js';

export type { ResourceRef };

type MembershipKey = Pick<MembershipRow, 'id' | 'resource_type' | 'resource_id' | 'principal_kind' | 'principal_id'>;

function resourceOf(m: Pick<MembershipRow, 'resource_type' | 'resource_id'>): ResourceRef {
  return { type: m.resource_type as ResourceRef['type'], id: m.resource_id };
}

/** The count changes of a membership gaining (+1) or losing (-1) roles, or joining or leaving (members). */
function countDeltas(
  m: MembershipKey,
  sign: 1 | -1,
  roleNames: readonly string[],
  deltas = new Map<string, number>(),
  member = true,
): Map<string, number> {
  const add = (name: string) => deltas.set(name, (deltas.get(name) ?? 0) + sign);
  if (member) add(countNames.members(m.principal_kind === 'robot' ? 'robot' : 'user'));
  if (m.principal_kind === 'user') for (const role of roleNames) add(countNames.roleHolders(role));
  return deltas;
}

/** Everything a membership change does besides its own rows: counts, version, and the change note. */
async function membershipChanged(db: Executor, m: MembershipKey, deltas: ReadonlyMap<string, number>): Promise<void> {
  await adjustCounts(db, resourceOf(m), deltas);
  await bumpVersion(db, resourceOf(m));
  await noteChange(db, changes.memberships(m.principal_id));
}

const insertMembershipRow = insertOnce('memberships', { soon: true });
const insertMembershipRole = insertOnce('membership_roles', { soon: true });

export async function insertMembership(db: Executor, row: MembershipRow, roleNames: readonly string[]): Promise<void> {
  await insertMembershipRow(db, row);
  for (const role_name of roleNames) await insertMembershipRole(db, { membership_id: row.id, role_name });
  await membershipChanged(db, row, countDeltas(row, 1, roleNames));
}

/** The role names a principal holds on a resource; an empty list means it is not a member. */
export async function rolesOf(db: Executor, resource: ResourceRef, principalId: string): Promise<string[]> {
  const rows = await membershipRoles(db, resource.type, resource.id, principalId);
  return rows.map((r) => r.role_name);
}

export async function findMembership(
  db: Executor,
  resource: ResourceRef,
  principalId: string,
): Promise<MembershipRow | undefined> {
  return db
    .selectFrom('memberships')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('principal_id', '=', principalId)
    .executeTakeFirst();
}

export type UserMembershipRow = MembershipRow & { user: UserRow };

/** One page of a resource's human members in membership-id order (`limit + 1` rows). */
export async function listUserMembers(
  db: Executor,
  resource: ResourceRef,
  after: string | null,
  limit: number,
): Promise<UserMembershipRow[]> {
  let query = db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.principal_id')
    .select([
      'm.id',
      'm.resource_type',
      'm.resource_id',
      'm.principal_kind',
      'm.principal_id',
      'm.resource_user_id',
      'm.added_at',
      'm.last_seen_at',
      'u.email',
      'u.display_name',
      'u.given_name',
      'u.family_name',
      'u.image_url',
      'u.provider',
      'u.created_at',
      'u.updated_at',
      'u.disabled_at',
    ])
    .where('m.resource_type', '=', resource.type)
    .where('m.resource_id', '=', resource.id)
    .where('m.principal_kind', '=', 'user');
  if (after !== null) query = query.where('m.id', '>', after);
  const rows = await query
    .orderBy('m.id')
    .limit(limit + 1)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    resource_type: r.resource_type,
    resource_id: r.resource_id,
    principal_kind: r.principal_kind,
    principal_id: r.principal_id,
    resource_user_id: r.resource_user_id,
    added_at: r.added_at,
    last_seen_at: r.last_seen_at,
    user: {
      id: r.principal_id,
      email: r.email,
      display_name: r.display_name,
      given_name: r.given_name,
      family_name: r.family_name,
      image_url: r.image_url,
      provider: r.provider,
      created_at: r.created_at,
      updated_at: r.updated_at,
      disabled_at: r.disabled_at,
    },
  }));
}

/** Members of a kind: the maintained count (one primary-key read), never `count(*)`. */
export async function countMembers(db: Executor, resource: ResourceRef, kind: 'user' | 'robot'): Promise<number> {
  return readCount(db, resource, countNames.members(kind));
}

/** Human members holding a role: the maintained count. */
export async function countRoleHolders(db: Executor, resource: ResourceRef, role: string): Promise<number> {
  return readCount(db, resource, countNames.roleHolders(role));
}

/** Role names per membership id, for a page of members. */
export async function rolesByMembership(db: Executor, membershipIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (membershipIds.length === 0) return out;
  const rows = await db
    .selectFrom('membership_roles')
    .select(['membership_id', 'role_name'])
    .where('membership_id', 'in', membershipIds)
    .execute();
  for (const row of rows) {
    const list = out.get(row.membership_id);
    if (list) list.push(row.role_name);
    else out.set(row.membership_id, [row.role_name]);
  }
  // Sorted here (by UTF-16 code unit, JavaScript's own order) rather than by the database, whose
  // collation may differ (SQLite compares bytes, PostgreSQL its locale): a role change then
  // answers with the roles it gave, sorted the same way, without reading them back.
  for (const list of out.values()) list.sort();
  return out;
}

/**
 * A person and the roles of one of their memberships, in one statement: what reading or changing a
 * member needs once it has the membership (a role change, once it holds its lock: see
 * `lockMembership`). Undefined when there is no such user. Roles sorted as `rolesByMembership` sorts them.
 */
export async function userWithRoles(
  db: Executor,
  userId: string,
  membershipId: string,
): Promise<{ user: UserRow; roles: string[] } | undefined> {
  const rows = await db
    .selectFrom('users')
    .leftJoin('membership_roles', (join) => join.on('membership_roles.membership_id', '=', membershipId))
    .select([...USER_COLUMNS, 'membership_roles.role_name'])
    .where('users.id', '=', userId)
    .execute();
  const first = rows[0];
  if (!first) return undefined;
  const { role_name: _, ...user } = first;
  return { user, roles: rows.flatMap((row) => (row.role_name === null ? [] : [row.role_name])).sort() };
}

/** Every membership of a resource (both kinds) with its roles: for project member summaries. */
export type MemberWithRoles = MembershipRow & { roleNames: string[] };

/**
 * The first `limit` memberships of a resource in membership-id order, with their roles: the members
 * a project or organization view embeds. One index range scan (on `memberships_list`) of at most
 * `limit` rows per kind asked for, however large the resource.
 */
export async function firstMembers(
  db: Executor,
  resource: ResourceRef,
  limit: number,
  kinds: ReadonlyArray<'user' | 'robot'> = ['user', 'robot'],
): Promise<MemberWithRoles[]> {
  const ofKind = (kind: 'user' | 'robot') =>
    db
      .selectFrom('memberships')
      .selectAll()
      .where('resource_type', '=', resource.type)
      .where('resource_id', '=', resource.id)
      .where('principal_kind', '=', kind)
      .orderBy('id')
      .limit(limit)
      .execute();
  const rows = (await Promise.all(kinds.map(ofKind)))
    .flat()
    .sort((a, b) => byCodePoint(a.id, b.id))
    .slice(0, limit);
  const roles = await rolesByMembership(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, roleNames: roles.get(r.id) ?? [] }));
}

/** Memberships of a set of principals (for robots: their one membership each). */
export async function membershipsOfPrincipals(
  db: Executor,
  principalIds: readonly string[],
): Promise<Array<MembershipRow & { roleNames: string[] }>> {
  if (principalIds.length === 0) return [];
  const rows = await db.selectFrom('memberships').selectAll().where('principal_id', 'in', principalIds).execute();
  const roles = await rolesByMembership(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, roleNames: roles.get(r.id) ?? [] }));
}

export async function deleteMembership(db: Executor, membership: MembershipKey): Promise<void> {
  const roles = await db
    .deleteFrom('membership_roles')
    .where('membership_id', '=', membership.id)
    .returning('role_name')
    .execute();
  const removed = await db.deleteFrom('memberships').where('id', '=', membership.id).executeTakeFirst();
  if (Number(removed.numDeletedRows) === 0) return;
  await membershipChanged(
    db,
    membership,
    countDeltas(
      membership,
      -1,
      roles.map((r) => r.role_name),
    ),
  );
}

export async function deleteMembershipsOf(db: Executor, principalId: string): Promise<void> {
  const rows = await db
    .selectFrom('memberships')
    .select(['id', 'resource_type', 'resource_id', 'principal_kind', 'principal_id'])
    .where('principal_id', '=', principalId)
    .execute();
  for (const row of rows) await deleteMembership(db, row);
}

/**
 * Roles held by each human member of a resource, with a custom role's grants: the input of the
 * last-administrator rule.
 */
export async function userRoleHoldings(
  db: Executor,
  resource: ResourceRef,
): Promise<Array<{ principalId: string; roleName: string; grants: string | null }>> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('membership_roles as r', 'r.membership_id', 'm.id')
    .leftJoin('roles as c', (join) =>
      join
        .onRef('c.resource_type', '=', 'm.resource_type')
        .onRef('c.resource_id', '=', 'm.resource_id')
        .onRef('c.name', '=', 'r.role_name'),
    )
    .select(['m.principal_id', 'r.role_name', 'c.grants'])
    .where('m.resource_type', '=', resource.type)
    .where('m.resource_id', '=', resource.id)
    .where('m.principal_kind', '=', 'user')
    .execute();
  return rows.map((r) => ({ principalId: r.principal_id, roleName: r.role_name, grants: r.grants }));
}

/** Replaces the role set of a membership (new roles first, then the ones no longer held). */
export async function setMembershipRoles(
  db: Executor,
  membership: MembershipKey,
  current: readonly string[],
  next: readonly string[],
): Promise<void> {
  const added = next.filter((name) => !current.includes(name));
  const removed = current.filter((name) => !next.includes(name));
  for (const role_name of added) await insertMembershipRole(db, { membership_id: membership.id, role_name });
  if (removed.length > 0) {
    await writeSoon(
      db,
      db.deleteFrom('membership_roles').where('membership_id', '=', membership.id).where('role_name', 'in', removed).compile(),
    );
  }
  if (added.length === 0 && removed.length === 0) return;
  const deltas = countDeltas(membership, 1, added, new Map(), false);
  countDeltas(membership, -1, removed, deltas, false);
  await membershipChanged(db, membership, deltas);
}

/**
 * Records when a member was last seen (the batched bookkeeping of services/bookkeeping.ts): only
 * moves forward, and bumps the version of the resource, whose member list or project view shows it.
 */
export async function touchMembership(
  db: Executor,
  seen: { id: string; resourceType: string; resourceId: string; at: string },
): Promise<void> {
  const result = await db
    .updateTable('memberships')
    .set({ last_seen_at: seen.at })
    .where('id', '=', seen.id)
    .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', seen.at)]))
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) {
    await bumpVersion(db, { type: seen.resourceType as ResourceRef['type'], id: seen.resourceId });
  }
}

/**
 * The roles a principal holds on a resource, and for a project also on the project's organization
 * (whose roles may imply project roles), one row per role with a custom role's grants: the access
 * check of every request, in one query.
 */
export const accessHoldings = compiledOnce((db, resourceType: string, resourceId: string, principalId: string) =>
  db
    .selectFrom('memberships as m')
    .innerJoin('membership_roles as r', 'r.membership_id', 'm.id')
    .leftJoin('roles as c', (join) =>
      join
        .onRef('c.resource_type', '=', 'm.resource_type')
        .onRef('c.resource_id', '=', 'm.resource_id')
        .onRef('c.name', '=', 'r.role_name'),
    )
    .select(['m.id', 'm.resource_type', 'm.resource_id', 'm.principal_kind', 'm.last_seen_at', 'r.role_name', 'c.grants'])
    .where('m.principal_id', '=', principalId)
    .where((eb) =>
      eb.or([
        eb.and([eb('m.resource_type', '=', resourceType), eb('m.resource_id', '=', resourceId)]),
        eb.and([
          eb('m.resource_type', '=', 'organization'),
          eb(
            'm.resource_id',
            '=',
            eb
              .selectFrom('projects as p')
              .select('p.organization_id')
              .where('p.id', '=', resourceId)
              .where(eb.val(resourceType), '=', 'project'),
          ),
        ]),
      ]),
    ),
);

/** A principal's membership of a resource, one row per role held. */
export const membershipRoles = compiledOnce((db, resourceType: string, resourceId: string, principalId: string) =>
  db
    .selectFrom('memberships as m')
    .innerJoin('membership_roles as r', 'r.membership_id', 'm.id')
    .select(['m.id', 'm.resource_type', 'm.resource_id', 'm.principal_kind', 'm.last_seen_at', 'r.role_name'])
    .where('m.resource_type', '=', resourceType)
    .where('m.resource_id', '=', resourceId)
    .where('m.principal_id', '=', principalId),
);

/** One role a principal holds somewhere: the input of `GET /users/me/grants` without a project context. */
export interface PrincipalHolding {
  membershipId: string;
  resourceType: string;
  resourceId: string;
  /** For a project membership, the project's organization (whose roles may imply project roles). */
  organizationId: string | null;
  roleName: string;
  /** JSON `string[]` of a custom role's grants; null for a built-in role. */
  grants: string | null;
}

/**
 * Every role a principal holds, over at most `limit` of its memberships. Organizations come first
 * (then projects, each by id), so a cap cuts projects, never the organizations whose roles imply
 * project roles. Two queries, whatever the number of memberships.
 */
export async function principalHoldings(db: Executor, principalId: string, limit: number): Promise<PrincipalHolding[]> {
  const memberships = await db
    .selectFrom('memberships as m')
    .leftJoin('projects as p', (join) => join.onRef('p.id', '=', 'm.resource_id').on('m.resource_type', '=', 'project'))
    .select(['m.id', 'm.resource_type', 'm.resource_id', 'p.organization_id'])
    .where('m.principal_id', '=', principalId)
    .orderBy('m.resource_type')
    .orderBy('m.resource_id')
    .limit(limit)
    .execute();
  if (memberships.length === 0) return [];
  const byId = new Map(memberships.map((m) => [m.id, m]));
  const roles = await db
    .selectFrom('membership_roles as r')
    .innerJoin('memberships as m', 'm.id', 'r.membership_id')
    .leftJoin('roles as c', (join) =>
      join
        .onRef('c.resource_type', '=', 'm.resource_type')
        .onRef('c.resource_id', '=', 'm.resource_id')
        .onRef('c.name', '=', 'r.role_name'),
    )
    .select(['r.membership_id', 'r.role_name', 'c.grants'])
    .where('r.membership_id', 'in', [...byId.keys()])
    .orderBy('r.membership_id')
    .orderBy('r.role_name')
    .execute();
  return roles.flatMap((r) => {
    const m = byId.get(r.membership_id);
    return m
      ? [
          {
            membershipId: m.id,
            resourceType: m.resource_type,
            resourceId: m.resource_id,
            organizationId: m.organization_id ?? null,
            roleName: r.role_name,
            grants: r.grants,
          },
        ]
      : [];
  });
}

/**
 * Serializes changes to a resource's memberships: call it first in a transaction that checks a
 * rule over all members (the last access manager) before changing one. On PostgreSQL it takes a
 * transaction-scoped advisory lock named after the resource, so a second such transaction waits
 * here and then reads the first one's committed result, instead of both checking the same old
 * state and together removing the last two administrators. SQLite runs one write transaction at a
 * time anyway.
 *
 * It is not the version row's lock: that row is updated at every commit that changes the member
 * list (store/versions.ts), by transactions that already hold a membership's lock
 * (`lockMembership`). Holders of both take this lock first, then the membership's.
 */
export async function lockMemberships(db: Executor, resource: ResourceRef): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`select pg_advisory_xact_lock(${MEMBER_LIST_LOCKS}, hashtext(${`${resource.type}:${resource.id}`}))`.execute(db);
}

/** The first key of the member-list advisory locks ("gh"): other users of advisory locks keep clear of it. */
const MEMBER_LIST_LOCKS = 0x6768;

/**
 * A principal's membership of a resource, locked until the transaction ends (on PostgreSQL; SQLite
 * runs one write transaction at a time): read it this way before reading its roles to change them,
 * so that two changes of one member never both start from the same roles.
 */
export async function lockMembership(
  db: Executor,
  resource: ResourceRef,
  principalId: string,
): Promise<MembershipRow | undefined> {
  // The roles are read by a statement of their own, after this one: a statement that waited for
  // the lock still reads other tables as they were when it started (READ COMMITTED), so roles
  // joined in here could be those another change has just replaced.
  const query = db
    .selectFrom('memberships')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('principal_id', '=', principalId);
  return (db.getExecutor().adapter instanceof PostgresAdapter ? query.forUpdate() : query).executeTakeFirst();
}

/** Who holds a role on a resource (principal kind and id; optionally of one kind), for "role in use" errors. */
export async function holdersOfRole(
  db: Executor,
  resource: ResourceRef,
  name: string,
  limit = 20,
  kind?: 'user' | 'robot',
): Promise<Array<{ principal_kind: string; principal_id: string }>> {
  let query = db
    .selectFrom('memberships as m')
    .innerJoin('membership_roles as r', 'r.membership_id', 'm.id')
    .select(['m.principal_kind', 'm.principal_id'])
    .where('m.resource_type', '=', resource.type)
    .where('m.resource_id', '=', resource.id)
    .where('r.role_name', '=', name);
  if (kind !== undefined) query = query.where('m.principal_kind', '=', kind);
  return query.orderBy('m.id').limit(limit).execute();
}

/** How many members of each principal kind hold a role on a resource. */
export async function countHoldersOfRole(
  db: Executor,
  resource: ResourceRef,
  name: string,
): Promise<{ user: number; robot: number }> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('membership_roles as r', 'r.membership_id', 'm.id')
    .select((eb) => ['m.principal_kind', eb.fn.countAll<string | number>().as('n')])
    .where('m.resource_type', '=', resource.type)
    .where('m.resource_id', '=', resource.id)
    .where('r.role_name', '=', name)
    .groupBy('m.principal_kind')
    .execute();
  const out = { user: 0, robot: 0 };
  for (const row of rows)
    if (row.principal_kind === 'user' || row.principal_kind === 'robot') out[row.principal_kind] = Number(row.n);
  return out;
}
