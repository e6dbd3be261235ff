import { Type } from 'typebox';
import { Problem } from '../../../model/errors.js';
import { normalizeResourceType } from '../../../model/permissions.js';
import { accessOf, defineRoute, resourceOf, userActor } from '../../route.js';
import { Id, Nullable, ResourceParams, StringEnum } from '../../schemas.js';

export const AccessRequest = Type.Object({
  id: Type.String(),
  status: StringEnum(['pending', 'accepted', 'declined', 'expired'] as const, {
    description: '`expired`: still pending after 14 days; it can no longer be accepted, and the person may ask again.',
  }),
  resourceId: Type.String(),
  resourceType: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  updatedByUserId: Nullable(Type.String()),
  requestedByUserId: Type.String(),
  requestedRole: Nullable(Type.String()),
  type: Type.String({ description: '`access` (join) or `role` (another role for a member).' }),
  note: Nullable(Type.String()),
});

/** A request as those who decide it see it: with who asked. */
export const AccessRequestWithRequester = Type.Intersect([
  AccessRequest,
  Type.Object({
    requestedBy: Nullable(
      Type.Object(
        { displayName: Type.String(), email: Type.String() },
        { description: 'Who asked (null: the account is gone).' },
      ),
    ),
  }),
]);

const RequestParams = Type.Object({ ...ResourceParams.properties, requestId: Id('Access request id') });

const RoleName = Type.String({ pattern: '^[a-z0-9_-]{1,64}$', maxLength: 64, description: 'Role name' });

const MANAGES_REQUESTS = {
  accepts: ['user', 'robot'],
  resource: 'path',
  permission: 'sanity.{resourceType}.members.invite',
  managesAccess: true,
} as const;

export const AcceptRequestBody = Type.Object(
  { roleNames: Type.Optional(Type.Array(RoleName, { minItems: 1, maxItems: 20, description: 'Roles to give.' })) },
  { additionalProperties: false },
);

export const accessRequestRoutes = [
  defineRoute({
    method: 'GET',
    path: '/access/requests/me',
    summary: 'List your own access requests, newest first',
    tags: ['Access: requests'],
    policy: { accepts: ['user'], note: 'access requests are made by people; a robot never asks for access' },
    response: Nullable(Type.Array(AccessRequest)),
    handler: (ctx) => ctx.services.accessRequests.mine(userActor(ctx).principal),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/requests',
    summary: 'List the access requests of a project or organization, newest first',
    description:
      'An array, not a page (as the reference): at most the 500 newest requests, each with who asked (`requestedBy`: name and e-mail address). On an organization, `includeChildren=true` adds the requests for its projects.',
    tags: ['Access: requests'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.members.read' },
    params: ResourceParams,
    query: Type.Object({
      includeChildren: Type.Optional(
        Type.Boolean({ description: "On an organization: also the requests for the organization's projects." }),
      ),
    }),
    response: Type.Array(AccessRequestWithRequester),
    handler: (ctx) => ctx.services.accessRequests.list(resourceOf(ctx), ctx.query.includeChildren ?? false),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/:resourceType/:resourceId/requests',
    summary: 'Ask for access to a project or organization, or for another role there',
    description:
      "Needs no membership: anybody who knows the id may ask. The answer is the caller's own request; a 404 (same as for any resource you cannot see) says only that no such resource exists. " +
      '409 `request_pending` while a request younger than 14 days is pending, 409 `request_declined` for 14 days after a decline, ' +
      '429 `request_limit` past 10 requests per person per 24 hours, 403 `requests_disabled` when the organization takes none, ' +
      '409 `already_member` when asking for `access` you already have. `requestedRole` is a suggestion to the approver and is not validated.',
    tags: ['Access: requests'],
    policy: {
      accepts: ['user'],
      note: 'a person asks for access for themselves; robots are given their roles when they are created',
    },
    params: ResourceParams,
    body: Type.Object(
      {
        note: Type.Optional(Type.String({ maxLength: 150, description: 'Why you ask (at most 150 characters).' })),
        requestUrl: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 2000,
            description: 'Where to send you once access is granted (http or https URL).',
          }),
        ),
        requestedRole: Type.Optional(Type.String({ maxLength: 64, description: 'The role you would like; a suggestion.' })),
        type: Type.Optional(StringEnum(['access', 'role'] as const, { description: '`access` (default) or `role`.' })),
      },
      { additionalProperties: false },
    ),
    status: 201,
    response: AccessRequest,
    handler: (ctx) => {
      const type = normalizeResourceType(ctx.params.resourceType);
      if (!type) throw new Problem(404, 'Resource not found', { code: 'not_found', hint: 'Use project or organization.' });
      return ctx.services.accessRequests.create(userActor(ctx), { type, id: ctx.params.resourceId }, ctx.body);
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/access/:resourceType/:resourceId/requests/:requestId/accept',
    summary: 'Accept an access request: the person becomes a member, or gets the roles',
    description:
      "Without `roleNames`: the requested role if it exists here and applies to users, else the organization's default role (organizations) or `viewer` (projects). " +
      'You can only grant roles whose permissions you hold, and only administrators grant `administrator`. 409 `request_not_pending` or `request_expired` (pending for 14 days).',
    tags: ['Access: requests'],
    policy: MANAGES_REQUESTS,
    params: RequestParams,
    body: AcceptRequestBody,
    response: AccessRequest,
    handler: (ctx) =>
      ctx.services.accessRequests.accept(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.params.requestId, ctx.body?.roleNames),
  }),
  defineRoute({
    method: 'PUT',
    path: '/access/:resourceType/:resourceId/requests/:requestId/decline',
    summary: 'Decline an access request',
    description: 'The person may not ask again for 14 days. 409 `request_not_pending` or `request_expired`.',
    tags: ['Access: requests'],
    policy: MANAGES_REQUESTS,
    params: RequestParams,
    response: AccessRequest,
    handler: (ctx) => ctx.services.accessRequests.decline(ctx.actor, resourceOf(ctx), ctx.params.requestId),
  }),
];
