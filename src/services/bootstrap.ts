/**
 * Operator commands that work straight on the database, with no server running: create a human
 * user and a first personal token (how the first credential comes to exist), revoke all of a
 * user's personal tokens, disable or enable a user. Each migrates first, so a fresh install needs
 * no `serve` before them.
 */

import type { IdentityConfig } from '../config.js';
import { Problem } from '../model/errors.js';
import { newId } from '../model/ids.js';
import type { ServerKey } from '../model/tokens.js';
import { runTransaction } from '../store/changes.js';
import { isUniqueViolation, type Store } from '../store/db.js';
import { migrateToLatest } from '../store/migrate.js';
import { findUserByEmail, insertUser } from '../store/users.js';
import { audit } from './audit.js';
import { DEFAULT_IDENTITY, type Deps, iso, systemActor } from './context.js';
import { SessionService } from './login/sessions.js';
import { issueToken } from './tokens.js';
import { normalizeEmail } from './validation.js';

/** The default lifetime of personal tokens (GATEHOUSE_TOKEN_LIFETIME_DAYS overrides it). */
export const PERSONAL_TOKEN_LIFETIME_DAYS = DEFAULT_IDENTITY.personalTokenLifetimeDays;

function operatorDeps(store: Store, keys: ServerKey[], now: () => Date, identity: IdentityConfig = DEFAULT_IDENTITY): Deps {
  return { db: store.db, keys, now, lastUsedWriteIntervalMs: 0, identity, baseUrl: () => 'http://127.0.0.1' };
}

export async function createUserWithToken(
  store: Store,
  keys: ServerKey[],
  input: {
    email: string;
    name?: string | undefined;
    /** Lifetime of the token; the configured personal token lifetime (default 365 days). */
    lifetimeDays?: number | undefined;
  },
  now: () => Date = () => new Date(),
): Promise<{ userId: string; token: string; expiresAt: string }> {
  await migrateToLatest(store.db);
  const email = normalizeEmail(input.email);
  const deps = operatorDeps(store, keys, now);
  const lifetimeDays = input.lifetimeDays ?? PERSONAL_TOKEN_LIFETIME_DAYS;
  const at = now();
  try {
    return await runTransaction(store.db, async (trx) => {
      if (await findUserByEmail(trx, email)) throw duplicate(email);
      const id = newId.user();
      const displayName = input.name?.trim() || email.split('@')[0] || email;
      await insertUser(trx, {
        id,
        email,
        display_name: displayName,
        given_name: null,
        family_name: null,
        image_url: null,
        provider: 'gatehouse-admin',
        created_at: iso(at),
        updated_at: iso(at),
        disabled_at: null,
      });
      const expiresAt = new Date(at.getTime() + lifetimeDays * 86_400_000);
      const { token, row } = await issueToken(trx, deps, {
        kind: 'user',
        principalId: id,
        label: 'gatehouse admin create-user',
        expiresAt: iso(expiresAt),
        source: 'admin',
      });
      await audit(trx, systemActor(), at, {
        action: 'user.create',
        target: { type: 'user', id },
        after: { email, displayName, tokenId: row.id },
      });
      return { userId: id, token, expiresAt: iso(expiresAt) };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(email);
    throw error;
  }
}

/** `gatehouse admin revoke-tokens`: every personal token of the user stops working on the next request. */
export async function revokeUserTokens(
  store: Store,
  keys: ServerKey[],
  email: string,
  now: () => Date = () => new Date(),
): Promise<{ userId: string; email: string; revoked: number }> {
  await migrateToLatest(store.db);
  const { user, revoked } = await new SessionService(operatorDeps(store, keys, now)).revokeUserTokens(systemActor(), email);
  return { userId: user.id, email: user.email, revoked };
}

/**
 * `gatehouse admin disable-user` / `enable-user`. A disabled user cannot log in, and every token
 * they hold is revoked; enabling them lets them log in again (old tokens stay revoked).
 */
export async function setUserDisabled(
  store: Store,
  keys: ServerKey[],
  email: string,
  disabled: boolean,
  now: () => Date = () => new Date(),
): Promise<{ userId: string; email: string; changed: boolean; revoked: number; disabledAt: string | null }> {
  await migrateToLatest(store.db);
  const result = await new SessionService(operatorDeps(store, keys, now)).setDisabled(systemActor(), email, disabled);
  return {
    userId: result.user.id,
    email: result.user.email,
    changed: result.changed,
    revoked: result.revoked,
    disabledAt: result.user.disabled_at,
  };
}

function duplicate(email: string): Problem {
  return new Problem(409, `A user with e-mail ${email} already exists`, { code: 'user_exists', email });
}
