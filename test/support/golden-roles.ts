/**
 * The golden table of built-in roles: every built-in project and organization role, who it applies
 * to, and exactly which (permission, action) pairs it grants.
 *
 * It is written out by hand, on purpose, and imports nothing from `src/`: tests that need to know
 * what a role may do (the authorization matrix, the permission checks) take their expectations from
 * here, not from the production table in `src/model/roles.ts`, so a wrong grant there fails a test
 * instead of moving the expectation with it. `test/unit/golden-roles.test.ts` compares the two role
 * by role. Changing a built-in role therefore means changing it in both places, deliberately.
 *
 * Sources: Sanity's published permission catalog (names, types and actions of the predefined
 * permissions) and its role descriptions; where those are silent (the exact grants of each role,
 * the activity-log permissions, the auditor and deploy-studio roles), the choices documented in
 * docs/reference/roles.md and docs/decisions.md.
 */

export type GoldenResourceType = 'project' | 'organization';

export interface GoldenPermission {
  name: string;
  action: string;
  params?: Record<string, unknown>;
}

export interface GoldenRole {
  name: string;
  title: string;
  appliesToUsers: boolean;
  appliesToRobots: boolean;
  permissions: readonly GoldenPermission[];
}

/** The predefined permissions: name → type and actions. */
export const GOLDEN_PERMISSIONS: Readonly<
  Record<string, { resourceType: GoldenResourceType; type: string; actions: readonly string[] }>
> = {
  'sanity-document-filter-all-documents': {
    resourceType: 'project',
    type: 'sanity.document.filter',
    actions: ['create', 'read', 'update', 'manage', 'history', 'editHistory'],
  },
  'sanity-document-filter-drafts': {
    resourceType: 'project',
    type: 'sanity.document.filter',
    actions: ['create', 'read', 'update', 'manage', 'history', 'editHistory'],
  },
  'sanity-document-filter-images': {
    resourceType: 'project',
    type: 'sanity.document.filter',
    actions: ['create', 'read', 'update', 'manage', 'history', 'editHistory'],
  },
  'sanity-document-filter-files': {
    resourceType: 'project',
    type: 'sanity.document.filter',
    actions: ['create', 'read', 'update', 'manage', 'history', 'editHistory'],
  },
  'sanity-all-documents': { resourceType: 'project', type: 'sanity.document.filter.mode', actions: ['mode'] },
  'sanity-project': {
    resourceType: 'project',
    type: 'sanity.project',
    actions: ['read', 'update', 'delete', 'createSession', 'deployStudio'],
  },
  'sanity-project-members': {
    resourceType: 'project',
    type: 'sanity.project.members',
    actions: ['invite', 'read', 'update', 'delete'],
  },
  'sanity-project-roles': {
    resourceType: 'project',
    type: 'sanity.project.roles',
    actions: ['create', 'read', 'update', 'delete'],
  },
  'sanity-project-tokens': { resourceType: 'project', type: 'sanity.project.tokens', actions: ['read', 'create', 'delete'] },
  'sanity-project-datasets': {
    resourceType: 'project',
    type: 'sanity.project.datasets',
    actions: ['read', 'create', 'update', 'delete'],
  },
  'sanity-project-tags': {
    resourceType: 'project',
    type: 'sanity.project.tags',
    actions: ['read', 'create', 'update', 'delete'],
  },
  'sanity-project-cors': { resourceType: 'project', type: 'sanity.project.cors', actions: ['read', 'create', 'delete'] },
  'sanity-project-webhooks': {
    resourceType: 'project',
    type: 'sanity.project.webhooks',
    actions: ['read', 'create', 'update', 'delete'],
  },
  'sanity-project-graphql': { resourceType: 'project', type: 'sanity.project.graphql', actions: ['manage'] },
  'sanity-project-usage': { resourceType: 'project', type: 'sanity.project.usage', actions: ['read'] },
  'sanity-project-activity': { resourceType: 'project', type: 'sanity.project.activity', actions: ['read'] },
  'sanity-organization': { resourceType: 'organization', type: 'sanity.organization', actions: ['read', 'update', 'delete'] },
  'sanity-organization-members': {
    resourceType: 'organization',
    type: 'sanity.organization.members',
    actions: ['invite', 'read', 'update', 'delete'],
  },
  'sanity-organization-roles': {
    resourceType: 'organization',
    type: 'sanity.organization.roles',
    actions: ['create', 'read', 'update', 'delete'],
  },
  'sanity-organization-tokens': {
    resourceType: 'organization',
    type: 'sanity.organization.tokens',
    actions: ['read', 'create', 'delete'],
  },
  'sanity-organization-projects': {
    resourceType: 'organization',
    type: 'sanity.organization.projects',
    actions: ['read', 'create', 'attach', 'detach'],
  },
  'sanity-organization-sso': { resourceType: 'organization', type: 'sanity.organization.sso', actions: ['read', 'update'] },
  'sanity-organization-legal': { resourceType: 'organization', type: 'sanity.organization.legal', actions: ['read', 'update'] },
  'sanity-organization-activity': { resourceType: 'organization', type: 'sanity.organization.activity', actions: ['read'] },
};

/** `name: 'a b c'` → one entry per listed action. Only a notation: every action is still spelled out. */
function grant(name: string, actions: string): GoldenPermission[] {
  return actions.split(' ').map((action) => ({ name, action }));
}

const DOCUMENTS_ALL = 'create read update manage history editHistory';
const publish: GoldenPermission = { name: 'sanity-all-documents', action: 'mode', params: { mode: 'publish', history: true } };
const createDrafts: GoldenPermission = {
  name: 'sanity-all-documents',
  action: 'mode',
  params: { mode: 'create', history: true },
};
const readOnly: GoldenPermission = { name: 'sanity-all-documents', action: 'mode', params: { mode: 'read', history: false } };

export const GOLDEN_PROJECT_ROLES: readonly GoldenRole[] = [
  {
    name: 'administrator',
    title: 'Administrator',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [
      ...grant('sanity-document-filter-all-documents', DOCUMENTS_ALL),
      ...grant('sanity-document-filter-drafts', DOCUMENTS_ALL),
      ...grant('sanity-document-filter-images', DOCUMENTS_ALL),
      ...grant('sanity-document-filter-files', DOCUMENTS_ALL),
      publish,
      ...grant('sanity-project', 'read update delete createSession deployStudio'),
      ...grant('sanity-project-members', 'invite read update delete'),
      ...grant('sanity-project-roles', 'create read update delete'),
      ...grant('sanity-project-tokens', 'read create delete'),
      ...grant('sanity-project-datasets', 'read create update delete'),
      ...grant('sanity-project-tags', 'read create update delete'),
      ...grant('sanity-project-cors', 'read create delete'),
      ...grant('sanity-project-webhooks', 'read create update delete'),
      ...grant('sanity-project-graphql', 'manage'),
      ...grant('sanity-project-usage', 'read'),
      ...grant('sanity-project-activity', 'read'),
    ],
  },
  {
    name: 'developer',
    title: 'Developer',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [
      ...grant('sanity-document-filter-all-documents', DOCUMENTS_ALL),
      publish,
      ...grant('sanity-project', 'read createSession deployStudio'),
      ...grant('sanity-project-members', 'read'),
      ...grant('sanity-project-roles', 'read'),
      ...grant('sanity-project-tokens', 'read create delete'),
      ...grant('sanity-project-datasets', 'read create update delete'),
      ...grant('sanity-project-tags', 'read create update delete'),
      ...grant('sanity-project-cors', 'read create delete'),
      ...grant('sanity-project-webhooks', 'read create update delete'),
      ...grant('sanity-project-graphql', 'manage'),
      ...grant('sanity-project-usage', 'read'),
    ],
  },
  {
    name: 'editor',
    title: 'Editor',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [
      ...grant('sanity-document-filter-all-documents', DOCUMENTS_ALL),
      publish,
      ...grant('sanity-project', 'read createSession'),
      ...grant('sanity-project-members', 'read'),
      ...grant('sanity-project-roles', 'read'),
      ...grant('sanity-project-datasets', 'read'),
      ...grant('sanity-project-tags', 'read'),
    ],
  },
  {
    name: 'contributor',
    title: 'Contributor',
    appliesToUsers: true,
    appliesToRobots: false,
    permissions: [
      ...grant('sanity-document-filter-all-documents', 'read history'),
      ...grant('sanity-document-filter-drafts', 'create read update history'),
      createDrafts,
      ...grant('sanity-project', 'read createSession'),
      ...grant('sanity-project-members', 'read'),
      ...grant('sanity-project-roles', 'read'),
      ...grant('sanity-project-datasets', 'read'),
      ...grant('sanity-project-tags', 'read'),
    ],
  },
  {
    name: 'viewer',
    title: 'Viewer',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [
      ...grant('sanity-document-filter-all-documents', 'read history'),
      readOnly,
      ...grant('sanity-project', 'read createSession'),
      ...grant('sanity-project-members', 'read'),
      ...grant('sanity-project-roles', 'read'),
      ...grant('sanity-project-datasets', 'read'),
      ...grant('sanity-project-tags', 'read'),
    ],
  },
  {
    name: 'auditor',
    title: 'Auditor',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [...grant('sanity-project-activity', 'read')],
  },
  {
    name: 'deploy-studio',
    title: 'Deploy Studio (Token only)',
    appliesToUsers: false,
    appliesToRobots: true,
    permissions: [...grant('sanity-project', 'read deployStudio'), ...grant('sanity-project-graphql', 'manage')],
  },
];

export const GOLDEN_ORGANIZATION_ROLES: readonly GoldenRole[] = [
  {
    name: 'administrator',
    title: 'Administrator',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [
      ...grant('sanity-organization', 'read update delete'),
      ...grant('sanity-organization-members', 'invite read update delete'),
      ...grant('sanity-organization-roles', 'create read update delete'),
      ...grant('sanity-organization-tokens', 'read create delete'),
      ...grant('sanity-organization-projects', 'read create attach detach'),
      ...grant('sanity-organization-sso', 'read update'),
      ...grant('sanity-organization-legal', 'read update'),
      ...grant('sanity-organization-activity', 'read'),
    ],
  },
  {
    name: 'member',
    title: 'Member',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [
      ...grant('sanity-organization', 'read'),
      ...grant('sanity-organization-members', 'read'),
      ...grant('sanity-organization-roles', 'read'),
      ...grant('sanity-organization-projects', 'read'),
    ],
  },
  {
    name: 'auditor',
    title: 'Auditor',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [...grant('sanity-organization-activity', 'read')],
  },
];

export function goldenRoles(type: GoldenResourceType): readonly GoldenRole[] {
  return type === 'project' ? GOLDEN_PROJECT_ROLES : GOLDEN_ORGANIZATION_ROLES;
}

export function goldenRole(type: GoldenResourceType, name: string): GoldenRole | undefined {
  return goldenRoles(type).find((role) => role.name === name);
}

/** The `<type>.<action>` strings one golden role allows. */
export function goldenGrantsOfRole(role: GoldenRole): Set<string> {
  const out = new Set<string>();
  for (const p of role.permissions) {
    const permission = GOLDEN_PERMISSIONS[p.name];
    if (!permission) throw new Error(`golden role ${role.name} names unknown permission ${p.name}`);
    out.add(`${permission.type}.${p.action}`);
  }
  return out;
}

/**
 * The `<type>.<action>` strings the union of the named built-in roles allows on a resource type.
 * An unknown role name is a mistake in the test, not "no grants": it throws.
 */
export function goldenGrants(type: GoldenResourceType, roleNames: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const name of roleNames) {
    const role = goldenRole(type, name);
    if (!role) throw new Error(`no built-in ${type} role ${name} in the golden table`);
    for (const g of goldenGrantsOfRole(role)) out.add(g);
  }
  return out;
}
