import { changes as changed, noteChange } from './changes.js';
import { compiledOnce } from './prepared.js';
import type { Executor, OrganizationRow } from './schema.js';

export async function insertOrganization(db: Executor, row: OrganizationRow): Promise<void> {
  await db.insertInto('organizations').values(row).execute();
}

export async function findOrganization(db: Executor, id: string): Promise<OrganizationRow | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findOrganizationBySlug(db: Executor, slug: string): Promise<OrganizationRow | undefined> {
  return db.selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function updateOrganization(
  db: Executor,
  id: string,
  changes: Partial<Pick<OrganizationRow, 'name' | 'slug' | 'default_role_name' | 'request_access_status' | 'updated_at'>>,
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

export type OrganizationPolicyRow = Pick<OrganizationRow, 'id' | 'robot_token_max_lifetime_days' | 'robots_may_manage_members'>;

const POLICY_COLUMNS = ['o.id', 'o.robot_token_max_lifetime_days', 'o.robots_may_manage_members'] as const;

// Read by every robot creation and token change: compiled once (store/prepared.ts).
const organizationPolicies = compiledOnce((db, id: string) =>
  db.selectFrom('organizations as o').select(POLICY_COLUMNS).where('o.id', '=', id),
);
const projectOrganizationPolicies = compiledOnce((db, projectId: string) =>
  db
    .selectFrom('projects as p')
    .innerJoin('organizations as o', 'o.id', 'p.organization_id')
    .select(POLICY_COLUMNS)
    .where('p.id', '=', projectId),
);

/** The organization whose policies govern a resource: itself, or a project's organization (if any). */
export async function governingOrganization(
  db: Executor,
  resource: { type: string; id: string },
): Promise<OrganizationPolicyRow | undefined> {
  const rows =
    resource.type === 'organization'
      ? await organizationPolicies(db, resource.id)
      : await projectOrganizationPolicies(db, resource.id);
  return rows[0];
}

export async function updateOrganizationPolicies(
  db: Executor,
  id: string,
  changes: Partial<
    Pick<
      OrganizationRow,
      'robot_token_max_lifetime_days' | 'robots_may_manage_members' | 'sso_token_lifetime_days' | 'updated_at'
    >
  >,
): Promise<void> {
  await db.updateTable('organizations').set(changes).where('id', '=', id).execute();
  // The policy governs robots' access on the organization and its projects.
  await noteChange(db, changed.resource('organization', id));
}
