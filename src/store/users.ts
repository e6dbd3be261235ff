import { changes, noteChange } from './changes.js';
import type { Executor, UserRow } from './schema.js';

/** Every column but the password hash, which only login reads (`findPasswordHash`). */
export const USER_COLUMNS = [
  'id',
  'email',
  'display_name',
  'given_name',
  'family_name',
  'image_url',
  'provider',
  'created_at',
  'updated_at',
  'disabled_at',
] as const;

export async function insertUser(db: Executor, row: UserRow & { password_hash?: string | null }): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function findUser(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function findUsers(db: Executor, ids: readonly string[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('users').select(USER_COLUMNS).where('id', 'in', ids).execute();
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').select(USER_COLUMNS).where('email', '=', email).executeTakeFirst();
}

/** The user with this e-mail and their password hash (null when they have none), for login. */
export async function findLoginByEmail(
  db: Executor,
  email: string,
): Promise<(UserRow & { password_hash: string | null }) | undefined> {
  return db
    .selectFrom('users')
    .select([...USER_COLUMNS, 'password_hash'])
    .where('email', '=', email)
    .executeTakeFirst();
}

export async function setPasswordHash(db: Executor, userId: string, hash: string, at: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, updated_at: at }).where('id', '=', userId).execute();
}

/**
 * Of the given principal ids (people and robots), those that share at least one resource with the
 * caller: the members a caller is allowed to look up, with their kind. Nobody else's existence is
 * revealed.
 */
export async function visiblePrincipals(
  db: Executor,
  principalId: string,
  ids: readonly string[],
): Promise<Map<string, 'user' | 'robot'>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('memberships as theirs')
    .innerJoin('memberships as mine', (join) =>
      join.onRef('mine.resource_type', '=', 'theirs.resource_type').onRef('mine.resource_id', '=', 'theirs.resource_id'),
    )
    .select(['theirs.principal_id', 'theirs.principal_kind'])
    .distinct()
    .where('mine.principal_id', '=', principalId)
    .where('theirs.principal_id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.principal_id, r.principal_kind === 'robot' ? 'robot' : 'user']));
}

/** Disables (a time) or enables (null) a user. Returns whether the row changed. */
export async function setUserDisabled(db: Executor, userId: string, disabledAt: string | null, at: string): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ disabled_at: disabledAt, updated_at: at })
    .where('id', '=', userId)
    .where('disabled_at', disabledAt === null ? 'is not' : 'is', null)
    .executeTakeFirst();
  await noteChange(db, changes.principal(userId));
  return Number(result.numUpdatedRows) === 1;
}
