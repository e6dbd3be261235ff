/** The permissions robots exercised, per UTC day (services/usage.ts writes them in batches). */
import { sql } from 'kysely';
import { byCodePoint } from '../model/order.js';
import type { Executor, RobotPermissionUsageRow } from './schema.js';

/** Counts to add for one robot, resource, permission and day. */
export type UsageDelta = RobotPermissionUsageRow;

/** A row's key, in the order of the table's unique key. */
const keyOf = (row: UsageDelta) => [row.robot_id, row.day, row.resource_type, row.resource_id, row.permission].join('\u0000');

/**
 * Adds a batch of counts, one statement for all of them (both dialects upsert the same way). The
 * rows go in key order: PostgreSQL locks them in the order given, so two nodes flushing the same
 * counters at once then wait for each other in turn instead of deadlocking.
 */
export async function addUsage(db: Executor, rows: readonly UsageDelta[]): Promise<void> {
  if (rows.length === 0) return;
  const sorted = rows.map((row) => ({ key: keyOf(row), row })).sort((a, b) => byCodePoint(a.key, b.key));
  await db
    .insertInto('robot_permission_usage')
    .values(sorted.map(({ row }) => row))
    .onConflict((oc) =>
      oc.columns(['robot_id', 'day', 'resource_type', 'resource_id', 'permission']).doUpdateSet({
        count: sql<number>`robot_permission_usage.count + excluded.count`,
        last_used_at: sql<string>`CASE WHEN excluded.last_used_at > robot_permission_usage.last_used_at THEN excluded.last_used_at ELSE robot_permission_usage.last_used_at END`,
      }),
    )
    .execute();
}

/** A robot's usage since `fromDay` (inclusive), summed per resource and permission. */
export async function usageOf(
  db: Executor,
  robotId: string,
  fromDay: string,
): Promise<Array<{ resource_type: string; resource_id: string; permission: string; count: number; last_used_at: string }>> {
  const rows = await db
    .selectFrom('robot_permission_usage')
    .select((eb) => [
      'resource_type',
      'resource_id',
      'permission',
      eb.fn.sum<number | string>('count').as('count'),
      eb.fn.max<string>('last_used_at').as('last_used_at'),
    ])
    .where('robot_id', '=', robotId)
    .where('day', '>=', fromDay)
    .groupBy(['resource_type', 'resource_id', 'permission'])
    .orderBy('permission')
    .orderBy('resource_type')
    .orderBy('resource_id')
    .execute();
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}
