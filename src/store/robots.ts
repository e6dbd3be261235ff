import type { ExpressionBuilder } from 'kysely';
import { changes, noteChange } from './changes.js';
import { insertOnce } from './prepared.js';
import type { Database, Executor, RobotRow } from './schema.js';

const insertRobotRow = insertOnce('robots', { soon: true });

export async function insertRobot(db: Executor, row: RobotRow): Promise<void> {
  await insertRobotRow(db, row);
}

export async function findRobot(db: Executor, id: string): Promise<RobotRow | undefined> {
  return db.selectFrom('robots').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findRobots(db: Executor, ids: readonly string[]): Promise<RobotRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('robots').selectAll().where('id', 'in', ids).execute();
}

export async function updateRobot(
  db: Executor,
  id: string,
  changes: Partial<Pick<RobotRow, 'label' | 'expires_at'>>,
): Promise<void> {
  await db.updateTable('robots').set(changes).where('id', '=', id).execute();
  await noteChange(db, principalChanged(id));
}

/** Which robots a listing covers: a resource's own, and with `includeChildren` an organization's projects' too. */
export interface RobotScope {
  type: string;
  id: string;
  includeChildren?: boolean;
}

function inScope(eb: ExpressionBuilder<Database, 'robots'>, scope: RobotScope) {
  const own = eb.and([eb('resource_type', '=', scope.type), eb('resource_id', '=', scope.id)]);
  if (!scope.includeChildren || scope.type !== 'organization') return own;
  return eb.or([
    own,
    eb.and([
      eb('resource_type', '=', 'project'),
      eb('resource_id', 'in', eb.selectFrom('projects').select('projects.id').where('projects.organization_id', '=', scope.id)),
    ]),
  ]);
}

/** One page of the robots in scope in id order, fetching `limit + 1` to know whether more follow. */
export async function listRobots(db: Executor, scope: RobotScope, after: string | null, limit: number): Promise<RobotRow[]> {
  let query = db
    .selectFrom('robots')
    .selectAll()
    .where((eb) => inScope(eb, scope));
  if (after !== null) query = query.where('id', '>', after);
  return query
    .orderBy('id')
    .limit(limit + 1)
    .execute();
}

export async function countRobots(db: Executor, scope: RobotScope): Promise<number> {
  const row = await db
    .selectFrom('robots')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where((eb) => inScope(eb, scope))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteRobot(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('robots').where('id', '=', id).execute();
  await noteChange(db, principalChanged(id));
}

function principalChanged(id: string) {
  return changes.principal(id);
}
