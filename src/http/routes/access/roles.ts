import { Type } from 'typebox';
import { DEFAULT_LIMIT } from '../../../model/pagination.js';
import { defineRoute, resourceOf } from '../../route.js';
import { PageOf, PageQuery, ResourceParams, Role } from '../../schemas.js';

export const accessRoleRoutes = [
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/roles',
    summary: 'List the roles available on a project or organization',
    description: '`appliesToRobots` tells which roles a robot token may hold; `appliesToUsers` which a person may.',
    tags: ['Access: roles'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.roles.read' },
    params: ResourceParams,
    query: Type.Object({ ...PageQuery.properties, includeImpliedRoles: Type.Optional(Type.Boolean()) }),
    response: PageOf(Role),
    handler: (ctx) => ctx.services.roles.list(resourceOf(ctx), ctx.query.nextCursor, ctx.query.limit ?? DEFAULT_LIMIT),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/roles/:roleName',
    summary: 'Get a role and its permissions',
    tags: ['Access: roles'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.roles.read' },
    params: Type.Object({
      ...ResourceParams.properties,
      roleName: Type.String({ pattern: '^[a-z0-9_-]{1,64}$', description: 'Role name' }),
    }),
    response: Role,
    handler: (ctx) => ctx.services.roles.get(resourceOf(ctx), ctx.params.roleName),
  }),
];
