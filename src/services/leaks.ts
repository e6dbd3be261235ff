/**
 * `POST /tokens/leaked`: anyone who finds a Gatehouse secret — a secret scanner, a person who saw
 * one in a public repository or a log — reports it, and it stops working.
 *
 * - A personal token (`gth_user_…`) or robot token (`gth_robot_…`) that still works is revoked: the
 *   next request with it is `401 token_revoked`. An invite token (`gth_invite_…`) of a pending
 *   invitation revokes the invitation.
 * - Each revocation is an audit event (`token.leaked`, `invite.leaked`) that the token's owner and
 *   the resource's administrators see in `GET /activity`: a robot token's project or organization;
 *   a personal token's owner (and, if an organization's single sign-on issued it, that
 *   organization). The event names the token's id, never the token, and where it was found when
 *   the reporter said so.
 * - The answer is the same whatever was reported — a live token, a revoked one, one that never
 *   existed, not a token at all (RFC 7009 §2.2): the endpoint tells a reporter nothing, so it can be
 *   open to anybody without becoming an oracle. Reports are limited per client address.
 */
import type { ResourceRef } from '../model/policy.js';
import { digestToken, parseToken } from '../model/tokens.js';
import { closeInvite, findInviteByDigest } from '../store/invites.js';
import { findCredentialByToken, findToken, revokeToken } from '../store/tokens.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { isInviteToken } from './invites.js';
import { rateLimitsOf } from './rate-limits.js';

/** What every report answers. */
export const LEAK_REPORT_ANSWER = { received: true } as const;

/** Reports per client address per window. */
export const LEAK_REPORTS_PER_WINDOW = 120;
export const LEAK_REPORT_WINDOW_SECONDS = 60;

export class LeakService {
  constructor(private readonly deps: Deps) {}

  async report(actor: Actor, token: string, foundAt: string | undefined): Promise<typeof LEAK_REPORT_ANSWER> {
    await rateLimitsOf(this.deps).countEvent(
      'leak-report',
      actor.ip,
      { limit: LEAK_REPORTS_PER_WINDOW, windowSeconds: LEAK_REPORT_WINDOW_SECONDS },
      'Too many reports from this address; every report is taken once the window ends. Secret scanners: spread reports out.',
    );
    const candidate = token.trim();
    if (isInviteToken(candidate)) await this.revokeInvite(actor, candidate, foundAt);
    else if (parseToken(candidate).ok) await this.revokeToken(actor, candidate, foundAt);
    return LEAK_REPORT_ANSWER;
  }

  private async revokeToken(actor: Actor, token: string, foundAt: string | undefined): Promise<void> {
    const row = await findCredentialByToken(this.deps.db, this.deps.keys, token);
    if (!row) return;
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      // Only a token that still works is revoked (and audited): a report of a dead one changes nothing.
      if (!(await revokeToken(trx, row.id, iso(now)))) return;
      const stored = await findToken(trx, row.id);
      let resource: ResourceRef | null = null;
      let target: { type: string; id: string };
      if (row.kind === 'robot' && row.resource_type && row.resource_id) {
        resource = { type: row.resource_type as ResourceRef['type'], id: row.resource_id };
        target = { type: 'robot', id: row.principal_id };
      } else {
        if (stored?.organization_id) resource = { type: 'organization', id: stored.organization_id };
        target = { type: 'user', id: row.principal_id };
      }
      await audit(trx, actor, now, {
        action: 'token.leaked',
        resource,
        target,
        after: { tokenId: row.id, kind: row.kind, revokedAt: iso(now), ...(foundAt ? { foundAt } : {}) },
      });
    });
    this.deps.log?.info({ tokenId: row.id, kind: row.kind }, 'a leaked token was reported, and revoked');
  }

  private async revokeInvite(actor: Actor, token: string, foundAt: string | undefined): Promise<void> {
    const invite = await findInviteByDigest(
      this.deps.db,
      this.deps.keys.map((key) => digestToken(token, key)),
    );
    if (!invite) return;
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      if (!(await closeInvite(trx, invite.id, 'revoked', null, iso(now)))) return;
      await audit(trx, actor, now, {
        action: 'invite.leaked',
        resource: { type: invite.resource_type as ResourceRef['type'], id: invite.resource_id },
        target: { type: 'invite', id: invite.id },
        before: { email: invite.email, role: invite.role_name, status: 'pending' },
        after: { status: 'revoked', ...(foundAt ? { foundAt } : {}) },
      });
    });
    this.deps.log?.info({ inviteId: invite.id }, 'a leaked invitation link was reported, and revoked');
  }
}
