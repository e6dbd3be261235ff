import { Type } from 'typebox';
import { DEFAULT_LIMIT } from '../../../model/pagination.js';
import { defineRoute, resourceOf } from '../../route.js';
import { AccessUser, Empty, Id, PageOf, PageQuery, ResourceParams } from '../../schemas.js';

const UserParams = Type.Object({ ...ResourceParams.properties, userId: Id('Gatehouse user id (`g…`)') });

export const accessUserRoutes = [
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/users',
    summary: 'List the users of a project or organization, with their roles',
    description: 'Keyset-paginated: follow `nextCursor` until it is null. Robots are listed under `/robots`.',
    tags: ['Access: users'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.members.read' },
    params: ResourceParams,
    query: PageQuery,
    response: PageOf(AccessUser),
    handler: (ctx) => ctx.services.members.list(resourceOf(ctx), ctx.query.nextCursor, ctx.query.limit ?? DEFAULT_LIMIT),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/users/:userId',
    summary: 'Get one user of a project or organization, with their roles',
    tags: ['Access: users'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.members.read' },
    params: UserParams,
    response: AccessUser,
    handler: (ctx) => ctx.services.members.get(resourceOf(ctx), ctx.params.userId),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/access/:resourceType/:resourceId/users/:userId',
    summary: 'Remove a user from a project or organization',
    description: 'Refused with 409 when it would leave no person able to manage the members.',
    tags: ['Access: users'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.members.delete',
      managesAccess: true,
    },
    params: UserParams,
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.members.remove(ctx.actor, resourceOf(ctx), ctx.params.userId);
    },
  }),
];
