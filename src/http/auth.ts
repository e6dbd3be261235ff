/**
 * The two authorization hooks every declared route gets:
 * - onRequest: version prefix, bearer token → principal, and "is this kind of caller accepted?"
 *   (before the body is even read, so a robot learns it is refused without guessing at inputs);
 * - preHandler: once the parameters are valid, membership and permission on the route's resource.
 * Both decisions come from model/policy.ts; this file only gathers their inputs.
 */
import type { FastifyRequest } from 'fastify';
import { Problem } from '../model/errors.js';
import type { Access } from '../model/policy.js';
import { decidePrincipal, decideResource, type ResourceRef, type RoutePolicy } from '../model/policy.js';
import type { Principal } from '../model/principals.js';
import { type ApiVersion, parseApiVersion } from '../model/versions.js';
import type { Services } from '../services/index.js';
import { normalizeResourceType } from '../services/robots.js';
import { versionProblem } from './errors.js';
import type { AnyRoute } from './route.js';

export interface RequestState {
  principal: Principal | null;
  version: ApiVersion | null;
  resource: ResourceRef | undefined;
  access: Access | null | undefined;
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
      { headers: { 'www-authenticate': 'Bearer realm="gatehouse"' } },
    );
  }
  throw new Problem(
    400,
    'Malformed Authorization header',
    { code: 'invalid_request', hint: 'Send exactly `Authorization: Bearer <token>`: one space, one token.' },
    { headers: { 'www-authenticate': 'Bearer realm="gatehouse", error="invalid_request"' } },
  );
}

/** The resource a route's policy points at, read from the (validated) path parameters. */
export function resourceFromParams(source: RoutePolicy['resource'], params: Record<string, string>): ResourceRef | undefined {
  switch (source) {
    case 'path': {
      const type = normalizeResourceType(params.resourceType ?? '');
      return type && params.resourceId ? { type, id: params.resourceId } : undefined;
    }
    case 'project':
      return params.projectId ? { type: 'project', id: params.projectId } : undefined;
    case 'organization':
      return params.organizationId ? { type: 'organization', id: params.organizationId } : undefined;
    default:
      return undefined;
  }
}

export function authorizationHooks(route: AnyRoute, services: Services) {
  const versioned = route.versioned !== false;

  async function onRequest(request: FastifyRequest): Promise<void> {
    const state: RequestState = { principal: null, version: null, resource: undefined, access: undefined };
    request.gatehouse = state;
    if (versioned) {
      const segment = (request.params as { apiVersion?: string }).apiVersion ?? '';
      const parsed = parseApiVersion(segment, services.deps.now().getTime());
      if (!parsed.ok) throw versionProblem(parsed.message, segment);
      state.version = parsed.version;
    }
    const token = bearerToken(request.headers.authorization);
    if (token !== null) state.principal = await services.auth.authenticate(token, request.ip);
    const resource = resourceFromParams(route.policy.resource, request.params as Record<string, string>);
    const decision = decidePrincipal(route.policy, state.principal, resource);
    if (!decision.allowed) throw decision.problem;
  }

  async function preHandler(request: FastifyRequest): Promise<void> {
    if (!route.policy.resource) return;
    const state = request.gatehouse;
    const resource = resourceFromParams(route.policy.resource, request.params as Record<string, string>);
    const withPolicy = route.policy.managesAccess === true && state.principal?.kind === 'robot';
    const access = resource ? await services.auth.accessOf(state.principal, resource, withPolicy) : null;
    const decision = decideResource(route.policy, state.principal, resource, access);
    if (!decision.allowed) throw decision.problem;
    state.resource = resource;
    state.access = access;
  }

  return { onRequest, preHandler };
}
