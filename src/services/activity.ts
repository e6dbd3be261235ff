/**
 * The activity log API (`GET /activity`, `GET /activity/export/csv`): the audit log, filtered and
 * limited to what the caller may audit.
 *
 * Who sees what: an event about a project or organization is visible to callers who hold
 * `sanity.{project|organization}.activity.read` there: among the built-in roles, administrators and
 * auditors (users and robots; an organization's administrators and auditors on its projects too),
 * and custom roles that grant it. Developers, editors and viewers do not hold it. `auditor` holds
 * nothing else: it reads the log and cannot change anything, not even see the members.
 * Every caller also sees the events they acted in and the events whose target they are; an event
 * without a resource (an account created, a login, a personal token) is visible only that way.
 */
import { problems } from '../model/errors.js';
import { cursorKey, encodeCursor } from '../model/pagination.js';
import type { ResourceType } from '../model/permissions.js';
import type { Principal } from '../model/principals.js';
import { accessFromHoldings } from '../model/roles.js';
import { type EventFilter, listEvents } from '../store/audit.js';
import { accessHoldings, principalHoldings } from '../store/memberships.js';
import type { AuditEventRow } from '../store/schema.js';
import type { Deps } from './context.js';

export const ACTIVITY_DEFAULT_LIMIT = 10;
export const ACTIVITY_MAX_LIMIT = 100;
/** The CSV export's page size limit: one request answers at most this many rows. */
export const ACTIVITY_EXPORT_MAX = 10_000;
/** At most this many of a caller's resources are considered (an operator with more uses the database). */
const MAX_AUDITED_RESOURCES = 2_000;

export interface ActivityQuery {
  actorId?: string[];
  userId?: string[];
  projectId?: string[];
  organizationId?: string[];
  action?: string[];
  startTime?: string;
  endTime?: string;
  limit?: number;
  offset?: number;
  nextCursor?: string;
}

export interface ActivityEvent {
  id: string;
  action: string;
  actorId: string | null;
  actorType: string;
  actorTokenId: string | null;
  timestamp: string;
  projectId: string | null;
  organizationId: string | null;
  userId: string | null;
  target: { type: string; id: string } | null;
  metadata: { before: unknown; after: unknown; ip: string | null; userAgent: string | null; requestId: string | null };
  sequence: number;
  previousHash: string;
  hash: string;
}

export class ActivityService {
  constructor(private readonly deps: Deps) {}

  async list(principal: Principal, query: ActivityQuery): Promise<{ data: ActivityEvent[]; nextCursor: string | null }> {
    const limit = query.limit ?? ACTIVITY_DEFAULT_LIMIT;
    const rows = await listEvents(this.deps.db, await this.filterOf(principal, query), {
      limit: limit + 1,
      offset: query.offset ?? 0,
    });
    const more = rows.length > limit;
    const data = (more ? rows.slice(0, limit) : rows).map(toActivityEvent);
    const last = data[data.length - 1];
    return { data, nextCursor: more && last ? encodeCursor(String(last.sequence)) : null };
  }

  /** The same filters, every matching event up to {@link ACTIVITY_EXPORT_MAX} (or `limit`), as CSV. */
  async exportCsv(principal: Principal, query: ActivityQuery): Promise<string> {
    const limit = Math.min(query.limit ?? ACTIVITY_EXPORT_MAX, ACTIVITY_EXPORT_MAX);
    const rows = await listEvents(this.deps.db, await this.filterOf(principal, query), {
      limit,
      offset: query.offset ?? 0,
    });
    return toCsv(rows.map(toActivityEvent));
  }

  private async filterOf(principal: Principal, query: ActivityQuery): Promise<EventFilter> {
    const startTime = instant(query.startTime, 'startTime');
    const endTime = instant(query.endTime, 'endTime');
    if (startTime !== undefined && endTime !== undefined && startTime >= endTime) {
      throw problems.invalidInput('startTime must be before endTime', 'startTime');
    }
    let beforeSequence: number | undefined;
    const key = cursorKey(query.nextCursor);
    if (key !== null) {
      if (!/^[1-9][0-9]{0,15}$/.test(key)) {
        throw problems.invalidInput('nextCursor is not a cursor this server issued', 'nextCursor');
      }
      beforeSequence = Number(key);
    }
    return {
      ...(query.actorId ? { actorIds: query.actorId.map((id) => (id === 'null' ? null : id)) } : {}),
      ...(query.userId ? { userIds: query.userId } : {}),
      ...(query.projectId ? { projectIds: query.projectId } : {}),
      ...(query.organizationId ? { organizationIds: query.organizationId } : {}),
      ...(query.action ? { actions: query.action } : {}),
      ...(startTime !== undefined ? { startTime } : {}),
      ...(endTime !== undefined ? { endTime } : {}),
      ...(beforeSequence !== undefined ? { beforeSequence } : {}),
      visibleTo: { principalId: principal.id, ...(await this.auditedResources(principal)) },
    };
  }

  /** The projects and organizations where the principal holds `sanity.{type}.activity.read`. */
  async auditedResources(principal: Principal): Promise<{ projects: string[]; organizations: string[] }> {
    const db = this.deps.db;
    const holdings = await principalHoldings(db, principal.id, MAX_AUDITED_RESOURCES);
    const candidates = new Map<string, { type: ResourceType; id: string }>();
    for (const h of holdings) {
      candidates.set(`${h.resourceType}:${h.resourceId}`, { type: h.resourceType as ResourceType, id: h.resourceId });
    }
    // Organization roles imply roles on the organization's projects.
    const organizations = [...candidates.values()].filter((c) => c.type === 'organization').map((c) => c.id);
    if (organizations.length > 0) {
      const projects = await db
        .selectFrom('projects')
        .select('id')
        .where('organization_id', 'in', organizations)
        .limit(MAX_AUDITED_RESOURCES)
        .execute();
      for (const p of projects) candidates.set(`project:${p.id}`, { type: 'project', id: p.id });
    }
    const result = { projects: [] as string[], organizations: [] as string[] };
    for (const resource of candidates.values()) {
      const rows = await accessHoldings(db, resource.type, resource.id, principal.id);
      const held = accessFromHoldings(
        resource.type,
        rows.map((r) => ({ resourceType: r.resource_type as ResourceType, roleName: r.role_name, customGrants: r.grants })),
      );
      if (held.grants.has(`sanity.${resource.type}.activity.read`)) {
        (resource.type === 'project' ? result.projects : result.organizations).push(resource.id);
      }
    }
    return result;
  }
}

function instant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw problems.invalidInput(`${field} must be an RFC 3339 date-time`, field);
  return new Date(ms).toISOString();
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function toActivityEvent(row: AuditEventRow): ActivityEvent {
  return {
    id: row.id,
    action: row.action,
    actorId: row.actor_id,
    actorType: row.actor_kind,
    actorTokenId: row.actor_token_id,
    timestamp: row.at,
    projectId: row.resource_type === 'project' ? row.resource_id : null,
    organizationId: row.resource_type === 'organization' ? row.resource_id : null,
    userId: row.target_type === 'user' ? row.target_id : null,
    target: row.target_type !== null && row.target_id !== null ? { type: row.target_type, id: row.target_id } : null,
    metadata: {
      before: parseJson(row.before),
      after: parseJson(row.after),
      ip: row.ip,
      userAgent: row.user_agent,
      requestId: row.request_id,
    },
    sequence: Number(row.sequence),
    previousHash: row.previous_hash ?? '',
    hash: row.hash ?? '',
  };
}

export const CSV_COLUMNS = [
  'sequence',
  'id',
  'timestamp',
  'action',
  'actorType',
  'actorId',
  'actorTokenId',
  'projectId',
  'organizationId',
  'targetType',
  'targetId',
  'ip',
  'userAgent',
  'requestId',
  'before',
  'after',
  'hash',
] as const;

/**
 * One CSV cell, RFC 4180: quoted when it holds a quote, comma or line break (quotes doubled). A
 * cell that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return) is
 * prefixed with a single quote first, so an attacker-chosen name cannot become a formula.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(events: readonly ActivityEvent[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of events) {
    const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      sequence: e.sequence,
      id: e.id,
      timestamp: e.timestamp,
      action: e.action,
      actorType: e.actorType,
      actorId: e.actorId,
      actorTokenId: e.actorTokenId,
      projectId: e.projectId,
      organizationId: e.organizationId,
      targetType: e.target?.type ?? null,
      targetId: e.target?.id ?? null,
      ip: e.metadata.ip,
      userAgent: e.metadata.userAgent,
      requestId: e.metadata.requestId,
      before: e.metadata.before,
      after: e.metadata.after,
      hash: e.hash,
    };
    lines.push(CSV_COLUMNS.map((c) => csvCell(typeof values[c] === 'number' ? String(values[c]) : values[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
