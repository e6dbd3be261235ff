import type { Kysely } from 'kysely';

/**
 * Identity: passwords, identity providers and the identities they vouch for, login flows and the
 * single-use session ids they end in, where each token came from.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // argon2id PHC string; null for people who only log in through a provider.
  await db.schema.alterTable('users').addColumn('password_hash', 'text').execute();
  // Lifetime of personal tokens from this organization's SSO; null: the server's default.
  await db.schema.alterTable('organizations').addColumn('sso_token_lifetime_days', 'integer').execute();
  // How a token was obtained (`admin`, `password`, `oidc:<provider>`, `saml:<provider>`), and the
  // organization whose SSO issued it.
  await db.schema.alterTable('tokens').addColumn('source', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('organization_id', 'text').execute();

  await db.schema
    .createTable('identity_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    // JSON; secrets in it (an OIDC client secret) are encrypted with the server key.
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('identity_providers_organization')
    .on('identity_providers')
    .columns(['organization_id', 'id'])
    .execute();

  await db.schema
    .createTable('identities')
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_login_at', 'text')
    .addPrimaryKeyConstraint('identities_pk', ['provider_id', 'subject'])
    .execute();
  await db.schema.createIndex('identities_user').on('identities').columns(['user_id']).execute();

  // A login in progress: from GET /auth/login/{provider} to the provider's answer. Single use.
  await db.schema
    .createTable('login_flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    // JSON: what the provider needs back (PKCE verifier, nonce, SAML request id).
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  // A finished login waiting for GET /auth/fetch?sid=…: stored by digest, single use, short-lived.
  await db.schema
    .createTable('login_sessions')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text')
    .addColumn('lifetime_days', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_sessions').execute();
  await db.schema.dropTable('login_flows').execute();
  await db.schema.dropTable('identities').execute();
  await db.schema.dropTable('identity_providers').execute();
  await db.schema.alterTable('tokens').dropColumn('organization_id').execute();
  await db.schema.alterTable('tokens').dropColumn('source').execute();
  await db.schema.alterTable('organizations').dropColumn('sso_token_lifetime_days').execute();
  await db.schema.alterTable('users').dropColumn('password_hash').execute();
}
