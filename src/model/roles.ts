/**
 * Built-in roles and the grant table (docs/reference/roles.md shows the table, docs/decisions.md explains the choices).
 *
 * A role is a list of (permission name, action) pairs. `grantsOf` turns it into the set of
 * `<type>.<action>` strings the authorization decision compares against a route's requirement.
 */
import { PERMISSIONS_BY_NAME, PREDEFINED_PERMISSIONS, type ResourceType } from './permissions.js';

export interface RolePermission {
  name: string;
  action: string;
  params?: Record<string, unknown>;
}

export interface RoleDefinition {
  name: string;
  title: string;
  description: string;
  resourceType: ResourceType;
  appliesToUsers: boolean;
  appliesToRobots: boolean;
  isCustom: boolean;
  permissions: readonly RolePermission[];
}

/** All actions of the named permissions. */
function all(...names: string[]): RolePermission[] {
  return names.flatMap((name) => {
    const p = PERMISSIONS_BY_NAME.get(name);
    if (!p) throw new Error(`unknown permission ${name}`);
    return p.actions.map((action) => ({ name, action }));
  });
}
function pick(name: string, ...actions: string[]): RolePermission[] {
  return actions.map((action) => ({ name, action }));
}
function mode(value: 'read' | 'create' | 'publish'): RolePermission {
  return { name: 'sanity-all-documents', action: 'mode', params: { mode: value, history: value !== 'read' } };
}

const PROJECT_PERMISSION_NAMES = PREDEFINED_PERMISSIONS.filter((p) => p.resourceType === 'project').map((p) => p.name);
const ORGANIZATION_PERMISSION_NAMES = PREDEFINED_PERMISSIONS.filter((p) => p.resourceType === 'organization').map((p) => p.name);

/** What every project member may see about the project it belongs to. */
const PROJECT_BASICS = [
  ...pick('sanity-project', 'read'),
  ...pick('sanity-project-members', 'read'),
  ...pick('sanity-project-roles', 'read'),
  ...pick('sanity-project-datasets', 'read'),
  ...pick('sanity-project-tags', 'read'),
];

function projectRole(
  name: string,
  title: string,
  description: string,
  applies: { users: boolean; robots: boolean },
  permissions: RolePermission[],
): RoleDefinition {
  return {
    name,
    title,
    description,
    resourceType: 'project',
    appliesToUsers: applies.users,
    appliesToRobots: applies.robots,
    isCustom: false,
    permissions,
  };
}

export const PROJECT_ROLES: readonly RoleDefinition[] = [
  projectRole(
    'administrator',
    'Administrator',
    'Read and write access to all datasets, with full access to all project settings.',
    { users: true, robots: true },
    [...all(...PROJECT_PERMISSION_NAMES.filter((n) => n !== 'sanity-all-documents')), mode('publish')],
  ),
  projectRole(
    'developer',
    'Developer',
    'Read and write access to all datasets, with access to developer settings: tokens, CORS origins, webhooks, datasets and GraphQL.',
    { users: true, robots: true },
    [
      ...PROJECT_BASICS,
      ...pick('sanity-project', 'createSession', 'deployStudio'),
      ...all('sanity-document-filter-all-documents'),
      mode('publish'),
      ...all(
        'sanity-project-tokens',
        'sanity-project-cors',
        'sanity-project-webhooks',
        'sanity-project-graphql',
        'sanity-project-usage',
      ),
      ...pick('sanity-project-datasets', 'create', 'update', 'delete'),
      ...pick('sanity-project-tags', 'create', 'update', 'delete'),
    ],
  ),
  projectRole(
    'editor',
    'Editor',
    'Read and write access to all datasets, with limited access to project settings.',
    { users: true, robots: true },
    [
      ...PROJECT_BASICS,
      ...pick('sanity-project', 'createSession'),
      ...all('sanity-document-filter-all-documents'),
      mode('publish'),
    ],
  ),
  projectRole(
    'contributor',
    'Contributor',
    'Read all documents and write drafts; cannot publish or change project settings.',
    { users: true, robots: false },
    [
      ...PROJECT_BASICS,
      ...pick('sanity-project', 'createSession'),
      ...pick('sanity-document-filter-all-documents', 'read', 'history'),
      ...pick('sanity-document-filter-drafts', 'create', 'read', 'update', 'history'),
      mode('create'),
    ],
  ),
  projectRole(
    'viewer',
    'Viewer',
    'Read access to all datasets, with limited access to project settings. (Tokens: read-only)',
    { users: true, robots: true },
    [
      ...PROJECT_BASICS,
      ...pick('sanity-project', 'createSession'),
      ...pick('sanity-document-filter-all-documents', 'read', 'history'),
      mode('read'),
    ],
  ),
  projectRole(
    'auditor',
    'Auditor',
    'Reads the project’s activity (audit) log, and nothing else.',
    { users: true, robots: true },
    [...pick('sanity-project-activity', 'read')],
  ),
  projectRole(
    'deploy-studio',
    'Deploy Studio (Token only)',
    'Deploy the Studio and GraphQL APIs from CI, and nothing else.',
    { users: false, robots: true },
    [...pick('sanity-project', 'read', 'deployStudio'), ...all('sanity-project-graphql')],
  ),
];

export const ORGANIZATION_ROLES: readonly RoleDefinition[] = [
  {
    name: 'administrator',
    title: 'Administrator',
    description: 'Full access to the organization, its members, roles, tokens, projects and settings.',
    resourceType: 'organization',
    appliesToUsers: true,
    appliesToRobots: true,
    isCustom: false,
    permissions: all(...ORGANIZATION_PERMISSION_NAMES),
  },
  {
    name: 'member',
    title: 'Member',
    description: 'Sees the organization, its members, roles and projects.',
    resourceType: 'organization',
    appliesToUsers: true,
    appliesToRobots: true,
    isCustom: false,
    permissions: [
      ...pick('sanity-organization', 'read'),
      ...pick('sanity-organization-members', 'read'),
      ...pick('sanity-organization-roles', 'read'),
      ...pick('sanity-organization-projects', 'read'),
    ],
  },
  {
    name: 'auditor',
    title: 'Auditor',
    description: 'Reads the activity (audit) log of the organization and of its projects, and nothing else.',
    resourceType: 'organization',
    appliesToUsers: true,
    appliesToRobots: true,
    isCustom: false,
    permissions: [...pick('sanity-organization-activity', 'read')],
  },
];

export function builtInRoles(resourceType: ResourceType): readonly RoleDefinition[] {
  return resourceType === 'project' ? PROJECT_ROLES : ORGANIZATION_ROLES;
}

const BUILT_IN = new Map<string, RoleDefinition>(
  [...PROJECT_ROLES, ...ORGANIZATION_ROLES].map((role) => [`${role.resourceType}:${role.name}`, role]),
);

export function builtInRole(resourceType: ResourceType, name: string): RoleDefinition | undefined {
  return BUILT_IN.get(`${resourceType}:${name}`);
}

/**
 * The `<type>.<action>` strings a list of role permissions allows. `typeOf` resolves a permission
 * name to its type (predefined names by default; custom roles pass a resolver that also knows the
 * resource's custom permissions). Names it cannot resolve grant nothing.
 */
export function grantsOf(
  role: Pick<RoleDefinition, 'permissions'>,
  typeOf: (name: string) => string | undefined = (name) => PERMISSIONS_BY_NAME.get(name)?.type,
): Set<string> {
  const out = new Set<string>();
  for (const p of role.permissions) {
    const type = typeOf(p.name);
    if (type) out.add(`${type}.${p.action}`);
  }
  return out;
}

const GRANT_CACHE = new Map<string, ReadonlySet<string>>();

/** Union of the grants of built-in roles held on a resource (cached: built-ins never change). */
export function grantsOfBuiltIns(resourceType: ResourceType, roleNames: readonly string[]): ReadonlySet<string> {
  const key = `${resourceType}:${[...roleNames].sort().join(',')}`;
  const cached = GRANT_CACHE.get(key);
  if (cached) return cached;
  const out = new Set<string>();
  for (const name of roleNames) {
    const role = builtInRole(resourceType, name);
    if (role) for (const grant of grantsOf(role)) out.add(grant);
  }
  if (GRANT_CACHE.size < 10_000) GRANT_CACHE.set(key, out);
  return out;
}

/**
 * The permissions that make a member an access manager: without at least one member holding all
 * of them, nobody could ever fix the resource's access again (the "last administrator" rule).
 */
export function accessManagerGrants(resourceType: ResourceType): string[] {
  const t = resourceType === 'project' ? 'sanity.project' : 'sanity.organization';
  return [`${t}.members.read`, `${t}.roles.read`, `${t}.members.update`];
}

/**
 * Roles an organization role implies on every project of the organization (`includeImpliedRoles`):
 * an organization administrator administers its projects, as in the service Gatehouse models, and
 * an organization auditor audits them (reads their activity log, nothing else). Other organization
 * roles, custom ones included, imply nothing; their holders need a project role.
 */
export const IMPLIED_PROJECT_ROLES: Readonly<Record<string, string>> = { administrator: 'administrator', auditor: 'auditor' };

/** One role held, as the access query returns it: where it was granted, and a custom role's grants. */
export interface RoleHolding {
  resourceType: ResourceType;
  roleName: string;
  /** JSON `string[]` of a custom role's grants; null for a built-in role. */
  customGrants: string | null;
}

const CUSTOM_GRANTS = new Map<string, readonly string[]>();

function parseGrants(json: string): readonly string[] {
  let grants = CUSTOM_GRANTS.get(json);
  if (!grants) {
    grants = JSON.parse(json) as string[];
    if (CUSTOM_GRANTS.size > 10_000) CUSTOM_GRANTS.clear();
    CUSTOM_GRANTS.set(json, grants);
  }
  return grants;
}

/**
 * What a principal holds on a resource, from the roles it holds there and (for a project) on the
 * project's organization. Pure: the store finds the holdings, this decides what they grant.
 */
export function accessFromHoldings(
  resourceType: ResourceType,
  holdings: readonly RoleHolding[],
): { roleNames: string[]; impliedRoleNames: string[]; grants: ReadonlySet<string> } {
  const roleNames: string[] = [];
  const impliedRoleNames: string[] = [];
  const custom: string[] = [];
  for (const h of holdings) {
    if (h.resourceType === resourceType) {
      roleNames.push(h.roleName);
      if (h.customGrants !== null) custom.push(h.customGrants);
    } else if (resourceType === 'project' && h.resourceType === 'organization') {
      const implied = IMPLIED_PROJECT_ROLES[h.roleName];
      if (implied && h.customGrants === null && !impliedRoleNames.includes(implied)) impliedRoleNames.push(implied);
    }
  }
  const builtIns = impliedRoleNames.length > 0 ? [...new Set([...roleNames, ...impliedRoleNames])] : roleNames;
  const base = grantsOfBuiltIns(resourceType, builtIns);
  if (custom.length === 0) return { roleNames, impliedRoleNames, grants: base };
  const grants = new Set(base);
  for (const json of custom) for (const g of parseGrants(json)) grants.add(g);
  return { roleNames, impliedRoleNames, grants };
}
