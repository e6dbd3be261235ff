/**
 * SAML 2.0 service provider endpoints of an organization's SAML login provider: the metadata the
 * identity provider is given, and the assertion consumer service it posts its answer to. The login
 * itself starts at `GET /auth/login/{providerId}` (routes/auth.ts).
 */
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { Problem } from '../../model/errors.js';
import { SamlRejection } from '../../services/login/saml.js';
import { loginErrorPage } from '../pages/login.js';
import { defineRoute, redirectTo, sendHtml } from '../route.js';

const ProviderId = Type.String({
  pattern: '^saml-[A-Za-z0-9_-]{1,58}$',
  maxLength: 63,
  description: 'The SAML provider’s id (`saml-…`)',
});

export const authSamlRoutes = [
  defineRoute({
    method: 'GET',
    path: '/auth/saml/metadata/:providerId',
    summary: 'SAML service provider metadata of an organization’s SAML login provider',
    description:
      'The XML document (`application/samlmetadata+xml`) to give the identity provider: the entity id (this URL), the assertion consumer service `/v1/auth/saml/acs/{providerId}` (HTTP-POST), and that assertions must be signed.',
    tags: ['Auth'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'identity providers fetch it; it holds nothing secret' },
    params: Type.Object({ providerId: ProviderId }, { additionalProperties: false }),
    response: Type.String({ description: 'SAML 2.0 metadata (XML)' }),
    handler: async (ctx) => sendXml(ctx, await ctx.services.identity.saml.metadata(ctx.params.providerId)),
  }),
  defineRoute({
    method: 'POST',
    path: '/auth/saml/acs/:providerId',
    summary: 'SAML assertion consumer service: the identity provider’s answer to a login',
    description:
      'The identity provider posts its signed answer here (HTTP-POST binding, `application/x-www-form-urlencoded`). An accepted answer sends the browser back to the login’s origin with a single-use `sid` (303); a refused one gets an error page (400) that says what to do, and the reason goes to the server log.',
    tags: ['Auth'],
    policy: {
      accepts: ['anonymous', 'user', 'robot'],
      note: 'the identity provider’s signed assertion is the credential, not the caller’s token',
    },
    params: Type.Object({ providerId: ProviderId }, { additionalProperties: false }),
    bodyType: 'form',
    body: Type.Object(
      {
        SAMLResponse: Type.String({ minLength: 1, maxLength: 60_000, description: 'The base64 SAML response' }),
        RelayState: Type.Optional(
          Type.String({ maxLength: 200, description: 'The login flow the answer belongs to (sent in the AuthnRequest)' }),
        ),
      },
      { additionalProperties: false },
    ),
    status: 303,
    response: Type.Null({ description: 'A redirect to the login’s origin with `?sid=…`, or (400) an HTML error page' }),
    handler: async (ctx) => {
      const log = ctx.reply.log;
      const providerId = ctx.params.providerId;
      try {
        const result = await ctx.services.identity.saml.acs(providerId, ctx.body, ctx.actor);
        for (const skipped of result.skipped) {
          log.warn({ providerId, ...skipped }, 'SAML role mapping rule skipped');
        }
        return redirectTo(ctx, result.redirect, 303);
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        // The reason goes to the log, never to the page (nor the assertion: it names the person).
        log.warn(
          { providerId, code: error.reason.code, ...(error instanceof SamlRejection ? { detail: error.detail } : {}) },
          'SAML login refused',
        );
        return sendHtml(ctx, loginErrorPage(error), error.status);
      }
    },
  }),
];

/** Sends an XML document, as sendHtml sends a page. */
function sendXml(ctx: { reply: FastifyReply }, xml: string): FastifyReply {
  return ctx.reply
    .code(200)
    .header('content-type', 'application/samlmetadata+xml; charset=utf-8')
    .header('cache-control', 'public, max-age=300')
    .header('x-content-type-options', 'nosniff')
    .send(xml);
}
