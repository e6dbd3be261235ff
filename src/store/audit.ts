/**
 * The audit log: insert-only. No function here updates or deletes an event; services write exactly
 * one event per change, inside the transaction that makes the change.
 */
import type { Executor, NewAuditEvent } from './schema.js';

export async function appendEvent(db: Executor, event: NewAuditEvent): Promise<void> {
  await db.insertInto('audit_events').values(event).execute();
}
