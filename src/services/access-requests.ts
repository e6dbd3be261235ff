/**
 * Access requests (docs/collaboration.md, "Access requests"): a person asks to join a project or
 * organization (`access`), or a member asks for another role (`role`); the resource's member
 * managers accept or decline.
 *
 * Rules, all checked in the request's own transaction:
 * - one pending request per person and resource; a pending request older than 14 days counts as
 *   expired, and the person may ask again (409 `request_pending`);
 * - after a decline, the person waits 14 days before asking again (409 `request_declined`);
 * - at most REQUEST_LIMIT requests per person per 24 hours, across all resources (429 `request_limit`);
 * - an organization with `requestAccessStatus: 'disabled'` takes no requests, for itself or its
 *   projects (403 `requests_disabled`);
 * - somebody who already has access does not ask for it (409 `already_member`).
 *
 * Creating a request needs no membership: anybody who knows a project's id may ask. The 201 or 404
 * tells them whether the project exists, and nothing else: the answer is their own request.
 */
import { Problem, problems } from '../model/errors.js';
import { sortableId } from '../model/ids.js';
import { type ResourceRef, resourceNotFound } from '../model/policy.js';
import type { UserPrincipal } from '../model/principals.js';
import {
  accessRequestsOf,
  countRequestsSince,
  decideAccessRequest,
  findAccessRequest,
  insertAccessRequest,
  listAccessRequests,
  lockRequester,
  oldestRequestSince,
  userRequestsOn,
} from '../store/access-requests.js';
import { lockMembership, lockMemberships, rolesByMembership, setMembershipRoles } from '../store/memberships.js';
import { findOrganization } from '../store/organizations.js';
import { findProject } from '../store/projects.js';
import type { AccessRequestRow, Executor } from '../store/schema.js';
import { findUsers } from '../store/users.js';
import { audit } from './audit.js';
import type { AuthService } from './auth.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { checkGrantable, type Granter } from './invariants.js';
import { addMember } from './memberships.js';
import { resolveRoles } from './role-catalog.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A pending request older than this has expired; a decline blocks new requests this long. */
export const REQUEST_TTL_MS = 14 * DAY_MS;
/** Requests one person may make per 24 hours, across every project and organization. */
export const REQUEST_LIMIT = 10;
/** Lists answer at most this many requests (Sanity's request lists have no pagination). */
export const MAX_LISTED = 500;

export type AccessRequestType = 'access' | 'role';

export interface CreateAccessRequestInput {
  note?: string | undefined;
  requestUrl?: string | undefined;
  requestedRole?: string | undefined;
  type?: AccessRequestType | undefined;
}

export interface AccessRequestView {
  id: string;
  status: AccessRequestRow['status'] | 'expired';
  resourceId: string;
  resourceType: string;
  createdAt: string;
  updatedAt: string;
  updatedByUserId: string | null;
  requestedByUserId: string;
  requestedRole: string | null;
  type: string;
  note: string | null;
}

/** A pending request past its 14 days shows as `expired`: it can no longer be accepted. */
function isExpired(row: AccessRequestRow, now: Date): boolean {
  return row.status === 'pending' && now.getTime() - Date.parse(row.created_at) >= REQUEST_TTL_MS;
}

export function accessRequestView(row: AccessRequestRow, now: Date): AccessRequestView {
  return {
    id: row.id,
    status: isExpired(row, now) ? 'expired' : row.status,
    resourceId: row.resource_id,
    resourceType: row.resource_type,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedByUserId: row.updated_by_user_id,
    requestedByUserId: row.requested_by_user_id,
    requestedRole: row.requested_role,
    type: row.type,
    note: row.note === '' ? null : row.note,
  };
}

function checkRequestUrl(value: string | undefined): string | null {
  if (value === undefined) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw problems.invalidInput(
      'requestUrl must be an absolute URL (where to send the user once access is granted)',
      'requestUrl',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw problems.invalidInput('requestUrl must be an http or https URL', 'requestUrl');
  }
  return url.toString();
}

export class AccessRequestService {
  constructor(
    private readonly deps: Deps,
    private readonly auth: AuthService,
  ) {}

  /**
   * The requests of a resource, for those who decide them: each with who asked (name and e-mail
   * address), since the requester is not a member whose profile they could look up.
   */
  async list(
    resource: ResourceRef,
    includeChildren: boolean,
  ): Promise<Array<AccessRequestView & { requestedBy: { displayName: string; email: string } | null }>> {
    const rows = await listAccessRequests(this.deps.db, resource, includeChildren, MAX_LISTED);
    const now = this.deps.now();
    const users = await findUsers(this.deps.db, [...new Set(rows.map((row) => row.requested_by_user_id))]);
    const byId = new Map(users.map((user) => [user.id, { displayName: user.display_name, email: user.email }]));
    return rows.map((row) => ({ ...accessRequestView(row, now), requestedBy: byId.get(row.requested_by_user_id) ?? null }));
  }

  async mine(principal: UserPrincipal): Promise<AccessRequestView[]> {
    const rows = await accessRequestsOf(this.deps.db, principal.id, MAX_LISTED);
    const now = this.deps.now();
    return rows.map((row) => accessRequestView(row, now));
  }

  async create(
    actor: Actor & { principal: UserPrincipal },
    resource: ResourceRef,
    input: CreateAccessRequestInput,
  ): Promise<AccessRequestView> {
    const requestUrl = checkRequestUrl(input.requestUrl);
    const type = input.type ?? 'access';
    const note = (input.note ?? '').trim();
    const requestedRole = input.requestedRole?.trim() || null;
    const userId = actor.principal.id;
    const now = this.deps.now();
    // Access held directly or implied by an organization role (read outside the transaction: the
    // same read every request makes in its authorization hook).
    const access = await this.auth.accessOf(actor.principal, resource);
    return inTransaction(this.deps, async (trx) => {
      await lockRequester(trx, userId);
      await this.checkOpen(trx, resource);
      if (type === 'access' && access) {
        throw problems.conflict(`You already have access to ${resource.type} ${resource.id}`, {
          code: 'already_member',
          resourceType: resource.type,
          resourceId: resource.id,
          rolesHeld: [...access.roleNames, ...(access.impliedRoleNames ?? [])],
          hint: 'To ask for another role, send `type: "role"` with the `requestedRole` you need.',
        });
      }
      const since = iso(new Date(now.getTime() - REQUEST_TTL_MS));
      for (const previous of await userRequestsOn(trx, resource, userId, since)) {
        if (previous.status === 'pending' && !isExpired(previous, now)) {
          const expires = iso(new Date(Date.parse(previous.created_at) + REQUEST_TTL_MS));
          throw problems.conflict(`You already have a pending request for ${resource.type} ${resource.id}`, {
            code: 'request_pending',
            requestId: previous.id,
            expiresAt: expires,
            hint: `Wait for an administrator to answer it; it expires at ${expires}, after which you may ask again. Your requests: GET /access/requests/me.`,
          });
        }
        if (previous.status === 'declined') {
          const until = iso(new Date(Date.parse(previous.updated_at) + REQUEST_TTL_MS));
          throw problems.conflict(`Your request for ${resource.type} ${resource.id} was declined recently`, {
            code: 'request_declined',
            requestId: previous.id,
            retryAfter: until,
            hint: `A declined request blocks new ones for 14 days: you may ask again after ${until}, or contact an administrator of the ${resource.type}.`,
          });
        }
      }
      const windowStart = iso(new Date(now.getTime() - DAY_MS));
      if ((await countRequestsSince(trx, userId, windowStart)) >= REQUEST_LIMIT) {
        const oldest = await oldestRequestSince(trx, userId, windowStart);
        const nextAt = new Date(Date.parse(oldest ?? iso(now)) + DAY_MS);
        const seconds = Math.max(1, Math.ceil((nextAt.getTime() - now.getTime()) / 1000));
        throw new Problem(
          429,
          `You made ${REQUEST_LIMIT} access requests in the last 24 hours`,
          {
            code: 'request_limit',
            limit: REQUEST_LIMIT,
            windowSeconds: DAY_MS / 1000,
            retryAfter: iso(nextAt),
            hint: `At most ${REQUEST_LIMIT} access requests per person per 24 hours, across all projects and organizations. Try again after ${iso(nextAt)}.`,
          },
          { retryAfterSeconds: seconds },
        );
      }
      const row: AccessRequestRow = {
        id: sortableId(now.getTime()),
        resource_type: resource.type,
        resource_id: resource.id,
        requested_by_user_id: userId,
        status: 'pending',
        type,
        requested_role: requestedRole,
        note,
        request_url: requestUrl,
        updated_by_user_id: null,
        created_at: iso(now),
        updated_at: iso(now),
      };
      await insertAccessRequest(trx, row);
      await audit(trx, actor, now, {
        action: 'request.create',
        resource,
        target: { type: 'request', id: row.id },
        after: { type, requestedRole, note: note === '' ? null : note },
      });
      return accessRequestView(row, now);
    });
  }

  /** Refuses requests for a resource that does not exist, or whose organization takes none. */
  private async checkOpen(db: Executor, resource: ResourceRef): Promise<void> {
    let organizationId: string | null;
    if (resource.type === 'project') {
      const project = await findProject(db, resource.id);
      if (!project) throw resourceNotFound(resource);
      organizationId = project.organization_id;
    } else {
      organizationId = resource.id;
    }
    if (organizationId === null) return;
    const organization = await findOrganization(db, organizationId);
    if (!organization) {
      if (resource.type === 'organization') throw resourceNotFound(resource);
      return;
    }
    if (organization.request_access_status === 'disabled') {
      throw problems.forbidden(
        `${resource.type === 'project' ? 'The organization of this project' : 'This organization'} does not take access requests`,
        {
          code: 'requests_disabled',
          resourceType: resource.type,
          resourceId: resource.id,
          hint: 'Ask an administrator of the organization to invite you instead.',
        },
      );
    }
  }

  async accept(
    actor: Actor,
    resource: ResourceRef,
    granter: Granter,
    requestId: string,
    roleNames: readonly string[] | undefined,
  ): Promise<AccessRequestView> {
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      await lockMemberships(trx, resource);
      const request = await this.pendingRequest(trx, resource, requestId, now);
      const userId = request.requested_by_user_id;
      // The membership before any custom role: the order a role change takes them in (services/members.ts).
      const membership = await lockMembership(trx, resource, userId);
      const roles = roleNames ? [...new Set(roleNames)] : await this.defaultRoles(trx, resource, request);
      if (roles.length === 0) throw problems.invalidInput('roleNames must name at least one role', 'roleNames');
      await checkGrantable(trx, resource, roles, 'user', granter);
      let before: string[] = [];
      let after: string[];
      if (membership) {
        before = (await rolesByMembership(trx, [membership.id])).get(membership.id) ?? [];
        after = [...new Set([...before, ...roles])];
        await setMembershipRoles(trx, membership, before, after);
      } else {
        after = roles;
        await addMember(trx, resource, { kind: 'user', id: userId }, roles, now);
      }
      const change = { status: 'accepted' as const, updated_by_user_id: actor.principal?.id ?? null, updated_at: iso(now) };
      if (!(await decideAccessRequest(trx, request.id, change))) throw notPending(resource, { ...request, status: 'decided' });
      await audit(trx, actor, now, {
        action: 'request.accept',
        resource,
        target: { type: 'user', id: userId },
        before: { requestId: request.id, status: 'pending', roleNames: before.sort() },
        after: { requestId: request.id, status: 'accepted', roleNames: [...after].sort() },
      });
      return accessRequestView({ ...request, ...change }, now);
    });
  }

  async decline(actor: Actor, resource: ResourceRef, requestId: string) {
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      const request = await this.pendingRequest(trx, resource, requestId, now);
      const change = { status: 'declined' as const, updated_by_user_id: actor.principal?.id ?? null, updated_at: iso(now) };
      if (!(await decideAccessRequest(trx, request.id, change))) throw notPending(resource, { ...request, status: 'decided' });
      await audit(trx, actor, now, {
        action: 'request.decline',
        resource,
        target: { type: 'user', id: request.requested_by_user_id },
        before: { requestId: request.id, status: 'pending' },
        after: { requestId: request.id, status: 'declined' },
      });
      return accessRequestView({ ...request, ...change }, now);
    });
  }

  private async pendingRequest(db: Executor, resource: ResourceRef, requestId: string, now: Date) {
    const request = await findAccessRequest(db, resource, requestId);
    if (!request) {
      throw problems.notFound(`Access request not found: ${requestId}`, {
        hint: `No request with this id was made for ${resource.type} ${resource.id}; list them with GET /access/${resource.type}/${resource.id}/requests.`,
      });
    }
    if (isExpired(request, now)) {
      throw problems.conflict(`Access request ${requestId} has expired`, {
        code: 'request_expired',
        requestId,
        createdAt: request.created_at,
        hint: 'Pending requests expire after 14 days. The person may ask again, or invite them instead.',
      });
    }
    if (request.status !== 'pending') throw notPending(resource, request);
    return request;
  }

  /**
   * Roles when the approver names none: the requested role if it exists here and applies to
   * users, else the organization's default role, or `viewer` on a project.
   */
  private async defaultRoles(db: Executor, resource: ResourceRef, request: AccessRequestRow): Promise<string[]> {
    if (request.requested_role) {
      try {
        const [role] = await resolveRoles(db, resource, [request.requested_role]);
        if (role?.definition.appliesToUsers) return [role.definition.name];
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
      }
    }
    if (resource.type === 'organization') {
      const organization = await findOrganization(db, resource.id);
      return [organization?.default_role_name ?? 'member'];
    }
    return ['viewer'];
  }
}

function notPending(resource: ResourceRef, request: { id: string; status: string }) {
  return problems.conflict(`Access request ${request.id} is not pending (${request.status})`, {
    code: 'request_not_pending',
    requestId: request.id,
    status: request.status,
    hint: `Only pending requests can be accepted or declined. To change this person's roles, use /access/${resource.type}/${resource.id}/users.`,
  });
}
