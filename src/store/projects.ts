import { changes as changed, noteChange } from './changes.js';
import type { Executor, ProjectRow } from './schema.js';
import { bumpVersion } from './versions.js';

export async function insertProject(db: Executor, row: ProjectRow): Promise<void> {
  await db.insertInto('projects').values(row).execute();
}

export async function findProject(db: Executor, id: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateProject(
  db: Executor,
  id: string,
  changes: Partial<Pick<ProjectRow, 'display_name' | 'studio_host' | 'metadata' | 'organization_id' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('projects').set(changes).where('id', '=', id).execute();
  // The project view is cached per version; a move changes the access organization roles imply.
  await bumpVersion(db, { type: 'project', id });
  if (changes.organization_id !== undefined) await noteChange(db, changed.resource('project', id));
}

/** Projects the principal is a member of, oldest first (the order the Projects API documents). */
export async function projectsOf(
  db: Executor,
  principalId: string,
  filter: { organizationId?: string } = {},
): Promise<ProjectRow[]> {
  let query = db
    .selectFrom('projects')
    .innerJoin('memberships', (join) =>
      join.onRef('memberships.resource_id', '=', 'projects.id').on('memberships.resource_type', '=', 'project'),
    )
    .selectAll('projects')
    .where('memberships.principal_id', '=', principalId);
  if (filter.organizationId !== undefined) query = query.where('projects.organization_id', '=', filter.organizationId);
  return query.orderBy('projects.created_at').orderBy('projects.id').execute();
}
