import type { Executor, OrganizationRow } from './schema.js';

export async function insertOrganization(db: Executor, row: OrganizationRow): Promise<void> {
  await db.insertInto('organizations').values(row).execute();
}

export async function findOrganization(db: Executor, id: string): Promise<OrganizationRow | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateOrganization(
  db: Executor,
  id: string,
  changes: Partial<Pick<OrganizationRow, 'name' | 'slug' | 'default_role_name' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('organizations').set(changes).where('id', '=', id).execute();
}

/** Organizations the principal is a member of, oldest first. */
export async function organizationsOf(db: Executor, principalId: string): Promise<OrganizationRow[]> {
  return db
    .selectFrom('organizations')
    .innerJoin('memberships', (join) =>
      join.onRef('memberships.resource_id', '=', 'organizations.id').on('memberships.resource_type', '=', 'organization'),
    )
    .selectAll('organizations')
    .where('memberships.principal_id', '=', principalId)
    .orderBy('organizations.created_at')
    .orderBy('organizations.id')
    .execute();
}
