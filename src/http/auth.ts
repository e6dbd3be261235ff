/**
 * The authorization hooks every declared route gets:
 * - onRequest: version prefix, then one call into the services (`AuthService.authorize`) with the
 *   credential and the route's resource: principal, "is this kind of caller accepted?" (refused
 *   before the body is even read, so a robot learns it is refused without guessing at inputs),
 *   access and the resource decision;
 * - preHandler (routes with a resource): once the parameters are valid, the resource refusal, so
 *   input errors keep their precedence over "not a member" and "missing permission".
 * Both decisions come from model/policy.ts; this file only reads the request.
 *
 * Credentials: `Authorization: Bearer <token>`, or, without that header, the browser session
 * cookie (`gatehouse_session`, or Sanity's `sanitySession`) holding a personal token. A cookie is
 * sent by the browser on its own, so a cookie-authenticated write (POST, PUT, PATCH, DELETE) must
 * also carry `X-CSRF-Token` with the session's CSRF value, which another site cannot read. Under
 * `/auth/` only the session endpoints (`/auth/id`, `/auth/logout`, `/auth/tokens`) read the cookie:
 * the other routes there are the login itself, and an old cookie must never stand in the way of
 * logging in again.
 *
 * Before any presented credential is looked up, the client address's failed authentications are
 * checked (services/rate-limits.ts): over the limit, every request with a credential gets the 429.
 */

import type { FastifyReply, FastifyRequest } from 'fastify';
import { Problem } from '../model/errors.js';
import { normalizeResourceType } from '../model/permissions.js';
import type { Access, ResourceRef, RoutePolicy } from '../model/policy.js';
import type { Principal } from '../model/principals.js';
import { type ApiVersion, parseApiVersion } from '../model/versions.js';
import type { Authorization } from '../services/auth.js';
import type { Services } from '../services/index.js';
import { CSRF_HEADER, SANITY_SESSION_COOKIE, SESSION_COOKIE } from './cookies.js';
import { versionProblem } from './errors.js';
import { setRateLimitHeaders } from './headers.js';
import { projectContextOf } from './request-context.js';
import type { AnyRoute } from './route.js';

export interface RequestState {
  principal: Principal | null;
  version: ApiVersion | null;
  resource: ResourceRef | undefined;
  access: Access | null | undefined;
  /** The resource decision's refusal, raised by the preHandler once the input is valid. */
  refusal: Problem | null;
  /** The permission the resource decision required (the permissions-used report). */
  permission: string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    gatehouse: RequestState;
  }
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * The bearer token of a request, or null without an Authorization header. Following RFC 6750: a
 * credential of another scheme is no bearer token at all (401 with a Bearer challenge), while a
 * Bearer credential that is malformed is a bad request (400 invalid_request).
 */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = BEARER.exec(header);
  if (match?.[1]) return match[1];
  if (!/^bearer\b/i.test(header)) {
    throw new Problem(
      401,
      'Not authenticated',
      {
        code: 'unsupported_auth_scheme',
        hint: `Only bearer tokens are accepted: send \`Authorization: Bearer <token>\`, not "${header.split(' ')[0]?.slice(0, 20)}".`,
      },
      { challenge: 'token' },
    );
  }
  throw new Problem(
    400,
    'Malformed Authorization header',
    { code: 'invalid_request', hint: 'Send exactly `Authorization: Bearer <token>`: one space, one token.' },
    { challenge: 'invalid_request' },
  );
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const MAX_COOKIES = 100;

/**
 * The cookies of a `Cookie` header (RFC 6265 §4.2: `name=value` pairs separated by `; `), each name
 * with every value it was sent with. Strict and small: a pair that is not `token=cookie-value`
 * (optionally double-quoted) is skipped, values are not percent-decoded, and at most 100 pairs are
 * read.
 */
export function parseCookies(header: string | undefined): Map<string, string[]> {
  const cookies = new Map<string, string[]>();
  if (!header) return cookies;
  let count = 0;
  for (const part of header.split(';')) {
    if (++count > MAX_COOKIES) break;
    const pair = part.trim();
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!COOKIE_NAME.test(name) || !COOKIE_VALUE.test(value)) continue;
    const values = cookies.get(name);
    if (values) values.push(value);
    else cookies.set(name, [value]);
  }
  return cookies;
}

/**
 * The personal token in a request's session cookie, or null when there is none. Two different
 * values under one name (a cookie planted for a parent domain next to ours) are refused rather than
 * guessed between.
 */
export function sessionCookieToken(header: string | undefined): string | null {
  if (!header) return null;
  const cookies = parseCookies(header);
  for (const name of [SESSION_COOKIE, SANITY_SESSION_COOKIE]) {
    const values = [...new Set(cookies.get(name) ?? [])].filter((v) => v !== '');
    if (values.length > 1) {
      throw new Problem(400, `Ambiguous ${name} cookie`, {
        code: 'invalid_request',
        hint: `The request carries ${values.length} different ${name} cookies. Clear this site's cookies and log in again.`,
      });
    }
    if (values[0] !== undefined) return values[0];
  }
  return null;
}

/** Under /auth/, the routes that read the session cookie; the rest of /auth/ is logging in. */
const SESSION_ROUTE = /^\/auth\/(id|logout|tokens)(\/|$)/;

/** Whether a route reads the session cookie. */
export function readsSessionCookie(path: string): boolean {
  return !path.startsWith('/auth/') || SESSION_ROUTE.test(path);
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The resource a route's policy points at, read from the (validated) path parameters. For
 * `project`, a path without `{projectId}` (the project-host alias `/cors`) takes the project in
 * context: the `<projectId>.api.` host or the `X-Sanity-Project-ID` header.
 */
export function resourceFromParams(
  source: RoutePolicy['resource'],
  params: Record<string, string>,
  contextProjectId?: string | null,
): ResourceRef | undefined {
  switch (source) {
    case 'path': {
      const type = normalizeResourceType(params.resourceType ?? '');
      return type && params.resourceId ? { type, id: params.resourceId } : undefined;
    }
    case 'project': {
      const id = params.projectId ?? contextProjectId;
      return id ? { type: 'project', id } : undefined;
    }
    case 'organization':
      return params.organizationId ? { type: 'organization', id: params.organizationId } : undefined;
    default:
      return undefined;
  }
}

/**
 * Versions already accepted, by path segment, per server (each has its own clock): a request names
 * the same few every time, and parsing one (a regular expression and a calendar check) is a
 * measurable share of a cached request. Only versions that cannot turn invalid are remembered:
 * `v1`, `vX`, and dates at least two days before the server's clock (`parseApiVersion` refuses dates
 * after tomorrow). At most 256 are kept.
 */
const acceptedVersions = new WeakMap<Services, Map<string, ApiVersion>>();
const TWO_DAYS_MS = 2 * 86_400_000;

function apiVersion(known: Map<string, ApiVersion>, segment: string, now: number): ApiVersion {
  const parsed = parseApiVersion(segment, now);
  if (!parsed.ok) throw versionProblem(parsed.message, segment);
  const version = parsed.version;
  const settled = version.kind !== 'dated' || Date.parse(version.date) <= now - TWO_DAYS_MS;
  if (settled && known.size < 256) known.set(segment, version);
  return version;
}

/** Fills the request's state from its authorization; returns the refusal to raise now, if any. */
function applyAuthorization(state: RequestState, reply: FastifyReply, result: Authorization): Error | undefined {
  if (result.rateLimit) setRateLimitHeaders(reply, result.rateLimit);
  if (result.problem) return result.problem;
  state.principal = result.principal;
  state.refusal = result.refusal;
  if (!result.refusal) {
    state.resource = result.resource;
    state.access = result.access;
    state.permission = result.permission;
  }
  return undefined;
}

export function authorizationHooks(route: AnyRoute, services: Services) {
  const versioned = route.versioned !== false;
  const cookies = readsSessionCookie(route.path);
  const unsafe = UNSAFE_METHODS.has(route.method);
  const source = route.policy.resource;
  let knownVersions = acceptedVersions.get(services);
  if (!knownVersions) {
    knownVersions = new Map();
    acceptedVersions.set(services, knownVersions);
  }
  const known = knownVersions;

  /**
   * Everything about the caller, in one call into the services: credential (bearer first, then the
   * cookie), failure limits and counting, CSRF, the principal decision, and the access and decision
   * on the route's resource. A refusal on the resource waits for the preHandler, so a request with
   * invalid input still gets its 400 first. A plain callback: a warm request needs no promise.
   */
  function onRequest(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    const state: RequestState = {
      principal: null,
      version: null,
      resource: undefined,
      access: undefined,
      refusal: null,
      permission: undefined,
    };
    request.gatehouse = state;
    if (versioned) {
      const segment = (request.params as { apiVersion?: string }).apiVersion ?? '';
      state.version = known.get(segment) ?? apiVersion(known, segment, services.now().getTime());
    }
    let token = bearerToken(request.headers.authorization);
    const viaCookie = token === null && cookies;
    if (viaCookie) token = sessionCookieToken(request.headers.cookie);
    const params = request.params as Record<string, string>;
    const resource =
      source === undefined
        ? undefined
        : resourceFromParams(source, params, source === 'project' && !params.projectId ? projectContextOf(request) : null);
    const authorization = services.auth.authorize({
      token,
      viaCookie,
      ip: request.ip,
      unsafe,
      csrf: viaCookie && unsafe ? (tokenId) => services.sessions.checkCsrf(tokenId, request.headers[CSRF_HEADER]) : undefined,
      policy: route.policy,
      resource,
    });
    // Warm: answered at once, and a throw reaches Fastify's hook runner. Otherwise once read.
    if (!(authorization instanceof Promise)) {
      done(applyAuthorization(state, reply, authorization));
      return;
    }
    authorization.then((result) => {
      let error: Error | undefined;
      try {
        error = applyAuthorization(state, reply, result);
      } catch (thrown) {
        error = thrown as Error;
      }
      done(error);
    }, done);
  }

  /**
   * Once the parameters, query and body are valid: the refusal on the resource, if any, else the
   * permission used is counted for the permissions-used report (in memory, services/usage.ts). A
   * plain callback, not an async function: nothing to wait for, so no promise per request.
   */
  function preHandler(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
    const state = request.gatehouse;
    if (state.refusal) {
      done(state.refusal);
      return;
    }
    if (state.permission && state.resource) services.usage.record(state.principal, state.resource, state.permission);
    done();
  }

  return { onRequest, preHandler: source === undefined ? undefined : preHandler };
}
