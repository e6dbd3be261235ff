import type { Kysely } from 'kysely';

/**
 * The chain head keeps the hash it replaced (`previous_hash`), so that on PostgreSQL one UPDATE can
 * advance the head and report both ends of the new link: appending an event is then one statement
 * under the head's lock instead of three (store/audit.ts). NULL until the next event is appended.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_chain').addColumn('previous_hash', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_chain').dropColumn('previous_hash').execute();
}
