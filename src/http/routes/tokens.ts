/** Legacy Projects API tokens (Sanity's deprecated /projects/{id}/tokens): a façade over robots, kept for older CLIs. */
import { Type } from 'typebox';
import { accessOf, defineRoute } from '../route.js';
import { Empty, Id, Nullable, Timestamp } from '../schemas.js';

const ProjectParams = Type.Object({ projectId: Id('Project id') });

const LegacyToken = Type.Object({
  id: Nullable(Type.String({ description: 'Token id (the robot’s `tokenId`).' })),
  label: Type.String(),
  projectUserId: Nullable(
    Type.String({
      description: 'The robot’s id: its member id in the project (`members[].id`), resolvable through `/users/{id}`.',
    }),
  ),
  projectId: Type.String(),
  createdAt: Timestamp,
  lastUsedAt: Nullable(Timestamp),
  roles: Type.Array(Type.Object({ name: Type.String(), title: Type.String() })),
});

export const legacyTokenRoutes = [
  defineRoute({
    method: 'GET',
    path: '/projects/:projectId/tokens',
    summary: 'List project tokens (legacy; prefer /access/project/{id}/robots)',
    tags: ['Projects: tokens (legacy)'],
    policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.tokens.read' },
    params: ProjectParams,
    response: Type.Array(LegacyToken),
    handler: (ctx) => ctx.services.robots.legacyList(ctx.params.projectId),
  }),
  defineRoute({
    method: 'POST',
    path: '/projects/:projectId/tokens',
    summary: 'Create a project token (legacy); the secret is returned once, in `key`',
    tags: ['Projects: tokens (legacy)'],
    policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.tokens.create', managesAccess: true },
    params: ProjectParams,
    body: Type.Object(
      {
        label: Type.String({ minLength: 1, maxLength: 200 }),
        roleName: Type.String({ pattern: '^[a-z0-9_-]{1,64}$' }),
      },
      { additionalProperties: false },
    ),
    status: 201,
    response: Type.Intersect([LegacyToken, Type.Object({ key: Type.String({ description: 'The secret, shown once.' }) })]),
    handler: (ctx) => ctx.services.robots.legacyCreate(ctx.actor, ctx.params.projectId, accessOf(ctx), ctx.body),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/projects/:projectId/tokens/:tokenId',
    summary: 'Delete a project token (legacy) and its robot',
    tags: ['Projects: tokens (legacy)'],
    policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.tokens.delete', managesAccess: true },
    params: Type.Object({ projectId: Id('Project id'), tokenId: Id('Token id (the robot’s own id is accepted too)') }),
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.robots.legacyRemove(ctx.actor, ctx.params.projectId, accessOf(ctx), ctx.params.tokenId);
    },
  }),
];
