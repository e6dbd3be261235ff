/**
 * CORS enforcement (docs/collaboration.md, "CORS origins"). On every request that carries an
 * `Origin` header in a project context — `{projectId}` or `{resourceType}=project/{resourceId}` in
 * the path, the `<projectId>.api.` host, or the `X-Sanity-Project-ID` header — the project's
 * allowed origins decide:
 * - allowed: the response carries `Access-Control-Allow-Origin: <origin>`, `Vary: Origin`, and
 *   `Access-Control-Allow-Credentials: true` only when the matching entry allows credentials;
 * - not allowed: 403 `cors_origin_not_allowed`, without any CORS header (the browser shows the
 *   page an opaque failure; curl users read the hint).
 * Preflights (`OPTIONS` with `Access-Control-Request-Method`) get the same decision, plus the
 * methods, headers and max age. A preflight carries no header values, so its project comes from
 * the path or the host only.
 *
 * Not enforced: requests without an `Origin`, requests from the server's own origin (its /docs
 * page), and requests without a project context, which get no CORS headers at all.
 * `GET /check/cors` always answers with `Access-Control-Allow-Origin` for the calling origin, so a
 * page can read whether it is allowed.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizeResourceType } from '../model/permissions.js';
import { corsOriginNotAllowed } from '../services/cors.js';
import type { Services } from '../services/index.js';
import { sendProblem } from './errors.js';
import { projectContextOf } from './request-context.js';

export const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE';
export const ALLOW_HEADERS = 'authorization, content-type, x-sanity-project-id, x-csrf-token, traceparent';
export const MAX_AGE_SECONDS = 600;
const CHECK_PATH = /^\/v[^/]*\/check\/cors\/?$/;
const PROJECT_IN_PATH = /^\/v[^/]*\/(?:projects\/([^/?]+)|access\/projects?\/([^/?]+))/;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the response must say it varies by Origin. */
    corsVary?: boolean;
  }
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? '/';
}

/** The project a request is about, for CORS: path first, then host and header. */
function projectOfRequest(request: FastifyRequest): string | null {
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  if (params.projectId) return params.projectId;
  if (params.resourceType && params.resourceId && normalizeResourceType(params.resourceType) === 'project') {
    return params.resourceId;
  }
  return projectContextOf(request);
}

/** The project of a preflight: its path (no route ran, so no params), then the host. */
function projectOfPreflight(request: FastifyRequest): string | null {
  const match = PROJECT_IN_PATH.exec(pathOf(request));
  const fromPath = match?.[1] ?? match?.[2];
  if (fromPath) {
    try {
      return decodeURIComponent(fromPath);
    } catch {
      return null;
    }
  }
  return projectContextOf(request);
}

function sameOrigin(request: FastifyRequest, origin: string, services: Services): boolean {
  if (origin === `${request.protocol}://${request.host}`) return true;
  try {
    return origin === new URL(services.baseUrl()).origin;
  } catch {
    return false;
  }
}

function allow(request: FastifyRequest, reply: FastifyReply, origin: string, withCredentials: boolean): void {
  reply.header('access-control-allow-origin', origin);
  if (withCredentials) reply.header('access-control-allow-credentials', 'true');
  request.corsVary = true;
}

/** The per-request halves of CORS, which http/app.ts runs in its one `onRequest` and one `onSend` hook. */
export interface CorsHooks {
  /** Decides a request with an `Origin` in a project context; refuses it (403) when not allowed. */
  checkOrigin(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void;
  /** `Vary: Origin` on a response whose CORS headers depend on it. */
  varyOnOrigin(request: FastifyRequest, reply: FastifyReply): void;
}

/** The CORS decision of every request that is not a preflight. */
export function corsHooks(services: Services): CorsHooks {
  return {
    // A plain callback, not an async function: most requests carry no Origin and need no promise.
    checkOrigin(request, reply, done) {
      const origin = request.headers.origin;
      if (typeof origin !== 'string' || request.method === 'OPTIONS') return done();
      if (CHECK_PATH.test(pathOf(request))) {
        // Readable by any page: it only says whether that page's origin is allowed.
        allow(request, reply, origin, false);
        return done();
      }
      if (sameOrigin(request, origin, services)) return done();
      const projectId = projectOfRequest(request);
      if (!projectId) return done();
      services.cors.decide(projectId, origin).then((decision) => {
        if (!decision.allowed) return done(corsOriginNotAllowed(origin, projectId));
        allow(request, reply, origin, decision.withCredentials);
        done();
      }, done);
    },
    // Vary is merged, not replaced: other code sets `Vary: accept-encoding`.
    varyOnOrigin(request, reply) {
      if (!request.corsVary) return;
      const vary = reply.getHeader('vary');
      const list = (Array.isArray(vary) ? vary.join(', ') : String(vary ?? '')).split(',').map((v) => v.trim());
      if (!list.some((v) => v.toLowerCase() === 'origin')) {
        reply.header('vary', [...list.filter((v) => v !== ''), 'Origin'].join(', '));
      }
    },
  };
}

/** The preflight route: `OPTIONS` on any path. */
export function registerPreflight(app: FastifyInstance, services: Services): void {
  app.route({
    method: 'OPTIONS',
    url: '*',
    schema: { hide: true },
    handler: async (request, reply) => {
      const origin = request.headers.origin;
      const preflight = typeof origin === 'string' && request.headers['access-control-request-method'] !== undefined;
      if (!preflight) return reply.code(204).header('allow', `${ALLOW_METHODS}, OPTIONS`).send();
      const preflightHeaders = (withCredentials: boolean) => {
        allow(request, reply, origin, withCredentials);
        reply
          .header('access-control-allow-methods', ALLOW_METHODS)
          .header('access-control-allow-headers', ALLOW_HEADERS)
          .header('access-control-max-age', String(MAX_AGE_SECONDS));
      };
      if (CHECK_PATH.test(pathOf(request))) {
        preflightHeaders(false);
        return reply.code(204).send();
      }
      if (sameOrigin(request, origin, services)) return reply.code(204).send();
      const projectId = projectOfPreflight(request);
      if (!projectId) return reply.code(204).send();
      const decision = await services.cors.decide(projectId, origin);
      if (!decision.allowed) return sendProblem(reply, corsOriginNotAllowed(origin, projectId));
      preflightHeaders(decision.withCredentials);
      return reply.code(204).send();
    },
  });
}
