/**
 * OpenID Connect logins come back here, and an organization's login page lists its providers. The
 * login itself starts at `GET /auth/login/{provider}` (routes/auth.ts).
 */
import { Type } from 'typebox';
import { Problem } from '../../model/errors.js';
import { OidcRejection } from '../../services/login/oidc.js';
import { loginErrorPage } from '../pages/login.js';
import { defineRoute, redirectTo, sendHtml } from '../route.js';
import { StringEnum } from '../schemas.js';

const Param = (max: number, description: string) => Type.Optional(Type.String({ maxLength: max, description }));

/**
 * What identity providers put in the redirect: the authorization response (RFC 6749 §4.1.2, RFC
 * 9207 `iss`) and the extras well-known providers add (Google: `scope`, `authuser`, `hd`, `prompt`;
 * Keycloak and Entra ID: `session_state`; Entra ID: `client_info`).
 */
const CallbackQuery = Type.Object(
  {
    code: Param(4000, 'The authorization code'),
    state: Param(200, 'The login flow this answer belongs to'),
    error: Param(200, 'The provider’s error code, e.g. `access_denied`'),
    error_description: Param(2000, 'The provider’s explanation'),
    error_uri: Param(2000, 'A page about the error'),
    iss: Param(2000, 'The issuer that answered (RFC 9207)'),
    scope: Param(2000, 'Scopes granted'),
    session_state: Param(500, 'Session state (OpenID Connect Session Management)'),
    authuser: Param(20, 'Google account index'),
    hd: Param(255, 'Google Workspace domain'),
    prompt: Param(100, 'Google: which prompt was shown'),
    client_info: Param(2000, 'Entra ID client info'),
  },
  // Providers add parameters of their own; an unknown one must not break a login. Bounded, ignored.
  { additionalProperties: Type.String({ maxLength: 2000 }), maxProperties: 30 },
);

export const OrganizationProvider = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'The provider’s name in login URLs: its id' }),
  title: Type.String({ description: 'What the organization calls it' }),
  type: StringEnum(['oidc', 'saml'] as const),
  organizationId: Type.String(),
  loginUrl: Type.String({ description: 'Where a login starts (`?origin=…&type=token`)' }),
  callbackUrl: Type.String(),
  disabled: Type.Boolean({ description: 'Disabled providers are listed but start no login (the CLI leaves them out)' }),
});

export const authOidcRoutes = [
  defineRoute({
    method: 'GET',
    path: '/auth/callback/oidc/:provider',
    summary: 'OpenID Connect redirect URI: the identity provider’s answer to a login',
    description:
      'Register `<public URL>/v1/auth/callback/oidc/<provider>` at the identity provider. An accepted answer sends the browser back to the login’s origin with a single-use `sid` (302); anything else gets an HTML error page (400, 403, 404, 500 or 502) that says what to do, and the detail goes to the server log.',
    tags: ['Auth'],
    policy: {
      accepts: ['anonymous', 'user', 'robot'],
      note: 'the identity provider’s answer and the login flow it names are the credential, not the caller’s token',
    },
    params: Type.Object(
      { provider: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'The global provider’s name, or `oidc-…`' }) },
      { additionalProperties: false },
    ),
    query: CallbackQuery,
    status: 302,
    response: Type.Null({ description: 'A redirect to the login’s origin with `?sid=…`, or an HTML error page' }),
    handler: async (ctx) => {
      const provider = ctx.params.provider;
      try {
        return redirectTo(ctx, await ctx.services.identity.oidc.callback(provider, ctx.query, ctx.actor));
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        // The reason goes to the log (never the code or the tokens); the page says what to do.
        ctx.reply.log.warn(
          {
            provider,
            code: error.reason.code,
            ...(error instanceof OidcRejection && error.detail ? { detail: error.detail } : {}),
          },
          'OIDC login refused',
        );
        return sendHtml(ctx, loginErrorPage(error), error.status);
      }
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/auth/organizations/by-slug/:slug/providers',
    summary: 'The identity providers of an organization, by its slug',
    description:
      'What `gatehouse login --sso <slug>` (and Sanity’s `sanity login --sso`) offers. Disabled providers are listed with `disabled: true`. An unknown slug is a 404.',
    tags: ['Auth'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'anybody may see how to log in' },
    params: Type.Object(
      { slug: Type.String({ minLength: 1, maxLength: 20, pattern: '^[a-z0-9-]+$', description: 'The organization’s slug' }) },
      { additionalProperties: false },
    ),
    response: Type.Array(OrganizationProvider),
    handler: (ctx) => ctx.services.ssoProviders.bySlug(ctx.params.slug),
  }),
];
