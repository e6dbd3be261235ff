/** Login flows, login sessions (sids), identities and identity providers. */
import type { Executor, IdentityProviderRow, IdentityRow, LoginFlowRow, LoginSessionRow } from './schema.js';

export async function insertLoginFlow(db: Executor, row: LoginFlowRow): Promise<void> {
  await db.insertInto('login_flows').values(row).execute();
}

export async function findLoginFlow(db: Executor, id: string): Promise<LoginFlowRow | undefined> {
  return db.selectFrom('login_flows').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Deletes a flow; false when it was already gone (used by a concurrent request). */
export async function deleteLoginFlow(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('login_flows').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function insertLoginSession(db: Executor, row: LoginSessionRow): Promise<void> {
  await db.insertInto('login_sessions').values(row).execute();
}

export async function findLoginSession(db: Executor, digest: string): Promise<LoginSessionRow | undefined> {
  return db.selectFrom('login_sessions').selectAll().where('digest', '=', digest).executeTakeFirst();
}

/** Deletes a session; false when it was already gone (fetched by a concurrent request). */
export async function deleteLoginSession(db: Executor, digest: string): Promise<boolean> {
  const result = await db.deleteFrom('login_sessions').where('digest', '=', digest).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Removes flows and sessions that expired (called now and then; they are refused anyway). */
export async function deleteExpiredLogins(db: Executor, now: string): Promise<void> {
  await db.deleteFrom('login_flows').where('expires_at', '<=', now).execute();
  await db.deleteFrom('login_sessions').where('expires_at', '<=', now).execute();
}

export async function findIdentity(db: Executor, providerId: string, subject: string): Promise<IdentityRow | undefined> {
  return db
    .selectFrom('identities')
    .selectAll()
    .where('provider_id', '=', providerId)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

export async function insertIdentity(db: Executor, row: IdentityRow): Promise<void> {
  await db.insertInto('identities').values(row).execute();
}

export async function touchIdentity(db: Executor, providerId: string, subject: string, at: string): Promise<void> {
  await db
    .updateTable('identities')
    .set({ last_login_at: at })
    .where('provider_id', '=', providerId)
    .where('subject', '=', subject)
    .execute();
}

export async function findIdentityProvider(db: Executor, id: string): Promise<IdentityProviderRow | undefined> {
  return db.selectFrom('identity_providers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** An organization's providers, in id order. */
export async function identityProvidersOf(db: Executor, organizationId: string): Promise<IdentityProviderRow[]> {
  return db.selectFrom('identity_providers').selectAll().where('organization_id', '=', organizationId).orderBy('id').execute();
}

export async function insertIdentityProvider(db: Executor, row: IdentityProviderRow): Promise<void> {
  await db.insertInto('identity_providers').values(row).execute();
}

export async function updateIdentityProvider(db: Executor, row: IdentityProviderRow): Promise<void> {
  await db
    .updateTable('identity_providers')
    .set({ name: row.name, title: row.title, config: row.config, disabled: row.disabled, updated_at: row.updated_at })
    .where('id', '=', row.id)
    .execute();
}

export async function deleteIdentityProvider(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('identity_providers').where('id', '=', id).execute();
}
