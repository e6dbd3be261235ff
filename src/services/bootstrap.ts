/**
 * Operator bootstrap: create a human user and a first personal token straight in the database,
 * with no server running. This is how the first credential comes to exist.
 */

import { Problem } from '../model/errors.js';
import { newId } from '../model/ids.js';
import type { ServerKey } from '../model/tokens.js';
import { isUniqueViolation, type Store } from '../store/db.js';
import { migrateToLatest } from '../store/migrate.js';
import { findUserByEmail, insertUser } from '../store/users.js';
import { audit } from './audit.js';
import { DEFAULT_IDENTITY, type Deps, iso, systemActor } from './context.js';
import { issueToken } from './tokens.js';
import { normalizeEmail } from './validation.js';

export const PERSONAL_TOKEN_LIFETIME_DAYS = 365;

export async function createUserWithToken(
  store: Store,
  keys: ServerKey[],
  input: { email: string; name?: string | undefined },
  now: () => Date = () => new Date(),
): Promise<{ userId: string; token: string }> {
  await migrateToLatest(store.db);
  const email = normalizeEmail(input.email);
  const deps: Deps = {
    db: store.db,
    keys,
    now,
    lastUsedWriteIntervalMs: 0,
    identity: DEFAULT_IDENTITY,
    baseUrl: () => 'http://127.0.0.1',
  };
  const at = now();
  try {
    return await store.db.transaction().execute(async (trx) => {
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
      const expiresAt = new Date(at.getTime() + PERSONAL_TOKEN_LIFETIME_DAYS * 86_400_000);
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
      return { userId: id, token };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(email);
    throw error;
  }
}

function duplicate(email: string): Problem {
  return new Problem(409, `A user with e-mail ${email} already exists`, { code: 'user_exists', email });
}
