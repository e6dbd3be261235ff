import type { Executor, RobotRow } from './schema.js';

export async function insertRobot(db: Executor, row: RobotRow): Promise<void> {
  await db.insertInto('robots').values(row).execute();
}

export async function findRobot(db: Executor, id: string): Promise<RobotRow | undefined> {
  return db.selectFrom('robots').selectAll().where('id', '=', id).executeTakeFirst();
}

/** One page of a resource's robots in id order, fetching `limit + 1` to know whether more follow. */
export async function listRobots(
  db: Executor,
  resource: { type: string; id: string },
  after: string | null,
  limit: number,
): Promise<RobotRow[]> {
  let query = db
    .selectFrom('robots')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id);
  if (after !== null) query = query.where('id', '>', after);
  return query
    .orderBy('id')
    .limit(limit + 1)
    .execute();
}

export async function countRobots(db: Executor, resource: { type: string; id: string }): Promise<number> {
  const row = await db
    .selectFrom('robots')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteRobot(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('robots').where('id', '=', id).execute();
}
