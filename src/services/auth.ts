/**
 * Authentication (token → principal) and the access a principal holds on a resource.
 *
 * This is the hot path of every request, so it is two indexed reads and no writes, except the
 * throttled `lastUsedAt` / `lastSeenAt` bookkeeping (at most one write per token, and per
 * membership, per interval). Nothing is cached across requests: revocation, expiry and role
 * changes bite on the very next request, on every node.
 */
import { Problem } from '../model/errors.js';
import type { ResourceType } from '../model/permissions.js';
import type { Access, ResourceRef } from '../model/policy.js';
import type { Principal } from '../model/principals.js';
import { accessFromHoldings } from '../model/roles.js';
import { digestsEqual, digestToken, parseToken } from '../model/tokens.js';
import { accessHoldings, touchMembership } from '../store/memberships.js';
import { governingOrganization } from '../store/organizations.js';
import { findCredential, recordTokenUse } from '../store/tokens.js';
import { type Deps, iso } from './context.js';
import { idleTokenProblem } from './token-activity.js';

function sessionNotFound(code: string, detail: string): Problem {
  return new Problem(
    401,
    'Session not found',
    { code, hint: detail },
    { errorCode: 'SIO-401-ANF', headers: { 'www-authenticate': `Bearer realm="gatehouse", error="invalid_token"` } },
  );
}

export class AuthService {
  /** Per-node memory of the last bookkeeping write, so concurrent requests don't all write. */
  private readonly lastWrites = new Map<string, number>();

  constructor(
    private readonly deps: Deps,
    /** Where failed authentications are counted (per client address, services/rate-limits.ts). */
    private readonly failures?: { recordTokenFailure(ip: string | null): unknown },
  ) {}

  /**
   * Resolves a presented token, or throws the 401 that says what is wrong with it. Every such 401
   * counts as a failed authentication of the client's address.
   */
  async authenticate(token: string, ip: string | null): Promise<Principal> {
    try {
      return await this.resolve(token, ip);
    } catch (error) {
      if (error instanceof Problem && error.status === 401) this.failures?.recordTokenFailure(ip);
      throw error;
    }
  }

  private async resolve(token: string, ip: string | null): Promise<Principal> {
    const parsed = parseToken(token);
    if (!parsed.ok) {
      throw sessionNotFound('invalid_token', `This is not a Gatehouse token: ${parsed.problem}.`);
    }
    // One lookup per server key, newest first: old keys keep verifying tokens issued before a rotation.
    let row: Awaited<ReturnType<typeof findCredential>>[number] | undefined;
    for (const key of this.deps.keys) {
      const digest = digestToken(token, key);
      const [found] = await findCredential(this.deps.db, digest);
      // Found by digest equality already; the constant-time comparison is belt and braces (R5).
      if (found && digestsEqual(digest, found.digest)) {
        row = found;
        break;
      }
    }
    if (!row) {
      throw sessionNotFound('invalid_token', 'No such token: it was never issued by this server, or its database was reset.');
    }
    const now = this.deps.now();
    // A rotated token keeps working until the end of its grace period: `revoked_at` in the future.
    if (row.revoked_at !== null && Date.parse(row.revoked_at) <= now.getTime()) {
      if (row.replaced_by !== null) {
        throw sessionNotFound(
          'token_rotated',
          `This token was replaced by rotation (new token id ${row.replaced_by}); it stopped working at ${row.revoked_at}. Use the new token.`,
        );
      }
      throw sessionNotFound('token_revoked', `This token was revoked at ${row.revoked_at}. Create a new one.`);
    }
    const expiresAt = row.expires_at ?? row.robot_expires_at;
    if (expiresAt !== null && Date.parse(expiresAt) <= now.getTime()) {
      throw new Problem(
        401,
        'Session is expired, please re-authenticate',
        { code: 'token_expired', expiredAt: expiresAt, hint: 'This token expired. Create a new one, or log in again.' },
        { errorCode: 'SIO-401-AEX', headers: { 'www-authenticate': `Bearer realm="gatehouse", error="invalid_token"` } },
      );
    }

    const idle = idleTokenProblem(row, now, this.deps.identity.tokenIdleTimeoutMinutes);
    if (idle) throw idle;

    let principal: Principal;
    if (row.kind === 'user' && row.email !== null && row.display_name !== null) {
      if (row.disabled_at !== null) {
        throw sessionNotFound('token_revoked', 'The user who owns this token is disabled.');
      }
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
    } else {
      // The owner is gone (deleted robot whose token somehow survived): treat as revoked.
      throw sessionNotFound('token_revoked', 'The owner of this token no longer exists.');
    }

    if (this.due(`t:${row.id}`, row.last_used_at, now)) {
      await recordTokenUse(this.deps.db, row.id, iso(now), ip);
    }
    return principal;
  }

  /**
   * The roles and grants a principal holds on a resource, or null when it holds none — which is
   * also the answer when the resource does not exist, so callers cannot tell the two apart.
   * A project's access includes what the principal's organization roles imply there.
   * `withPolicy` also loads the governing organization's policy (for `managesAccess` routes).
   */
  async accessOf(principal: Principal | null, resource: ResourceRef, withPolicy = false): Promise<Access | null> {
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
    const rows = await accessHoldings(this.deps.db, resource.type, resource.id, principal.id);
    if (rows.length === 0) return null;
    const own = rows.find((r) => r.resource_type === resource.type);
    const now = this.deps.now();
    if (own && this.due(`m:${own.id}`, own.last_seen_at, now)) {
      await touchMembership(this.deps.db, own, iso(now));
    }
    const held = accessFromHoldings(
      resource.type,
      rows.map((r) => ({ resourceType: r.resource_type as ResourceType, roleName: r.role_name, customGrants: r.grants })),
    );
    if (held.roleNames.length === 0 && held.impliedRoleNames.length === 0) return null;
    const access: Access = held.impliedRoleNames.length > 0 ? held : { roleNames: held.roleNames, grants: held.grants };
    if (withPolicy) {
      const org = await governingOrganization(this.deps.db, resource);
      if (org) {
        access.organizationPolicy = { organizationId: org.id, robotsMayManageMembers: org.robots_may_manage_members !== 0 };
      }
    }
    return access;
  }

  /** Whether a throttled bookkeeping write is due, claiming it for this node if so. */
  private due(key: string, lastInDb: string | null, now: Date): boolean {
    const interval = this.deps.lastUsedWriteIntervalMs;
    const last = Math.max(lastInDb ? Date.parse(lastInDb) : 0, this.lastWrites.get(key) ?? 0);
    if (now.getTime() - last < interval) return false;
    if (this.lastWrites.size > 100_000) this.lastWrites.clear();
    this.lastWrites.set(key, now.getTime());
    return true;
  }
}
