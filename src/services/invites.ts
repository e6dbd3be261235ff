import { Problem, problems } from '../model/errors.js';
import { escapeHtml } from '../model/html.js';
import { sortableId } from '../model/ids.js';
import { cursorKey, toPage } from '../model/pagination.js';
import { normalizeResourceType } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import type { UserPrincipal } from '../model/principals.js';
import { digestToken, generateSecret, hasValidChecksum } from '../model/tokens.js';
import {
  closeInvite,
  countInvites,
  findInvite,
  findInviteByDigest,
  findPendingInvite,
  type InviteStatus,
  insertInvite,
  listInvites,
  pendingInvitesOf,
} from '../store/invites.js';
import { lockMembership, lockMemberships, rolesByMembership, setMembershipRoles } from '../store/memberships.js';
import { findOrganization } from '../store/organizations.js';
import { findProject } from '../store/projects.js';
import type { Executor, InviteRow } from '../store/schema.js';
import { findUser } from '../store/users.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { checkGrantable, ensureInviterMayStillGrant, type Granter } from './invariants.js';
import { enqueueMail, type MailService, SECRET_PLACEHOLDER } from './mail.js';
import { addMember } from './memberships.js';
import { resolveRoles, roleSummaries } from './role-catalog.js';
import { normalizeEmail } from './validation.js';
import { accessUserView, membershipView } from './views.js';

export const INVITE_TOKEN_PREFIX = 'gth_invite_';
/** The shape of an invite token, for path validation: prefix, 43 base62 characters, 6 of checksum. */
export const INVITE_TOKEN_PATTERN = '^gth_invite_[0-9A-Za-z]{49}$';
const INVITE_TOKEN_REGEX = new RegExp(INVITE_TOKEN_PATTERN);
const DAY_MS = 86_400_000;
/** At most this many invites in `/access/invites/me` and the legacy list. */
const MAX_LISTED = 500;

/** A new invite token: shown once, in the e-mail. */
export function generateInviteToken(): string {
  return generateSecret(INVITE_TOKEN_PREFIX);
}

/** Shape and checksum, before any lookup: a mistyped token is told so without touching the database. */
export function isInviteToken(token: string): boolean {
  return INVITE_TOKEN_REGEX.test(token) && hasValidChecksum(token);
}

export type InviteView = ReturnType<typeof inviteView>;

/** Most roles one invitation may give. */
export const MAX_INVITE_ROLES = 20;

/** Every role an invitation gives, in the order they were asked for. */
export function inviteRoles(row: Pick<InviteRow, 'role_name' | 'role_names'>): string[] {
  if (row.role_names === null) return [row.role_name];
  const names = JSON.parse(row.role_names) as unknown;
  return Array.isArray(names) && names.length > 0 ? names.map(String) : [row.role_name];
}

/** The roles asked for: `roleNames`, or the one `role`; exactly one of the two. */
function requestedRoles(input: { role?: string | undefined; roleNames?: string[] | undefined }): string[] {
  if (input.role !== undefined && input.roleNames !== undefined) {
    throw problems.invalidInput('Send role (one role) or roleNames (one or more), not both', 'roleNames');
  }
  const names = input.roleNames ?? (input.role !== undefined ? [input.role] : []);
  if (names.length === 0) throw problems.invalidInput('Send role (one role) or roleNames (one or more)', 'role');
  return [...new Set(names)];
}

export function inviteView(row: InviteRow) {
  return {
    id: row.id,
    email: row.email,
    role: row.role_name,
    roleNames: inviteRoles(row),
    status: row.status as InviteStatus,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    createdAt: row.created_at,
    invitedByUserId: row.invited_by_id,
    acceptedByUserId: row.accepted_by_user_id,
    expiresAt: row.expires_at,
  };
}

function inviteNotFound(
  hint = 'Check the link: copy it whole from the e-mail. Ask whoever invited you to send a new invitation.',
) {
  return new Problem(404, 'Invite not found', { code: 'invite_not_found', hint });
}

/** Why a token that was issued no longer works: 410 with its own code. */
function inviteGone(row: InviteRow, now: Date): Problem | null {
  const again = `Ask an administrator of ${row.resource_type} ${row.resource_id} for a new invitation.`;
  if (row.status === 'accepted') {
    return new Problem(410, 'This invitation has already been accepted', {
      code: 'invite_used',
      hint: `An invitation works once. If you accepted it, you are a member already (GET /v2025-01-09/users/me). ${again}`,
    });
  }
  if (row.status === 'revoked') {
    return new Problem(410, 'This invitation was revoked', { code: 'invite_revoked', hint: again });
  }
  if (Date.parse(row.expires_at) <= now.getTime()) {
    return new Problem(410, `This invitation expired at ${row.expires_at}`, {
      code: 'invite_expired',
      expiresAt: row.expires_at,
      hint: again,
    });
  }
  return null;
}

export class InviteService {
  constructor(
    private readonly deps: Deps,
    /** The outbox's sender, woken after an invitation commits. */
    private readonly mail: Pick<MailService, 'wake'>,
  ) {}

  private digests(token: string): string[] {
    return this.deps.keys.map((key) => digestToken(token, key));
  }

  private async byToken(db: Executor, token: string): Promise<InviteRow | undefined> {
    if (!isInviteToken(token)) return undefined;
    return findInviteByDigest(db, this.digests(token));
  }

  async list(resource: ResourceRef, statuses: readonly InviteStatus[] | undefined, cursor: string | undefined, limit: number) {
    const after = cursorKey(cursor);
    const wanted: InviteStatus[] = statuses && statuses.length > 0 ? [...new Set(statuses)] : ['pending'];
    const [rows, total] = await Promise.all([
      listInvites(this.deps.db, resource, wanted, after, limit),
      countInvites(this.deps.db, resource, wanted),
    ]);
    const page = toPage(rows, limit, (r) => r.id, total);
    return { ...page, data: page.data.map(inviteView) };
  }

  async create(
    actor: Actor,
    resource: ResourceRef,
    granter: Granter,
    input: { email: string; role?: string | undefined; roleNames?: string[] | undefined },
  ) {
    const email = normalizeEmail(input.email);
    const roleNames = requestedRoles(input);
    const now = this.deps.now();
    const token = generateInviteToken();
    const digests = this.digests(token);
    const created = await inTransaction(this.deps, async (trx) => {
      const roles = await checkGrantable(trx, resource, roleNames, 'user', granter);
      const pending = await findPendingInvite(trx, resource, email, iso(now));
      if (pending) {
        throw problems.conflict(`${email} already has a pending invitation to ${resource.type} ${resource.id}`, {
          code: 'invite_pending',
          inviteId: pending.id,
          hint: `Wait for it to be accepted, or revoke it (DELETE /access/${resource.type}/${resource.id}/invites/${pending.id}) and invite again.`,
        });
      }
      const row: InviteRow = {
        id: sortableId(now.getTime()),
        resource_type: resource.type,
        resource_id: resource.id,
        email,
        role_name: roleNames[0] as string,
        role_names: JSON.stringify(roleNames),
        token_digest: digests[0] as string,
        status: 'pending',
        invited_by_id: actor.principal?.id ?? 'system',
        accepted_by_user_id: null,
        created_at: iso(now),
        updated_at: iso(now),
        expires_at: iso(new Date(now.getTime() + this.deps.identity.mail.inviteTtlDays * DAY_MS)),
      };
      await insertInvite(trx, row);
      await audit(trx, actor, now, {
        action: 'invite.create',
        resource,
        target: { type: 'invite', id: row.id },
        after: { email, role: row.role_name, roleNames, expiresAt: row.expires_at },
      });
      const name = await this.displayName(trx, resource);
      // The token goes into the message only when it is sent: stored sealed until then (services/mail.ts).
      const link = `${this.deps.baseUrl()}/v1/invites/${SECRET_PLACEHOLDER}`;
      const title = roleNames.map((name, i) => roles[i]?.definition.title ?? name).join(', ');
      await enqueueMail(trx, this.deps.keys, now, {
        kind: 'invite',
        to: email,
        subject: `You are invited to ${name} on Gatehouse`,
        secret: token,
        text: [
          `You have been invited to join ${resource.type} "${name}" (${resource.id}) as ${title}.`,
          '',
          `Open this link to see the invitation and how to accept it (it works once, until ${row.expires_at}):`,
          link,
          '',
          `Or, logged in as ${email}, run: gatehouse invites accept ${SECRET_PLACEHOLDER}`,
          '',
          'If you did not expect this, ignore this message.',
        ].join('\n'),
        html: `<p>You have been invited to join ${escapeHtml(resource.type)} <strong>${escapeHtml(name)}</strong> as ${escapeHtml(title)}.</p><p><a href="${escapeHtml(link)}">See the invitation and accept it</a> (it works once, until ${escapeHtml(row.expires_at)}).</p><p>If you did not expect this, ignore this message.</p>`,
      });
      return inviteView(row);
    });
    // Committed: the message can go now.
    this.mail.wake();
    return created;
  }

  async revoke(actor: Actor, resource: ResourceRef, inviteId: string): Promise<void> {
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      const row = await findInvite(trx, resource, inviteId);
      if (!row) {
        throw inviteNotFound(
          `No invite ${inviteId} on ${resource.type} ${resource.id}: GET /access/${resource.type}/${resource.id}/invites lists them.`,
        );
      }
      if (!(await closeInvite(trx, row.id, 'revoked', null, iso(now)))) {
        throw problems.conflict(`Invite ${inviteId} is ${row.status === 'pending' ? 'no longer pending' : row.status}`, {
          code: 'invite_not_pending',
          status: row.status,
          hint:
            row.status === 'accepted'
              ? `The invitee is a member now: remove them with DELETE /access/${resource.type}/${resource.id}/users/${row.accepted_by_user_id}.`
              : 'Only pending invites can be revoked.',
        });
      }
      await audit(trx, actor, now, {
        action: 'invite.revoke',
        resource,
        target: { type: 'invite', id: row.id },
        before: { email: row.email, role: row.role_name, roleNames: inviteRoles(row), status: 'pending' },
        after: { status: 'revoked' },
      });
    });
  }

  /** The invite behind a token, for anyone holding the token (no login), with what it invites to. */
  async get(resourceType: string, resourceId: string, token: string) {
    const row = await this.byToken(this.deps.db, token);
    if (!row || row.resource_type !== normalizeResourceType(resourceType) || row.resource_id !== resourceId) {
      throw inviteNotFound();
    }
    return this.describe(row);
  }

  /** The same, from the token alone (the e-mailed link, and `gatehouse invites accept <token>`). */
  async getByToken(token: string) {
    const row = await this.byToken(this.deps.db, token);
    if (!row) throw inviteNotFound();
    return this.describe(row);
  }

  private async describe(row: InviteRow) {
    const gone = inviteGone(row, this.deps.now());
    if (gone) throw gone;
    const resource = { type: row.resource_type as ResourceRef['type'], id: row.resource_id };
    const titles = (await resolveRoles(this.deps.db, resource, inviteRoles(row))).map((r) => r.definition.title);
    return {
      ...inviteView(row),
      resourceDisplayName: await this.displayName(this.deps.db, resource),
      roleTitle: titles.join(', '),
    };
  }

  async accept(actor: Actor & { principal: UserPrincipal }, resourceType: string, resourceId: string, token: string) {
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      const row = await this.byToken(trx, token);
      if (!row || row.resource_type !== normalizeResourceType(resourceType) || row.resource_id !== resourceId) {
        throw inviteNotFound();
      }
      const gone = inviteGone(row, now);
      if (gone) throw gone;
      const user = await findUser(trx, actor.principal.id);
      if (!user) throw problems.notFound('User not found');
      if (user.email.trim().toLowerCase() !== row.email) {
        throw new Problem(403, 'This invitation was sent to another e-mail address', {
          code: 'invite_email_mismatch',
          hint: 'Log in with the account of the address the invitation was sent to, and accept it from there. Or ask for an invitation to your own address.',
        });
      }
      const resource: ResourceRef = { type: row.resource_type as ResourceRef['type'], id: row.resource_id };
      await lockMemberships(trx, resource);
      // The membership before any custom role: the order a role change takes them in (services/members.ts).
      let membership = await lockMembership(trx, resource, user.id);
      const given = inviteRoles(row);
      const resolved = await resolveRoles(trx, resource, given);
      const unusable = given.find((_name, i) => !resolved[i]?.definition.appliesToUsers);
      if (unusable !== undefined) {
        throw new Problem(409, `Role ${unusable} can no longer be given to users`, {
          code: 'role_not_applicable',
          role: unusable,
          hint: 'The role was changed after the invitation was sent: ask for a new invitation.',
        });
      }
      await ensureInviterMayStillGrant(trx, resource, row.invited_by_id, given);
      if (!(await closeInvite(trx, row.id, 'accepted', user.id, iso(now)))) {
        // Somebody accepted or revoked it between the read and now.
        throw new Problem(410, 'This invitation is no longer pending', {
          code: 'invite_used',
          hint: 'An invitation works once. Ask for a new one if you still need access.',
        });
      }
      let before: string[] = [];
      if (!membership) {
        membership = await addMember(trx, resource, { kind: 'user', id: user.id }, given, now);
      } else {
        before = (await rolesByMembership(trx, [membership.id])).get(membership.id) ?? [];
        const added = given.filter((name) => !before.includes(name));
        if (added.length > 0) await setMembershipRoles(trx, membership, before, [...before, ...added]);
      }
      const after = [...new Set([...before, ...given])].sort();
      await audit(trx, actor, now, {
        action: 'invite.accept',
        resource,
        target: { type: 'user', id: user.id },
        before: { roleNames: before },
        after: { inviteId: row.id, role: row.role_name, roleNamesGiven: given, roleNames: after },
      });
      const roles = await rolesByMembership(trx, [membership.id]);
      return accessUserView(user, [membershipView(membership, roles.get(membership.id) ?? [])]);
    });
  }

  /** Pending, unexpired invitations to the caller's e-mail address. */
  async mine(principal: UserPrincipal) {
    const user = await findUser(this.deps.db, principal.id);
    if (!user) return { data: [] };
    const rows = await pendingInvitesOf(this.deps.db, user.email.trim().toLowerCase(), iso(this.deps.now()), MAX_LISTED);
    return { data: rows.map(inviteView) };
  }

  /**
   * `GET /invitations/project/{id}` (Sanity's legacy invitations API): every invite of the project,
   * newest last, in the legacy shape.
   */
  async legacyList(projectId: string) {
    const resource: ResourceRef = { type: 'project', id: projectId };
    const rows = await listInvites(this.deps.db, resource, ['pending', 'accepted', 'revoked'], null, MAX_LISTED);
    const roles = await roleSummaries(this.deps.db, 'project', [projectId]);
    return rows.slice(0, MAX_LISTED).map((row) => ({
      id: row.id,
      email: row.email,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      isAccepted: row.status === 'accepted',
      isRevoked: row.status === 'revoked',
      acceptedByUserId: row.accepted_by_user_id,
      roles: inviteRoles(row).map((name) => roles(projectId, name)),
    }));
  }

  private async displayName(db: Executor, resource: ResourceRef): Promise<string> {
    if (resource.type === 'project') return (await findProject(db, resource.id))?.display_name ?? resource.id;
    return (await findOrganization(db, resource.id))?.name ?? resource.id;
  }
}
