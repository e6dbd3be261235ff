import { type Kysely, sql } from 'kysely';

/**
 * One id per member: a project member's `resource_user_id` (Sanity's `resourceUserId` /
 * `projectUserId`) becomes the principal's own id instead of a separate random `p…` id that nothing
 * else knew, so a robot's member id, Access API id, legacy `projectUserId` and `/users/{id}` are
 * the same string (docs/concepts.md, "Ids"). Organization memberships keep none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update memberships set resource_user_id = principal_id where resource_type = 'project'`.execute(db);
}

/** The random `p…` ids are gone for good; going down leaves the principal ids in place, which work. */
export async function down(_db: Kysely<unknown>): Promise<void> {}
