/**
 * Which accounts an organization's own single sign-on may open, at every login.
 *
 * Any administrator of an organization can configure an identity provider, and an identity provider
 * can assert any e-mail address. So an organization's provider is trusted only as far as the
 * operator vouched for it, and only over accounts the organization governs:
 *
 * 1. **Operator-approved domains.** An organization's providers log nobody in until the operator
 *    approved at least one e-mail domain for it (`gatehouse orgs domains add`); a domain belongs to
 *    one organization. The address the provider asserts, and the address of the account it opens,
 *    must both be in an approved domain (`sso_domain_not_approved`, `sso_account_conflict`).
 *    Without approval a provider does not even start a login (`sso_not_approved`), so a stranger's
 *    organization cannot turn this server into a redirect to a site of its choosing.
 * 2. **The account belongs only to that organization.** Everything the account is a member of must
 *    be the organization or one of its projects (or nothing yet). Checked at every login — when the
 *    provider answers and again when the token is issued — not only when an identity is first
 *    linked: an account that later joined anything outside is refused (`sso_account_conflict`),
 *    and the refusal is an audit event its owner and the organization's administrators see.
 * 3. **Joining anything outside ends the organization's tokens.** Personal tokens that an
 *    organization's single sign-on issued stop working the moment their account becomes a member of
 *    something outside that organization (an invitation accepted, an access request granted, a
 *    project created, a project moved out), so a token from before cannot reach it either.
 *
 * The operator's global provider (GATEHOUSE_OIDC_ISSUER) is the operator's own choice and is
 * trusted like the password form: none of this applies to it.
 */

import type { Kysely } from 'kysely';
import { Problem } from '../../model/errors.js';
import type { ResourceRef } from '../../model/policy.js';
import { runTransaction } from '../../store/changes.js';
import { isUniqueViolation } from '../../store/db.js';
import { findIdentity } from '../../store/identity.js';
import { principalHoldings, userRoleHoldings } from '../../store/memberships.js';
import { findOrganization } from '../../store/organizations.js';
import { findProject } from '../../store/projects.js';
import type { Database, Executor, OrganizationDomainRow, UserRow } from '../../store/schema.js';
import { deleteDomain, domainsOf, findDomain, insertDomain, revokeSsoTokens } from '../../store/sso-domains.js';
import { findUser, findUserByEmail } from '../../store/users.js';
import { audit } from '../audit.js';
import { type Actor, iso, systemActor } from '../context.js';
import { normalizeEmail } from '../validation.js';

/** At most this many memberships are looked at; an account with more belongs elsewhere anyway. */
const MAX_HOLDINGS = 10_000;

/** How a login module turns a refusal into its own error type (with the log-only detail). */
export type Reject = (status: number, message: string, reason: { code: string; hint: string }, detail: string) => Problem;

export const plainReject: Reject = (status, message, reason) => new Problem(status, message, reason);

/** The domain of an e-mail address, lowercase. */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * A domain as the operator may approve it: a registered name with at least two labels, lowercase,
 * internationalized names in their ASCII (punycode) form, no trailing dot, no address, no wildcard.
 */
export function normalizeDomain(input: string): string {
  const text = input.trim().toLowerCase().replace(/\.$/, '');
  let host = '';
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    host = '';
  }
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
  const labels = host.split('.');
  if (
    host === '' ||
    host !== new URL(`http://${host}/`).hostname ||
    host.length > 253 ||
    labels.length < 2 ||
    !labels.every((l) => label.test(l)) ||
    /^\d+$/.test(labels[labels.length - 1] as string)
  ) {
    throw new Problem(400, `Not an e-mail domain: ${input.slice(0, 100)}`, {
      code: 'invalid_input',
      field: 'domain',
      hint: 'Give the part after the @ of the organization’s addresses, e.g. acme.example (no wildcard, no address).',
    });
  }
  return host;
}

export interface SsoLogin {
  organizationId: string;
  providerId: string;
  /** The address the identity provider asserted (or, when the token is issued, the account's). */
  email: string;
  /** The account the login opens: linked before, or with the asserted address; null for a new one. */
  user: UserRow | null;
  actor: Actor;
  now: Date;
}

/**
 * The account an organization provider's answer would open, as LoginService#userForIdentity would
 * pick it: the one its identity is linked to, else the one with the asserted address, else none
 * (a new account will be created).
 */
export async function accountForIdentity(
  db: Executor,
  providerId: string,
  subject: string,
  email: string,
): Promise<UserRow | null> {
  const linked = await findIdentity(db, providerId, subject);
  if (linked) return (await findUser(db, linked.user_id)) ?? null;
  return (await findUserByEmail(db, normalizeEmail(email))) ?? null;
}

/**
 * Before an organization's provider starts a login: the operator must have approved a domain for
 * the organization. Returns the approved domains.
 */
export async function ensureSsoApproved(db: Executor, organizationId: string, reject: Reject = plainReject): Promise<string[]> {
  const domains = (await domainsOf(db, organizationId)).map((d) => d.domain);
  if (domains.length > 0) return domains;
  throw reject(
    403,
    'This organization’s single sign-on is not enabled on this server',
    {
      code: 'sso_not_approved',
      hint: 'The operator of this server has not approved an e-mail domain for the organization yet (`gatehouse orgs domains add <organization id> <domain>`). Log in another way, or ask the organization’s administrators to contact the operator.',
    },
    `organization ${organizationId} has no approved e-mail domain`,
  );
}

/**
 * The check of every login through an organization's provider: approved domains for the asserted
 * address and for the account opened, and an account that belongs to nothing outside the
 * organization. A refusal is written to the audit log (in its own transaction: the login fails)
 * and thrown.
 */
export async function checkSsoLogin(db: Executor, login: SsoLogin, reject: Reject = plainReject): Promise<void> {
  const domains = await ensureSsoApproved(db, login.organizationId, reject);
  const refuse = async (code: string, status: number, message: string, hint: string, detail: string) => {
    await audit(db, login.actor, login.now, {
      action: 'sso.login.refuse',
      resource: { type: 'organization', id: login.organizationId },
      target: login.user ? { type: 'user', id: login.user.id } : null,
      after: { providerId: login.providerId, code, emailDomain: emailDomain(login.email) },
    });
    return reject(status, message, { code, hint }, detail);
  };
  if (!domains.includes(emailDomain(login.email))) {
    throw await refuse(
      'sso_domain_not_approved',
      403,
      `This organization’s single sign-on cannot log in addresses of ${emailDomain(login.email).slice(0, 100)}`,
      `The operator approved only ${domains.join(', ')} for this organization. Log in another way, or ask the organization’s administrators.`,
      `${login.providerId} asserted an address outside the approved domains (${domains.join(', ')})`,
    );
  }
  const user = login.user;
  if (!user) return;
  const conflict = (detail: string) =>
    refuse(
      'sso_account_conflict',
      403,
      'This account cannot be opened with this organization’s single sign-on',
      'An organization’s single sign-on only logs in accounts that belong to that organization alone. Log in to this account the way you usually do.',
      detail,
    );
  if (!domains.includes(emailDomain(user.email))) {
    throw await conflict(`user ${user.id} has an address outside the approved domains`);
  }
  const outside = await membershipsOutside(db, user.id, login.organizationId);
  if (outside > 0) {
    throw await conflict(`user ${user.id} belongs to ${outside} resource(s) outside organization ${login.organizationId}`);
  }
}

/** How many of a user's memberships are not the organization or one of its projects. */
async function membershipsOutside(db: Executor, userId: string, organizationId: string): Promise<number> {
  const holdings = await principalHoldings(db, userId, MAX_HOLDINGS);
  const outside = new Set<string>();
  for (const h of holdings) {
    const inside = (h.resourceType === 'organization' && h.resourceId === organizationId) || h.organizationId === organizationId;
    if (!inside) outside.add(`${h.resourceType}:${h.resourceId}`);
  }
  return outside.size;
}

/**
 * A user became a member of `resource`: the personal tokens of every *other* organization's single
 * sign-on stop now (rule 3 above). One audit event per organization whose tokens were revoked.
 * Runs in the transaction that adds the membership.
 */
export async function revokeSsoTokensOnJoin(db: Executor, userId: string, resource: ResourceRef, now: Date): Promise<void> {
  const organizationId =
    resource.type === 'organization' ? resource.id : ((await findProject(db, resource.id))?.organization_id ?? null);
  const revoked = await revokeSsoTokens(db, [userId], { except: organizationId }, iso(now));
  await auditRevocations(db, revoked, now, { joined: resource });
}

/**
 * A project left `organizationId`: its members' tokens from that organization's single sign-on
 * stop now, since the project is no longer the organization's.
 */
export async function revokeSsoTokensOnMove(db: Executor, projectId: string, organizationId: string, now: Date): Promise<void> {
  const members = [...new Set((await userRoleHoldings(db, { type: 'project', id: projectId })).map((h) => h.principalId))];
  const revoked = await revokeSsoTokens(db, members, { organizationId }, iso(now));
  await auditRevocations(db, revoked, now, { projectLeft: projectId });
}

async function auditRevocations(
  db: Executor,
  revoked: ReadonlyArray<{ id: string; principal_id: string; organization_id: string | null }>,
  now: Date,
  because: Record<string, unknown>,
): Promise<void> {
  const groups = new Map<string, { userId: string; organizationId: string; tokenIds: string[] }>();
  for (const token of revoked) {
    const key = `${token.principal_id}\0${token.organization_id}`;
    const group = groups.get(key) ?? { userId: token.principal_id, organizationId: token.organization_id ?? '', tokenIds: [] };
    group.tokenIds.push(token.id);
    groups.set(key, group);
  }
  for (const group of groups.values()) {
    await audit(db, systemActor(), now, {
      action: 'sso.tokens.revoke',
      resource: { type: 'organization', id: group.organizationId },
      target: { type: 'user', id: group.userId },
      after: { tokenIds: group.tokenIds, reason: 'member outside the organization', ...because },
    });
  }
}

// --- The operator's approvals (`gatehouse orgs domains`) ------------------------------------------

export interface DomainView {
  domain: string;
  organizationId: string;
  addedAt: string;
}

function domainView(row: OrganizationDomainRow): DomainView {
  return { domain: row.domain, organizationId: row.organization_id, addedAt: row.added_at };
}

export async function listDomains(db: Executor, organizationId: string): Promise<DomainView[]> {
  if (!(await findOrganization(db, organizationId))) throw organizationNotFound(organizationId);
  return (await domainsOf(db, organizationId)).map(domainView);
}

/** Approves a domain for an organization's single sign-on; a domain belongs to one organization. */
export async function approveDomain(
  db: Kysely<Database>,
  organizationId: string,
  input: string,
  now: Date,
): Promise<{ domain: DomainView; added: boolean }> {
  const domain = normalizeDomain(input);
  const run = async (trx: Executor) => {
    if (!(await findOrganization(trx, organizationId))) throw organizationNotFound(organizationId);
    const existing = await findDomain(trx, domain);
    if (existing?.organization_id === organizationId) return { domain: domainView(existing), added: false };
    if (existing) {
      throw new Problem(409, `${domain} is approved for another organization (${existing.organization_id})`, {
        code: 'domain_taken',
        organizationId: existing.organization_id,
        hint: 'A domain’s addresses can be vouched for by one organization’s single sign-on only. Remove it there first (`gatehouse orgs domains remove`).',
      });
    }
    const row: OrganizationDomainRow = { domain, organization_id: organizationId, added_at: iso(now), added_by: 'operator' };
    await insertDomain(trx, row);
    await audit(trx, systemActor(), now, {
      action: 'organization.domain.approve',
      resource: { type: 'organization', id: organizationId },
      after: { domain },
    });
    return { domain: domainView(row), added: true };
  };
  try {
    return await runTransaction(db, run);
  } catch (error) {
    if (isUniqueViolation(error)) return runTransaction(db, run);
    throw error;
  }
}

/** Withdraws an approval: the organization's providers stop logging in addresses of that domain. */
export async function removeDomain(db: Kysely<Database>, organizationId: string, input: string, now: Date): Promise<boolean> {
  const domain = normalizeDomain(input);
  return runTransaction(db, async (trx) => {
    const existing = await findDomain(trx, domain);
    if (existing?.organization_id !== organizationId) return false;
    await deleteDomain(trx, domain);
    await audit(trx, systemActor(), now, {
      action: 'organization.domain.remove',
      resource: { type: 'organization', id: organizationId },
      before: { domain },
    });
    return true;
  });
}

function organizationNotFound(organizationId: string): Problem {
  return new Problem(404, `Organization not found: ${organizationId}`, {
    code: 'not_found',
    resourceType: 'organization',
    resourceId: organizationId,
  });
}
