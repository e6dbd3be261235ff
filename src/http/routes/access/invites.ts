/**
 * Invitations (docs/collaboration.md, "Invitations"): invite a person by e-mail with one or more
 * roles; they accept the e-mailed link while logged in as that address. The link itself
 * (`/v1/invites/{token}`) is a small page.
 */
import { Type } from 'typebox';
import { DEFAULT_LIMIT } from '../../../model/pagination.js';
import { INVITE_TOKEN_PATTERN, MAX_INVITE_ROLES } from '../../../services/invites.js';
import { inviteErrorPage, invitePage } from '../../pages/invites.js';
import { accessOf, defineRoute, resourceOf, sendHtml, userActor } from '../../route.js';
import { AccessUser, Empty, Id, Nullable, PageOf, PageQuery, ResourceParams, StringEnum, Timestamp } from '../../schemas.js';

const InviteStatus = StringEnum(['pending', 'accepted', 'revoked']);

export const Invite = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Type.String({ description: 'The (first) role the invitee gets on acceptance.' }),
  roleNames: Type.Array(Type.String(), { description: 'Every role the invitee gets on acceptance.' }),
  status: InviteStatus,
  resourceType: Type.String(),
  resourceId: Type.String(),
  createdAt: Timestamp,
  invitedByUserId: Type.String({ description: 'Who sent the invitation (a user, or a robot id).' }),
  acceptedByUserId: Nullable(Type.String()),
  expiresAt: Timestamp,
});

export const InviteWithResource = Type.Intersect([
  Invite,
  Type.Object({
    resourceDisplayName: Type.String({ description: 'The name of the project or organization.' }),
    roleTitle: Type.String({ description: 'The titles of the roles, separated by commas.' }),
  }),
]);

const InviteToken = Type.String({
  pattern: INVITE_TOKEN_PATTERN,
  maxLength: 64,
  description: 'The invite token from the e-mailed link (`gth_invite_…`).',
});

const InviteParams = Type.Object({ ...ResourceParams.properties, inviteId: Id('Invite id') });
const TokenParams = Type.Object({ ...ResourceParams.properties, inviteToken: InviteToken });

const InviteRoleName = Type.String({
  pattern: '^[a-z0-9_-]{1,64}$',
  description: 'A role that applies to users and that you may grant.',
});

export const CreateInviteBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320, description: 'Who to invite.' }),
    role: Type.Optional(InviteRoleName),
    roleNames: Type.Optional(
      Type.Array(InviteRoleName, {
        minItems: 1,
        maxItems: MAX_INVITE_ROLES,
        description: 'Several roles, all given on acceptance. Send `role` or `roleNames`.',
      }),
    ),
  },
  { additionalProperties: false },
);

const TOKEN_NOTE = 'holding the invite token is the authorization: it was e-mailed to the invitee';

export const accessInviteRoutes = [
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/invites',
    summary: 'List the invitations of a project or organization',
    description:
      '`status` filters (repeat it for several; default `pending`). Pending invitations past `expiresAt` no longer work.',
    tags: ['Access: invites'],
    policy: { accepts: ['user', 'robot'], resource: 'path', permission: 'sanity.{resourceType}.members.read' },
    params: ResourceParams,
    query: Type.Object({
      ...PageQuery.properties,
      status: Type.Optional(Type.Array(InviteStatus, { minItems: 1, maxItems: 3 })),
      includeChildren: Type.Optional(Type.Boolean({ description: 'Accepted for compatibility; ignored.' })),
    }),
    response: PageOf(Invite),
    handler: (ctx) =>
      ctx.services.invites.list(resourceOf(ctx), ctx.query.status, ctx.query.nextCursor, ctx.query.limit ?? DEFAULT_LIMIT),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/:resourceType/:resourceId/invites',
    summary: 'Invite a person by e-mail',
    description:
      'Sends an e-mail with a single-use link that expires (GATEHOUSE_INVITE_TTL_DAYS, default 7). One role (`role`) or several (`roleNames`), all given on acceptance. Each role must apply to users and you must hold every permission it contains; only administrators invite administrators. The message is written to the outbox in the invitation’s transaction and sent right after, retried if the mail server is down (the invitation exists either way). Without SMTP configured, it is written to the outbox folder of the data dir.',
    tags: ['Access: invites'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.members.invite',
      managesAccess: true,
    },
    params: ResourceParams,
    body: CreateInviteBody,
    status: 201,
    response: Invite,
    handler: (ctx) => ctx.services.invites.create(ctx.actor, resourceOf(ctx), accessOf(ctx), ctx.body),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/access/:resourceType/:resourceId/invites/:inviteId',
    summary: 'Revoke a pending invitation; its link stops working',
    tags: ['Access: invites'],
    policy: {
      accepts: ['user', 'robot'],
      resource: 'path',
      permission: 'sanity.{resourceType}.members.delete',
      managesAccess: true,
    },
    params: InviteParams,
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.invites.revoke(ctx.actor, resourceOf(ctx), ctx.params.inviteId);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/invites/token/:inviteToken',
    summary: 'Get an invitation by its token (no login needed)',
    description: 'Unknown tokens answer 404 `invite_not_found`; used, revoked and expired ones 410 with their own code.',
    tags: ['Access: invites'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: TOKEN_NOTE },
    params: TokenParams,
    response: InviteWithResource,
    handler: (ctx) => ctx.services.invites.get(ctx.params.resourceType, ctx.params.resourceId, ctx.params.inviteToken),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/:resourceType/:resourceId/invites/token/:inviteToken/accept',
    summary: 'Accept an invitation: become a member with its role',
    description:
      'The caller’s e-mail must be the invited address (403 `invite_email_mismatch`). A member already gets the role added. The token works once.',
    tags: ['Access: invites'],
    policy: { accepts: ['user'], note: 'invitations are addressed to people, by e-mail' },
    params: TokenParams,
    response: AccessUser,
    handler: (ctx) =>
      ctx.services.invites.accept(userActor(ctx), ctx.params.resourceType, ctx.params.resourceId, ctx.params.inviteToken),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/invites/me',
    summary: 'Pending invitations to the caller’s e-mail address',
    tags: ['Access: invites'],
    policy: { accepts: ['user'], note: 'invitations are addressed to people, by e-mail' },
    response: Type.Object({ data: Type.Array(Invite) }),
    handler: (ctx) => ctx.services.invites.mine(userActor(ctx).principal),
  }),
  defineRoute({
    method: 'GET',
    path: '/invites/:inviteToken',
    summary: 'The e-mailed invitation link: a page for browsers, the invitation as JSON for programs',
    description:
      'Browsers (`Accept: text/html`) get a page that shows the invitation and how to accept it; other clients get the invitation with its resource (as `GET /access/{type}/{id}/invites/token/{token}`), which is how `gatehouse invites accept <token>` finds it.',
    tags: ['Access: invites'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: TOKEN_NOTE },
    params: Type.Object({ inviteToken: InviteToken }),
    response: InviteWithResource,
    handler: async (ctx) => {
      const accept = ctx.reply.request.headers.accept;
      if (typeof accept !== 'string' || !accept.includes('text/html')) {
        return ctx.services.invites.getByToken(ctx.params.inviteToken);
      }
      try {
        const invite = await ctx.services.invites.getByToken(ctx.params.inviteToken);
        return sendHtml(ctx, invitePage(invite, ctx.params.inviteToken, ctx.services.baseUrl()));
      } catch (error) {
        const problem = error as { status?: number; message?: string; reason?: { code?: string; hint?: string } };
        if (typeof problem.status !== 'number') throw error;
        return sendHtml(ctx, inviteErrorPage(problem), problem.status);
      }
    },
  }),
];
