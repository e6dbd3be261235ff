/**
 * The roles of a project in the legacy Projects API shape (`/projects/{projectId}/roles`), read-only.
 * Sanity's CLI reads them before `users invite --role` (`name, title, description,
 * appliesToUsers`) and, in 7.x, before `tokens add --role` (`name, appliesToRobots`); Studio reads
 * them on its request-access screen. Roles are created and changed through the Access API
 * (`/access/project/{id}/roles`), which these answers mirror.
 */
import { Type } from 'typebox';
import { defineRoute } from '../route.js';
import { Id } from '../schemas.js';

const LegacyPermission = Type.Object({
  name: Type.String({ description: 'Permission name, e.g. `sanity-project-members`.' }),
  title: Type.String(),
  description: Type.String(),
  isCustom: Type.Boolean(),
  grants: Type.Array(
    Type.Object({
      name: Type.String({ description: 'The action, e.g. `read`.' }),
      params: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
});

const LegacyRole = Type.Object({
  name: Type.String(),
  title: Type.String({ description: 'A custom role’s own title; a built-in role’s standard one.' }),
  description: Type.String(),
  isCustom: Type.Boolean(),
  projectId: Type.String(),
  appliesToUsers: Type.Boolean({ description: 'Whether a person may hold it (what `users invite --role` offers).' }),
  appliesToRobots: Type.Boolean({ description: 'Whether a robot token may hold it (what `tokens add --role` offers).' }),
  grants: Type.Record(Type.String(), Type.Array(LegacyPermission), {
    description:
      'The role’s permissions grouped by permission type: type → `[{name, title, description, isCustom, grants: [{name: <action>, params}]}]`.',
  }),
});

const TAGS = ['Projects: roles (legacy)'];
const policy = { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.roles.read' } as const;

export const projectRoleRoutes = [
  defineRoute({
    method: 'GET',
    path: '/projects/:projectId/roles',
    summary: 'List the roles of a project (legacy shape; prefer /access/project/{id}/roles)',
    description:
      'A plain array: built-in roles first, then custom roles by name. Read-only: roles are managed through the Access API.',
    tags: TAGS,
    policy,
    params: Type.Object({ projectId: Id('Project id') }),
    response: Type.Array(LegacyRole),
    handler: (ctx) => ctx.services.roles.legacyList(ctx.params.projectId),
  }),
  defineRoute({
    method: 'GET',
    path: '/projects/:projectId/roles/:roleName',
    summary: 'Get one role of a project (legacy shape)',
    description: 'An unknown role is a 404 `role_not_found`, with `reason.didYouMean` when the name looks like a typo.',
    tags: TAGS,
    policy,
    params: Type.Object({
      projectId: Id('Project id'),
      roleName: Type.String({ pattern: '^[a-z0-9_-]{1,64}$', maxLength: 64, description: 'Role name' }),
    }),
    response: LegacyRole,
    handler: (ctx) => ctx.services.roles.legacyGet(ctx.params.projectId, ctx.params.roleName),
  }),
];
