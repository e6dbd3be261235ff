import type { Kysely } from 'kysely';

/**
 * Access control: custom roles and permissions per resource, organization policies, token rotation.
 * Still only `text` and `integer` columns; booleans are 0/1.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('roles')
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('applies_to_users', 'integer', (c) => c.notNull())
    .addColumn('applies_to_robots', 'integer', (c) => c.notNull())
    // The role's permissions as written (JSON), and the `<type>.<action>` set they grant (JSON),
    // computed when the role is written so the access check of a request never resolves them.
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('grants', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('roles_pk', ['resource_type', 'resource_id', 'name'])
    .execute();

  await db.schema
    .createTable('permissions')
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('config', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('permissions_pk', ['resource_type', 'resource_id', 'name'])
    .execute();

  await db.schema.alterTable('organizations').addColumn('robot_token_max_lifetime_days', 'integer').execute();
  await db.schema
    .alterTable('organizations')
    .addColumn('robots_may_manage_members', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  // Rotation: the token that replaced this one; with `revoked_at` in the future, the grace period.
  await db.schema.alterTable('tokens').addColumn('replaced_by', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tokens').dropColumn('replaced_by').execute();
  await db.schema.alterTable('organizations').dropColumn('robots_may_manage_members').execute();
  await db.schema.alterTable('organizations').dropColumn('robot_token_max_lifetime_days').execute();
  await db.schema.dropTable('permissions').execute();
  await db.schema.dropTable('roles').execute();
}
