import type { Kysely } from 'kysely';

/**
 * The web console: an invitation may give several roles (the console's "Invite members" takes one
 * or more). `role_names` is the JSON array of all of them, `role_name` stays the first; rows from
 * before have NULL here and give their one `role_name`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('invites').addColumn('role_names', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('invites').dropColumn('role_names').execute();
}
