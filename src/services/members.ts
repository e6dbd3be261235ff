/** The human members of a resource (Access API `/users`). */
import { problems } from '../model/errors.js';
import { cursorKey, toPage } from '../model/pagination.js';
import type { ResourceRef } from '../model/policy.js';
import { countMembers, deleteMembership, findMembership, listUserMembers, rolesByMembership } from '../store/memberships.js';
import { findUser } from '../store/users.js';
import { resourceVersion } from '../store/versions.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction } from './context.js';
import { ensureAccessManagerRemains } from './invariants.js';
import { JsonText, PageCache } from './page-cache.js';
import { accessUserView, membershipView } from './views.js';

export class MemberService {
  /** Rendered pages of member lists; see page-cache.ts for why they can never be stale. */
  private readonly pages = new PageCache();

  constructor(private readonly deps: Deps) {}

  /**
   * One page of a resource's human members. The hot read of the API: served from this node's
   * memory while the resource's version is unchanged, rendered from the database otherwise.
   */
  async list(resource: ResourceRef, cursor: string | undefined, limit: number): Promise<JsonText> {
    const after = cursorKey(cursor);
    // Read the version *before* the page: a change racing with this request then only makes the
    // stored page look older than it is (a harmless miss), never newer (a stale hit).
    const version = await resourceVersion(this.deps.db, resource);
    const key = `${resource.type}/${resource.id}/${limit}/${cursor ?? ''}`;
    const cached = this.pages.get(key, version);
    if (cached !== undefined) return cached;
    const page = new JsonText(JSON.stringify(await this.render(resource, after, limit)));
    this.pages.set(key, version, page);
    return page;
  }

  private async render(resource: ResourceRef, after: string | null, limit: number) {
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
    const membership = await findMembership(this.deps.db, resource, userId);
    const user = membership?.principal_kind === 'user' ? await findUser(this.deps.db, userId) : undefined;
    if (!membership || !user) throw userNotFound(resource, userId);
    const roles = await rolesByMembership(this.deps.db, [membership.id]);
    return accessUserView(user, [membershipView(membership, roles.get(membership.id) ?? [])]);
  }

  async remove(actor: Actor, resource: ResourceRef, userId: string): Promise<void> {
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      const membership = await findMembership(trx, resource, userId);
      if (membership?.principal_kind !== 'user') throw userNotFound(resource, userId);
      await ensureAccessManagerRemains(trx, resource, userId);
      const roles = await rolesByMembership(trx, [membership.id]);
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

function userNotFound(resource: ResourceRef, userId: string) {
  return problems.notFound(`User not found: ${userId}`, {
    hint: `No user with this id is a member of ${resource.type} ${resource.id}.`,
  });
}
