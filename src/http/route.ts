/**
 * `defineRoute`: the single declaration of an endpoint. Validation, the authorization decision,
 * the OpenAPI operation, the authorization matrix test and the explanation in a denial are all
 * derived from it; a route that is not declared here cannot exist.
 */
import type { FastifyReply } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { problems } from '../model/errors.js';
import type { Access, ResourceRef, RoutePolicy } from '../model/policy.js';
import type { Principal, RobotPrincipal, UserPrincipal } from '../model/principals.js';
import type { ApiVersion } from '../model/versions.js';
import type { Actor, Services } from '../services/index.js';
import type { JsonText } from '../services/page-cache.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The success statuses a route may declare. */
export type SuccessStatus = 200 | 201 | 204 | 302 | 303;

/**
 * What a handler may return, from the route's `response` schema and `status` (types only: nothing
 * is checked per request):
 *
 * - the body, `Static<typeof response>`, which is serialized as JSON;
 * - the same body already rendered, a `JsonText` of that type (services/page-cache.ts), sent as its bytes;
 * - `ctx.reply` after the handler answered itself (`redirectTo`, `sendHtml`, or `reply.send` of a
 *   body that is not JSON: CSV, XML);
 * - nothing (or `null`), for a 204.
 */
export type RouteResult<R extends TSchema, S extends SuccessStatus> = S extends 204
  ? // biome-ignore lint/suspicious/noConfusingVoidType: what a function that returns nothing returns.
    void | null | FastifyReply
  : Static<R> | JsonText<Static<R>> | FastifyReply;

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal | null;
  actor: Actor;
  /** The route's resource, when its policy names one (already authorized). */
  resource: ResourceRef | undefined;
  /** What the caller holds on `resource`. */
  access: Access | null | undefined;
  /** Project from the path, the `<projectId>.api.` host, or the `X-Sanity-Project-ID` header. */
  projectId: string | null;
  version: ApiVersion | null;
  services: Services;
  reply: FastifyReply;
}

export interface RouteDefinition<
  P extends TSchema = TSchema,
  Q extends TSchema = TSchema,
  B extends TSchema = TSchema,
  R extends TSchema = TSchema,
  S extends SuccessStatus = SuccessStatus,
> {
  method: Method;
  /** Path without the version prefix, Fastify syntax (`/access/:resourceType/:resourceId/users`). */
  path: string;
  /** False for the few routes that live outside `/v{version}` (`/health`). */
  versioned?: boolean;
  /** Left out of the OpenAPI document (the route that serves the document itself). */
  hidden?: boolean;
  summary: string;
  description?: string;
  tags: string[];
  policy: RoutePolicy;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The media type of the body: `json` (default, `application/json`) or `form`
   * (`application/x-www-form-urlencoded`, for HTML forms). The other one is refused with 415.
   */
  bodyType?: 'json' | 'form';
  /** Success status (default 200); `response` is the schema of its body. */
  status?: S;
  /**
   * For a create that is idempotent: the status (200) of a repeat that changed nothing, with the
   * same body schema. The handler answers it with `ctx.reply.code(200)`.
   */
  unchangedStatus?: 200;
  response: R;
  /** Returns the body of `response` (see `RouteResult` for the other things it may return). */
  handler: (ctx: RouteContext<Static<P>, Static<Q>, Static<B>>) => RouteResult<R, S> | Promise<RouteResult<R, S>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a table of routes with different schemas.
export type AnyRoute = RouteDefinition<any, any, any, any, any>;

/** Declares a route; the handler's return type follows from `response` and `status` (`RouteResult`). */
export function defineRoute<
  P extends TSchema = TSchema,
  Q extends TSchema = TSchema,
  B extends TSchema = TSchema,
  R extends TSchema = TSchema,
  S extends SuccessStatus = 200,
>(route: RouteDefinition<P, Q, B, R, S>): RouteDefinition<P, Q, B, R, S> {
  return route;
}

/** The resource of a route whose policy declares one; its absence is a bug in the table. */
export function resourceOf(ctx: { resource: ResourceRef | undefined }): ResourceRef {
  if (!ctx.resource) throw new Error('route has no resource in its policy');
  return ctx.resource;
}

/** What the caller holds on the route's resource (already authorized), as a granter of roles. */
export function accessOf(ctx: { access: Access | null | undefined }): Access {
  return ctx.access ?? { roleNames: [], grants: new Set() };
}

export function userActor(ctx: { actor: Actor; principal: Principal | null }): Actor & { principal: UserPrincipal } {
  const principal = ctx.principal;
  if (principal?.kind !== 'user') throw problems.forbidden('Only users may do this', { code: 'principal_not_accepted' });
  return { ...ctx.actor, principal };
}

export function robotPrincipal(ctx: { principal: Principal | null }): RobotPrincipal {
  const principal = ctx.principal;
  if (principal?.kind !== 'robot') throw problems.forbidden('Only robots may do this', { code: 'principal_not_accepted' });
  return principal;
}

export function principalOf(ctx: { principal: Principal | null }): Principal {
  if (!ctx.principal) throw new Error('route accepts anonymous callers but needs a principal');
  return ctx.principal;
}

/** Sends the browser on (login flows); the handler returns what this returns. */
export function redirectTo(ctx: { reply: FastifyReply }, url: string, status: 302 | 303 = 302): FastifyReply {
  return ctx.reply.code(status).header('cache-control', 'no-store').redirect(url, status);
}

/**
 * Sends an HTML page (login forms). Pages carry a strict Content-Security-Policy: no scripts, forms
 * post only to this server, and no other site may frame them. `formTargets` are origins a form
 * submission may end at besides this server: browsers apply `form-action` to the redirects that
 * follow a post too, so a login form that ends in a redirect to its origin must name that origin.
 */
export function sendHtml(
  ctx: { reply: FastifyReply },
  html: string,
  status = 200,
  { formTargets = [] }: { formTargets?: readonly string[] } = {},
): FastifyReply {
  const formAction = ["'self'", ...formTargets.filter((origin) => /^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(origin))].join(' ');
  return (
    ctx.reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      )
      .header('x-frame-options', 'DENY')
      // Other sites never see the page's URL; this server does, and its forms then carry their real
      // `Origin` (under `no-referrer` a browser sends `Origin: null`), which the login forms check.
      .header('referrer-policy', 'same-origin')
      .send(html)
  );
}
