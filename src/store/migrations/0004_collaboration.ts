import type { Kysely } from 'kysely';

/**
 * Collaboration: invitations, access requests, CORS origins per project, and the audit log's hash
 * chain.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('invites')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('role_name', 'text', (c) => c.notNull())
    // HMAC of the invite token (the secret in the e-mailed link); never the token.
    .addColumn('token_digest', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('invited_by_id', 'text', (c) => c.notNull())
    .addColumn('accepted_by_user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('invites_resource').on('invites').columns(['resource_type', 'resource_id', 'id']).execute();
  await db.schema.createIndex('invites_email').on('invites').columns(['email']).execute();

  await db.schema
    .createTable('access_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('requested_by_user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('requested_role', 'text')
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('request_url', 'text')
    .addColumn('updated_by_user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('access_requests_resource')
    .on('access_requests')
    .columns(['resource_type', 'resource_id', 'id'])
    .execute();
  await db.schema
    .createIndex('access_requests_requester')
    .on('access_requests')
    .columns(['requested_by_user_id', 'created_at'])
    .execute();
  await db.schema
    .alterTable('organizations')
    .addColumn('request_access_status', 'text', (c) => c.notNull().defaultTo('allowed'))
    .execute();

  await db.schema
    .createTable('cors_origins')
    // Numeric, as Sanity's CorsOrigin.id; assigned by the service.
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('allow_credentials', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('cors_origins_unique', ['project_id', 'origin'])
    .execute();

  // The audit log's hash chain: each event carries its position, the hash of the event before it
  // and its own hash; `audit_chain` holds the head, and updating it in the writing transaction
  // serializes writers so the chain never forks.
  await db.schema.alterTable('audit_events').addColumn('sequence', 'integer').execute();
  await db.schema.alterTable('audit_events').addColumn('previous_hash', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('hash', 'text').execute();
  await db.schema.createIndex('audit_events_sequence').on('audit_events').columns(['sequence']).unique().execute();
  await db.schema
    .createTable('audit_chain')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_chain').execute();
  await db.schema.dropIndex('audit_events_sequence').execute();
  await db.schema.alterTable('audit_events').dropColumn('hash').execute();
  await db.schema.alterTable('audit_events').dropColumn('previous_hash').execute();
  await db.schema.alterTable('audit_events').dropColumn('sequence').execute();
  await db.schema.dropTable('cors_origins').execute();
  await db.schema.alterTable('organizations').dropColumn('request_access_status').execute();
  await db.schema.dropTable('access_requests').execute();
  await db.schema.dropTable('invites').execute();
}
