/** Projects: create (the creator becomes administrator), list, read, update. */
import { Problem, problems } from '../model/errors.js';
import { newId } from '../model/ids.js';
import type { Principal, UserPrincipal } from '../model/principals.js';
import { grantsOfBuiltIns } from '../model/roles.js';
import { membersOf, rolesOf } from '../store/memberships.js';
import { findOrganization } from '../store/organizations.js';
import { findProject, insertProject, projectsOf, updateProject } from '../store/projects.js';
import type { Executor, ProjectRow } from '../store/schema.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { addMember } from './memberships.js';
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
    return inTransaction(this.deps, async (trx) => {
      if (input.organizationId !== undefined) await this.ensureCanAttach(trx, actor.principal, input.organizationId);
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
      await audit(trx, actor, now, {
        action: 'project.create',
        resource: { type: 'project', id: row.id },
        target: { type: 'project', id: row.id },
        after: { displayName, organizationId: row.organization_id },
      });
      return this.view(trx, row, actor.principal.id, true);
    });
  }

  /** A project may only be created inside an organization whose projects the creator may attach to. */
  private async ensureCanAttach(db: Executor, principal: Principal, organizationId: string): Promise<void> {
    const org = await findOrganization(db, organizationId);
    const roles = org ? await rolesOf(db, { type: 'organization', id: organizationId }, principal.id) : [];
    if (roles.length === 0) {
      throw problems.notFound(`Organization not found: ${organizationId}`, {
        resourceType: 'organization',
        resourceId: organizationId,
        hint: 'No organization with this id exists, or you are not a member of it.',
      });
    }
    const permission = 'sanity.organization.projects.attach';
    if (!grantsOfBuiltIns('organization', roles).has(permission)) {
      throw new Problem(403, `Missing permission ${permission} on organization ${organizationId}`, {
        code: 'missing_permission',
        permission,
        resourceType: 'organization',
        resourceId: organizationId,
        rolesHeld: roles,
        hint: `Ask an administrator of organization ${organizationId} for a role with ${permission}.`,
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
      await updateProject(trx, id, changes);
      const after = { ...before, ...changes };
      await audit(trx, actor, now, {
        action: 'project.update',
        resource: { type: 'project', id },
        target: { type: 'project', id },
        before: { displayName: before.display_name, studioHost: before.studio_host, metadata: JSON.parse(before.metadata) },
        after: { displayName: after.display_name, studioHost: after.studio_host, metadata: JSON.parse(after.metadata) },
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
    const members = await membersOf(
      db,
      'project',
      rows.map((row) => row.id),
    );
    return rows.map((row) =>
      projectView(
        row,
        (members.get(row.id) ?? []).map((m) => projectMemberView(m, currentId)),
      ),
    );
  }
}
