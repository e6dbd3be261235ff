/**
 * Authentication (token → principal), the access a principal holds on a resource, and `authorize`:
 * the one call an HTTP request makes for both, with the route's decision and the failure count.
 *
 * The hot path reads memory: resolved credentials and access are kept per node in the
 * authorization cache (services/auth-cache.ts), which the change feed keeps exact (within the rules
 * stated there), and the `lastUsedAt` / `lastSeenAt` bookkeeping is only noted in memory
 * (services/bookkeeping.ts). What is time-based is never cached as a decision: revocation times,
 * rotation grace periods and expiry are compared with the clock on every request.
 */
import { hash } from 'node:crypto';
import { Problem } from '../model/errors.js';
import { ID_REGEX } from '../model/ids.js';
import { andThen, type MaybePromise } from '../model/maybe-promise.js';
import type { ResourceType } from '../model/permissions.js';
import { type Access, decidePrincipal, decideResource, type ResourceRef, type RoutePolicy } from '../model/policy.js';
import type { Principal } from '../model/principals.js';
import type { RateLimitReport } from '../model/rate-limit.js';
import { accessFromHoldings } from '../model/roles.js';
import { parseToken } from '../model/tokens.js';
import { accessHoldings } from '../store/memberships.js';
import { governingOrganization } from '../store/organizations.js';
import { findCredentialByToken, lastUsedAtOf } from '../store/tokens.js';
import { resourceVersion } from '../store/versions.js';
import { type AccessEntry, AuthCache, type CredentialEntry, type CredentialRow } from './auth-cache.js';
import { type Bookkeeping, bookkeepingOf } from './bookkeeping.js';
import { type Deps, iso } from './context.js';
import { idleTokenProblem } from './token-activity.js';

function sessionNotFound(code: string, detail: string): Problem {
  return new Problem(401, 'Session not found', { code, hint: detail }, { errorCode: 'SIO-401-ANF', challenge: 'invalid_token' });
}

function cookieNotPersonal(): Problem {
  return new Problem(
    401,
    'Session not found',
    {
      code: 'invalid_token',
      hint: 'A session cookie carries a personal token only. Send a robot token as `Authorization: Bearer <token>`.',
    },
    { errorCode: 'SIO-401-ANF', challenge: 'invalid_token' },
  );
}

/** Where failed authentications are counted (per client address, services/rate-limits.ts). */
export interface FailureCounter {
  checkToken(ip: string | null): void;
  recordTokenFailure(ip: string | null): unknown;
  tokenWindow(ip: string | null): RateLimitReport | null;
}

/** What a request presents, as the HTTP layer read it, and what its route requires. */
export interface AuthorizeRequest {
  /** The bearer token, or the session cookie's token; null when the request carries none. */
  token: string | null;
  /** The token came from the session cookie (personal tokens only; writes need the CSRF value). */
  viaCookie: boolean;
  ip: string | null;
  /** For a cookie-authenticated write: the `X-CSRF-Token` header (checked by `csrf`). */
  unsafe: boolean;
  csrf?: ((tokenId: string) => void) | undefined;
  policy: RoutePolicy;
  /** The route's resource, worked out once from the path (undefined for routes without one). */
  resource: ResourceRef | undefined;
}

export interface Authorization {
  principal: Principal | null;
  resource: ResourceRef | undefined;
  access: Access | null | undefined;
  /** Refuse now, before the body is read: no valid credential, or a kind of caller not accepted. */
  problem: Problem | null;
  /** Refuse once the request's input is valid: not a member, or a permission is missing. */
  refusal: Problem | null;
  /** The window of the client's failed authentications (the `RateLimit-*` headers), for the answer either way. */
  rateLimit: RateLimitReport | null;
  /** The permission the resource decision required, when it allowed the request. */
  permission?: string | undefined;
}

/** The in-memory key of a credential: a SHA-256 of the token (the stored digest is an HMAC). */
function credentialKey(token: string): string {
  return hash('sha256', token, 'base64');
}

function timeOf(text: string | null): number | null {
  return text === null ? null : Date.parse(text);
}

function entryOf(row: CredentialRow): CredentialEntry {
  let principal: Principal | null = null;
  if (row.kind === 'user' && row.email !== null && row.display_name !== null) {
    principal = { kind: 'user', id: row.principal_id, tokenId: row.id, email: row.email, displayName: row.display_name };
  } else if (row.kind === 'robot' && row.label !== null && row.resource_type !== null && row.resource_id !== null) {
    principal = {
      kind: 'robot',
      id: row.principal_id,
      tokenId: row.id,
      label: row.label,
      resourceType: row.resource_type as ResourceType,
      resourceId: row.resource_id,
    };
  }
  const lastUsed = timeOf(row.last_used_at) ?? 0;
  return {
    row,
    principal,
    expiresAtMs: timeOf(row.expires_at ?? row.robot_expires_at),
    revokedAtMs: timeOf(row.revoked_at),
    lastUsedAt: lastUsed,
    lastRecordedAt: lastUsed,
  };
}

/** The latest use of a credential this node knows of, or its creation if it was never used (ms). */
function lastActiveOf(entry: CredentialEntry): number {
  return entry.lastUsedAt || timeOf(entry.row.created_at) || 0;
}

/** Why a credential does not work at `now` (the same answers cached or not), or null. */
function credentialProblem(entry: CredentialEntry, now: number): Problem | null {
  const row = entry.row;
  // A rotated token keeps working until the end of its grace period: `revoked_at` in the future.
  if (entry.revokedAtMs !== null && entry.revokedAtMs <= now) {
    if (row.replaced_by !== null) {
      return sessionNotFound(
        'token_rotated',
        `This token was replaced by rotation (new token id ${row.replaced_by}); it stopped working at ${row.revoked_at}. Use the new token.`,
      );
    }
    return sessionNotFound('token_revoked', `This token was revoked at ${row.revoked_at}. Create a new one.`);
  }
  if (entry.expiresAtMs !== null && entry.expiresAtMs <= now) {
    const expiredAt = row.expires_at ?? row.robot_expires_at;
    return new Problem(
      401,
      'Session is expired, please re-authenticate',
      { code: 'token_expired', expiredAt, hint: 'This token expired. Create a new one, or log in again.' },
      { errorCode: 'SIO-401-AEX', challenge: 'invalid_token' },
    );
  }
  if (row.kind === 'user' && row.disabled_at !== null && entry.principal !== null) {
    return sessionNotFound('token_revoked', 'The user who owns this token is disabled.');
  }
  if (entry.principal === null) {
    // The owner is gone (deleted robot whose token somehow survived): treat as revoked.
    return sessionNotFound('token_revoked', 'The owner of this token no longer exists.');
  }
  return null;
}

export class AuthService {
  readonly cache: AuthCache;
  private readonly bookkeeping: Bookkeeping;
  /** The cached credential behind each principal object this service handed out (for `userProfile`). */
  private readonly entries = new WeakMap<Principal, CredentialEntry>();

  constructor(
    private readonly deps: Deps,
    private readonly failures?: FailureCounter,
  ) {
    this.cache = new AuthCache();
    this.bookkeeping = bookkeepingOf(deps);
  }

  /**
   * The whole authorization of a request, in one call: the client address's failure limit, the
   * credential, the CSRF check of a cookie-authenticated write, the route's principal decision,
   * then the access on the route's resource and the resource decision. Failed authentications are
   * counted here and nowhere else. Never throws for a refusal: the HTTP layer raises `problem`
   * at once and `refusal` once the input is valid, so input errors keep their precedence.
   * The answer is immediate when the credential and the access are in memory (the warm path), and a
   * promise only when something has to be read.
   */
  authorize(request: AuthorizeRequest): MaybePromise<Authorization> {
    const result: Authorization = {
      principal: null,
      resource: request.resource,
      access: undefined,
      problem: null,
      refusal: null,
      rateLimit: null,
    };
    if (request.token === null) return this.decide(request, result);
    try {
      this.failures?.checkToken(request.ip);
    } catch (error) {
      result.problem = error as Problem;
      return result;
    }
    let principal: MaybePromise<Principal>;
    try {
      principal = this.principalOf(request.token, request.ip);
    } catch (error) {
      return this.refuseCredential(request, result, error);
    }
    return principal instanceof Promise
      ? principal.then(
          (found) => this.authenticated(request, result, found),
          (error: unknown) => this.refuseCredential(request, result, error),
        )
      : this.authenticated(request, result, principal);
  }

  /** A presented credential that does not work: the problem, and how many more failures the client's address may have. */
  private refuseCredential(request: AuthorizeRequest, result: Authorization, error: unknown): Authorization {
    result.rateLimit = this.failures?.tokenWindow(request.ip) ?? null;
    if (!(error instanceof Problem)) throw error;
    result.problem = error;
    return result;
  }

  private authenticated(request: AuthorizeRequest, result: Authorization, principal: Principal): MaybePromise<Authorization> {
    if (request.viaCookie && principal.kind !== 'user') {
      this.failures?.recordTokenFailure(request.ip);
      return this.refuseCredential(request, result, cookieNotPersonal());
    }
    result.principal = principal;
    result.rateLimit = this.failures?.tokenWindow(request.ip) ?? null;
    if (request.viaCookie && request.unsafe && request.csrf) {
      try {
        request.csrf(principal.tokenId);
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        result.problem = error;
        return result;
      }
    }
    return this.decide(request, result);
  }

  /** The route's principal decision, then the access on its resource and the resource decision. */
  private decide(request: AuthorizeRequest, result: Authorization): MaybePromise<Authorization> {
    const { policy, resource } = request;
    const first = decidePrincipal(policy, result.principal, resource);
    if (!first.allowed) {
      result.problem = first.problem;
      return result;
    }
    if (!policy.resource) return result;
    const withPolicy = policy.managesAccess === true && result.principal?.kind === 'robot';
    // The path is not validated yet: an id the route's schema will refuse (400 before the refusal is
    // raised) is never looked up.
    const access = resource && ID_REGEX.test(resource.id) ? this.accessOf(result.principal, resource, withPolicy) : null;
    return andThen(access, (held) => {
      const second = decideResource(policy, result.principal, resource, held);
      if (!second.allowed) result.refusal = second.problem;
      else {
        result.access = held;
        result.permission = second.permission;
      }
      return result;
    });
  }

  /**
   * Resolves a presented token, or throws the 401 that says what is wrong with it. Every such 401
   * counts as a failed authentication of the client's address.
   */
  async authenticate(token: string, ip: string | null): Promise<Principal> {
    return this.principalOf(token, ip);
  }

  /** `authenticate`, at once for a token in memory; throws (or rejects with) the 401. */
  private principalOf(token: string, ip: string | null): MaybePromise<Principal> {
    const counted = (error: unknown): never => {
      if (error instanceof Problem && error.status === 401) this.failures?.recordTokenFailure(ip);
      throw error;
    };
    try {
      const principal = this.resolve(token, ip);
      return principal instanceof Promise ? principal.catch(counted) : principal;
    } catch (error) {
      return counted(error);
    }
  }

  private resolve(token: string, ip: string | null): MaybePromise<Principal> {
    const key = credentialKey(token);
    const entry = this.cache.getCredential(key);
    return entry === undefined ? this.loadCredential(token, key).then((loaded) => this.use(loaded, ip)) : this.use(entry, ip);
  }

  private async loadCredential(token: string, key: string): Promise<CredentialEntry> {
    const parsed = parseToken(token);
    if (!parsed.ok) {
      throw sessionNotFound('invalid_token', `This is not a Gatehouse token: ${parsed.problem}.`);
    }
    const epoch = this.cache.epoch;
    const row: CredentialRow | undefined = await findCredentialByToken(this.deps.db, this.deps.keys, token);
    if (!row) {
      throw sessionNotFound('invalid_token', 'No such token: it was never issued by this server, or its database was reset.');
    }
    const entry = entryOf(row);
    this.cache.setCredential(key, entry, epoch);
    return entry;
  }

  /** The principal of a credential that works now, or the 401 that says why it does not. */
  private use(entry: CredentialEntry, ip: string | null): MaybePromise<Principal> {
    const now = this.deps.now().getTime();
    const problem = credentialProblem(entry, now);
    if (problem) throw problem;
    // The inactivity limit compares with the latest use this node knows of, before it moves to now.
    // Only a token that looks idle from here waits for a database read (confirmIdle).
    if (idleTokenProblem(entry.row.kind, lastActiveOf(entry), now, this.deps.identity.tokenIdleTimeoutMinutes)) {
      return this.confirmIdle(entry, now).then(() => this.used(entry, ip, now));
    }
    return this.used(entry, ip, now);
  }

  private used(entry: CredentialEntry, ip: string | null, now: number): Principal {
    const principal = entry.principal as Principal;
    // `lastUsedAt` is written at most once per interval per token (and per node): noted here,
    // written in the background.
    if (entry.lastRecordedAt === 0 || now - entry.lastRecordedAt >= this.deps.lastUsedWriteIntervalMs) {
      entry.lastRecordedAt = now;
      this.bookkeeping.noteTokenUse(entry.row.id, iso(new Date(now)), ip);
    }
    entry.lastUsedAt = now;
    this.entries.set(principal, entry);
    return principal;
  }

  /**
   * The optional inactivity timeout of personal tokens (services/token-activity.ts). This node's
   * `lastUsedAt` may be older than a use another node saw, so before refusing, the database's
   * `last_used_at` (written by every node's bookkeeping) is read once more.
   */
  private async confirmIdle(entry: CredentialEntry, now: number): Promise<void> {
    const stored = await lastUsedAtOf(this.deps.db, entry.row.id);
    entry.lastUsedAt = Math.max(entry.lastUsedAt, timeOf(stored) ?? 0);
    const idle = idleTokenProblem(entry.row.kind, lastActiveOf(entry), now, this.deps.identity.tokenIdleTimeoutMinutes);
    if (idle) throw idle;
  }

  /**
   * The version of a resource that cached pages are checked against: from memory on a warm node
   * (kept exact by the change feed), else one indexed read. Read it *before* rendering a page: a
   * change racing with the request then only makes the stored page look older than it is (a
   * harmless miss), never newer (a stale hit).
   */
  resourceVersion(resource: ResourceRef): MaybePromise<number> {
    const known = this.cache.getVersion(resource.type, resource.id);
    if (known !== undefined) return known;
    const epoch = this.cache.epoch;
    return resourceVersion(this.deps.db, resource).then((version) => {
      this.cache.setVersion(resource.type, resource.id, version, epoch);
      return version;
    });
  }

  /** Before reading `lastUsedAt` / `lastSeenAt` back (free when nothing is pending). */
  settle(): Promise<void> | undefined {
    return this.bookkeeping.settle();
  }

  /**
   * A user principal's profile as its credential lookup read it (image, provider), or undefined
   * when it is not at hand. The profile columns only change through code that notes the change.
   */
  userProfile(principal: Principal): { imageUrl: string | null; provider: string } | undefined {
    const row = this.entries.get(principal)?.row;
    if (!row || row.provider === null) return undefined;
    return { imageUrl: row.image_url ?? null, provider: row.provider };
  }

  /**
   * The roles and grants a principal holds on a resource, or null when it holds none — which is
   * also the answer when the resource does not exist, so callers cannot tell the two apart.
   * A project's access includes what the principal's organization roles imply there.
   * `withPolicy` also loads the governing organization's policy (for `managesAccess` routes);
   * `seen` notes the membership's `lastSeenAt` (false for reads that are not a use of the resource).
   */
  accessOf(principal: Principal | null, resource: ResourceRef, withPolicy = false, seen = true): MaybePromise<Access | null> {
    if (!principal) return null;
    // A robot belongs to exactly one resource, and an organization robot may reach the organization's
    // projects: anything else is out of reach without a lookup.
    if (
      principal.kind === 'robot' &&
      (principal.resourceType !== resource.type || principal.resourceId !== resource.id) &&
      !(principal.resourceType === 'organization' && resource.type === 'project')
    ) {
      return null;
    }
    const key = AuthCache.accessKey(principal.id, resource.type, resource.id);
    const entry = this.cache.getAccess(key);
    if (entry !== undefined) return this.accessFrom(entry, resource, withPolicy, seen);
    const epoch = this.cache.epoch;
    return this.loadAccess(principal, resource).then((loaded) => {
      this.cache.setAccess(key, principal.id, resource.type, resource.id, loaded, epoch);
      return this.accessFrom(loaded, resource, withPolicy, seen);
    });
  }

  private accessFrom(entry: AccessEntry, resource: ResourceRef, withPolicy: boolean, seen: boolean): MaybePromise<Access | null> {
    const membership = entry.membership;
    if (seen && membership) {
      const now = this.deps.now().getTime();
      if (membership.lastRecordedAt === 0 || now - membership.lastRecordedAt >= this.deps.lastUsedWriteIntervalMs) {
        membership.lastRecordedAt = now;
        this.bookkeeping.noteMemberSeen(membership, iso(new Date(now)));
      }
    }
    const access = entry.access;
    if (!access || !withPolicy) return access;
    const withOrganization = () => (entry.policy ? { ...access, organizationPolicy: entry.policy } : access);
    if (entry.policy !== undefined) return withOrganization();
    return governingOrganization(this.deps.db, resource).then((org) => {
      entry.policy = org ? { organizationId: org.id, robotsMayManageMembers: org.robots_may_manage_members !== 0 } : null;
      return withOrganization();
    });
  }

  private async loadAccess(principal: Principal, resource: ResourceRef): Promise<AccessEntry> {
    const rows = await accessHoldings(this.deps.db, resource.type, resource.id, principal.id);
    if (rows.length === 0) return { access: null, membership: null };
    const own = rows.find((r) => r.resource_type === resource.type);
    const membership = own
      ? {
          id: own.id,
          resourceType: own.resource_type,
          resourceId: own.resource_id,
          lastRecordedAt: timeOf(own.last_seen_at) ?? 0,
        }
      : null;
    const held = accessFromHoldings(
      resource.type,
      rows.map((r) => ({ resourceType: r.resource_type as ResourceType, roleName: r.role_name, customGrants: r.grants })),
    );
    if (held.roleNames.length === 0 && held.impliedRoleNames.length === 0) return { access: null, membership };
    const access: Access = held.impliedRoleNames.length > 0 ? held : { roleNames: held.roleNames, grants: held.grants };
    return { access, membership };
  }
}
