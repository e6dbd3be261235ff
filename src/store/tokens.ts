import type { Executor, TokenRow } from './schema.js';

export async function insertToken(db: Executor, row: TokenRow): Promise<void> {
  await db.insertInto('tokens').values(row).execute();
}

/** The token row whose digest is one of the given ones (one per server key). */
export async function findTokenByDigests(db: Executor, digests: readonly string[]): Promise<TokenRow | undefined> {
  const query = db.selectFrom('tokens').selectAll();
  return (
    digests.length === 1 ? query.where('digest', '=', digests[0] as string) : query.where('digest', 'in', digests)
  ).executeTakeFirst();
}

export async function findToken(db: Executor, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Live (unrevoked) tokens of the given principals, newest first. */
export async function liveTokensOf(db: Executor, principalIds: readonly string[]): Promise<TokenRow[]> {
  if (principalIds.length === 0) return [];
  return db
    .selectFrom('tokens')
    .selectAll()
    .where('principal_id', 'in', principalIds)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .execute();
}

/** Revokes every live token of a principal. The rows stay, so a later use says "revoked", not "unknown". */
export async function revokeTokensOf(db: Executor, principalId: string, at: string): Promise<void> {
  await db
    .updateTable('tokens')
    .set({ revoked_at: at })
    .where('principal_id', '=', principalId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function recordTokenUse(db: Executor, id: string, at: string, ip: string | null): Promise<void> {
  await db.updateTable('tokens').set({ last_used_at: at, last_used_ip: ip }).where('id', '=', id).execute();
}
