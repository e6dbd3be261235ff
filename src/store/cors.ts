/** CORS origins of projects (table `cors_origins`). Ids are numeric, as Sanity's, assigned here. */
import { sql } from 'kysely';
import { compiledOnce, insertOnce } from './prepared.js';
import type { CorsOriginRow, Executor } from './schema.js';

export async function corsOriginsOf(db: Executor, projectId: string): Promise<CorsOriginRow[]> {
  return db.selectFrom('cors_origins').selectAll().where('project_id', '=', projectId).orderBy('id').execute();
}

export async function findCorsOrigin(db: Executor, projectId: string, id: number): Promise<CorsOriginRow | undefined> {
  return db.selectFrom('cors_origins').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

const byOrigin = compiledOnce((db, projectId: string, origin: string) =>
  db.selectFrom('cors_origins').selectAll().where('project_id', '=', projectId).where('origin', '=', origin),
);

export async function findCorsOriginByOrigin(
  db: Executor,
  projectId: string,
  origin: string,
): Promise<CorsOriginRow | undefined> {
  const [row] = await byOrigin(db, projectId, origin);
  return row;
}

/**
 * The next CORS origin id: global and increasing, like Sanity's, and never handed out twice, not
 * even for a deleted entry. It comes from one counter row in `resource_counts` (incremented by an
 * upsert, whose row lock queues concurrent writers until the holder commits), so two transactions
 * can no longer both read the same `max(id)` and collide. The first use starts the counter after
 * the largest id present, and a counter behind the table (rows written some other way) catches up.
 */
export async function nextCorsOriginId(db: Executor): Promise<number> {
  const result = await sql<{ n: number | string }>`
    insert into resource_counts (resource_type, resource_id, name, n)
    select ${SEQUENCE.type}, ${SEQUENCE.id}, ${SEQUENCE.name}, coalesce(max(id), 0) + 1 from cors_origins where true
    on conflict (resource_type, resource_id, name) do update
      set n = case when resource_counts.n + 1 > excluded.n then resource_counts.n + 1 else excluded.n end
    returning n
  `.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('nextCorsOriginId: the counter upsert returned no row');
  return Number(row.n);
}

/** The counter row of CORS origin ids (`resource_counts`, migration 0005). */
const SEQUENCE = { type: 'sequence', id: 'cors_origins', name: 'id' };

const insertRow = insertOnce('cors_origins', { soon: true });

export async function insertCorsOrigin(db: Executor, row: CorsOriginRow): Promise<void> {
  await insertRow(db, row);
}

export async function deleteCorsOrigin(db: Executor, projectId: string, id: number): Promise<boolean> {
  const result = await db.deleteFrom('cors_origins').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
