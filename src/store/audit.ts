/**
 * The audit log: insert-only. No function here updates or deletes an event; services write exactly
 * one event per change, inside the transaction that makes the change.
 */
import type { AuditEventRow, Executor, NewAuditEvent } from './schema.js';

export async function appendEvent(db: Executor, event: NewAuditEvent): Promise<void> {
  await db.insertInto('audit_events').values(event).execute();
}

export async function eventsFor(db: Executor, resource: { type: string; id: string }): Promise<AuditEventRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('resource_type', '=', resource.type)
    .where('resource_id', '=', resource.id)
    .orderBy('id')
    .execute();
}
