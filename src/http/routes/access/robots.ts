import { Type } from 'typebox';
import { DEFAULT_LIMIT } from '../../../model/pagination.js';
import { MAX_USAGE_DAYS } from '../../../services/usage.js';
import { accessOf, defineRoute, resourceOf, robotPrincipal } from '../../route.js';
import {
  Empty,
  Id,
  Nullable,
  PageOf,
  PageQuery,
  ResourceParams,
  ResourceTypeParam,
  Robot,
  RobotWithToken,
  Timestamp,
} from '../../schemas.js';

const RobotParams = Type.Object({ ...ResourceParams.properties, robotId: Id('Robot id (`r…`)') });

export const RobotUsage = Type.Object({
  robotId: Type.String(),
  resourceType: Type.String(),
  resourceId: Type.String(),
  days: Type.Integer(),
  from: Timestamp,
  to: Timestamp,
  rolesHeld: Type.Array(Type.String()),
  permissions: Type.Array(
    Type.Object({
      permission: Type.String({ description: 'What a route checked, e.g. `sanity.project.members.read`' }),
      resourceType: Type.String(),
      resourceId: Type.String({ description: 'Where (an organization robot also acts on the organization’s projects)' }),
      count: Type.Integer({ description: 'Allowed requests in the window' }),
      lastUsedAt: Timestamp,
    }),
  ),
  unusedPermissions: Type.Array(Type.String(), { description: 'Granted by the robot’s roles, never exercised in the window' }),
  smallestRole: Nullable(
    Type.Object({
      name: Type.String(),
      title: Type.String(),
      isCustom: Type.Boolean(),
      grantCount: Type.Integer({ description: 'How many `<type>.<action>` grants the role carries' }),
    }),
  ),
});

export const CreateRobotBody = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 200, description: 'What the token is for, e.g. "CI deploys".' }),
    memberships: Type.Array(
      Type.Object(
        {
          resourceType: ResourceTypeParam,
          resourceId: Id('Must be the resource in the path'),
          roleNames: Type.Array(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' }), { minItems: 1, maxItems: 20 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1 },
    ),
    expiresAt: Type.Optional(
      Type.Union([Timestamp, Type.Null()], { description: 'When the token stops working; null or absent: never.' }),
    ),
  },
  { additionalProperties: false },
);

export const UpdateRobotBody = Type.Object(
  {
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    expiresAt: Type.Optional(
      Type.Union([Timestamp, Type.Null()], {
        description:
          "When the robot's token stops working, in the future; null: never. Limited by the organization's robotTokenMaxLifetimeDays.",
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

/**
 * The rotation body is optional (the official CLI sends none): its `default` stands in for a
 * missing body (see the validator in http/app.ts).
 */
export const RotateRobotBody = Type.Object(
  {
    gracePeriodSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 86_400,
        description: 'How long the replaced token keeps working, so deployments can switch over; 0 (default): it stops now.',
      }),
    ),
  },
  { additionalProperties: false, default: {} },
);

export const RobotPolicy = Type.Object({
  organizationId: Nullable(Type.String({ description: 'The organization whose policy governs these robots; null: none.' })),
  robotTokenMaxLifetimeDays: Nullable(
    Type.Integer({
      description: 'Longest a robot token may live, in days from its creation or last change of expiry; null: no limit.',
    }),
  ),
  latestExpiresAt: Nullable(
    Type.String({
      format: 'date-time',
      description: 'The latest `expiresAt` a robot created now may have; null: no limit (and no expiry is allowed).',
    }),
  ),
});

export const accessRobotRoutes = [
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/robots',
    summary: 'List the robots (API tokens) of a project or organization',
    description:
      'Secrets are never listed; `tokenHint` shows the last four characters of the current token (after a rotation, the new one).',
    tags: ['Access: robots'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.tokens.read' },
    params: ResourceParams,
    query: Type.Object({
      ...PageQuery.properties,
      includeChildren: Type.Optional(
        Type.Boolean({
          description:
            "On an organization: also list the robots of the organization's projects, in the same order and pages. Ignored on a project.",
        }),
      ),
    }),
    response: PageOf(Robot),
    handler: (ctx) =>
      ctx.services.robots.list(
        resourceOf(ctx),
        ctx.query.nextCursor,
        ctx.query.limit ?? DEFAULT_LIMIT,
        ctx.query.includeChildren ?? false,
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/:resourceType/:resourceId/robots',
    summary: 'Create a robot and its token',
    description:
      'Returns 201 with the secret in `token`, the only time it is ever shown. The roles must apply to robots, and you must hold every permission they contain.',
    tags: ['Access: robots'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.tokens.create',
      managesAccess: true,
    },
    params: ResourceParams,
    query: Type.Object({ sendNotification: Type.Optional(Type.Boolean()) }),
    body: CreateRobotBody,
    status: 201,
    response: RobotWithToken,
    handler: (ctx) => ctx.services.robots.create(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.body),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/robots/:robotId',
    summary: 'Get a robot (never its secret)',
    tags: ['Access: robots'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.tokens.read' },
    params: RobotParams,
    response: Robot,
    handler: (ctx) => ctx.services.robots.get(resourceOf(ctx), ctx.params.robotId),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/robots/:robotId/usage',
    summary: 'The permissions a robot exercised, and the smallest role that covers them',
    description: `Least privilege, measured: every permission the robot's requests were allowed by in the last \`days\` days (1–${MAX_USAGE_DAYS}, default 30, counted per UTC day), how often and when last; the permissions its roles grant that it never used; and the smallest built-in or custom role of the resource that covers what it used (null when none does). Counted in memory on each node and written every minute, so the last minute of other nodes may be missing.`,
    tags: ['Access: robots'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.tokens.read' },
    params: RobotParams,
    query: Type.Object(
      {
        days: Type.Optional(
          Type.Integer({ minimum: 1, maximum: MAX_USAGE_DAYS, description: 'The window, in days (default 30).' }),
        ),
      },
      { additionalProperties: false },
    ),
    response: RobotUsage,
    handler: (ctx) => ctx.services.usage.report(resourceOf(ctx), ctx.params.robotId, ctx.query.days ?? 30),
  }),
  defineRoute({
    method: 'PUT',
    path: '/access/:resourceType/:resourceId/robots/:robotId',
    summary: 'Change a robot’s label or expiry',
    description:
      "A new `expiresAt` must lie in the future and within the organization's `robotTokenMaxLifetimeDays`; changing it needs the right to grant the robot's roles. The token itself is unchanged.",
    tags: ['Access: robots'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.tokens.create',
      managesAccess: true,
    },
    params: RobotParams,
    body: UpdateRobotBody,
    response: Robot,
    handler: (ctx) => ctx.services.robots.update(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.params.robotId, ctx.body),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/access/:resourceType/:resourceId/robots/:robotId',
    summary: 'Delete a robot; its token stops working on the next request',
    description:
      'Deleting takes the robot’s roles away, so it follows the rules of revoking them: you must hold every permission of its roles, and only administrators delete an administrator robot (403 `administrator_only`).',
    tags: ['Access: robots'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.tokens.delete',
      managesAccess: true,
    },
    params: RobotParams,
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.robots.remove(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.params.robotId);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/access/:resourceType/:resourceId/robots/:robotId/rotate',
    summary: 'Rotate a robot’s token',
    description:
      'For whoever manages the resource’s tokens (a robot rotates its own with `POST /access/robots/me/rotate`). Returns the robot with a new secret in `token`, shown once. The current token keeps working for `gracePeriodSeconds` (default 0: it stops now); any older token still in a grace period stops at once. You must be able to grant the robot’s roles. The body is optional.',
    tags: ['Access: robots'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.tokens.create',
      managesAccess: true,
    },
    params: RobotParams,
    body: RotateRobotBody,
    response: RobotWithToken,
    handler: (ctx) =>
      ctx.services.robots.rotateFor(
        ctx.actor,
        resourceOf(ctx),
        accessOf(ctx),
        ctx.params.robotId,
        ctx.body?.gracePeriodSeconds ?? 0,
      ),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/robot-policy',
    summary: 'The rules new robots of a project or organization are created under',
    description:
      'The robot token lifetime limit of the governing organization (`robotTokenMaxLifetimeDays` in `/organizations/{id}/policies`), readable by whoever may see the resource’s robots, and the latest `expiresAt` it allows from now. Creating a robot past it is refused with 400 `token_lifetime_exceeded`.',
    tags: ['Access: robots'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.tokens.read' },
    params: ResourceParams,
    response: RobotPolicy,
    handler: (ctx) => ctx.services.robots.policy(resourceOf(ctx)),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/robots/me',
    summary: 'The robot whose token makes the call',
    tags: ['Access: robots'],
    policy: { accepts: ['robot'], note: 'it describes the calling robot token' },
    response: Robot,
    handler: (ctx) => ctx.services.robots.me(robotPrincipal(ctx)),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/robots/me/rotate',
    summary: 'Rotate the calling robot’s token',
    description:
      'Returns the robot (same id, label, roles and expiry) with a new secret in `token`, shown once. The calling token stops working after `gracePeriodSeconds` (default 0: at once), and then answers 401 `token_rotated`; any older token still in a grace period stops at once. The body is optional.',
    tags: ['Access: robots'],
    policy: {
      accepts: ['robot'],
      note: 'it replaces the calling robot token; people get new personal tokens by logging in again',
    },
    body: RotateRobotBody,
    response: RobotWithToken,
    handler: (ctx) => ctx.services.robots.rotate(ctx.actor, robotPrincipal(ctx), ctx.body?.gracePeriodSeconds ?? 0),
  }),
];
