/** The mail outbox (services/mail.ts): messages written with the change, sent after commit. */
import type { Executor, MailOutboxRow } from './schema.js';

export async function insertMail(db: Executor, row: MailOutboxRow): Promise<void> {
  await db.insertInto('mail_outbox').values(row).execute();
}

/** Messages due at `now`: not sent, not given up, not claimed by a sender working on them. */
export async function dueMail(db: Executor, now: string, limit: number): Promise<MailOutboxRow[]> {
  return db
    .selectFrom('mail_outbox')
    .selectAll()
    .where('sent_at', 'is', null)
    .where('failed_at', 'is', null)
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Claims a message for one sender until `until`; false when another sender has it (or it is done). */
export async function claimMail(db: Executor, id: string, now: string, until: string): Promise<boolean> {
  const result = await db
    .updateTable('mail_outbox')
    .set({ claimed_until: until })
    .where('id', '=', id)
    .where('sent_at', 'is', null)
    .where('failed_at', 'is', null)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Sent: the content (and its sealed secret) is erased. */
export async function markMailSent(db: Executor, id: string, at: string, attempts: number): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ sent_at: at, attempts, payload: null, claimed_until: null, last_error: null })
    .where('id', '=', id)
    .execute();
}

export async function markMailRetry(
  db: Executor,
  id: string,
  nextAttemptAt: string,
  attempts: number,
  error: string,
): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ next_attempt_at: nextAttemptAt, attempts, last_error: error, claimed_until: null })
    .where('id', '=', id)
    .execute();
}

/** Given up: the content is erased too; the row stays as the record of what was not delivered. */
export async function markMailFailed(db: Executor, id: string, at: string, attempts: number, error: string): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ failed_at: at, attempts, last_error: error, payload: null, claimed_until: null })
    .where('id', '=', id)
    .execute();
}

export async function findMail(db: Executor, id: string): Promise<MailOutboxRow | undefined> {
  return db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
}
