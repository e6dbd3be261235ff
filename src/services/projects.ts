/** Projects: create (the creator becomes administrator), list, read, update, move between organizations. */

import { Problem, problems } from '../model/errors.js';
import { newId } from '../model/ids.js';
import type { ResourceType } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import { resourceNotFound } from '../model/policy.js';
import type { Principal, UserPrincipal } from '../model/principals.js';
import { accessFromHoldings } from '../model/roles.js';
import type { MemberWithRoles } from '../store/memberships.js';
import { accessHoldings, countMembers, firstMembers } from '../store/memberships.js';
import { findProject, insertProject, projectsOf, updateProject } from '../store/projects.js';
import type { Executor, ProjectRow } from '../store/schema.js';
import { audit } from './audit.js';
import type { AuthService } from './auth.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { seedCorsOrigins } from './cors.js';
import { revokeSsoTokensOnMove } from './login/sso-accounts.js';
import { addMember } from './memberships.js';
import { JsonText, PageCache } from './page-cache.js';
import { type RoleSummaries, roleSummaries } from './role-catalog.js';
import { nonEmpty } from './validation.js';
import { MAX_EMBEDDED_MEMBERS, projectMemberView, projectView } from './views.js';

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

const TRUE = Buffer.from('true');

/** A project as its rendered bytes encode it: `projectView`, and with members `memberCount` when they were cut. */
export type ProjectView = ReturnType<typeof projectView> & { memberCount?: number };

/**
 * A project's view rendered once per version: the bytes without members, and with members as an
 * anonymous caller sees them (`isCurrentUser` false everywhere). A caller among the embedded members
 * gets a copy with its own `false` turned into `true` (`forViewer`), from the byte offsets kept here.
 */
class RenderedProject {
  private readonly shared: JsonText<ProjectView>;
  readonly plain: JsonText<ProjectView>;
  constructor(
    withMembers: Buffer,
    plain: Buffer,
    /** principal id → byte offset of its `false` in `"isCurrentUser":false`. */
    private readonly marks: ReadonlyMap<string, number>,
  ) {
    this.shared = new JsonText<ProjectView>(withMembers);
    this.plain = new JsonText<ProjectView>(plain);
  }

  get byteLength(): number {
    return this.shared.byteLength + this.plain.byteLength;
  }

  /** The embedded view for `principalId`: the shared bytes, or a copy when it is among the members. */
  forViewer(principalId: string | null): { page: JsonText<ProjectView>; personal: boolean } {
    const at = principalId === null ? undefined : this.marks.get(principalId);
    if (at === undefined) return { page: this.shared, personal: false };
    const bytes = this.shared.bytes;
    return {
      page: new JsonText<ProjectView>(Buffer.concat([bytes.subarray(0, at), TRUE, bytes.subarray(at + 5)])),
      personal: true,
    };
  }
}

const MEMBERS_MARK = '\u0000members\u0000';

function renderProject(row: ProjectRow, members: MemberWithRoles[], total: number, roles: RoleSummaries): RenderedProject {
  const plain = JSON.stringify(projectView(row, undefined));
  const head = JSON.stringify({
    ...projectView(row, [] as never),
    members: MEMBERS_MARK,
    ...(total > members.length ? { memberCount: total } : {}),
    features: [],
  });
  const [before, after] = head.split(JSON.stringify(MEMBERS_MARK)) as [string, string];
  const marks = new Map<string, number>();
  const parts: Buffer[] = [Buffer.from(`${before}[`)];
  let offset = parts[0]?.length ?? 0;
  for (const [index, m] of members.entries()) {
    const text = `${index > 0 ? ',' : ''}${JSON.stringify(projectMemberView(m, null, roles))}`;
    const bytes = Buffer.from(text);
    const mark = bytes.indexOf('"isCurrentUser":false');
    if (mark >= 0) marks.set(m.principal_id, offset + mark + '"isCurrentUser":'.length);
    parts.push(bytes);
    offset += bytes.length;
  }
  parts.push(Buffer.from(`]${after}`));
  return new RenderedProject(Buffer.concat(parts), Buffer.from(plain), marks);
}

export class ProjectService {
  /** Rendered project views, per project and version; personal copies per viewer too. */
  private readonly rendered = new PageCache<RenderedProject>(2_000, 64 * 1024 * 1024);
  private readonly personal = new PageCache<JsonText<ProjectView>>(2_000, 32 * 1024 * 1024);

  constructor(
    private readonly deps: Deps,
    private readonly auth: AuthService,
  ) {}

  /** Bytes and entries of the rendered views (metrics). */
  pageStats(): { bytes: number; entries: number } {
    return { bytes: this.rendered.bytes + this.personal.bytes, entries: this.rendered.size + this.personal.size };
  }

  async create(actor: Actor & { principal: UserPrincipal }, input: CreateProjectInput) {
    const displayName = nonEmpty(input.displayName, 'displayName', 80);
    const metadata = metadataText(input.metadata);
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
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
    });
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

  /**
   * The caller's projects, oldest first, each as its cached view (at most MAX_EMBEDDED_MEMBERS
   * members each): the answer grows with the number of projects, not with their members.
   */
  async list(principal: Principal, options: { includeMembers: boolean; organizationId?: string | undefined }) {
    const rows = await projectsOf(this.deps.db, principal.id, { organizationId: options.organizationId });
    const pages: Buffer[] = [];
    for (const row of rows) {
      const page = await this.cachedView(row.id, principal.id, options.includeMembers);
      if (page) pages.push(page.bytes);
    }
    const parts: Buffer[] = [Buffer.from('[')];
    for (const [index, bytes] of pages.entries()) parts.push(...(index > 0 ? [Buffer.from(','), bytes] : [bytes]));
    parts.push(Buffer.from(']'));
    return new JsonText<ProjectView[]>(Buffer.concat(parts));
  }

  /** A project's view from this node's memory while its version is unchanged (see page-cache.ts). */
  async get(principal: Principal, id: string, includeMembers: boolean) {
    const page = await this.cachedView(id, principal.id, includeMembers);
    if (!page) throw problems.notFound(`Project not found: ${id}`);
    return page;
  }

  private async cachedView(id: string, viewerId: string, includeMembers: boolean): Promise<JsonText<ProjectView> | undefined> {
    const pending = this.auth.settle();
    if (pending) await pending;
    // The version is read *before* the view (see AuthService.resourceVersion).
    const version = await this.auth.resourceVersion({ type: 'project', id });
    let rendered = this.rendered.get(id, version);
    if (!rendered) {
      // Read after the version, never before: an older row under a newer version would be a stale hit.
      const row = await findProject(this.deps.db, id);
      if (!row) return undefined;
      const resource: ResourceRef = { type: 'project', id };
      const [members, users, robots, roles] = await Promise.all([
        firstMembers(this.deps.db, resource, MAX_EMBEDDED_MEMBERS),
        countMembers(this.deps.db, resource, 'user'),
        countMembers(this.deps.db, resource, 'robot'),
        roleSummaries(this.deps.db, 'project', [id]),
      ]);
      rendered = renderProject(row, members, users + robots, roles);
      this.rendered.set(id, version, rendered);
    }
    if (!includeMembers) return rendered.plain;
    const key = `${id}/${viewerId}`;
    const cached = this.personal.get(key, version);
    if (cached) return cached;
    const { page, personal } = rendered.forViewer(viewerId);
    if (personal) this.personal.set(key, version, page);
    return page;
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
    if (!includeMembers) return projectView(row, undefined);
    const resource: ResourceRef = { type: 'project', id: row.id };
    const [members, roles] = await Promise.all([
      firstMembers(db, resource, MAX_EMBEDDED_MEMBERS),
      roleSummaries(db, 'project', [row.id]),
    ]);
    const total =
      members.length < MAX_EMBEDDED_MEMBERS
        ? members.length
        : (await countMembers(db, resource, 'user')) + (await countMembers(db, resource, 'robot'));
    const view = projectView(
      row,
      members.map((m) => projectMemberView(m, currentId, roles)),
    );
    return total > members.length ? { ...view, memberCount: total } : view;
  }
}
