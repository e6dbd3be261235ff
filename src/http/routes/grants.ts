import { Type } from 'typebox';
import { MAX_GRANT_RESOURCES } from '../../services/access.js';
import { accessOf, defineRoute, principalOf } from '../route.js';
import { Id } from '../schemas.js';

const Grants = Type.Record(
  Type.String(),
  Type.Array(
    Type.Object({
      grants: Type.Array(Type.Object({ name: Type.String(), params: Type.Record(Type.String(), Type.Unknown()) })),
    }),
  ),
  {
    description:
      'Permission type → `[{"grants": [{"name": "<action>", "params": {}}, …]}]`: one entry per type held, actions sorted.',
  },
);

export const grantRoutes = [
  defineRoute({
    method: 'GET',
    path: '/projects/:projectId/grants',
    summary: 'Your grants on a project (legacy shape)',
    description: 'The permissions you hold on the project, grouped by permission type, as the legacy Roles API returns them.',
    tags: ['Grants'],
    policy: { accepts: ['user', 'robot'], resource: 'project' },
    params: Type.Object({ projectId: Id('Project id') }),
    response: Grants,
    handler: (ctx) => ctx.services.access.grants(accessOf(ctx)),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:organizationId/grants',
    summary: 'Your grants on an organization (legacy shape)',
    description: 'The permissions you hold on the organization, grouped by permission type.',
    tags: ['Grants'],
    policy: { accepts: ['user', 'robot'], resource: 'organization' },
    params: Type.Object({ organizationId: Id('Organization id (`o…`)') }),
    response: Grants,
    handler: (ctx) => ctx.services.access.grants(accessOf(ctx)),
  }),
  defineRoute({
    method: 'GET',
    path: '/users/me/grants',
    summary: 'Your grants: on the project in context, or on every project and organization you belong to',
    description: `\`{"organizations": {"<id>": <grants>}, "projects": {"<id>": <grants>}}\`, as Sanity's CLI reads it, over your memberships: at most ${MAX_GRANT_RESOURCES} of them (organizations first, then projects, by id). A project's grants include what your organization roles imply there. In a project context (\`<projectId>.api.\` host or \`X-Sanity-Project-ID\`) only that project is listed, and it is a 404 if you are not a member.`,
    tags: ['Grants'],
    policy: { accepts: ['user', 'robot'] },
    response: Type.Object({
      organizations: Type.Record(Type.String(), Grants),
      projects: Type.Record(Type.String(), Grants),
    }),
    handler: (ctx) => ctx.services.access.myGrants(principalOf(ctx), ctx.projectId),
  }),
];
