/** Projects: create (the creator becomes administrator), list, read, update, move between organizations. */
import { Problem, problems } from '../model/errors.js';
import { newId } from '../model/ids.js';
import type { ResourceType } from '../model/permissions.js';
import { resourceNotFound } from '../model/policy.js';
import type { Principal, UserPrincipal } from '../model/principals.js';
import { accessFromHoldings } from '../model/roles.js';
import { accessHoldings, membersOf } from '../store/memberships.js';
import { findProject, insertProject, projectsOf, updateProject } from '../store/projects.js';
import type { Executor, ProjectRow } from '../store/schema.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { retryOnIdCollision, seedCorsOrigins } from './cors.js';
import { revokeSsoTokensOnMove } from './identity/sso-accounts.js';
import { addMember } from './memberships.js';
import { roleSummaries } from './role-catalog.js';
import { nonEmpty } from './validation.js';
import { projectMemberView, projectView } from './views.js';

export interface CreateProjectInput {
  displayName: string;
  organizationId?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface UpdateProjectInput {
  displayName?: string | undefined;
  studioHost?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** Move the project into this organization, or out of any with null. */
  organizationId?: string | null | undefined;
}

const MAX_METADATA_BYTES = 8192;

function metadataText(metadata: Record<string, unknown> | undefined): string {
  const text = JSON.stringify(metadata ?? {});
  if (Buffer.byteLength(text) > MAX_METADATA_BYTES) {
    throw problems.invalidInput(`metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`, 'metadata');
  }
  return text;
}

export class ProjectService {
  constructor(private readonly deps: Deps) {}

  async create(actor: Actor & { principal: UserPrincipal }, input: CreateProjectInput) {
    const displayName = nonEmpty(input.displayName, 'displayName', 80);
    const metadata = metadataText(input.metadata);
    const now = this.deps.now();
    // The seeded CORS origin's id is `max + 1`: concurrent creations on PostgreSQL may collide and retry.
    return retryOnIdCollision(() =>
      inTransaction(this.deps, async (trx) => {
        if (input.organizationId !== undefined) {
          await this.ensureOrganizationPermission(
            trx,
            actor.principal,
            input.organizationId,
            'sanity.organization.projects.attach',
          );
        }
        const row: ProjectRow = {
          id: newId.project(),
          display_name: displayName,
          organization_id: input.organizationId ?? null,
          studio_host: null,
          metadata,
          created_by_user_id: actor.principal.id,
          created_at: iso(now),
          updated_at: iso(now),
        };
        await insertProject(trx, row);
        await addMember(trx, { type: 'project', id: row.id }, actor.principal, ['administrator'], now);
        // New projects allow Studio on http://localhost:3333, with credentials, as Sanity's do.
        await seedCorsOrigins(trx, row.id, now);
        await audit(trx, actor, now, {
          action: 'project.create',
          resource: { type: 'project', id: row.id },
          target: { type: 'project', id: row.id },
          after: { displayName, organizationId: row.organization_id },
        });
        return this.view(trx, row, actor.principal.id, true);
      }),
    );
  }

  /**
   * These checks sit outside the route table because their resource is not in the path: creating a
   * project inside an organization, or moving one into it, needs `sanity.organization.projects.attach`
   * there; moving one out needs `sanity.organization.projects.detach` on the organization it leaves.
   * The caller's real access on the organization counts, custom roles included. A non-member gets
   * the same 404 as for an organization that does not exist.
   */
  private async ensureOrganizationPermission(
    db: Executor,
    principal: Principal,
    organizationId: string,
    permission: 'sanity.organization.projects.attach' | 'sanity.organization.projects.detach',
  ): Promise<void> {
    const rows = await accessHoldings(db, 'organization', organizationId, principal.id);
    const access = accessFromHoldings(
      'organization',
      rows.map((r) => ({ resourceType: r.resource_type as ResourceType, roleName: r.role_name, customGrants: r.grants })),
    );
    if (access.roleNames.length === 0) throw resourceNotFound({ type: 'organization', id: organizationId });
    if (!access.grants.has(permission)) {
      const verb = permission.endsWith('attach') ? 'move projects into' : 'move projects out of';
      throw new Problem(403, `Missing permission ${permission} on organization ${organizationId}`, {
        code: 'missing_permission',
        permission,
        resourceType: 'organization',
        resourceId: organizationId,
        rolesHeld: access.roleNames,
        hint: `To ${verb} organization ${organizationId}, ask one of its administrators for a role with ${permission}.`,
      });
    }
  }

  async list(principal: Principal, options: { includeMembers: boolean; organizationId?: string | undefined }) {
    const rows = await projectsOf(this.deps.db, principal.id, { organizationId: options.organizationId });
    return this.views(this.deps.db, rows, principal.id, options.includeMembers);
  }

  async get(principal: Principal, id: string, includeMembers: boolean) {
    const row = await findProject(this.deps.db, id);
    if (!row) throw problems.notFound(`Project not found: ${id}`);
    return this.view(this.deps.db, row, principal.id, includeMembers);
  }

  /**
   * Changes a project's name, studio host or metadata, and moves it between organizations. A move
   * changes only `organizationId`: the project's own memberships stay, while the access implied by
   * organization roles (an organization administrator administers its projects), organization
   * robots' reach and the organization's policies follow the project to its new organization.
   * Robots already in the project keep their expiry under the new organization's lifetime limit.
   */
  async update(actor: Actor, id: string, input: UpdateProjectInput) {
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      const before = await findProject(trx, id);
      if (!before) throw problems.notFound(`Project not found: ${id}`);
      const changes: Parameters<typeof updateProject>[2] = { updated_at: iso(now) };
      if (input.displayName !== undefined) changes.display_name = nonEmpty(input.displayName, 'displayName', 80);
      if (input.studioHost !== undefined) changes.studio_host = input.studioHost;
      if (input.metadata !== undefined) {
        // PATCH merges metadata keys, as the Sanity CLI expects when it sets `cliInitializedAt`.
        changes.metadata = metadataText({ ...(JSON.parse(before.metadata) as object), ...input.metadata });
      }
      if (input.organizationId !== undefined && input.organizationId !== before.organization_id) {
        if (!actor.principal) throw new Error('moving a project needs a principal');
        if (before.organization_id !== null) {
          await this.ensureOrganizationPermission(
            trx,
            actor.principal,
            before.organization_id,
            'sanity.organization.projects.detach',
          );
        }
        if (input.organizationId !== null) {
          await this.ensureOrganizationPermission(
            trx,
            actor.principal,
            input.organizationId,
            'sanity.organization.projects.attach',
          );
        }
        changes.organization_id = input.organizationId;
      }
      await updateProject(trx, id, changes);
      if (changes.organization_id !== undefined && before.organization_id !== null) {
        // The project is no longer the organization's: its single sign-on's tokens must not reach it.
        await revokeSsoTokensOnMove(trx, id, before.organization_id, now);
      }
      const after = { ...before, ...changes };
      const summary = (p: ProjectRow) => ({
        displayName: p.display_name,
        studioHost: p.studio_host,
        metadata: JSON.parse(p.metadata),
        organizationId: p.organization_id,
      });
      await audit(trx, actor, now, {
        action: 'project.update',
        resource: { type: 'project', id },
        target: { type: 'project', id },
        before: summary(before),
        after: summary(after),
      });
      return this.view(trx, after, actor.principal?.id ?? null, true);
    });
  }

  private async view(db: Executor, row: ProjectRow, currentId: string | null, includeMembers: boolean) {
    const [view] = await this.views(db, [row], currentId, includeMembers);
    if (!view) throw new Error('a project view per project');
    return view;
  }

  /** Views of several projects, their members loaded together rather than one query per project. */
  private async views(db: Executor, rows: ProjectRow[], currentId: string | null, includeMembers: boolean) {
    if (!includeMembers) return rows.map((row) => projectView(row, undefined));
    const ids = rows.map((row) => row.id);
    const [members, roles] = await Promise.all([membersOf(db, 'project', ids), roleSummaries(db, 'project', ids)]);
    return rows.map((row) =>
      projectView(
        row,
        (members.get(row.id) ?? []).map((m) => projectMemberView(m, currentId, roles)),
      ),
    );
  }
}
