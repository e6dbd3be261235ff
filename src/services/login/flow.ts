/**
 * The login flow every provider shares (docs/identity.md, "The login flow"):
 *
 *   GET /auth/login/{provider}?origin=…&type=token&label=…   → startFlow (a single-use flow id)
 *   … the provider (a password form, an OpenID Connect or SAML identity provider) …
 *   finish(): a single-use, short-lived `sid`, and the redirect back to `origin?sid=…`
 *   GET /auth/fetch?sid=…                                      → fetchSession: the personal token
 *
 * Only loopback origins (`http://localhost:<port>`, `http://127.0.0.1:<port>`, `http://[::1]:<port>`,
 * what CLIs listen on), this server's own origin (its web console at `/console/`) and the
 * configured console origins may receive a login, so a login link can never send somebody's token
 * to a site of an attacker's choosing. The token is issued only when the sid is fetched; the
 * database holds the sid's digest, never a token.
 */
import { randomBytes } from 'node:crypto';
import { Problem, problems } from '../../model/errors.js';
import { newId } from '../../model/ids.js';
import { digestToken } from '../../model/tokens.js';
import { isUniqueViolation } from '../../store/db.js';
import {
  deleteLoginFlow,
  deleteLoginSession,
  findIdentity,
  findLoginFlow,
  findLoginSession,
  insertIdentity,
  insertLoginFlow,
  insertLoginSession,
  touchIdentity,
} from '../../store/identity.js';
import type { LoginFlowRow, UserRow } from '../../store/schema.js';
import { findUser, findUserByEmail, insertUser } from '../../store/users.js';
import { audit } from '../audit.js';
import { type Actor, type Deps, inTransaction, iso } from '../context.js';
import { issueToken } from '../tokens.js';
import { normalizeEmail } from '../validation.js';
import { checkSsoLogin } from './sso-accounts.js';

/** How long a started login may take at the provider. */
export const FLOW_TTL_MS = 10 * 60_000;
/** How long the sid waits for `/auth/fetch`. */
export const SID_TTL_MS = 2 * 60_000;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Listening on every address: the server's own URL then names no host a browser could use. */
const UNSPECIFIED_HOSTS = new Set(['0.0.0.0', '[::]']);

export type LoginType = 'token' | 'stampedToken';

export interface StartFlowInput {
  provider: string;
  origin: string;
  type: LoginType;
  label: string;
  /** What the provider needs back when it answers (PKCE verifier, nonce, SAML request id…). */
  data?: Record<string, unknown>;
  /** The origin the browser used to reach this server (`http://host:port`), see `ownOrigins`. */
  requestOrigin?: string | null | undefined;
}

export interface FinishInput {
  flow: LoginFlowRow;
  userId: string;
  /** `password`, `oidc:<provider>`, `saml:<provider>`. */
  source: string;
  organizationId: string | null;
  lifetimeDays: number;
}

export interface ExternalIdentity {
  providerId: string;
  subject: string;
  email: string;
  displayName?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  imageUrl?: string | undefined;
  /** The user's `provider` field when the identity creates the user (`oidc`, `saml-<id>`). */
  provider: string;
}

export function invalidOrigin(origin: string, consoleOrigins: readonly string[]): Problem {
  return new Problem(400, `This origin may not receive a login: ${origin.slice(0, 200)}`, {
    code: 'invalid_origin',
    field: 'origin',
    hint: `Logins are sent only to http://localhost:<port> or http://127.0.0.1:<port> (the CLI), to this server's own origin (its console at /console/), or to a configured console origin${consoleOrigins.length > 0 ? ` (${consoleOrigins.join(', ')})` : ' (GATEHOUSE_CONSOLE_ORIGINS)'}.`,
  });
}

export function loginExpired(): Problem {
  return new Problem(400, 'This login has expired or was already used', {
    code: 'login_expired',
    hint: 'Start the login again.',
  });
}

export class LoginService {
  constructor(private readonly deps: Deps) {}

  /**
   * This server's own origins, which always receive logins (the console at `/console/`): the
   * origin of its public URL (GATEHOUSE_PUBLIC_URL, or the address it listens on). When it listens
   * on every address without a public URL, that address names no host, so the origin the browser
   * used (`requestOrigin`, from the Host header) stands in. The Host header is trusted only then:
   * otherwise a name that an attacker points at this server (DNS rebinding) could receive logins.
   */
  ownOrigins(requestOrigin?: string | null): string[] {
    let base: URL;
    try {
      base = new URL(this.deps.baseUrl());
    } catch {
      return [];
    }
    const origins = [base.origin];
    if (UNSPECIFIED_HOSTS.has(base.hostname) && requestOrigin) origins.push(requestOrigin);
    return origins;
  }

  /** The origin as a URL, if it may receive a login; a 400 `invalid_origin` otherwise. */
  checkOrigin(origin: string, requestOrigin?: string | null): URL {
    const consoleOrigins = this.deps.identity.consoleOrigins;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw invalidOrigin(origin, consoleOrigins);
    }
    const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && url.port !== '';
    const allowed = loopback || consoleOrigins.includes(url.origin) || this.ownOrigins(requestOrigin).includes(url.origin);
    if (url.username !== '' || url.password !== '' || url.hash !== '' || !allowed) {
      throw invalidOrigin(origin, consoleOrigins);
    }
    return url;
  }

  /**
   * Whether `/auth/fetch` called from `origin` (its `Origin` header, or the origin the browser used
   * for a same-origin fetch, which carries none) also opens a browser session there: a configured
   * console origin, or this server's own origin when logins may go to it.
   */
  opensSession(origin: string | undefined, requestOrigin: string | null): boolean {
    if (origin === undefined) return false;
    if (this.deps.identity.consoleOrigins.includes(origin)) return true;
    if (origin !== requestOrigin) return false;
    try {
      return this.checkOrigin(origin, requestOrigin).origin === origin;
    } catch {
      return false;
    }
  }

  /** A login in progress, as a single-use id (the OIDC `state`, the SAML `RelayState`, a form field). */
  async startFlow(input: StartFlowInput): Promise<string> {
    this.checkOrigin(input.origin, input.requestOrigin);
    const now = this.deps.now();
    const id = randomBytes(24).toString('base64url');
    await insertLoginFlow(this.deps.db, {
      id,
      provider: input.provider,
      origin: input.origin,
      label: input.label,
      type: input.type,
      data: JSON.stringify(input.data ?? {}),
      created_at: iso(now),
      expires_at: iso(new Date(now.getTime() + FLOW_TTL_MS)),
    });
    return id;
  }

  /** A flow started for this provider and not expired, without using it up (a form shown again after a typo). */
  async peekFlow(id: string, provider: string): Promise<LoginFlowRow> {
    const flow = await findLoginFlow(this.deps.db, id);
    if (!flow || flow.provider !== provider || Date.parse(flow.expires_at) <= this.deps.now().getTime()) {
      throw loginExpired();
    }
    return flow;
  }

  /** Uses the flow up: the provider answered. Exactly one caller gets it. */
  async takeFlow(id: string, provider: string): Promise<LoginFlowRow> {
    const flow = await this.peekFlow(id, provider);
    if (!(await deleteLoginFlow(this.deps.db, id))) throw loginExpired();
    return flow;
  }

  /**
   * The person is known: a single-use sid waits for `/auth/fetch`, and the browser goes back to the
   * origin with it, as `?sid=…` and as `?url=<this server>/v1/auth/fetch?sid=…` (the two
   * conventions Sanity's clients read).
   */
  async finish(input: FinishInput): Promise<string> {
    const now = this.deps.now();
    const sid = randomBytes(32).toString('base64url');
    await insertLoginSession(this.deps.db, {
      digest: this.digest(sid),
      user_id: input.userId,
      label: input.flow.label,
      source: input.source,
      organization_id: input.organizationId,
      lifetime_days: input.lifetimeDays,
      created_at: iso(now),
      expires_at: iso(new Date(now.getTime() + SID_TTL_MS)),
    });
    const target = new URL(input.flow.origin);
    target.searchParams.set('sid', sid);
    target.searchParams.set('url', `${this.deps.baseUrl()}/v1/auth/fetch?sid=${sid}`);
    return target.toString();
  }

  /** `GET /auth/fetch?sid=…`: the personal token, once. */
  async fetchSession(actor: Actor, sid: string): Promise<{ token: string; label: string; expiresAt: string }> {
    const digest = this.digest(sid);
    const now = this.deps.now();
    // A login through an organization's single sign-on is checked again as the token is issued
    // (services/login/sso-accounts.ts): the account may have joined something else since.
    // Outside the transaction, so that a refusal's audit event is kept.
    const pending = await findLoginSession(this.deps.db, digest);
    if (pending?.organization_id) {
      const user = await findUser(this.deps.db, pending.user_id);
      if (user) {
        await checkSsoLogin(this.deps.db, {
          organizationId: pending.organization_id,
          providerId: pending.source.replace(/^(oidc|saml):/, ''),
          email: user.email,
          user,
          actor,
          now,
        });
      }
    }
    return inTransaction(this.deps, async (trx) => {
      const session = await findLoginSession(trx, digest);
      if (!session || Date.parse(session.expires_at) <= now.getTime() || !(await deleteLoginSession(trx, digest))) {
        throw new Problem(401, 'Session not found', {
          code: 'invalid_sid',
          hint: 'This login session is unknown, expired or was already used. Log in again.',
        });
      }
      const user = await findUser(trx, session.user_id);
      if (!user || user.disabled_at !== null) {
        throw new Problem(401, 'Session not found', { code: 'invalid_sid', hint: 'This account cannot log in.' });
      }
      const expiresAt = iso(new Date(now.getTime() + session.lifetime_days * 86_400_000));
      const { token, row } = await issueToken(trx, this.deps, {
        kind: 'user',
        principalId: user.id,
        label: session.label,
        expiresAt,
        source: session.source,
        organizationId: session.organization_id,
      });
      await audit(trx, actor, now, {
        action: 'user.login',
        target: { type: 'user', id: user.id },
        after: { tokenId: row.id, source: session.source, organizationId: session.organization_id, expiresAt },
      });
      return { token, label: session.label, expiresAt };
    });
  }

  /**
   * The user an external identity (OIDC subject, SAML NameID) belongs to: linked before, or linked
   * now to the user with the same e-mail address, or created. Identity providers vouch for e-mail
   * addresses, so a first login through one links the existing account of that address.
   */
  async userForIdentity(identity: ExternalIdentity): Promise<UserRow> {
    const now = this.deps.now();
    const email = normalizeEmail(identity.email);
    const run = () =>
      inTransaction(this.deps, async (trx) => {
        const linked = await findIdentity(trx, identity.providerId, identity.subject);
        if (linked) {
          await touchIdentity(trx, identity.providerId, identity.subject, iso(now));
          const user = await findUser(trx, linked.user_id);
          if (user) return user;
        }
        let user = await findUserByEmail(trx, email);
        if (!user) {
          user = {
            id: newId.user(),
            email,
            display_name: identity.displayName?.trim() || email.split('@')[0] || email,
            given_name: identity.givenName ?? null,
            family_name: identity.familyName ?? null,
            image_url: identity.imageUrl ?? null,
            provider: identity.provider,
            created_at: iso(now),
            updated_at: iso(now),
            disabled_at: null,
          };
          await insertUser(trx, user);
          await audit(trx, { principal: null, ip: null, userAgent: null, requestId: null }, now, {
            action: 'user.create',
            target: { type: 'user', id: user.id },
            after: { email, displayName: user.display_name, provider: identity.provider },
          });
        }
        if (!linked) {
          await insertIdentity(trx, {
            provider_id: identity.providerId,
            subject: identity.subject,
            user_id: user.id,
            created_at: iso(now),
            last_login_at: iso(now),
          });
        }
        return user;
      });
    try {
      return await run();
    } catch (error) {
      // Two first logins of the same person at once: the second finds what the first created.
      if (isUniqueViolation(error)) return run();
      throw error;
    }
  }

  private digest(sid: string): string {
    const key = this.deps.keys[0];
    if (!key) throw new Error('no server key configured');
    return digestToken(`sid:${sid}`, key);
  }
}

export function disabledAccount(): Problem {
  return problems.forbidden('This account is disabled', { code: 'account_disabled', hint: 'Ask an operator to enable it.' });
}
