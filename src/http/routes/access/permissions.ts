import { Type } from 'typebox';
import { defineRoute, resourceOf } from '../../route.js';
import { Empty, PageOf, PageQuery, Permission, ResourceParams } from '../../schemas.js';

const PermissionName = (description: string) => Type.String({ pattern: '^[a-z0-9_-]{1,64}$', maxLength: 64, description });

const PermissionParams = Type.Object({ ...ResourceParams.properties, permissionName: PermissionName('Permission name') });

const permissionBodyProperties = {
  type: Type.String({
    maxLength: 100,
    description: 'A permission type of the resource type, e.g. `sanity.project.members` or `sanity.document.filter`.',
  }),
  title: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 1000, description: 'Default: empty.' })),
  config: Type.Optional(
    Type.Object(
      {
        filter: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 2000,
            description: 'GROQ filter; required for `sanity.document.filter`. Stored, never evaluated.',
          }),
        ),
        dataset: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', maxLength: 64 })),
      },
      { additionalProperties: false },
    ),
  ),
};

export const CreatePermissionBody = Type.Object(
  { name: PermissionName('Unique on the resource; not a predefined permission name'), ...permissionBodyProperties },
  { additionalProperties: false },
);

export const UpdatePermissionBody = Type.Object(
  { name: Type.Optional(PermissionName('If present, must equal the name in the path')), ...permissionBodyProperties },
  { additionalProperties: false },
);

export const accessPermissionRoutes = [
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/permissions',
    summary: 'List the permissions roles can use on a project or organization',
    description: 'Predefined permissions of the resource type first, then the resource’s custom permissions by name.',
    tags: ['Access: permissions'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.roles.read' },
    params: ResourceParams,
    query: PageQuery,
    response: PageOf(Permission),
    handler: (ctx) => ctx.services.permissions.list(resourceOf(ctx), ctx.query.nextCursor, ctx.query.limit),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/:resourceType/:resourceId/permissions',
    summary: 'Create a custom permission',
    description: 'Returns 201 with the permission. Custom roles of the same resource can then use it.',
    tags: ['Access: permissions'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.roles.create',
      managesAccess: true,
    },
    params: ResourceParams,
    body: CreatePermissionBody,
    status: 201,
    response: Permission,
    handler: (ctx) => ctx.services.permissions.create(ctx.actor, resourceOf(ctx), ctx.body),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/permissions/:permissionName',
    summary: 'Get a permission',
    tags: ['Access: permissions'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.roles.read' },
    params: PermissionParams,
    response: Permission,
    handler: (ctx) => ctx.services.permissions.get(resourceOf(ctx), ctx.params.permissionName),
  }),
  defineRoute({
    method: 'PUT',
    path: '/access/:resourceType/:resourceId/permissions/:permissionName',
    summary: 'Replace a custom permission',
    description:
      'Full replacement. Title, description and config may always change; the type only while no custom role uses the permission (`permission_in_use`). Predefined permissions are read-only.',
    tags: ['Access: permissions'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.roles.update',
      managesAccess: true,
    },
    params: PermissionParams,
    body: UpdatePermissionBody,
    response: Permission,
    handler: (ctx) => ctx.services.permissions.update(ctx.actor, resourceOf(ctx), ctx.params.permissionName, ctx.body),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/access/:resourceType/:resourceId/permissions/:permissionName',
    summary: 'Delete a custom permission no role uses',
    description: 'A permission used by a custom role is a 409 `permission_in_use` that names the roles.',
    tags: ['Access: permissions'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.roles.delete',
      managesAccess: true,
    },
    params: PermissionParams,
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.permissions.remove(ctx.actor, resourceOf(ctx), ctx.params.permissionName);
    },
  }),
];
