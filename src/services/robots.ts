/**
 * Robots (service accounts) and their tokens. A robot belongs to one resource, holds roles there
 * through one membership, and has one live token whose secret is returned once, at creation.
 */
import { problems } from '../model/errors.js';
import { newId } from '../model/ids.js';
import { cursorKey, toPage } from '../model/pagination.js';
import type { ResourceType } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import type { RobotPrincipal } from '../model/principals.js';
import { deleteMembershipsOf, membershipsOfPrincipals } from '../store/memberships.js';
import { countRobots, deleteRobot, findRobot, insertRobot, listRobots } from '../store/robots.js';
import type { Executor, RobotRow, TokenRow } from '../store/schema.js';
import { findToken, liveTokensOf, revokeTokensOf } from '../store/tokens.js';
import { audit } from './audit.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { checkGrantable, type Granter } from './invariants.js';
import { addMember } from './memberships.js';
import { issueToken } from './tokens.js';
import { futureExpiry, nonEmpty } from './validation.js';
import { type MembershipView, membershipView, robotView, roleSummary } from './views.js';

export interface CreateRobotInput {
  label: string;
  memberships: Array<{ resourceType: string; resourceId: string; roleNames: string[] }>;
  expiresAt?: string | null | undefined;
}

/** `projects` → `project`: the path accepts both spellings; storage uses one. */
export function normalizeResourceType(type: string): ResourceType | null {
  if (type === 'project' || type === 'projects') return 'project';
  if (type === 'organization' || type === 'organizations') return 'organization';
  return null;
}

export class RobotService {
  constructor(private readonly deps: Deps) {}

  async create(actor: Actor, resource: ResourceRef, granter: Granter, input: CreateRobotInput) {
    const label = nonEmpty(input.label, 'label', 200);
    const now = this.deps.now();
    const expiresAt = futureExpiry(input.expiresAt, now);
    if (input.memberships.length !== 1) {
      throw problems.invalidInput(
        `memberships must hold exactly one entry, for ${resource.type} ${resource.id}: a robot belongs to one resource`,
        'memberships',
      );
    }
    const membership = input.memberships[0] as CreateRobotInput['memberships'][number];
    if (normalizeResourceType(membership.resourceType) !== resource.type || membership.resourceId !== resource.id) {
      throw problems.invalidInput(
        `memberships[0] must name this ${resource.type} (${resource.id}); robots are created on the resource they belong to`,
        'memberships',
      );
    }
    const roleNames = [...new Set(membership.roleNames)];
    if (roleNames.length === 0)
      throw problems.invalidInput('memberships[0].roleNames must name at least one role', 'memberships');

    return inTransaction(this.deps, async (trx) => {
      await checkGrantable(trx, resource, roleNames, 'robot', granter);
      const robot: RobotRow = {
        id: newId.robot(),
        label,
        resource_type: resource.type,
        resource_id: resource.id,
        created_by_id: actor.principal?.id ?? 'system',
        created_at: iso(now),
        expires_at: expiresAt,
      };
      await insertRobot(trx, robot);
      const membershipRow = await addMember(trx, resource, { kind: 'robot', id: robot.id }, roleNames, now);
      const { token, row } = await issueToken(trx, this.deps, {
        kind: 'robot',
        principalId: robot.id,
        label,
        expiresAt: null, // the robot's own expiresAt governs its tokens
      });
      await audit(trx, actor, now, {
        action: 'robot.create',
        resource,
        target: { type: 'robot', id: robot.id },
        after: { label, roleNames, expiresAt, tokenId: row.id },
      });
      return { ...robotView(robot, row, [membershipView(membershipRow, roleNames)]), token };
    });
  }

  async list(resource: ResourceRef, cursor: string | undefined, limit: number) {
    const after = cursorKey(cursor);
    const [rows, total] = await Promise.all([
      listRobots(this.deps.db, resource, after, limit),
      countRobots(this.deps.db, resource),
    ]);
    const page = toPage(rows, limit, (r) => r.id, total);
    return { ...page, data: await this.views(this.deps.db, page.data) };
  }

  async get(resource: ResourceRef, robotId: string) {
    const robot = await this.find(this.deps.db, resource, robotId);
    const [view] = await this.views(this.deps.db, [robot]);
    return view;
  }

  async me(principal: RobotPrincipal) {
    const robot = await findRobot(this.deps.db, principal.id);
    if (!robot) throw problems.notFound('Robot not found');
    const [view] = await this.views(this.deps.db, [robot]);
    return view;
  }

  async remove(actor: Actor, resource: ResourceRef, robotId: string): Promise<void> {
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      const robot = await this.find(trx, resource, robotId);
      const [before] = await this.views(trx, [robot]);
      // Revoke rather than delete the token rows: a later use then answers "revoked", not "unknown".
      await revokeTokensOf(trx, robot.id, iso(now));
      await deleteMembershipsOf(trx, robot.id);
      await deleteRobot(trx, robot.id);
      await audit(trx, actor, now, { action: 'robot.delete', resource, target: { type: 'robot', id: robot.id }, before });
    });
  }

  // --- legacy /projects/{id}/tokens façade (reference §5.2): a token is a robot with one role ---

  async legacyList(projectId: string) {
    const resource: ResourceRef = { type: 'project', id: projectId };
    const views = [];
    let cursor: string | undefined;
    do {
      const page = await this.list(resource, cursor, 500);
      views.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return views.map((v) => legacyTokenView(projectId, v));
  }

  async legacyCreate(actor: Actor, projectId: string, granter: Granter, input: { label: string; roleName: string }) {
    const created = await this.create(actor, { type: 'project', id: projectId }, granter, {
      label: input.label,
      memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: [input.roleName] }],
    });
    return { ...legacyTokenView(projectId, created), key: created.token };
  }

  async legacyRemove(actor: Actor, projectId: string, tokenId: string): Promise<void> {
    const row = await findToken(this.deps.db, tokenId);
    const robot = row?.kind === 'robot' ? await findRobot(this.deps.db, row.principal_id) : undefined;
    if (robot?.resource_type !== 'project' || robot.resource_id !== projectId) {
      throw problems.notFound(`Token not found: ${tokenId}`, { hint: 'List the project tokens with GET /projects/{id}/tokens.' });
    }
    await this.remove(actor, { type: 'project', id: projectId }, robot.id);
  }

  private async find(db: Executor, resource: ResourceRef, robotId: string): Promise<RobotRow> {
    const robot = await findRobot(db, robotId);
    if (!robot || robot.resource_type !== resource.type || robot.resource_id !== resource.id) {
      throw problems.notFound(`Robot not found: ${robotId}`, {
        hint: `No robot with this id belongs to ${resource.type} ${resource.id}.`,
      });
    }
    return robot;
  }

  private async views(db: Executor, robots: RobotRow[]) {
    const ids = robots.map((r) => r.id);
    const [tokens, memberships] = await Promise.all([liveTokensOf(db, ids), membershipsOfPrincipals(db, ids)]);
    // Newest live token first, so the first one seen per robot is its current one.
    const tokenOf = new Map<string, TokenRow>();
    for (const token of tokens) if (!tokenOf.has(token.principal_id)) tokenOf.set(token.principal_id, token);
    const membershipsOf = new Map<string, MembershipView[]>();
    for (const m of memberships)
      membershipsOf.set(m.principal_id, [...(membershipsOf.get(m.principal_id) ?? []), membershipView(m, m.roleNames)]);
    return robots.map((robot) => robotView(robot, tokenOf.get(robot.id), membershipsOf.get(robot.id) ?? []));
  }
}

function legacyTokenView(projectId: string, robot: ReturnType<typeof robotView>) {
  const membership = robot.memberships[0];
  return {
    id: robot.tokenId,
    label: robot.label,
    projectUserId: membership?.resourceUserId ?? null,
    projectId,
    createdAt: robot.createdAt,
    lastUsedAt: robot.lastUsedAt,
    roles: (membership?.roleNames ?? []).map((name) => {
      const { title } = roleSummary('project', name);
      return { name, title };
    }),
  };
}
