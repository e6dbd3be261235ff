import { Type } from 'typebox';
import { DEFAULT_LIMIT } from '../../../model/pagination.js';
import { accessOf, defineRoute, resourceOf } from '../../route.js';
import { AccessUser, Empty, Id, PageOf, PageQuery, ResourceParams } from '../../schemas.js';

const UserParams = Type.Object({ ...ResourceParams.properties, userId: Id('Gatehouse user id (`g…`)') });

const RoleName = Type.String({ pattern: '^[a-z0-9_-]{1,64}$', maxLength: 64, description: 'Role name' });

const UserRoleParams = Type.Object({ ...UserParams.properties, roleName: RoleName });

export const SetUserRolesBody = Type.Object(
  {
    roleNames: Type.Array(RoleName, {
      maxItems: 20,
      description: 'The complete new set of roles, at least one (an empty list is refused with 409 `last_role`).',
    }),
  },
  { additionalProperties: false },
);

/** What every role change requires, and what it checks. */
const CHANGES_ROLES = {
  accepts: ['user', 'robot'],
  resource: 'path',
  permission: 'sanity.{resourceType}.members.update',
  managesAccess: true,
} as const;

const ROLE_RULES =
  'The user must already be a member (new members are added by invitation; robots change roles through their robot). ' +
  'You can only grant or revoke roles whose permissions you hold, and only administrators grant or revoke `administrator`. ' +
  'Refused with 409 when it would leave no person able to manage the members.';

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
    method: 'PUT',
    path: '/access/:resourceType/:resourceId/users/:userId/roles',
    summary: "Replace a user's roles on a project or organization",
    description: `New roles are assigned before the old ones are revoked; a member keeps at least one role. ${ROLE_RULES}`,
    tags: ['Access: users'],
    policy: CHANGES_ROLES,
    params: UserParams,
    body: SetUserRolesBody,
    response: AccessUser,
    handler: (ctx) =>
      ctx.services.members.setRoles(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.params.userId, ctx.body.roleNames),
  }),
  defineRoute({
    method: 'PUT',
    path: '/access/:resourceType/:resourceId/users/:userId/roles/:roleName',
    summary: 'Give a user one more role on a project or organization',
    description: `Idempotent: adding a role the user already holds changes nothing. ${ROLE_RULES}`,
    tags: ['Access: users'],
    policy: CHANGES_ROLES,
    params: UserRoleParams,
    response: AccessUser,
    handler: (ctx) =>
      ctx.services.members.addRole(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.params.userId, ctx.params.roleName),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/access/:resourceType/:resourceId/users/:userId/roles/:roleName',
    summary: 'Take one role away from a user on a project or organization',
    description: `404 \`role_not_held\` if the user does not hold it; 409 \`last_role\` for the user's last role (remove the member instead). ${ROLE_RULES}`,
    tags: ['Access: users'],
    policy: CHANGES_ROLES,
    params: UserRoleParams,
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.members.removeRole(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.params.userId, ctx.params.roleName);
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/access/:resourceType/:resourceId/users/:userId',
    summary: 'Remove a user from a project or organization',
    description:
      'Removing takes all of the user’s roles away, so it follows the rules of revoking them: you must hold every permission of their roles, and only administrators remove an administrator (403 `administrator_only`). Refused with 409 when it would leave no person able to manage the members.',
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
      await ctx.services.members.remove(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.params.userId);
    },
  }),
];
