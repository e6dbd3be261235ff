/**
 * The login flow shared by every provider (docs/identity.md, "The login flow"): which providers
 * exist, where a login starts, and where the CLI or console collects the token at the end.
 */
import { Type } from 'typebox';
import { Problem } from '../../model/errors.js';
import { sessionCookies } from '../cookies.js';
import { loginErrorPage, renderLoginPage } from '../pages/login.js';
import { requestOriginOf } from '../request-context.js';
import { defineRoute, redirectTo, sendHtml } from '../route.js';
import { StringEnum } from '../schemas.js';
import { wantsHtml } from './auth-password.js';

export const LoginProvider = Type.Object({ name: Type.String(), title: Type.String(), url: Type.String() });

export const LoginQuery = Type.Object({
  origin: Type.String({
    minLength: 1,
    maxLength: 2000,
    description:
      'Where to send the browser back with `?sid=…`: `http://localhost:<port>/…` or `http://127.0.0.1:<port>/…` (the CLI), this server’s own origin (its console at `/console/`), or a configured console origin.',
  }),
  type: Type.Optional(
    StringEnum(['token', 'stampedToken'] as const, { description: '`token` (default): a personal token, as the CLI asks.' }),
  ),
  label: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Shown in your token list, e.g. "laptop / Linux".' }),
  ),
  withSid: Type.Optional(Type.Boolean({ description: 'Accepted for compatibility; the sid is always sent.' })),
  projectId: Type.Optional(Type.String({ maxLength: 64, description: 'Accepted for compatibility; ignored.' })),
});

export const authRoutes = [
  defineRoute({
    method: 'GET',
    path: '/auth/providers',
    summary: 'The login providers everybody may use',
    description:
      '`sanity` (e-mail and password) and, when configured, a global OpenID Connect provider. Organizations’ own providers are listed under `/auth/organizations/by-slug/{slug}/providers`.',
    tags: ['Auth'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'anybody may see how to log in' },
    response: Type.Object({ providers: Type.Array(LoginProvider) }),
    handler: (ctx) => ctx.services.identity.providers(),
  }),
  defineRoute({
    method: 'GET',
    path: '/auth/login/:provider',
    summary: 'Start a login with a provider',
    description:
      'Answers with the provider’s page (the e-mail and password form) or a redirect to the identity provider. At the end the browser goes back to `origin` with a single-use `sid`, which `GET /auth/fetch` turns into a personal token.',
    tags: ['Auth'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'logging in is how callers get a token' },
    params: Type.Object({ provider: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'Provider name or id' }) }),
    query: LoginQuery,
    status: 302,
    response: Type.Null({ description: 'A redirect, or (200) an HTML page' }),
    handler: async (ctx) => {
      let answer: Awaited<ReturnType<typeof ctx.services.identity.start>>;
      try {
        answer = await ctx.services.identity.start(ctx.params.provider, {
          origin: ctx.query.origin,
          type: ctx.query.type ?? 'token',
          label: ctx.query.label ?? 'Gatehouse login',
          requestOrigin: requestOriginOf(ctx.reply.request),
        });
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        const detail = (error as Problem & { detail?: unknown }).detail;
        if (typeof detail === 'string') {
          ctx.reply.log.warn({ provider: ctx.params.provider, code: error.reason.code, detail }, 'login start refused');
        }
        // A browser gets a page that explains the refusal; programs get the envelope.
        if (!wantsHtml(ctx)) throw error;
        return sendHtml(ctx, loginErrorPage(error), error.status);
      }
      return 'redirect' in answer
        ? redirectTo(ctx, answer.redirect)
        : sendHtml(ctx, renderLoginPage(answer.page, ctx.services.baseUrl()), answer.status, { formTargets: answer.formTargets });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/auth/fetch',
    summary: 'Exchange a login’s single-use sid for a personal token',
    description:
      'The sid arrives at the login’s origin. It works once, within two minutes. Called by a browser from this server’s own origin (its console) or from a configured console origin, it also sets the browser session: the `gatehouse_session` cookie (HttpOnly) and the `gatehouse_csrf` cookie whose value cookie-authenticated writes send as `X-CSRF-Token`.',
    tags: ['Auth'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'the sid is the credential' },
    query: Type.Object({ sid: Type.String({ minLength: 20, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' }) }),
    response: Type.Object({ token: Type.String(), label: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }),
    handler: async (ctx) => {
      const session = await ctx.services.login.fetchSession(ctx.actor, ctx.query.sid);
      ctx.reply.header('cache-control', 'no-store');
      // A console gets the token as a browser session too: cookie + CSRF value. A same-origin
      // fetch carries no Origin header; the browser's Sec-Fetch-Site says where it came from.
      const request = ctx.reply.request;
      const requestOrigin = requestOriginOf(request);
      const origin = request.headers.origin ?? (request.headers['sec-fetch-site'] === 'same-origin' ? requestOrigin : undefined);
      if (ctx.services.login.opensSession(origin, requestOrigin)) {
        const browser = await ctx.services.sessions.browserSession(session.token, session.expiresAt);
        ctx.reply.header('set-cookie', sessionCookies(browser, ctx.services.baseUrl()));
      }
      return session;
    },
  }),
];
