/** The human members of a resource (Access API `/users`). */
import { Problem, problems } from '../model/errors.js';
import { andThen, type MaybePromise } from '../model/maybe-promise.js';
import { cursorKey, type Page, toPage } from '../model/pagination.js';
import type { ResourceRef } from '../model/policy.js';
import {
  countMembers,
  deleteMembership,
  findMembership,
  listUserMembers,
  lockMembership,
  lockMemberships,
  rolesByMembership,
  setMembershipRoles,
  userWithRoles,
} from '../store/memberships.js';
import type { MembershipRow } from '../store/schema.js';
import { audit } from './audit.js';
import type { AuthService } from './auth.js';
import { type Actor, type Deps, inTransaction } from './context.js';
import {
  checkGrantable,
  checkRemovable,
  checkRevocable,
  ensureAccessManagerRemains,
  ensureSomeRole,
  type Granter,
  managesAccess,
} from './invariants.js';
import { JsonText, PageCache } from './page-cache.js';
import { resolveRoles } from './role-catalog.js';
import { accessUserView, membershipView } from './views.js';

/** One page of a resource's human members, as `MemberService.list` renders it. */
export type MemberPage = Page<ReturnType<typeof accessUserView>>;

export class MemberService {
  /** Rendered pages of member lists; see page-cache.ts for why they can never be stale. */
  private readonly pages = new PageCache<JsonText<MemberPage>>();

  constructor(
    private readonly deps: Deps,
    private readonly auth: AuthService,
  ) {}

  /** Bytes and entries of the rendered member pages (metrics). */
  pageStats(): { bytes: number; entries: number } {
    return { bytes: this.pages.bytes, entries: this.pages.size };
  }

  /**
   * One page of a resource's human members. The hot read of the API: served from this node's
   * memory while the resource's version is unchanged, rendered from the database otherwise.
   */
  list(resource: ResourceRef, cursor: string | undefined, limit: number): MaybePromise<JsonText<MemberPage>> {
    const after = cursorKey(cursor);
    const page = () => this.page(resource, after, `${resource.type}/${resource.id}/${limit}/${cursor ?? ''}`, limit);
    const pending = this.auth.settle();
    return pending ? pending.then(page) : page();
  }

  /** The page from memory when its version is current (at once, when the version is known), else rendered. */
  private page(resource: ResourceRef, after: string | null, key: string, limit: number): MaybePromise<JsonText<MemberPage>> {
    // The version is read *before* the page (see AuthService.resourceVersion).
    return andThen(this.auth.resourceVersion(resource), (version) => {
      const cached = this.pages.get(key, version);
      if (cached !== undefined) return cached;
      return this.render(resource, after, limit).then((rendered) => {
        const text = JsonText.of(rendered);
        this.pages.set(key, version, text);
        return text;
      });
    });
  }

  private async render(resource: ResourceRef, after: string | null, limit: number): Promise<MemberPage> {
    const [rows, total] = await Promise.all([
      listUserMembers(this.deps.db, resource, after, limit),
      countMembers(this.deps.db, resource, 'user'),
    ]);
    const page = toPage(rows, limit, (r) => r.id, total);
    const roles = await rolesByMembership(
      this.deps.db,
      page.data.map((r) => r.id),
    );
    return {
      ...page,
      data: page.data.map((r) => accessUserView(r.user, [membershipView(r, roles.get(r.id) ?? [])])),
    };
  }

  async get(resource: ResourceRef, userId: string) {
    await this.auth.settle();
    const membership = await findMembership(this.deps.db, resource, userId);
    const member = membership?.principal_kind === 'user' ? await userWithRoles(this.deps.db, userId, membership.id) : undefined;
    if (!membership || !member) throw userNotFound(resource, userId);
    return accessUserView(member.user, [membershipView(membership, member.roles)]);
  }

  /** Adds one role (idempotent: a role already held changes nothing and writes no audit event). */
  addRole(actor: Actor, resource: ResourceRef, granter: Granter, userId: string, roleName: string) {
    return this.changeRoles(actor, resource, granter, userId, (current) => [...current, roleName], [roleName]);
  }

  /** Removes one role; a role the user does not hold is a 404 that says so. */
  removeRole(actor: Actor, resource: ResourceRef, granter: Granter, userId: string, roleName: string) {
    return this.changeRoles(actor, resource, granter, userId, (current) => {
      if (!current.includes(roleName)) {
        throw new Problem(404, `User ${userId} does not hold role ${roleName} on ${resource.type} ${resource.id}`, {
          code: 'role_not_held',
          role: roleName,
          rolesHeld: current,
          hint: `The user's roles are listed by GET /access/${resource.type}/${resource.id}/users/${userId}.`,
        });
      }
      return current.filter((name) => name !== roleName);
    });
  }

  /** Replaces the whole role set: new roles are assigned before the old ones are revoked. */
  setRoles(actor: Actor, resource: ResourceRef, granter: Granter, userId: string, roleNames: readonly string[]) {
    return this.changeRoles(actor, resource, granter, userId, () => [...roleNames]);
  }

  /**
   * Every role change in one transaction: the target must be a human member; roles added must be
   * grantable by the caller and roles taken away revocable by it; the member keeps at least one
   * role; and if anything is taken away, some person can still manage the resource's access.
   * `alsoCheck` are roles to vet even when already held (an idempotent add still asks whether the
   * caller could have granted it, so the answer never depends on the target's current state).
   *
   * Only a change that takes something away from a member who manages access can break the last
   * rule, and only such changes must queue behind every other change to the member list
   * (`lockMemberships`). So a change runs first holding the lock of this one membership alone:
   * changes to different members then run side by side. If it finds that it needs the list's
   * lock, it starts over and takes that first (the order every holder of both takes them in).
   */
  private async changeRoles(
    actor: Actor,
    resource: ResourceRef,
    granter: Granter,
    userId: string,
    nextOf: (current: readonly string[]) => string[],
    alsoCheck: readonly string[] = [],
  ) {
    const now = this.deps.now();
    const attempt = (listLocked: boolean) =>
      inTransaction(this.deps, async (trx) => {
        if (listLocked) await lockMemberships(trx, resource);
        const membership = await lockMembership(trx, resource, userId);
        const member = membership?.principal_kind === 'user' ? await userWithRoles(trx, userId, membership.id) : undefined;
        if (!membership || !member) throw notAHumanMember(resource, userId, membership);
        const { user, roles: current } = member;
        const next = [...new Set(nextOf(current))];
        ensureSomeRole(next, resource, userId);
        const added = next.filter((name) => !current.includes(name));
        const removed = current.filter((name) => !next.includes(name));
        const toCheck = [...new Set([...added, ...alsoCheck])];
        if (toCheck.length > 0) await checkGrantable(trx, resource, toCheck, 'user', granter);
        if (removed.length > 0) {
          await checkRevocable(trx, resource, removed, granter);
          // Only taking roles from someone who manages access can leave the resource with nobody
          // who does: the last-administrator rule is checked for them alone, holding the list's lock.
          if (listLocked) {
            await ensureAccessManagerRemains(trx, resource, userId, await resolveRoles(trx, resource, next), current);
          } else if (await managesAccess(trx, resource, current)) {
            throw NEEDS_LIST_LOCK;
          }
        }
        // The answer shows the roles as they now are: the ones given, in rolesByMembership's order.
        const roleNames = [...next].sort();
        const view = accessUserView(user, [membershipView(membership, roleNames)]);
        if (added.length === 0 && removed.length === 0) return view;
        await setMembershipRoles(trx, membership, current, next);
        await audit(trx, actor, now, {
          action: 'member.roles.update',
          resource,
          target: { type: 'user', id: userId },
          before: { roleNames: current },
          after: { roleNames },
        });
        return view;
      });
    try {
      return await attempt(false);
    } catch (error) {
      if (error !== NEEDS_LIST_LOCK) throw error;
      return attempt(true);
    }
  }

  /**
   * Removes a human member. Removing takes every role the member holds, so it follows the rules of
   * taking each of them away (services/invariants.ts#checkRevocable): the caller must hold every
   * permission of the member's roles, and only an administrator removes an administrator.
   */
  async remove(actor: Actor, resource: ResourceRef, granter: Granter, userId: string): Promise<void> {
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      await lockMemberships(trx, resource);
      const membership = await lockMembership(trx, resource, userId);
      if (membership?.principal_kind !== 'user') throw userNotFound(resource, userId);
      const roles = await rolesByMembership(trx, [membership.id]);
      await checkRemovable(trx, resource, roles.get(membership.id) ?? [], granter, 'user');
      await ensureAccessManagerRemains(trx, resource, userId);
      await deleteMembership(trx, membership);
      await audit(trx, actor, now, {
        action: 'member.remove',
        resource,
        target: { type: 'user', id: userId },
        before: { roleNames: roles.get(membership.id) ?? [] },
      });
    });
  }
}

/** What a role change throws (rolling its transaction back) to start over holding the member list's lock. */
const NEEDS_LIST_LOCK = Symbol('needs the member list lock');

function userNotFound(resource: ResourceRef, userId: string) {
  return problems.notFound(`User not found: ${userId}`, {
    hint: `No user with this id is a member of ${resource.type} ${resource.id}.`,
  });
}

/**
 * The target of a role change: a human member. A robot member is pointed at its own endpoints,
 * and a non-member at invitations: roles are only changed here, never used to add someone.
 */
function notAHumanMember(resource: ResourceRef, userId: string, membership: MembershipRow | undefined) {
  if (membership?.principal_kind === 'robot') {
    return problems.notFound(`User not found: ${userId}`, {
      hint: `${userId} is a robot of ${resource.type} ${resource.id}: change its roles through its robot, /access/${resource.type}/${resource.id}/robots/${userId}.`,
    });
  }
  return problems.notFound(`User not found: ${userId}`, {
    hint: `No user with this id is a member of ${resource.type} ${resource.id}. Roles are changed here only for existing members; new members join by invitation (POST /access/{type}/{id}/invites) or by an accepted access request.`,
  });
}
