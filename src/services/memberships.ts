/**
 * Adding a member: the one place a membership row is built. A person who joins loses the tokens of
 * other organizations' single sign-on (services/login/sso-accounts.ts).
 */
import { newId } from '../model/ids.js';
import type { ResourceRef } from '../model/policy.js';
import { insertMembership } from '../store/memberships.js';
import type { Executor, MembershipRow } from '../store/schema.js';
import { iso } from './context.js';
import { revokeSsoTokensOnJoin } from './login/sso-accounts.js';

export async function addMember(
  db: Executor,
  resource: ResourceRef,
  principal: { kind: 'user' | 'robot'; id: string },
  roleNames: readonly string[],
  now: Date,
): Promise<MembershipRow> {
  const row: MembershipRow = {
    id: newId.membership(now.getTime()),
    resource_type: resource.type,
    resource_id: resource.id,
    principal_kind: principal.kind,
    principal_id: principal.id,
    // Sanity's `resourceUserId` / `projectUserId`: a member's id in the project, which in Gatehouse
    // is the principal's own id (docs/concepts.md, "Ids"). Organizations have none.
    resource_user_id: resource.type === 'project' ? principal.id : null,
    added_at: iso(now),
    last_seen_at: null,
  };
  await insertMembership(db, row, roleNames);
  // A person's tokens from another organization's single sign-on must not reach this resource.
  if (principal.kind === 'user') await revokeSsoTokensOnJoin(db, principal.id, resource, now);
  return row;
}
