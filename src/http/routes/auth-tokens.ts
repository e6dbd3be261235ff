/**
 * Personal tokens as sessions (docs/identity.md, "Personal tokens"): `GET /auth/id`,
 * `POST /auth/logout`, and the caller's own token list (`GET /auth/tokens`,
 * `DELETE /auth/tokens/{tokenId}`, and `DELETE /auth/tokens` to sign out everywhere). These are
 * the only routes under `/auth/` that a browser session cookie authenticates (http/auth.ts).
 */
import { Type } from 'typebox';
import { robotLogout } from '../../services/login/sessions.js';
import { clearedCookies } from '../cookies.js';
import { defineRoute, principalOf, userActor } from '../route.js';
import { Empty, Id, Nullable, PageOf, PageQuery, Timestamp } from '../schemas.js';

export const PersonalToken = Type.Object({
  id: Type.String({ description: 'Token id (never the secret).' }),
  label: Type.String({ description: 'What the login called it, e.g. "laptop / Linux".' }),
  source: Nullable(
    Type.String({ description: 'How it was obtained: `admin`, `password`, `oidc:<provider>`, `saml:<provider>`.' }),
  ),
  createdAt: Timestamp,
  expiresAt: Nullable(Timestamp),
  lastUsedAt: Nullable(Timestamp),
  current: Type.Boolean({ description: 'True for the token this request was made with.' }),
});

const refusedRobot = robotLogout();

export const authTokenRoutes = [
  defineRoute({
    method: 'GET',
    path: '/auth/id',
    summary: 'Who this token belongs to, and when it expires',
    description:
      '`expiry` is in unix seconds: the personal token’s expiry, or for a robot the earliest of its token’s and its own `expiresAt` (and the end of a rotation’s grace period); `null` when it never expires.',
    tags: ['Auth'],
    policy: { accepts: ['user', 'robot'] },
    response: Type.Object({
      id: Type.String({ description: 'The user id (`g…`) or robot id (`r…`).' }),
      expiry: Nullable(Type.Integer({ description: 'Unix seconds.' })),
    }),
    handler: (ctx) => ctx.services.sessions.identify(principalOf(ctx)),
  }),
  defineRoute({
    method: 'POST',
    path: '/auth/logout',
    summary: 'Log out: revoke the personal token this request is made with',
    description:
      'The token stops working on the next request, on every node, and the session cookies are cleared. Without a token there is nothing to end: 204 all the same.',
    tags: ['Auth'],
    policy: {
      accepts: ['anonymous', 'user'],
      note: 'a robot token is no login session: delete the robot or rotate its token instead',
      refusal: { robot: { code: refusedRobot.reason.code, hint: String(refusedRobot.reason.hint) } },
    },
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.sessions.logout(ctx.actor);
      ctx.reply.header('set-cookie', clearedCookies(ctx.services.baseUrl())).header('cache-control', 'no-store');
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/auth/tokens',
    summary: 'Your personal tokens that still work, newest first',
    description: 'One per login (and `admin create-user`). Secrets are never shown again; `current` marks the one in use.',
    tags: ['Auth'],
    policy: { accepts: ['user'], note: 'personal tokens belong to people; a robot has one token, see /access/robots/me' },
    // Like every list: unknown query parameters (the `tag` Sanity's clients send) are ignored.
    query: PageQuery,
    response: PageOf(PersonalToken),
    handler: (ctx) => ctx.services.sessions.listTokens(userActor(ctx).principal, ctx.query),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/auth/tokens',
    summary: 'Sign out everywhere: revoke all your personal tokens',
    description:
      'Every personal token of yours that still works stops on the next request, on every node, the one this request is made with included; the session cookies are cleared. Log in again to get a new one. Robot tokens are not affected.',
    tags: ['Auth'],
    policy: { accepts: ['user'], note: 'personal tokens belong to people; a robot ends its token by rotation or deletion' },
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.sessions.revokeAllOwnTokens(userActor(ctx));
      ctx.reply.header('set-cookie', clearedCookies(ctx.services.baseUrl())).header('cache-control', 'no-store');
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/auth/tokens/:tokenId',
    summary: 'Revoke one of your personal tokens',
    description:
      'It stops working on the next request. Another user’s token is 404, as if it did not exist; one of yours that already stopped working is 204.',
    tags: ['Auth'],
    policy: { accepts: ['user'], note: 'personal tokens belong to people; a robot ends its token by rotation or deletion' },
    params: Type.Object({ tokenId: Id('Token id, from GET /auth/tokens') }, { additionalProperties: false }),
    status: 204,
    response: Empty,
    handler: async (ctx) => {
      await ctx.services.sessions.revokeOwnToken(userActor(ctx), ctx.params.tokenId);
    },
  }),
];
