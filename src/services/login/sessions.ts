/**
 * Personal tokens as sessions (docs/identity.md, "Personal tokens" and "Browser sessions"): who am
 * I and until when (`/auth/id`), logging out, the list of one's own tokens and revoking one of
 * them, the browser session (its token and CSRF value; the cookies are src/http/cookies.ts), and the operator's commands over a user's
 * sessions (revoke all, disable, enable).
 *
 * Every change runs in one transaction with its one audit event. Revocation takes effect on this
 * node's next request, and on other nodes as soon as the change feed delivers it, within a second
 * (services/auth-cache.ts, services/change-feed.ts).
 */
import { Problem, problems } from '../../model/errors.js';
import { decodeCursor, encodeCursor, type Page } from '../../model/pagination.js';
import type { Principal, UserPrincipal } from '../../model/principals.js';
import { digestsEqual, digestToken } from '../../model/tokens.js';
import { findRobot } from '../../store/robots.js';
import type { TokenRow, UserRow } from '../../store/schema.js';
import {
  countPersonalTokens,
  findCredential,
  findToken,
  personalTokensPage,
  revokeLiveTokensOf,
  revokeToken,
} from '../../store/tokens.js';
import { findUserByEmail, setUserDisabled } from '../../store/users.js';
import { audit } from '../audit.js';
import { settled } from '../bookkeeping.js';
import { type Actor, type Deps, inTransaction, iso } from '../context.js';
import { normalizeEmail } from '../validation.js';

const DEFAULT_TOKEN_PAGE = 100;

/** A browser session: the personal token, its CSRF value, and its remaining lifetime in seconds. */
export interface BrowserSession {
  token: string;
  csrf: string;
  maxAgeSeconds: number;
}

export interface PersonalTokenView {
  id: string;
  label: string;
  source: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  current: boolean;
}

export function csrfFailed(detail: string): Problem {
  return new Problem(403, 'CSRF check failed', {
    code: 'csrf_failed',
    hint: `${detail} A write (POST, PUT, PATCH, DELETE) authenticated by the session cookie needs the header X-CSRF-Token set to the value of the gatehouse_csrf cookie (src/http/cookies.ts), which GET /auth/fetch set next to the session. Scripts and the CLI send \`Authorization: Bearer <token>\` instead and need no CSRF header.`,
  });
}

export function robotLogout(): Problem {
  return problems.forbidden('Robots cannot log out', {
    code: 'robot_logout',
    hint: 'A robot token is not a login session. To end it, delete the robot (DELETE /access/{resourceType}/{resourceId}/robots/{robotId}), or rotate its token (POST /access/robots/me/rotate).',
  });
}

function tokenNotFound(tokenId: string): Problem {
  return problems.notFound(`Token not found: ${tokenId}`, {
    hint: 'No personal token of yours has this id. List yours with GET /auth/tokens.',
  });
}

function userNotFound(email: string): Problem {
  return problems.notFound(`User not found: ${email}`, {
    hint: 'No user has this e-mail address. Check the spelling; `gatehouse admin create-user` creates one.',
  });
}

/** The token's end, as unix seconds: its expiry, its robot's, or the end of a rotation's grace period. */
function expiryOf(...times: (string | null | undefined)[]): number | null {
  const ends = times.filter((t): t is string => typeof t === 'string').map((t) => Date.parse(t));
  return ends.length === 0 ? null : Math.floor(Math.min(...ends) / 1000);
}

function tokenCursor(row: Pick<TokenRow, 'created_at' | 'id'>): string {
  return encodeCursor(Date.parse(row.created_at).toString(36).padStart(9, '0') + row.id);
}

function tokenCursorKey(cursor: string | undefined): { createdAt: string; id: string } | null {
  if (cursor === undefined) return null;
  const key = decodeCursor(cursor);
  const ms = key ? Number.parseInt(key.slice(0, 9), 36) : Number.NaN;
  if (!key || key.length < 10 || !Number.isSafeInteger(ms)) {
    throw problems.invalidInput('nextCursor is not a cursor this server issued', 'nextCursor');
  }
  return { createdAt: new Date(ms).toISOString(), id: key.slice(9) };
}

export class SessionService {
  constructor(private readonly deps: Deps) {}

  // --- The caller's own session -------------------------------------------------------------------

  /** `GET /auth/id`: who the token belongs to and when it stops working (unix seconds; null: never). */
  async identify(principal: Principal): Promise<{ id: string; expiry: number | null }> {
    const token = await findToken(this.deps.db, principal.tokenId);
    const now = this.deps.now().getTime();
    const graceEnd = token?.revoked_at && Date.parse(token.revoked_at) > now ? token.revoked_at : null;
    if (principal.kind === 'robot') {
      const robot = await findRobot(this.deps.db, principal.id);
      return { id: principal.id, expiry: expiryOf(token?.expires_at, robot?.expires_at, graceEnd) };
    }
    return { id: principal.id, expiry: expiryOf(token?.expires_at, graceEnd) };
  }

  /**
   * `POST /auth/logout`: revokes the caller's personal token. Anonymous callers have nothing to
   * end; a robot token is no session (the route table refuses robots, this is the same answer).
   */
  async logout(actor: Actor): Promise<void> {
    const principal = actor.principal;
    if (!principal) return;
    if (principal.kind === 'robot') throw robotLogout();
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      // A concurrent logout with the same token may have won: then there is nothing left to record.
      if (!(await revokeToken(trx, principal.tokenId, iso(now)))) return;
      await audit(trx, actor, now, {
        action: 'user.logout',
        target: { type: 'user', id: principal.id },
        after: { tokenId: principal.tokenId, revokedAt: iso(now) },
      });
    });
  }

  /** `GET /auth/tokens`: the caller's personal tokens that still work, newest first. Never a secret. */
  async listTokens(
    principal: UserPrincipal,
    query: { limit?: number | undefined; nextCursor?: string | undefined },
  ): Promise<Page<PersonalTokenView>> {
    const limit = query.limit ?? DEFAULT_TOKEN_PAGE;
    const after = tokenCursorKey(query.nextCursor);
    const at = iso(this.deps.now());
    await settled(this.deps);
    const [rows, total] = await Promise.all([
      personalTokensPage(this.deps.db, principal.id, at, after, limit + 1),
      countPersonalTokens(this.deps.db, principal.id, at),
    ]);
    const more = rows.length > limit;
    const data = more ? rows.slice(0, limit) : rows;
    const last = data[data.length - 1];
    return {
      data: data.map((row) => ({
        id: row.id,
        label: row.label,
        source: row.source,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        lastUsedAt: row.last_used_at,
        current: row.id === principal.tokenId,
      })),
      nextCursor: more && last ? tokenCursor(last) : null,
      totalCount: total,
    };
  }

  /**
   * `DELETE /auth/tokens/{tokenId}`: revokes one of the caller's personal tokens. Anybody else's
   * token, or a robot's, is "not found", exactly like an id that does not exist. Revoking a token
   * of yours that already stopped working changes nothing and succeeds.
   */
  async revokeOwnToken(actor: Actor & { principal: UserPrincipal }, tokenId: string): Promise<void> {
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      const row = await findToken(trx, tokenId);
      if (row?.kind !== 'user' || row.principal_id !== actor.principal.id) throw tokenNotFound(tokenId);
      if (!(await revokeToken(trx, row.id, iso(now)))) return;
      await audit(trx, actor, now, {
        action: 'user.token.revoke',
        target: { type: 'token', id: row.id },
        before: { userId: row.principal_id, label: row.label, source: row.source, expiresAt: row.expires_at },
        after: { revokedAt: iso(now) },
      });
    });
  }

  /**
   * `DELETE /auth/tokens`: signs the caller out everywhere, revoking every personal token of theirs
   * that still works, the calling one included. Returns how many stopped working.
   */
  async revokeAllOwnTokens(actor: Actor & { principal: UserPrincipal }): Promise<number> {
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      const revoked = await revokeLiveTokensOf(trx, actor.principal.id, iso(now));
      if (revoked > 0) {
        await audit(trx, actor, now, {
          action: 'user.tokens.revoke',
          target: { type: 'user', id: actor.principal.id },
          after: { revokedTokens: revoked, revokedAt: iso(now) },
        });
      }
      return revoked;
    });
  }

  // --- The browser session cookie -----------------------------------------------------------------

  /** The CSRF value bound to a session: HMAC-SHA-256 of `csrf:<tokenId>` under the newest server key. */
  csrfFor(tokenId: string): string {
    const key = this.deps.keys[0];
    if (!key) throw new Error('no server key configured');
    return digestToken(`csrf:${tokenId}`, key);
  }

  /** Throws 403 `csrf_failed` unless `presented` is the CSRF value of this session (under any server key). */
  checkCsrf(tokenId: string, presented: string | string[] | undefined): void {
    if (presented === undefined) throw csrfFailed('The X-CSRF-Token header is missing.');
    if (typeof presented !== 'string' || presented.length > 100) throw csrfFailed('The X-CSRF-Token header is malformed.');
    const ok = this.deps.keys.some((key) => digestsEqual(digestToken(`csrf:${tokenId}`, key), presented));
    if (!ok) throw csrfFailed('The X-CSRF-Token header does not belong to this session.');
  }

  /**
   * What makes a freshly issued personal token a browser session (the cookies of src/http/cookies.ts):
   * the token, its CSRF value, and how long both live (the token's remaining lifetime).
   */
  async browserSession(token: string, expiresAt: string): Promise<BrowserSession> {
    const key = this.deps.keys[0];
    if (!key) throw new Error('no server key configured');
    const [row] = await findCredential(this.deps.db, digestToken(token, key));
    if (!row) throw new Error('the token just issued is not in the store');
    const maxAgeSeconds = Math.max(0, Math.floor((Date.parse(expiresAt) - this.deps.now().getTime()) / 1000));
    return { token, csrf: this.csrfFor(row.id), maxAgeSeconds };
  }

  // --- Operator commands (`gatehouse admin …`, straight on the database) -----------------------------

  /** Revokes every personal token of the user with this e-mail address. */
  async revokeUserTokens(actor: Actor, email: string): Promise<{ user: UserRow; revoked: number }> {
    const address = normalizeEmail(email);
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      const user = await findUserByEmail(trx, address);
      if (!user) throw userNotFound(address);
      const revoked = await revokeLiveTokensOf(trx, user.id, iso(now));
      if (revoked > 0) {
        await audit(trx, actor, now, {
          action: 'user.tokens.revoke',
          target: { type: 'user', id: user.id },
          after: { revokedTokens: revoked, revokedAt: iso(now) },
        });
      }
      return { user, revoked };
    });
  }

  /**
   * Disables (or enables) the user with this e-mail address. A disabled user's tokens stop working on
   * the next request and they cannot log in. Disabling also revokes their tokens, so enabling them
   * again does not bring old sessions back: they log in anew.
   */
  async setDisabled(
    actor: Actor,
    email: string,
    disabled: boolean,
  ): Promise<{ user: UserRow; changed: boolean; revoked: number }> {
    const address = normalizeEmail(email);
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      const user = await findUserByEmail(trx, address);
      if (!user) throw userNotFound(address);
      const changed = await setUserDisabled(trx, user.id, disabled ? iso(now) : null, iso(now));
      if (!changed) return { user, changed, revoked: 0 };
      const revoked = disabled ? await revokeLiveTokensOf(trx, user.id, iso(now)) : 0;
      await audit(trx, actor, now, {
        action: disabled ? 'user.disable' : 'user.enable',
        target: { type: 'user', id: user.id },
        before: { disabledAt: user.disabled_at },
        after: { disabledAt: disabled ? iso(now) : null, ...(disabled ? { revokedTokens: revoked } : {}) },
      });
      return { user: { ...user, disabled_at: disabled ? iso(now) : null }, changed, revoked };
    });
  }
}
