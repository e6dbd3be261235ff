/**
 * Robots (service accounts) and their tokens. A robot belongs to one resource, holds roles there
 * through one membership, and has one current token whose secret is returned once, at creation or
 * rotation. During a rotation's grace period the replaced token works too: never more than two.
 */
import { problems } from '../model/errors.js';
import { newId } from '../model/ids.js';
import { cursorKey, toPage } from '../model/pagination.js';
import { normalizeResourceType, type ResourceType } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import type { RobotPrincipal } from '../model/principals.js';
import { deleteMembershipsOf, membershipsOfPrincipals } from '../store/memberships.js';
import { governingOrganization } from '../store/organizations.js';
import { countRobots, deleteRobot, findRobot, insertRobot, listRobots, updateRobot } from '../store/robots.js';
import type { Executor, RobotRow, TokenRow } from '../store/schema.js';
import { findToken, liveTokensOf, replaceToken, revokeTokensExcept, revokeTokensOf } from '../store/tokens.js';
import { audit } from './audit.js';
import { settled } from './bookkeeping.js';
import { type Actor, type Deps, inTransaction, iso } from './context.js';
import { checkGrantable, checkRemovable, type Granter } from './invariants.js';
import { addMember } from './memberships.js';
import { ensureRobotLifetime } from './policies.js';
import { type RoleSummaries, roleSummaries } from './role-catalog.js';
import { issueToken, notCurrentToken } from './tokens.js';
import { futureExpiry, nonEmpty } from './validation.js';
import { type MembershipView, membershipView, robotView } from './views.js';

export interface CreateRobotInput {
  label: string;
  memberships: Array<{ resourceType: string; resourceId: string; roleNames: string[] }>;
  expiresAt?: string | null | undefined;
}

export interface UpdateRobotInput {
  label?: string | undefined;
  expiresAt?: string | null | undefined;
}

/** Longest grace period a rotation may give the replaced token: one day. */
export const MAX_GRACE_PERIOD_SECONDS = 86_400;

const DAY_MS = 86_400_000;

function checkGracePeriod(gracePeriodSeconds: number): void {
  if (!Number.isInteger(gracePeriodSeconds) || gracePeriodSeconds < 0 || gracePeriodSeconds > MAX_GRACE_PERIOD_SECONDS) {
    throw problems.invalidInput(
      `gracePeriodSeconds must be a whole number of seconds from 0 to ${MAX_GRACE_PERIOD_SECONDS}`,
      'gracePeriodSeconds',
    );
  }
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
      await ensureRobotLifetime(trx, resource, expiresAt, now);
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

  /**
   * A page of a resource's robots; with `includeChildren` on an organization, also the robots of
   * its projects, in one id order (so one cursor pages through both).
   */
  async list(resource: ResourceRef, cursor: string | undefined, limit: number, includeChildren = false) {
    const after = cursorKey(cursor);
    await settled(this.deps);
    const scope = { ...resource, includeChildren };
    const [rows, total] = await Promise.all([listRobots(this.deps.db, scope, after, limit), countRobots(this.deps.db, scope)]);
    const page = toPage(rows, limit, (r) => r.id, total);
    return { ...page, data: await this.views(this.deps.db, page.data) };
  }

  async get(resource: ResourceRef, robotId: string) {
    await settled(this.deps);
    return this.view(this.deps.db, await this.find(this.deps.db, resource, robotId));
  }

  async me(principal: RobotPrincipal) {
    await settled(this.deps);
    const robot = await findRobot(this.deps.db, principal.id);
    if (!robot) throw problems.notFound('Robot not found');
    return this.view(this.deps.db, robot);
  }

  /**
   * Changes a robot's label or expiry. A new expiry must lie in the future and within the
   * organization's robot token lifetime; and since keeping a credential alive longer is a way of
   * granting its roles, only someone who could grant the robot's roles may change its expiry.
   */
  async update(actor: Actor, resource: ResourceRef, granter: Granter, robotId: string, input: UpdateRobotInput) {
    if (input.label === undefined && input.expiresAt === undefined) {
      throw problems.invalidInput('Send label, expiresAt, or both', 'label');
    }
    const now = this.deps.now();
    return inTransaction(this.deps, async (trx) => {
      const robot = await this.find(trx, resource, robotId);
      const [before] = await this.views(trx, [robot]);
      if (!before) throw new Error('a view per robot');
      const changes: Parameters<typeof updateRobot>[2] = {};
      if (input.label !== undefined) changes.label = nonEmpty(input.label, 'label', 200);
      if (input.expiresAt !== undefined) {
        const expiresAt = futureExpiry(input.expiresAt, now);
        await checkGrantable(trx, resource, before.memberships[0]?.roleNames ?? [], 'robot', granter);
        await ensureRobotLifetime(trx, resource, expiresAt, now);
        changes.expires_at = expiresAt;
      }
      await updateRobot(trx, robot.id, changes);
      const after = { ...before, ...(changes.label !== undefined ? { label: changes.label } : {}) };
      if (changes.expires_at !== undefined) after.expiresAt = changes.expires_at;
      await audit(trx, actor, now, {
        action: 'robot.update',
        resource,
        target: { type: 'robot', id: robot.id },
        before: { label: before.label, expiresAt: before.expiresAt },
        after: { label: after.label, expiresAt: after.expiresAt },
      });
      return after;
    });
  }

  /**
   * Replaces the calling robot's token with a new one, in one transaction. The calling token must
   * be the current one; it keeps working for `gracePeriodSeconds` (0: it stops now), so deployments
   * can switch over without downtime. Any other token still working (the one in grace from an
   * earlier rotation) stops now: there are never more than two working secrets. The robot's id,
   * label, roles and expiry stay as they are.
   */
  async rotate(actor: Actor, principal: RobotPrincipal, gracePeriodSeconds = 0) {
    checkGracePeriod(gracePeriodSeconds);
    return inTransaction(this.deps, async (trx) => {
      const robot = await findRobot(trx, principal.id);
      if (!robot) throw notCurrentToken(undefined);
      return this.replaceToken(trx, actor, robot, principal.tokenId, gracePeriodSeconds, async () =>
        notCurrentToken(await findToken(trx, principal.tokenId)),
      );
    });
  }

  /**
   * Rotates a robot's token on its behalf (the console's "Rotate"): the same replacement as
   * `rotate`, for someone who manages the resource's tokens. A new secret is a way of handing out
   * the robot's roles again, so, as for a new expiry, only someone who could grant them may do it.
   */
  async rotateFor(actor: Actor, resource: ResourceRef, granter: Granter, robotId: string, gracePeriodSeconds = 0) {
    checkGracePeriod(gracePeriodSeconds);
    return inTransaction(this.deps, async (trx) => {
      const robot = await this.find(trx, resource, robotId);
      const [membership] = await membershipsOfPrincipals(trx, [robot.id]);
      await checkGrantable(trx, resource, membership?.roleNames ?? [], 'robot', granter);
      const [current] = await liveTokensOf(trx, [robot.id]);
      return this.replaceToken(trx, actor, robot, current?.id ?? null, gracePeriodSeconds, async () =>
        problems.conflict(`Robot ${robot.id} was rotated at the same moment by another request`, {
          code: 'rotation_conflict',
          hint: 'Another rotation replaced the token first. List the robots to see its current token, and rotate again if needed.',
        }),
      );
    });
  }

  /**
   * The rules a new robot of this resource is created under: the lifetime limit of the organization
   * that governs it, and the latest expiry that allows from now (null: no limit).
   */
  async policy(resource: ResourceRef) {
    const org = await governingOrganization(this.deps.db, resource);
    const maxDays = org?.robot_token_max_lifetime_days ?? null;
    return {
      organizationId: org?.id ?? null,
      robotTokenMaxLifetimeDays: maxDays,
      latestExpiresAt: maxDays === null ? null : iso(new Date(this.deps.now().getTime() + maxDays * DAY_MS)),
    };
  }

  /**
   * Issues the robot's new token and retires `currentTokenId` (after the grace period) and any
   * other token still working (at once). `lost` is the error when `currentTokenId` turns out to
   * have been replaced already (a concurrent rotation).
   */
  private async replaceToken(
    trx: Executor,
    actor: Actor,
    robot: RobotRow,
    currentTokenId: string | null,
    gracePeriodSeconds: number,
    lost: () => Promise<Error>,
  ) {
    const now = this.deps.now();
    const { token, row } = await issueToken(trx, this.deps, {
      kind: 'robot',
      principalId: robot.id,
      label: robot.label,
      expiresAt: null, // the robot's own expiresAt governs its tokens, and rotation keeps it
    });
    const graceEndsAt = iso(new Date(now.getTime() + gracePeriodSeconds * 1000));
    // Conditional on the replaced token still being current: a token already replaced (in its
    // grace period, so it authenticated) cannot rotate again, and neither can a concurrent twin.
    if (currentTokenId !== null && !(await replaceToken(trx, currentTokenId, row.id, graceEndsAt))) throw await lost();
    await revokeTokensExcept(trx, robot.id, currentTokenId === null ? [row.id] : [currentTokenId, row.id], iso(now));
    const resource: ResourceRef = { type: robot.resource_type as ResourceType, id: robot.resource_id };
    await audit(trx, actor, now, {
      action: 'robot.rotate',
      resource,
      target: { type: 'robot', id: robot.id },
      before: { tokenId: currentTokenId },
      after: { tokenId: row.id, gracePeriodSeconds, previousTokenRevokedAt: graceEndsAt },
    });
    const [view] = await this.views(trx, [robot]);
    if (!view) throw new Error('a view per robot');
    return { ...view, token };
  }

  /**
   * Deletes a robot and revokes its token. Deleting takes the robot's roles away, so it follows the
   * rules of taking them away (services/invariants.ts#checkRevocable): a developer cannot delete an
   * administrator robot it could never have created.
   */
  async remove(actor: Actor, resource: ResourceRef, granter: Granter, robotId: string): Promise<void> {
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      const robot = await this.find(trx, resource, robotId);
      const [before] = await this.views(trx, [robot]);
      await checkRemovable(trx, resource, before?.memberships[0]?.roleNames ?? [], granter, 'robot');
      // Revoke rather than delete the token rows: a later use then answers "revoked", not "unknown".
      await revokeTokensOf(trx, robot.id, iso(now));
      await deleteMembershipsOf(trx, robot.id);
      await deleteRobot(trx, robot.id);
      await audit(trx, actor, now, { action: 'robot.delete', resource, target: { type: 'robot', id: robot.id }, before });
    });
  }

  // --- legacy /projects/{id}/tokens façade (Sanity's Projects API tokens): a token is a robot with one role ---
  //
  // Ids (docs/concepts.md, "Ids"): a legacy token's `id` is the robot's current token id (the
  // Access API's `tokenId`), and its `projectUserId` is the robot's id, which is also its member id
  // in the project's `members[]` and resolves through `/users/{id}`.

  async legacyList(projectId: string) {
    await settled(this.deps);
    const resource: ResourceRef = { type: 'project', id: projectId };
    const views = [];
    let cursor: string | undefined;
    do {
      const page = await this.list(resource, cursor, 500);
      views.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const roles = await roleSummaries(this.deps.db, 'project', [projectId]);
    return views.map((v) => legacyTokenView(projectId, v, roles));
  }

  async legacyCreate(actor: Actor, projectId: string, granter: Granter, input: { label: string; roleName: string }) {
    const created = await this.create(actor, { type: 'project', id: projectId }, granter, {
      label: input.label,
      memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: [input.roleName] }],
    });
    const roles = await roleSummaries(this.deps.db, 'project', [projectId]);
    return { ...legacyTokenView(projectId, created, roles), key: created.token };
  }

  /**
   * Deletes the robot behind a legacy token. The id is the token id `GET /projects/{id}/tokens`
   * lists; the robot's own id (its member id) is accepted too, so an id copied from the member
   * list works as well.
   */
  async legacyRemove(actor: Actor, projectId: string, granter: Granter, id: string): Promise<void> {
    const row = await findToken(this.deps.db, id);
    const robot = await findRobot(this.deps.db, row?.kind === 'robot' ? row.principal_id : id);
    if (robot?.resource_type !== 'project' || robot.resource_id !== projectId) {
      throw problems.notFound(`Token not found: ${id}`, {
        hint: `List the project's tokens with GET /projects/${projectId}/tokens (or \`gatehouse tokens list --project ${projectId}\`).`,
      });
    }
    await this.remove(actor, { type: 'project', id: projectId }, granter, robot.id);
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

  private async view(db: Executor, robot: RobotRow) {
    const [view] = await this.views(db, [robot]);
    if (!view) throw new Error('a view per robot');
    return view;
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

function legacyTokenView(projectId: string, robot: ReturnType<typeof robotView>, roles: RoleSummaries) {
  const membership = robot.memberships[0];
  return {
    id: robot.tokenId,
    label: robot.label,
    projectUserId: robot.id,
    projectId,
    createdAt: robot.createdAt,
    lastUsedAt: robot.lastUsedAt,
    roles: (membership?.roleNames ?? []).map((name) => {
      const { title } = roles(projectId, name);
      return { name, title };
    }),
  };
}
