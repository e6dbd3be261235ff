/**
 * The permissions-used report: which permissions each robot actually exercised, and the smallest
 * role that would have been enough (least privilege, measured rather than guessed).
 *
 * Recording adds no database write to the request path. The authorization hook calls `record`
 * once per allowed robot request; it adds one to a counter in this node's memory (per robot,
 * resource, permission and UTC day). The counters are written to `robot_permission_usage` in one
 * statement every `flushMs` (default one minute), when more than 10,000 distinct counters pile up,
 * before a report is read, and when the server shuts down gracefully. A node that crashes loses at
 * most its last minute of counts: a report is a measurement, not an audit trail.
 */
import { problems } from '../model/errors.js';
import { type CandidateRole, type Exercised, smallestCoveringRole } from '../model/least-privilege.js';
import type { ResourceType } from '../model/permissions.js';
import type { ResourceRef } from '../model/policy.js';
import type { Principal } from '../model/principals.js';
import { builtInRoles, grantsOf, grantsOfBuiltIns, IMPLIED_PROJECT_ROLES } from '../model/roles.js';
import { allCustomRoles } from '../store/custom-roles.js';
import { membershipsOfPrincipals } from '../store/memberships.js';
import { findRobot } from '../store/robots.js';
import { addUsage, type UsageDelta, usageOf } from '../store/usage.js';
import type { Deps } from './context.js';

/** Distinct counters kept before a flush is forced, whatever the timer says. */
const MAX_PENDING = 10_000;
export const DEFAULT_USAGE_FLUSH_MS = 60_000;
export const MAX_USAGE_DAYS = 90;

export interface UsageReport {
  robotId: string;
  resourceType: ResourceType;
  resourceId: string;
  days: number;
  from: string;
  to: string;
  rolesHeld: string[];
  /** What the robot exercised in the window: permission, where, how often, when last. */
  permissions: Array<{
    permission: string;
    resourceType: string;
    resourceId: string;
    count: number;
    lastUsedAt: string;
  }>;
  /** Grants of the roles it holds that it did not use in the window. */
  unusedPermissions: string[];
  /** The smallest built-in or custom role of the resource that covers what it used; null if none does. */
  smallestRole: { name: string; title: string; isCustom: boolean; grantCount: number } | null;
}

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;

/** A counter in memory: its row, with the last use kept as a number until the row is written. */
type PendingUsage = Omit<UsageDelta, 'last_used_at'> & { lastUsedMs: number };

export class UsageService {
  private pending = new Map<string, PendingUsage>();
  /** The UTC day `record` last saw, and the instants it starts and ends: a request formats no date. */
  private day = { name: '', from: 0, to: 0 };
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: Deps,
    private readonly flushMs = deps.usageFlushMs ?? DEFAULT_USAGE_FLUSH_MS,
  ) {}

  /**
   * An allowed request: a robot exercised `permission` on `resource`. Memory only, O(1); people's
   * requests are not counted (the report is about robots' tokens).
   */
  record(principal: Principal | null, resource: ResourceRef | undefined, permission: string): void {
    if (principal?.kind !== 'robot' || !resource) return;
    const now = this.deps.now().getTime();
    if (now < this.day.from || now >= this.day.to) {
      const from = now - (now % DAY_MS);
      this.day = { name: dayOf(new Date(from)), from, to: from + DAY_MS };
    }
    const day = this.day.name;
    const key = `${principal.id}\n${resource.type}\n${resource.id}\n${permission}\n${day}`;
    const entry = this.pending.get(key);
    if (entry) {
      entry.count += 1;
      entry.lastUsedMs = now;
      return;
    }
    this.pending.set(key, {
      robot_id: principal.id,
      resource_type: resource.type,
      resource_id: resource.id,
      permission,
      day,
      count: 1,
      lastUsedMs: now,
    });
    if (this.pending.size >= MAX_PENDING) void this.flush();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending (graceful shutdown). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Writes the pending counters in one statement. Flushes run one after another; never throws. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending.values()].map(
        ({ lastUsedMs, ...row }): UsageDelta => ({ ...row, last_used_at: new Date(lastUsedMs).toISOString() }),
      );
      this.pending = new Map();
      try {
        await addUsage(this.deps.db, batch);
      } catch (error) {
        this.deps.log?.warn(
          { err: error, counters: batch.length },
          'could not write robot permission usage; these counts are lost',
        );
      }
    });
    return this.flushing;
  }

  /** `GET /access/{type}/{id}/robots/{robotId}/usage`: the report for one robot of the resource. */
  async report(resource: ResourceRef, robotId: string, days = 30): Promise<UsageReport> {
    if (!Number.isInteger(days) || days < 1 || days > MAX_USAGE_DAYS) {
      throw problems.invalidInput(`days must be a whole number from 1 to ${MAX_USAGE_DAYS}`, 'days');
    }
    const robot = await findRobot(this.deps.db, robotId);
    if (!robot || robot.resource_type !== resource.type || robot.resource_id !== resource.id) {
      throw problems.notFound(`Robot not found: ${robotId}`, {
        hint: `No robot with this id belongs to ${resource.type} ${resource.id}.`,
      });
    }
    // This node's latest counts first; other nodes' arrive within their flush interval.
    await this.flush();
    const now = this.deps.now();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
    const rows = await usageOf(this.deps.db, robot.id, dayOf(from));
    const [membership] = await membershipsOfPrincipals(this.deps.db, [robot.id]);
    const rolesHeld = membership?.roleNames ?? [];

    const type = resource.type;
    const exercised: Exercised = {
      own: new Set(rows.filter((r) => r.resource_type === type).map((r) => r.permission)),
      projects: new Set(rows.filter((r) => r.resource_type !== type).map((r) => r.permission)),
    };
    const candidates = await this.candidates(resource);
    const held = new Set<string>();
    for (const role of candidates) if (rolesHeld.includes(role.name)) for (const grant of role.grants) held.add(grant);
    const smallest = smallestCoveringRole(candidates, exercised);
    return {
      robotId: robot.id,
      resourceType: type,
      resourceId: resource.id,
      days,
      from: from.toISOString(),
      to: now.toISOString(),
      rolesHeld,
      permissions: rows.map((r) => ({
        permission: r.permission,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        count: r.count,
        lastUsedAt: r.last_used_at,
      })),
      unusedPermissions: [...held].filter((grant) => !exercised.own.has(grant)).sort(),
      smallestRole: smallest
        ? {
            name: smallest.name,
            title: smallest.title,
            isCustom: smallest.isCustom,
            grantCount: smallest.grants.size + (smallest.projectGrants?.size ?? 0),
          }
        : null,
    };
  }

  /** The roles a robot of the resource could hold: built-in and custom ones that apply to robots. */
  private async candidates(resource: ResourceRef): Promise<CandidateRole[]> {
    const implied = (name: string) => {
      const projectRole = resource.type === 'organization' ? IMPLIED_PROJECT_ROLES[name] : undefined;
      return projectRole ? { projectGrants: grantsOfBuiltIns('project', [projectRole]) } : {};
    };
    const builtIn: CandidateRole[] = builtInRoles(resource.type)
      .filter((role) => role.appliesToRobots)
      .map((role) => ({ name: role.name, title: role.title, isCustom: false, grants: grantsOf(role), ...implied(role.name) }));
    const custom: CandidateRole[] = (await allCustomRoles(this.deps.db, resource))
      .filter((row) => row.applies_to_robots !== 0)
      .map((row) => ({ name: row.name, title: row.title, isCustom: true, grants: new Set(JSON.parse(row.grants) as string[]) }));
    return [...builtIn, ...custom];
  }
}
