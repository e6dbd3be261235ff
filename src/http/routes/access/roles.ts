import { Type } from 'typebox';
import { accessOf, defineRoute, resourceOf } from '../../route.js';
import { Empty, PageOf, PageQuery, ResourceParams, Role } from '../../schemas.js';

const NAME_PATTERN = '^[a-z0-9_-]{1,64}$';

const RoleName = (description: string) => Type.String({ pattern: NAME_PATTERN, maxLength: 64, description });

const RoleParams = Type.Object({ ...ResourceParams.properties, roleName: RoleName('Role name') });

/** One permission a role grants: a permission name and one of its type's actions. */
const RolePermissionInput = Type.Object(
  {
    name: RoleName('A predefined permission of the resource type, or a custom permission of the resource'),
    action: Type.String({ minLength: 1, maxLength: 64, description: 'One of the actions of the permission’s type' }),
    params: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
        Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean(), Type.Null()]),
        { maxProperties: 20, additionalProperties: false, description: 'e.g. `{"mode": "publish", "history": true}`' },
      ),
    ),
  },
  { additionalProperties: false },
);

const roleBodyProperties = {
  title: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 1000, description: 'Default: empty.' })),
  appliesToUsers: Type.Boolean({ description: 'Whether people may hold the role.' }),
  appliesToRobots: Type.Boolean({ description: 'Whether robots (API tokens) may hold the role.' }),
  permissions: Type.Array(RolePermissionInput, {
    minItems: 1,
    maxItems: 100,
    description: 'What the role grants; duplicates collapse.',
  }),
};

export const CreateRoleBody = Type.Object(
  { name: RoleName('Unique on the resource; not a built-in role name'), ...roleBodyProperties },
  { additionalProperties: false },
);

export const UpdateRoleBody = Type.Object(
  { name: Type.Optional(RoleName('If present, must equal the name in the path')), ...roleBodyProperties },
  { additionalProperties: false },
);

const WRITE_NOTE =
  'You must hold every permission the role would grant (`privilege_escalation` otherwise). Built-in roles are read-only.';

export const accessRoleRoutes = [
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/roles',
    summary: 'List the roles available on a project or organization',
    description:
      'Built-in roles first, then custom roles by name. `appliesToRobots` tells which roles a robot token may hold; `appliesToUsers` which a person may. On an organization, `includeChildren=true` also lists the custom roles of its projects.',
    tags: ['Access: roles'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.roles.read' },
    params: ResourceParams,
    query: Type.Object({
      ...PageQuery.properties,
      includeChildren: Type.Optional(Type.Boolean({ description: 'On an organization: also the custom roles of its projects.' })),
      includeImpliedRoles: Type.Optional(Type.Boolean({ description: 'Accepted for compatibility.' })),
    }),
    response: PageOf(Role),
    handler: (ctx) =>
      ctx.services.roles.list(resourceOf(ctx), {
        cursor: ctx.query.nextCursor,
        limit: ctx.query.limit,
        includeChildren: ctx.query.includeChildren,
      }),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/:resourceType/:resourceId/roles',
    summary: 'Create a custom role',
    description: `Returns 201 with the role. ${WRITE_NOTE}`,
    tags: ['Access: roles'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.roles.create',
      managesAccess: true,
    },
    params: ResourceParams,
    body: CreateRoleBody,
    status: 201,
    response: Role,
    handler: (ctx) => ctx.services.roles.create(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.body),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/roles/:roleName',
    summary: 'Get a role and its permissions',
    tags: ['Access: roles'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.roles.read' },
    params: RoleParams,
    response: Role,
    handler: (ctx) => ctx.services.roles.get(resourceOf(ctx), ctx.params.roleName),
  }),
  defineRoute({
    method: 'PUT',
    path: '/access/:resourceType/:resourceId/roles/:roleName',
    summary: 'Replace a custom role',
    description: `Full replacement: the body is the whole role. Its holders must still qualify for it (\`role_in_use\`), and someone must still be able to manage access (\`last_access_manager\`). ${WRITE_NOTE}`,
    tags: ['Access: roles'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.roles.update',
      managesAccess: true,
    },
    params: RoleParams,
    body: UpdateRoleBody,
    response: Role,
    handler: (ctx) => ctx.services.roles.update(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.params.roleName, ctx.body),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/access/:resourceType/:resourceId/roles/:roleName',
    summary: 'Delete a custom role nobody holds',
    description: 'A role still held by a member or robot is a 409 `role_in_use` that names them. Built-in roles are read-only.',
    tags: ['Access: roles'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.roles.delete',
      managesAccess: true,
    },
    params: RoleParams,
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.roles.remove(ctx.actor, resourceOf(ctx), ctx.params.roleName);
    },
  }),
];
