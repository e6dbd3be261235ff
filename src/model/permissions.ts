/**
 * The permission catalog (Sanity's, as its Access API names it).
 *
 * A permission *type* is a family such as `sanity.project.members`; each type has *actions*. What
 * a route requires and what `/check` answers is the pair written `<type>.<action>`, e.g.
 * `sanity.project.members.read`. Roles hold named permissions (`sanity-project-members`) with one
 * action each; `grantsOf` flattens a role into the set of `<type>.<action>` strings it allows.
 */
export const RESOURCE_TYPES = ['project', 'organization'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export interface PermissionDefinition {
  /** Stable name, e.g. `sanity-project-members`. */
  name: string;
  type: string;
  title: string;
  description: string;
  actions: readonly string[];
  resourceType: ResourceType;
  config?: Record<string, unknown>;
}

const DOCUMENT_ACTIONS = ['create', 'read', 'update', 'manage', 'history', 'editHistory'] as const;
const CRUD = ['read', 'create', 'update', 'delete'] as const;

function project(
  name: string,
  type: string,
  title: string,
  description: string,
  actions: readonly string[],
  config?: Record<string, unknown>,
): PermissionDefinition {
  return { name, type, title, description, actions, resourceType: 'project', ...(config ? { config } : {}) };
}
function organization(
  name: string,
  type: string,
  title: string,
  description: string,
  actions: readonly string[],
): PermissionDefinition {
  return { name, type, title, description, actions, resourceType: 'organization' };
}

export const PREDEFINED_PERMISSIONS: readonly PermissionDefinition[] = [
  project(
    'sanity-document-filter-all-documents',
    'sanity.document.filter',
    'All documents',
    'Every document in every dataset',
    DOCUMENT_ACTIONS,
    { filter: '_id in path("**")' },
  ),
  project('sanity-document-filter-drafts', 'sanity.document.filter', 'Drafts', 'Draft and version documents', DOCUMENT_ACTIONS, {
    filter: '_id in path("drafts.**") || _id in path("versions.**")',
  }),
  project('sanity-document-filter-images', 'sanity.document.filter', 'Images', 'Image assets', DOCUMENT_ACTIONS, {
    filter: '_type == "sanity.imageAsset"',
  }),
  project('sanity-document-filter-files', 'sanity.document.filter', 'Files', 'File assets', DOCUMENT_ACTIONS, {
    filter: '_type == "sanity.fileAsset"',
  }),
  project(
    'sanity-all-documents',
    'sanity.document.filter.mode',
    'Document mode',
    'Read, create drafts of, or publish documents',
    ['mode'],
  ),
  project('sanity-project', 'sanity.project', 'Project', 'The project itself', [
    'read',
    'update',
    'delete',
    'createSession',
    'deployStudio',
  ]),
  project('sanity-project-members', 'sanity.project.members', 'Project members', 'Who is in the project', [
    'invite',
    'read',
    'update',
    'delete',
  ]),
  project('sanity-project-roles', 'sanity.project.roles', 'Project roles', 'Roles defined on the project', [
    'create',
    'read',
    'update',
    'delete',
  ]),
  project('sanity-project-tokens', 'sanity.project.tokens', 'Project tokens', 'Robots and their tokens', [
    'read',
    'create',
    'delete',
  ]),
  project('sanity-project-datasets', 'sanity.project.datasets', 'Datasets', 'Datasets of the project', CRUD),
  project('sanity-project-tags', 'sanity.project.tags', 'Tags', 'Dataset tags', CRUD),
  project('sanity-project-cors', 'sanity.project.cors', 'CORS origins', 'Origins allowed to call the API from a browser', [
    'read',
    'create',
    'delete',
  ]),
  project('sanity-project-webhooks', 'sanity.project.webhooks', 'Webhooks', 'Webhooks of the project', CRUD),
  project('sanity-project-graphql', 'sanity.project.graphql', 'GraphQL', 'GraphQL API deployments', ['manage']),
  project('sanity-project-usage', 'sanity.project.usage', 'Usage', 'Usage and quotas', ['read']),
  project('sanity-project-activity', 'sanity.project.activity', 'Activity log', 'The audit log of the project', ['read']),
  organization('sanity-organization', 'sanity.organization', 'Organization', 'The organization itself', [
    'read',
    'update',
    'delete',
  ]),
  organization(
    'sanity-organization-members',
    'sanity.organization.members',
    'Organization members',
    'Who is in the organization',
    ['invite', 'read', 'update', 'delete'],
  ),
  organization(
    'sanity-organization-roles',
    'sanity.organization.roles',
    'Organization roles',
    'Roles defined on the organization',
    ['create', 'read', 'update', 'delete'],
  ),
  organization(
    'sanity-organization-tokens',
    'sanity.organization.tokens',
    'Organization tokens',
    'Organization robots and their tokens',
    ['read', 'create', 'delete'],
  ),
  organization(
    'sanity-organization-projects',
    'sanity.organization.projects',
    'Organization projects',
    'Projects in the organization',
    ['read', 'create', 'attach', 'detach'],
  ),
  organization('sanity-organization-sso', 'sanity.organization.sso', 'Single sign-on', 'SAML and OIDC providers', [
    'read',
    'update',
  ]),
  organization('sanity-organization-legal', 'sanity.organization.legal', 'Legal', 'Terms and data processing', [
    'read',
    'update',
  ]),
  organization(
    'sanity-organization-activity',
    'sanity.organization.activity',
    'Activity log',
    'The audit log of the organization',
    ['read'],
  ),
];

export const PERMISSIONS_BY_NAME: ReadonlyMap<string, PermissionDefinition> = new Map(
  PREDEFINED_PERMISSIONS.map((p) => [p.name, p]),
);

/** Every `<type>.<action>` that exists for a resource type: the universe `/check` answers within. */
export function catalogGrants(resourceType: ResourceType): Set<string> {
  const out = new Set<string>();
  for (const p of PREDEFINED_PERMISSIONS) {
    if (p.resourceType !== resourceType) continue;
    for (const action of p.actions) out.add(`${p.type}.${action}`);
  }
  return out;
}

export interface PermissionType {
  type: string;
  resourceType: ResourceType;
  /** Every action a permission of this type can be granted with. */
  actions: readonly string[];
}

/**
 * The permission types custom permissions may have (the `createpermission` enum of Sanity's Access API),
 * with their actions: the union of the predefined permissions of that type.
 */
export const PERMISSION_TYPES: ReadonlyMap<string, PermissionType> = (() => {
  const out = new Map<string, PermissionType>();
  for (const p of PREDEFINED_PERMISSIONS) {
    const known = out.get(p.type);
    const actions = [...new Set([...(known?.actions ?? []), ...p.actions])];
    out.set(p.type, { type: p.type, resourceType: p.resourceType, actions });
  }
  return out;
})();

/** The predefined permission of a resource type with this name, if any. */
export function predefinedPermission(resourceType: ResourceType, name: string): PermissionDefinition | undefined {
  const p = PERMISSIONS_BY_NAME.get(name);
  return p?.resourceType === resourceType ? p : undefined;
}

/** One permission type's actions in the legacy grants shape (Sanity's Roles API). */
export interface LegacyGrantEntry {
  grants: Array<{ name: string; params: Record<string, unknown> }>;
}

/** The legacy grants map: permission type → one entry listing the actions held. */
export type GrantsMap = Record<string, LegacyGrantEntry[]>;

/**
 * `<type>.<action>` grants → the legacy map of `GET /projects/{id}/grants` (Sanity's Roles API):
 * `{"sanity.project": [{"grants": [{"name": "createSession", "params": {}}, …]}], …}`. One entry per
 * type, types and actions sorted, so the same grants always give the same bytes. The action is
 * the text after the last dot (types contain dots, actions never do). Params are always empty:
 * grants are coarse `(type, action)` pairs, as `/check` evaluates them.
 */
export function grantsMap(grants: Iterable<string>): GrantsMap {
  const byType = new Map<string, string[]>();
  for (const grant of grants) {
    const dot = grant.lastIndexOf('.');
    if (dot <= 0 || dot === grant.length - 1) continue;
    const type = grant.slice(0, dot);
    const actions = byType.get(type);
    if (actions) actions.push(grant.slice(dot + 1));
    else byType.set(type, [grant.slice(dot + 1)]);
  }
  const out: GrantsMap = {};
  for (const type of [...byType.keys()].sort()) {
    const actions = [...new Set(byType.get(type))].sort();
    out[type] = [{ grants: actions.map((name) => ({ name, params: {} })) }];
  }
  return out;
}

/** `projects` → `project`: the path accepts both spellings; storage uses one. */
export function normalizeResourceType(type: string): ResourceType | null {
  if (type === 'project' || type === 'projects') return 'project';
  if (type === 'organization' || type === 'organizations') return 'organization';
  return null;
}
