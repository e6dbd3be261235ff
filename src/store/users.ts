import type { Executor, UserRow } from './schema.js';

export async function insertUser(db: Executor, row: UserRow): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function findUser(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUsers(db: Executor, ids: readonly string[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

/**
 * Of the given user ids, those that share at least one resource with the principal: the users a
 * caller is allowed to look up. Nobody else's existence is revealed.
 */
export async function visibleUserIds(db: Executor, principalId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('memberships as theirs')
    .innerJoin('memberships as mine', (join) =>
      join.onRef('mine.resource_type', '=', 'theirs.resource_type').onRef('mine.resource_id', '=', 'theirs.resource_id'),
    )
    .select('theirs.principal_id')
    .distinct()
    .where('mine.principal_id', '=', principalId)
    .where('theirs.principal_id', 'in', ids)
    .where('theirs.principal_kind', '=', 'user')
    .execute();
  return new Set(rows.map((r) => r.principal_id));
}
