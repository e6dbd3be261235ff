/** Access requests: people asking to join a project or organization, or for another role there. */
import type { AccessRequestRow, Executor } from './schema.js';

export async function insertAccessRequest(db: Executor, row: AccessRequestRow): Promise<void> {
  await db.insertInto('access_requests').values(row).execute();
}

export async function findAccessRequest(
  db: Executor,
  resource: { type: string; id: string },
  id: string,
): Promise<AccessRequestRow | undefined> {
  return db
    .selectFrom('access_requests')
    .selectAll()
    .where('id', '=', id)
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .executeTakeFirst();
}

/**
 * The requests of a resource, newest first; with `includeChildren` on an organization, also those
 * of its projects.
 */
export async function listAccessRequests(
  db: Executor,
  resource: { type: string; id: string },
  includeChildren: boolean,
  limit: number,
): Promise<AccessRequestRow[]> {
  return db
    .selectFrom('access_requests')
    .selectAll()
    .where((eb) => {
      const own = eb.and([eb('resource_type', '=', resource.type), eb('resource_id', '=', resource.id)]);
      if (!includeChildren || resource.type !== 'organization') return own;
      const children = eb.selectFrom('projects').select('projects.id').where('projects.organization_id', '=', resource.id);
      return eb.or([own, eb.and([eb('resource_type', '=', 'project'), eb('resource_id', 'in', children)])]);
    })
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** A user's requests, newest first. */
export async function accessRequestsOf(db: Executor, userId: string, limit: number): Promise<AccessRequestRow[]> {
  return db
    .selectFrom('access_requests')
    .selectAll()
    .where('requested_by_user_id', '=', userId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** A user's requests on one resource, newest first (the pending/declined rules read these). */
export async function userRequestsOn(
  db: Executor,
  resource: { type: string; id: string },
  userId: string,
  since: string,
): Promise<AccessRequestRow[]> {
  return db
    .selectFrom('access_requests')
    .selectAll()
    .where('requested_by_user_id', '=', userId)
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('updated_at', '>=', since)
    .orderBy('id', 'desc')
    .execute();
}

/** How many requests a user made since a time, on any resource (the cross-project limit). */
export async function countRequestsSince(db: Executor, userId: string, since: string): Promise<number> {
  const row = await db
    .selectFrom('access_requests')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('requested_by_user_id', '=', userId)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Oldest request counted by the limit window: when the next request becomes possible. */
export async function oldestRequestSince(db: Executor, userId: string, since: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('access_requests')
    .select('created_at')
    .where('requested_by_user_id', '=', userId)
    .where('created_at', '>=', since)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  return row?.created_at;
}

/** Moves a request out of `pending`; false when it was no longer pending (a concurrent decision). */
export async function decideAccessRequest(
  db: Executor,
  id: string,
  change: Pick<AccessRequestRow, 'status' | 'updated_by_user_id' | 'updated_at'>,
): Promise<boolean> {
  const result = await db
    .updateTable('access_requests')
    .set(change)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Serializes one user's requests: a no-op update of the user's row holds its lock until the
 * transaction ends (PostgreSQL); SQLite runs one writer at a time anyway.
 */
export async function lockRequester(db: Executor, userId: string): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', userId)
    .execute();
}
