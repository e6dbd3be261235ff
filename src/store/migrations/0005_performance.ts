import { type Kysely, sql } from 'kysely';

/**
 * Performance: counts maintained on write (store/versions.ts) instead of `count(*)` over a
 * resource's memberships — members per kind (`members:user`, `members:robot`) and human holders per
 * role (`role:<name>`) — backfilled here from the memberships that exist. The same table holds
 * the counter CORS origin ids are taken from (`sequence`/`cors_origins`/`id`, store/cors.ts),
 * created on first use.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('resource_counts')
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_counts_pk', ['resource_type', 'resource_id', 'name'])
    .execute();
  await sql`
    insert into resource_counts (resource_type, resource_id, name, n)
    select resource_type, resource_id, 'members:' || principal_kind, count(*)
    from memberships
    group by resource_type, resource_id, principal_kind
  `.execute(db);
  await sql`
    insert into resource_counts (resource_type, resource_id, name, n)
    select m.resource_type, m.resource_id, 'role:' || r.role_name, count(*)
    from memberships m join membership_roles r on r.membership_id = m.id
    where m.principal_kind = 'user'
    group by m.resource_type, m.resource_id, r.role_name
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('resource_counts').execute();
}
