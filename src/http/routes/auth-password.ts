/**
 * E-mail and password (provider `sanity`): the login and sign-up forms and the password change.
 * The login page itself is `GET /auth/login/sanity` (routes/auth.ts).
 *
 * The form routes answer a browser (an `Accept` that names `text/html`) with pages: the form again
 * with the message, or an error page with the message, hint and code. Other clients get the usual
 * JSON envelope. Forms are only accepted from this server's own pages: a post that a browser marks
 * as cross-site (`Sec-Fetch-Site`) is refused, so another site cannot log a visitor in to an
 * account of its choosing (login CSRF).
 */
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { Problem } from '../../model/errors.js';
import type { LoginPageAnswer } from '../../services/login/types.js';
import { renderLoginPage } from '../pages/login.js';
import { defineRoute, redirectTo, sendHtml, userActor } from '../route.js';

const FlowId = Type.String({
  minLength: 20,
  maxLength: 100,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'The login in progress, from the login page.',
});
const Email = Type.String({ minLength: 1, maxLength: 320, description: 'E-mail address' });
const Password = Type.String({ minLength: 1, maxLength: 1024, description: 'Password (10 to 128 characters to be accepted)' });

const LoginForm = Type.Object(
  { flow: FlowId, email: Email, password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
const SignupForm = Type.Object(
  {
    flow: FlowId,
    name: Type.String({ minLength: 1, maxLength: 200, description: 'Your name' }),
    email: Email,
    password: Password,
  },
  { additionalProperties: false },
);

const HtmlOrRedirect = Type.Null({
  description: 'A redirect (303) to the login’s origin with `?sid=…`; on failure the form again (HTML) or the error envelope',
});

interface FormContext {
  reply: FastifyReply;
}

/** Whether the caller is a browser that wants pages (its `Accept` names `text/html`). */
export function wantsHtml(ctx: FormContext): boolean {
  const accept = ctx.reply.request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

function sendPage(ctx: FormContext & { services: { baseUrl(): string } }, answer: LoginPageAnswer) {
  return sendHtml(ctx, renderLoginPage(answer.page, ctx.services.baseUrl()), answer.status, { formTargets: answer.formTargets });
}

/**
 * Refuses a form another site made the browser post (login CSRF): one the browser marks as not
 * same-origin (`Sec-Fetch-Site: cross-site` or `same-site`), or one whose `Origin` is not this
 * server's — another site's, or `null` (a sandboxed frame, a `data:` page, a redirect from
 * elsewhere). Older browsers send neither header on some posts; those and non-browser clients
 * are let through, as their posts carry no cookie of ours to ride on anyway.
 */
function checkSameOrigin(ctx: FormContext & { services: { baseUrl(): string } }): void {
  const request = ctx.reply.request;
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  const crossSite = site !== undefined && site !== 'same-origin' && site !== 'none';
  if (!crossSite && (origin === undefined || ownOrigins(ctx).includes(origin))) return;
  throw new Problem(403, 'This form can only be sent from this server’s own pages', {
    code: 'cross_site_form',
    hint: 'Open the login page of this server (GET /v1/auth/login/sanity?origin=…) and log in there.',
  });
}

/** The origins of this server's own pages: the public URL's, and the one this request was sent to. */
function ownOrigins(ctx: FormContext & { services: { baseUrl(): string } }): string[] {
  const request = ctx.reply.request;
  const origins = [new URL(ctx.services.baseUrl()).origin];
  if (request.host) origins.push(`${request.protocol}://${request.host}`);
  return origins;
}

/** Runs a form submission: a 303 to where it leads, or for a browser a page that explains the failure. */
async function answerForm(
  ctx: FormContext & { services: { baseUrl(): string } },
  submit: () => Promise<string>,
  failurePage: (problem: Problem) => Promise<LoginPageAnswer> | LoginPageAnswer,
) {
  try {
    checkSameOrigin(ctx);
    return redirectTo(ctx, await submit(), 303);
  } catch (error) {
    if (!(error instanceof Problem) || !wantsHtml(ctx)) throw error;
    return sendPage(ctx, await failurePage(error));
  }
}

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    newPassword: Password,
  },
  { additionalProperties: false },
);

export const authPasswordRoutes = [
  defineRoute({
    method: 'POST',
    path: '/auth/login/sanity',
    summary: 'Log in with e-mail and password (the login form posts here)',
    description:
      'Takes the form of `GET /auth/login/sanity`. On success, a 303 to the login’s origin with a single-use `sid`. An unknown address, a wrong password, an account without a password and a disabled account all get the same 401 `invalid_credentials`. A browser gets the form again with the message.',
    tags: ['Auth'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'logging in is how callers get a token' },
    body: LoginForm,
    bodyType: 'form',
    status: 303,
    response: HtmlOrRedirect,
    handler: (ctx) => {
      const password = ctx.services.identity.password;
      return answerForm(
        ctx,
        () => password.submitLogin(ctx.actor, ctx.body),
        (problem) => password.loginFailurePage(ctx.body, problem),
      );
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/auth/signup/sanity',
    summary: 'The sign-up form (when sign-up is open)',
    description:
      'Linked from the login page of a login in progress (`flow`). 403 `signup_closed` when the server does not take sign-ups (GATEHOUSE_SIGNUP=closed, the default).',
    tags: ['Auth'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'creating an account comes before having a token' },
    query: Type.Object({ flow: FlowId }, { additionalProperties: false }),
    response: Type.Null({ description: 'An HTML page' }),
    handler: async (ctx) => {
      const password = ctx.services.identity.password;
      try {
        return sendPage(ctx, await password.signupPage(ctx.query.flow));
      } catch (error) {
        if (!(error instanceof Problem) || !wantsHtml(ctx)) throw error;
        return sendPage(ctx, password.errorPage(error));
      }
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/auth/signup/sanity',
    summary: 'Create an account with e-mail and password, and log in (the sign-up form posts here)',
    description:
      'Passwords: 10 to 128 characters, not one of the 10,000 most common passwords, not your e-mail address, not one repeated character or a plain sequence; no rules about digits or symbols. On success, a 303 to the login’s origin with a single-use `sid`. An address that already has an account gets 409 `signup_unavailable` (log in instead). 403 `signup_closed` when sign-up is closed.',
    tags: ['Auth'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'creating an account comes before having a token' },
    body: SignupForm,
    bodyType: 'form',
    status: 303,
    response: HtmlOrRedirect,
    handler: (ctx) => {
      const password = ctx.services.identity.password;
      return answerForm(
        ctx,
        () => password.submitSignup(ctx.actor, ctx.body),
        (problem) => password.signupFailurePage(ctx.body, problem),
      );
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/users/me/password',
    summary: 'Set or change your password',
    description:
      '`currentPassword` is required when you have a password already. The new password follows the sign-up rules (400 `weak_password` names the rule). Your personal tokens stay valid: revoke them separately if someone else may have known the old password.',
    tags: ['Users'],
    policy: {
      accepts: ['user'],
      note: 'robots have no password: their credential is their token, which they rotate instead',
    },
    body: ChangePasswordBody,
    status: 204,
    response: Type.Null(),
    handler: async (ctx) => {
      await ctx.services.identity.password.changePassword(userActor(ctx), ctx.body);
      return null;
    },
  }),
];
