/** Issuing tokens: the only place a raw secret exists, for the length of one response. */
import { Problem } from '../model/errors.js';
import { newId } from '../model/ids.js';
import { digestToken, generateToken, type TokenKind, tokenHint } from '../model/tokens.js';
import type { Executor, TokenRow } from '../store/schema.js';
import { insertToken } from '../store/tokens.js';
import { type Deps, iso } from './context.js';

export async function issueToken(
  db: Executor,
  deps: Deps,
  input: {
    kind: TokenKind;
    principalId: string;
    label: string;
    expiresAt: string | null;
    /** How a personal token was obtained (`admin`, `password`, `oidc:<provider>`, `saml:<provider>`). */
    source?: string | null;
    /** The organization whose SSO issued a personal token. */
    organizationId?: string | null;
  },
): Promise<{ token: string; row: TokenRow }> {
  const token = generateToken(input.kind);
  const key = deps.keys[0];
  if (!key) throw new Error('no server key configured');
  const row: TokenRow = {
    id: newId.token(),
    kind: input.kind,
    principal_id: input.principalId,
    digest: digestToken(token, key),
    key_id: key.id,
    hint: tokenHint(token),
    label: input.label,
    created_at: iso(deps.now()),
    expires_at: input.expiresAt,
    revoked_at: null,
    last_used_at: null,
    last_used_ip: null,
    replaced_by: null,
    source: input.source ?? null,
    organization_id: input.organizationId ?? null,
  };
  await insertToken(db, row);
  return { token, row };
}

/**
 * The 401 for rotating with a token that is no longer the robot's current one: the same envelope
 * authentication gives for a rotated or revoked token (services/auth.ts), so clients handle both alike.
 */
export function notCurrentToken(row: Pick<TokenRow, 'id' | 'replaced_by' | 'revoked_at'> | undefined): Problem {
  const rotated = row?.replaced_by != null;
  return new Problem(
    401,
    'Session not found',
    {
      code: rotated ? 'token_rotated' : 'token_revoked',
      hint: rotated
        ? `This token was already replaced by rotation (new token id ${row?.replaced_by}); only the current token can rotate. Use the new token.`
        : 'This token was revoked. Create a new robot token.',
    },
    { errorCode: 'SIO-401-ANF', challenge: 'invalid_token' },
  );
}
