/** Organizations: create (the creator becomes administrator), list, read, update. */
import { problems } from '../model/errors.js';
import { newId } from '../model/ids.js';
import type { Principal, UserPrincipal } from '../model/principals.js';
import { builtInRole } from '../model/roles.js';
import { isUniqueViolation } from '../store/db.js';
import { countMembers, firstMembers } from '../store/memberships.js';
import { findOrganization, insertOrganization, organizationsOf, updateOrganization } from '../store/organizations.js';
import type { Executor, OrganizationRow } from '../store/schema.js';
import { findUsers } from '../store/users.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { addMember } from './memberships.js';
import { roleSummaries } from './role-catalog.js';
import { nonEmpty } from './validation.js';
import { MAX_EMBEDDED_MEMBERS, organizationView } from './views.js';

export interface OrganizationInput {
  name?: string | undefined;
  slug?: string | null | undefined;
  defaultRoleName?: string | undefined;
  /** Whether people may ask for access to the organization and its projects. */
  requestAccessStatus?: 'allowed' | 'disabled' | undefined;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$/;

function checkSlug(slug: string | null | undefined): string | null | undefined {
  if (slug === undefined || slug === null) return slug;
  if (!SLUG.test(slug)) {
    throw problems.invalidInput(
      'slug must be 1–20 lowercase letters, digits or dashes, not starting or ending with a dash',
      'slug',
    );
  }
  return slug;
}

function checkDefaultRole(name: string | undefined): string | undefined {
  if (name !== undefined && !builtInRole('organization', name)) {
    throw problems.invalidInput(
      `defaultRoleName must be an organization role (administrator or member), got "${name}"`,
      'defaultRoleName',
    );
  }
  return name;
}

function slugTaken(slug: string) {
  return problems.conflict(`The slug "${slug}" is already taken`, { code: 'slug_taken', slug });
}

export class OrganizationService {
  constructor(private readonly deps: Deps) {}

  async create(actor: Actor & { principal: UserPrincipal }, input: OrganizationInput & { name: string }) {
    const name = nonEmpty(input.name, 'name', 100);
    const slug = checkSlug(input.slug) ?? null;
    const defaultRoleName = checkDefaultRole(input.defaultRoleName) ?? 'member';
    const now = this.deps.now();
    try {
      return await inTransaction(this.deps, async (trx) => {
        const row: OrganizationRow = {
          id: newId.organization(),
          name,
          slug,
          default_role_name: defaultRoleName,
          created_by_user_id: actor.principal.id,
          created_at: iso(now),
          updated_at: iso(now),
          robot_token_max_lifetime_days: null,
          robots_may_manage_members: 1,
          sso_token_lifetime_days: null,
          request_access_status: 'allowed',
        };
        await insertOrganization(trx, row);
        await addMember(trx, { type: 'organization', id: row.id }, actor.principal, ['administrator'], now);
        await audit(trx, actor, now, {
          action: 'organization.create',
          resource: { type: 'organization', id: row.id },
          target: { type: 'organization', id: row.id },
          after: { name, slug, defaultRoleName },
        });
        return organizationView(row, await this.members(trx, row.id, actor.principal.id));
      });
    } catch (error) {
      if (slug && isUniqueViolation(error)) throw slugTaken(slug);
      throw error;
    }
  }

  async list(principal: Principal) {
    const rows = await organizationsOf(this.deps.db, principal.id);
    return rows.map((row) => organizationView(row));
  }

  async get(principal: Principal, id: string, includeMembers: boolean) {
    const row = await findOrganization(this.deps.db, id);
    if (!row) throw problems.notFound(`Organization not found: ${id}`);
    if (!includeMembers) return organizationView(row);
    const members = await this.members(this.deps.db, id, principal.id);
    const view = organizationView(row, members);
    if (members.length < MAX_EMBEDDED_MEMBERS) return view;
    // Cut at the cap: say how many people there are; the paged route lists them all.
    const memberCount = await countMembers(this.deps.db, { type: 'organization', id }, 'user');
    return memberCount > members.length ? { ...view, memberCount } : view;
  }

  async update(actor: Actor, id: string, input: OrganizationInput) {
    const now = this.deps.now();
    const slug = checkSlug(input.slug);
    const defaultRoleName = checkDefaultRole(input.defaultRoleName);
    try {
      return await inTransaction(this.deps, async (trx) => {
        const before = await findOrganization(trx, id);
        if (!before) throw problems.notFound(`Organization not found: ${id}`);
        const changes: Parameters<typeof updateOrganization>[2] = { updated_at: iso(now) };
        if (input.name !== undefined) changes.name = nonEmpty(input.name, 'name', 100);
        if (slug !== undefined) changes.slug = slug;
        if (defaultRoleName !== undefined) changes.default_role_name = defaultRoleName;
        if (input.requestAccessStatus !== undefined) changes.request_access_status = input.requestAccessStatus;
        await updateOrganization(trx, id, changes);
        const after = { ...before, ...changes };
        await audit(trx, actor, now, {
          action: 'organization.update',
          resource: { type: 'organization', id },
          target: { type: 'organization', id },
          before: {
            name: before.name,
            slug: before.slug,
            defaultRoleName: before.default_role_name,
            requestAccessStatus: before.request_access_status,
          },
          after: {
            name: after.name,
            slug: after.slug,
            defaultRoleName: after.default_role_name,
            requestAccessStatus: after.request_access_status,
          },
        });
        return organizationView(after);
      });
    } catch (error) {
      if (slug && isUniqueViolation(error)) throw slugTaken(slug);
      throw error;
    }
  }

  /** The first MAX_EMBEDDED_MEMBERS people of the organization (robots are not listed here). */
  private async members(db: Executor, id: string, currentId: string) {
    const members = await firstMembers(db, { type: 'organization', id }, MAX_EMBEDDED_MEMBERS, ['user']);
    const roles = await roleSummaries(db, 'organization', [id]);
    const users = new Map(
      (
        await findUsers(
          db,
          members.map((m) => m.principal_id),
        )
      ).map((u) => [u.id, u]),
    );
    return members.flatMap((m) => {
      const u = users.get(m.principal_id);
      if (!u) return [];
      return [
        {
          sanityUserId: u.id,
          isCurrentUser: u.id === currentId,
          user: {
            id: u.id,
            displayName: u.display_name,
            familyName: u.family_name,
            givenName: u.given_name,
            middleName: null,
            imageUrl: u.image_url,
            email: u.email,
            loginProvider: u.provider,
          },
          roles: m.roleNames.map((name) => roles(id, name)),
        },
      ];
    });
  }
}
