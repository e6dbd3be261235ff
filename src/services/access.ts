/** What a caller may do: effective permissions, `/check`, and grants per resource. */
import { problems } from '../model/errors.js';
import { byCodePoint } from '../model/order.js';
import { cursorKey, toPage } from '../model/pagination.js';
import { type GrantsMap, grantsMap, predefinedPermission, type ResourceType } from '../model/permissions.js';
import { type Access, type ResourceRef, resourceNotFound } from '../model/policy.js';
import type { Principal } from '../model/principals.js';
import { accessFromHoldings, type RoleHolding } from '../model/roles.js';
import { listCustomPermissions } from '../store/custom-permissions.js';
import { accessHoldings, principalHoldings } from '../store/memberships.js';
import type { Deps } from './context.js';
import { resolveRoles } from './role-catalog.js';

/** `GET /users/me/grants` without a project context covers at most this many memberships. */
export const MAX_GRANT_RESOURCES = 1000;

export interface EffectivePermission {
  name: string;
  type: string;
  action: string;
  params: Record<string, unknown>;
}

/** Keys in a stable order, so equal params always compare (and dedupe) equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => byCodePoint(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class AccessService {
  constructor(readonly deps: Deps) {}

  /**
   * Every permission the caller holds on the resource, from each role it holds there, explicit
   * and implied (an organization administrator's project `administrator`), deduplicated and in a
   * stable order (type, name, action, params). Paged by position like the role list: the list is
   * computed from at most a few dozen role permissions, so a page is a slice of it.
   */
  async effectivePermissions(resource: ResourceRef, access: Access, cursor: string | undefined, limit: number) {
    const after = cursorKey(cursor);
    if (after !== null && !/^\d{1,6}$/.test(after)) {
      throw problems.invalidInput('nextCursor is not a cursor this server issued', 'nextCursor');
    }
    const all = await this.permissionsOf(resource, access);
    const start = after === null ? 0 : Number(after) + 1;
    const rows = all.slice(start, start + limit + 1).map((permission, i) => ({ permission, index: start + i }));
    const page = toPage(rows, limit, (r) => String(r.index), all.length);
    return { ...page, data: page.data.map((r) => r.permission) };
  }

  private async permissionsOf(resource: ResourceRef, access: Access): Promise<EffectivePermission[]> {
    const names = [...new Set([...access.roleNames, ...(access.impliedRoleNames ?? [])])];
    const roles = await resolveRoles(this.deps.db, resource, names);
    const held = roles.flatMap((r) => r.definition.permissions);
    // Custom roles may name custom permissions: their type is in the resource's `permissions` table.
    const unresolved = held.some((p) => !predefinedPermission(resource.type, p.name));
    const customTypes = unresolved
      ? new Map((await listCustomPermissions(this.deps.db, resource)).map((p) => [p.name, p.type]))
      : new Map<string, string>();
    const byKey = new Map<string, EffectivePermission>();
    for (const p of held) {
      const type = predefinedPermission(resource.type, p.name)?.type ?? customTypes.get(p.name);
      if (!type) continue; // a permission deleted since the role was written grants nothing
      const params = p.params ?? {};
      const key = `${type}\u0000${p.name}\u0000${p.action}\u0000${canonical(params)}`;
      if (!byKey.has(key)) byKey.set(key, { name: p.name, type, action: p.action, params });
    }
    return [...byKey.keys()].sort().map((key) => byKey.get(key) as EffectivePermission);
  }

  /** `/check`: each asked `<type>.<action>` → whether the caller holds it (an unknown action is simply false). */
  check(access: Access, permissions: readonly string[]): { data: Record<string, boolean> } {
    const data: Record<string, boolean> = {};
    for (const permission of permissions) data[permission] = access.grants.has(permission);
    return { data };
  }

  /**
   * The caller's grants on the route's resource, in the legacy grants shape of
   * `/projects/{id}/grants` (model/permissions.ts).
   */
  grants(access: Access): GrantsMap {
    return grantsMap(access.grants);
  }

  /**
   * `GET /users/me/grants`, shaped as Sanity's CLI reads it: `{organizations: {id: map}, projects:
   * {id: map}}`. With a project context: only that project (the standard 404 when the caller is not
   * a member). Without: one map per resource the caller is a member of,
   * over at most MAX_GRANT_RESOURCES memberships; a project's map includes what the caller's
   * organization roles imply there.
   */
  async myGrants(principal: Principal, projectId: string | null) {
    if (projectId !== null) {
      const resource: ResourceRef = { type: 'project', id: projectId };
      // The access query of every request (services/auth.ts), without its lastSeenAt bookkeeping.
      const rows = await accessHoldings(this.deps.db, resource.type, resource.id, principal.id);
      const held = accessFromHoldings(
        resource.type,
        rows.map((r) => ({ resourceType: r.resource_type as ResourceType, roleName: r.role_name, customGrants: r.grants })),
      );
      if (held.roleNames.length === 0 && held.impliedRoleNames.length === 0) throw resourceNotFound(resource);
      return { organizations: {}, projects: { [projectId]: grantsMap(held.grants) } };
    }
    const holdings = await principalHoldings(this.deps.db, principal.id, MAX_GRANT_RESOURCES);
    const organizationHoldings = new Map<string, RoleHolding[]>();
    const byResource = new Map<
      string,
      { type: ResourceType; id: string; organizationId: string | null; holdings: RoleHolding[] }
    >();
    for (const h of holdings) {
      const type = h.resourceType as ResourceType;
      const holding: RoleHolding = { resourceType: type, roleName: h.roleName, customGrants: h.grants };
      if (type === 'organization') {
        const list = organizationHoldings.get(h.resourceId) ?? [];
        list.push(holding);
        organizationHoldings.set(h.resourceId, list);
      }
      const key = `${type}:${h.resourceId}`;
      const entry = byResource.get(key) ?? { type, id: h.resourceId, organizationId: h.organizationId, holdings: [] };
      entry.holdings.push(holding);
      byResource.set(key, entry);
    }
    const out: { projects: Record<string, GrantsMap>; organizations: Record<string, GrantsMap> } = {
      projects: {},
      organizations: {},
    };
    for (const entry of byResource.values()) {
      const inherited =
        entry.type === 'project' && entry.organizationId ? (organizationHoldings.get(entry.organizationId) ?? []) : [];
      const { grants } = accessFromHoldings(entry.type, [...entry.holdings, ...inherited]);
      out[entry.type === 'project' ? 'projects' : 'organizations'][entry.id] = grantsMap(grants);
    }
    return out;
  }
}
