import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Hardening:
 * - the audit log becomes append-only in the database itself: triggers refuse UPDATE and DELETE of
 *   audit events (and TRUNCATE on PostgreSQL), and the chain's head may only move forward;
 * - e-mail domains an operator approved for an organization's single sign-on;
 * - abuse-limit counters shared by every node on the same database;
 * - the mail outbox: messages written in the change's transaction, sent after commit;
 * - the permissions each robot exercised, per day (the permissions-used report).
 *
 * Tables use text and integer columns only. The triggers are the one place the dialects differ.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await sql`
      CREATE FUNCTION gatehouse_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit events are append-only: % is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`.execute(db);
    await sql`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_append_only()`.execute(db);
    await sql`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_audit_append_only()`.execute(db);
    await sql`
      CREATE FUNCTION gatehouse_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR NEW.sequence < OLD.sequence THEN
          RAISE EXCEPTION 'the audit chain head only moves forward' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END
      $$`.execute(db);
    await sql`
      CREATE TRIGGER audit_chain_forward BEFORE UPDATE OR DELETE ON audit_chain
      FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_head_forward()`.execute(db);
    await sql`
      CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
      FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_audit_append_only()`.execute(db);
  } else {
    await sql`
      CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
      BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE is refused'); END`.execute(db);
    await sql`
      CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
      BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE is refused'); END`.execute(db);
    await sql`
      CREATE TRIGGER audit_chain_forward BEFORE UPDATE ON audit_chain WHEN NEW.sequence < OLD.sequence
      BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END`.execute(db);
    await sql`
      CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
      BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END`.execute(db);
  }

  await db.schema
    .createTable('organization_domains')
    // Lowercase, without a trailing dot; one organization per domain.
    .addColumn('domain', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('organization_domains_organization')
    .on('organization_domains')
    .columns(['organization_id'])
    .execute();

  await db.schema
    .createTable('rate_limit_counters')
    // A keyed digest of the bucket (scope and address or account): no address or e-mail in clear.
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('window_ends_at', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_limit_counters_window').on('rate_limit_counters').columns(['window_ends_at']).execute();

  await db.schema
    .createTable('mail_outbox')
    // Also the message's Message-ID: a retry sends the same id, so receivers can drop duplicates.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    // The message (subject, text, html), sealed with the server key: it carries a secret link.
    // Emptied once the message is sent or given up.
    .addColumn('payload', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('claimed_until', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('failed_at', 'text')
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('mail_outbox_due').on('mail_outbox').columns(['sent_at', 'failed_at', 'next_attempt_at']).execute();

  await db.schema
    .createTable('robot_permission_usage')
    .addColumn('robot_id', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('permission', 'text', (c) => c.notNull())
    // UTC day, YYYY-MM-DD.
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('last_used_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('robot_permission_usage_pk', ['robot_id', 'day', 'resource_type', 'resource_id', 'permission'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('robot_permission_usage').execute();
  await db.schema.dropTable('mail_outbox').execute();
  await db.schema.dropTable('rate_limit_counters').execute();
  await db.schema.dropTable('organization_domains').execute();
  if (isPostgres(db)) {
    await sql`DROP TRIGGER audit_chain_no_truncate ON audit_chain`.execute(db);
    await sql`DROP TRIGGER audit_chain_forward ON audit_chain`.execute(db);
    await sql`DROP TRIGGER audit_events_no_truncate ON audit_events`.execute(db);
    await sql`DROP TRIGGER audit_events_append_only ON audit_events`.execute(db);
    await sql`DROP FUNCTION gatehouse_audit_head_forward()`.execute(db);
    await sql`DROP FUNCTION gatehouse_audit_append_only()`.execute(db);
  } else {
    for (const name of ['audit_chain_no_delete', 'audit_chain_forward', 'audit_events_no_delete', 'audit_events_no_update']) {
      await sql`DROP TRIGGER ${sql.id(name)}`.execute(db);
    }
  }
}

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
