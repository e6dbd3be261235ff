/**
 * Organization policies: how long robot tokens may live, and whether robots may manage members
 * and roles. The second is enforced by the authorization decision itself (model/policy.ts reads it
 * through services/auth.ts); the first is checked here whenever a robot's expiry is set.
 *
 * A new policy governs what is created or changed afterwards. Existing robots are left as they
 * are: a robot created with no expiry keeps working after a lifetime limit is set, because
 * silently shortening live credentials would break running automation without warning. Setting a
 * limit is therefore also the moment to review the robots listed with
 * `GET /access/organization/{id}/robots?includeChildren=true`.
 */
import { Problem, problems } from '../model/errors.js';
import type { ResourceRef } from '../model/policy.js';
import { findOrganization, governingOrganization, updateOrganizationPolicies } from '../store/organizations.js';
import type { Executor, OrganizationRow } from '../store/schema.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface OrganizationPoliciesInput {
  robotTokenMaxLifetimeDays?: number | null | undefined;
  robotsMayManageMembers?: boolean | undefined;
  ssoTokenLifetimeDays?: number | null | undefined;
}

export function policiesView(
  org: Pick<
    OrganizationRow,
    'id' | 'robot_token_max_lifetime_days' | 'robots_may_manage_members' | 'sso_token_lifetime_days' | 'updated_at'
  >,
) {
  return {
    organizationId: org.id,
    robotTokenMaxLifetimeDays: org.robot_token_max_lifetime_days,
    robotsMayManageMembers: org.robots_may_manage_members !== 0,
    ssoTokenLifetimeDays: org.sso_token_lifetime_days ?? null,
    updatedAt: org.updated_at,
  };
}

/**
 * A robot of `resource` (an organization, or a project inside one) may only be given an expiry
 * within its organization's `robotTokenMaxLifetimeDays` from now; with a limit, "never" is refused
 * too. Resources outside any organization have no limit.
 */
export async function ensureRobotLifetime(
  db: Executor,
  resource: ResourceRef,
  expiresAt: string | null,
  now: Date,
): Promise<void> {
  const org = await governingOrganization(db, resource);
  const maxDays = org?.robot_token_max_lifetime_days ?? null;
  if (!org || maxDays === null) return;
  const latest = new Date(now.getTime() + maxDays * DAY_MS);
  if (expiresAt !== null && Date.parse(expiresAt) <= latest.getTime()) return;
  const latestExpiresAt = iso(latest);
  const where = resource.type === 'organization' ? `organization ${org.id}` : `projects of organization ${org.id}`;
  throw new Problem(
    400,
    expiresAt === null
      ? `Robot tokens of ${where} may live at most ${maxDays} days: expiresAt is required, no later than ${latestExpiresAt}`
      : `Robot tokens of ${where} may live at most ${maxDays} days: expiresAt must be no later than ${latestExpiresAt}`,
    {
      code: 'token_lifetime_exceeded',
      field: 'expiresAt',
      maxDays,
      organizationId: org.id,
      latestExpiresAt,
      hint: `Set expiresAt to a date-time no later than ${latestExpiresAt} (POST /access/${resource.type}/${resource.id}/robots accepts it), or ask an administrator of organization ${org.id} to change robotTokenMaxLifetimeDays: PATCH /organizations/${org.id}/policies.`,
    },
  );
}

export class PolicyService {
  constructor(readonly deps: Deps) {}

  async get(organizationId: string) {
    return policiesView(await this.find(this.deps.db, organizationId));
  }

  async update(actor: Actor, organizationId: string, input: OrganizationPoliciesInput) {
    if (
      input.robotTokenMaxLifetimeDays === undefined &&
      input.robotsMayManageMembers === undefined &&
      input.ssoTokenLifetimeDays === undefined
    ) {
      throw problems.invalidInput('Send at least one of robotTokenMaxLifetimeDays, robotsMayManageMembers, ssoTokenLifetimeDays');
    }
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      const before = await this.find(trx, organizationId);
      const changes: Parameters<typeof updateOrganizationPolicies>[2] = { updated_at: iso(now) };
      if (input.robotTokenMaxLifetimeDays !== undefined) changes.robot_token_max_lifetime_days = input.robotTokenMaxLifetimeDays;
      if (input.robotsMayManageMembers !== undefined) changes.robots_may_manage_members = input.robotsMayManageMembers ? 1 : 0;
      if (input.ssoTokenLifetimeDays !== undefined) changes.sso_token_lifetime_days = input.ssoTokenLifetimeDays;
      await updateOrganizationPolicies(trx, organizationId, changes);
      const after = { ...before, ...changes };
      const { updatedAt: _b, ...beforeView } = policiesView(before);
      const { updatedAt: _a, ...afterView } = policiesView(after);
      await audit(trx, actor, now, {
        action: 'organization.policies.update',
        resource: { type: 'organization', id: organizationId },
        target: { type: 'organization', id: organizationId },
        before: beforeView,
        after: afterView,
      });
      return policiesView(after);
    });
  }

  private async find(db: Executor, organizationId: string): Promise<OrganizationRow> {
    const org = await findOrganization(db, organizationId);
    if (!org)
      throw problems.notFound(`Organization not found: ${organizationId}`, {
        resourceType: 'organization',
        resourceId: organizationId,
      });
    return org;
  }
}
