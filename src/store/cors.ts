/** CORS origins of projects (table `cors_origins`). Ids are numeric, as Sanity's, assigned here. */
import type { CorsOriginRow, Executor } from './schema.js';

export async function corsOriginsOf(db: Executor, projectId: string): Promise<CorsOriginRow[]> {
  return db.selectFrom('cors_origins').selectAll().where('project_id', '=', projectId).orderBy('id').execute();
}

export async function findCorsOrigin(db: Executor, projectId: string, id: number): Promise<CorsOriginRow | undefined> {
  return db.selectFrom('cors_origins').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

export async function findCorsOriginByOrigin(
  db: Executor,
  projectId: string,
  origin: string,
): Promise<CorsOriginRow | undefined> {
  return db
    .selectFrom('cors_origins')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('origin', '=', origin)
    .executeTakeFirst();
}

/** The next free id (ids are global, like Sanity's). Two concurrent writers may collide: see the service. */
export async function nextCorsOriginId(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('cors_origins')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirst();
  return Number(row?.max ?? 0) + 1;
}

export async function insertCorsOrigin(db: Executor, row: CorsOriginRow): Promise<void> {
  await db.insertInto('cors_origins').values(row).execute();
}

export async function deleteCorsOrigin(db: Executor, projectId: string, id: number): Promise<boolean> {
  const result = await db.deleteFrom('cors_origins').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
