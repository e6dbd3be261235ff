/** Invitations: one row per invite, found by id, by resource, by e-mail or by the digest of its token. */
import type { Executor, InviteRow } from './schema.js';

export type InviteStatus = 'pending' | 'accepted' | 'revoked';

export async function insertInvite(db: Executor, row: InviteRow): Promise<void> {
  await db.insertInto('invites').values(row).execute();
}

export async function findInvite(
  db: Executor,
  resource: { type: string; id: string },
  id: string,
): Promise<InviteRow | undefined> {
  return db
    .selectFrom('invites')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The invite whose token has one of these digests (one per server key, for key rotation). */
export async function findInviteByDigest(db: Executor, digests: readonly string[]): Promise<InviteRow | undefined> {
  if (digests.length === 0) return undefined;
  return db.selectFrom('invites').selectAll().where('token_digest', 'in', digests).executeTakeFirst();
}

/** A pending invite of this address to this resource, if any. */
export async function findPendingInvite(
  db: Executor,
  resource: { type: string; id: string },
  email: string,
  now: string,
): Promise<InviteRow | undefined> {
  return db
    .selectFrom('invites')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('email', '=', email)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** One page of a resource's invites with these statuses, in id (creation) order, `limit + 1` rows. */
export async function listInvites(
  db: Executor,
  resource: { type: string; id: string },
  statuses: readonly InviteStatus[],
  after: string | null,
  limit: number,
): Promise<InviteRow[]> {
  let query = db
    .selectFrom('invites')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('status', 'in', [...statuses]);
  if (after !== null) query = query.where('id', '>', after);
  return query
    .orderBy('id')
    .limit(limit + 1)
    .execute();
}

export async function countInvites(
  db: Executor,
  resource: { type: string; id: string },
  statuses: readonly InviteStatus[],
): Promise<number> {
  const row = await db
    .selectFrom('invites')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .where('status', 'in', [...statuses])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Pending, unexpired invites of one address, oldest first, at most `limit`. */
export async function pendingInvitesOf(db: Executor, email: string, now: string, limit: number): Promise<InviteRow[]> {
  return db
    .selectFrom('invites')
    .selectAll()
    .where('email', '=', email)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Moves a pending invite to `accepted` or `revoked`. Conditional on it still being pending, so of
 * two concurrent accepts (or an accept racing a revoke) exactly one wins; returns whether this one did.
 */
export async function closeInvite(
  db: Executor,
  id: string,
  status: 'accepted' | 'revoked',
  acceptedByUserId: string | null,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('invites')
    .set({ status, accepted_by_user_id: acceptedByUserId, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
