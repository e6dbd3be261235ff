import type { ExpressionBuilder } from 'kysely';
import { digestsEqual, digestToken, type ServerKey } from '../model/tokens.js';
import { changes, noteChange } from './changes.js';
import { compiledOnce, insertOnce } from './prepared.js';
import type { Database, Executor, TokenRow } from './schema.js';

const insertTokenRow = insertOnce('tokens', { soon: true });

export async function insertToken(db: Executor, row: TokenRow): Promise<void> {
  await insertTokenRow(db, row);
}

export async function findToken(db: Executor, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Live (unrevoked) tokens of the given principals, newest first. */
/** A token's `last_used_at` as stored (written by every node's bookkeeping), or null. */
export async function lastUsedAtOf(db: Executor, id: string): Promise<string | null> {
  const row = await db.selectFrom('tokens').select('last_used_at').where('id', '=', id).executeTakeFirst();
  return row?.last_used_at ?? null;
}

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

/**
 * Revokes every token of a principal that still works: live ones, and rotated ones still in their
 * grace period. The rows stay, so a later use says "revoked" (or "rotated"), not "unknown".
 */
export async function revokeTokensOf(db: Executor, principalId: string, at: string): Promise<void> {
  await revokeTokensExcept(db, principalId, [], at);
}

/**
 * Marks a principal's current token as replaced by rotation: it stops working at `revokedAt`
 * (now, or the end of the grace period). Only a token that is still current (neither revoked nor
 * already replaced) is changed, so two concurrent rotations with one token cannot both succeed.
 * Returns whether the token was changed.
 */
export async function replaceToken(db: Executor, id: string, replacedBy: string, revokedAt: string): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({ revoked_at: revokedAt, replaced_by: replacedBy })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where('replaced_by', 'is', null)
    .executeTakeFirst();
  await noteChange(db, changes.token(id));
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Ends, at `at`, every token of a principal that still works then, except `keep`: live tokens, and
 * rotated ones still in their grace period (`revoked_at` after `at`). ISO texts compare in time order.
 */
export async function revokeTokensExcept(db: Executor, principalId: string, keep: readonly string[], at: string): Promise<void> {
  await db
    .updateTable('tokens')
    .set({ revoked_at: at })
    .where('principal_id', '=', principalId)
    .$if(keep.length > 0, (q) => q.where('id', 'not in', keep))
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', at)]))
    .execute();
  await noteChange(db, changes.principal(principalId));
}

/** Records when (and from where) a token was last used; the time only moves forward. */
export async function recordTokenUse(db: Executor, use: { id: string; at: string; ip: string | null }): Promise<void> {
  await db
    .updateTable('tokens')
    .set({ last_used_at: use.at, last_used_ip: use.ip })
    .where('id', '=', use.id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', use.at)]))
    .execute();
}

/**
 * A token with what authentication needs of its owner (a user or a robot), by digest: the one
 * query every authenticated request makes.
 */
export const findCredential = compiledOnce((db, digest: string) =>
  db
    .selectFrom('tokens as t')
    .leftJoin('users as u', (join) => join.onRef('u.id', '=', 't.principal_id').on('t.kind', '=', 'user'))
    .leftJoin('robots as r', (join) => join.onRef('r.id', '=', 't.principal_id').on('t.kind', '=', 'robot'))
    .select([
      't.id',
      't.kind',
      't.digest',
      't.principal_id',
      't.expires_at',
      't.revoked_at',
      't.replaced_by',
      't.last_used_at',
      't.created_at',
      'u.email',
      'u.display_name',
      'u.disabled_at',
      'u.image_url',
      'u.provider',
      'r.label',
      'r.resource_type',
      'r.resource_id',
      'r.expires_at as robot_expires_at',
    ])
    // No LIMIT: the digest is unique, and SQLite plans `LIMIT ?` worse (measured 2.5× slower).
    .where('t.digest', '=', digest),
);

/** Whether a token still works at `at`: not revoked (or in a rotation grace period), not expired. */
function liveAt(at: string) {
  return (eb: ExpressionBuilder<Database, 'tokens'>) =>
    eb.and([
      eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', at)]),
      eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]),
    ]);
}

/**
 * A page of a user's personal tokens that work at `at`, newest first; `after` is the
 * (created_at, id) of the last row of the previous page. Fetch `limit + 1` to know if more follow.
 */
export async function personalTokensPage(
  db: Executor,
  userId: string,
  at: string,
  after: { createdAt: string; id: string } | null,
  limit: number,
): Promise<TokenRow[]> {
  return db
    .selectFrom('tokens')
    .selectAll()
    .where('principal_id', '=', userId)
    .where('kind', '=', 'user')
    .where(liveAt(at))
    .$if(after !== null, (q) =>
      q.where((eb) =>
        eb.or([
          eb('created_at', '<', after?.createdAt ?? ''),
          eb.and([eb('created_at', '=', after?.createdAt ?? ''), eb('id', '<', after?.id ?? '')]),
        ]),
      ),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function countPersonalTokens(db: Executor, userId: string, at: string): Promise<number> {
  const row = await db
    .selectFrom('tokens')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('principal_id', '=', userId)
    .where('kind', '=', 'user')
    .where(liveAt(at))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Ends one token at `at` if it still works then. Returns whether it did. */
export async function revokeToken(db: Executor, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', at)]))
    .executeTakeFirst();
  await noteChange(db, changes.token(id));
  return Number(result.numUpdatedRows) === 1;
}

/** Ends, at `at`, every token of a principal that still works then; returns how many. */
export async function revokeLiveTokensOf(db: Executor, principalId: string, at: string): Promise<number> {
  const result = await db
    .updateTable('tokens')
    .set({ revoked_at: at })
    .where('principal_id', '=', principalId)
    .where(liveAt(at))
    .executeTakeFirst();
  await noteChange(db, changes.principal(principalId));
  return Number(result.numUpdatedRows);
}

/**
 * The credential a presented token names, or undefined: one lookup per server key, newest first,
 * so old keys keep verifying tokens issued before a key rotation. Found by digest equality; the
 * constant-time comparison is belt and braces (R5).
 */
export async function findCredentialByToken(
  db: Executor,
  keys: readonly ServerKey[],
  token: string,
): Promise<Awaited<ReturnType<typeof findCredential>>[number] | undefined> {
  for (const key of keys) {
    const digest = digestToken(token, key);
    const [row] = await findCredential(db, digest);
    if (row && digestsEqual(digest, row.digest)) return row;
  }
  return undefined;
}
