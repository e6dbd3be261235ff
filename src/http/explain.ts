/**
 * `explain`: what the route table would decide for a request, without making it.
 *
 * The request is matched against the same table the server routes with, then run through the same
 * steps in the same order as a real request — version prefix, principal kind, path parameters,
 * membership and permission — using the caller's own credentials. Nothing about a resource the
 * caller cannot see is revealed: the answer is then the same 404 the real request would get.
 */
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import { type Problem, problems, type Reason } from '../model/errors.js';
import { decidePrincipal, decideResource, type ResourceRef, requiredPermission } from '../model/policy.js';
import type { Principal } from '../model/principals.js';
import { parseApiVersion } from '../model/versions.js';
import type { Services } from '../services/index.js';
import { resourceFromParams } from './auth.js';
import { describeValidation, notFoundProblem, versionProblem } from './errors.js';
import type { AnyRoute, Method } from './route.js';
import { convertTextValue } from './text-values.js';

export interface Explanation {
  allowed: boolean;
  status: number;
  message: string;
  reason: Reason | null;
  route: {
    method: string;
    path: string;
    accepts: string[];
    permission: string | null;
    managesAccess: boolean;
    note: string | null;
  } | null;
  resource: ResourceRef | null;
  caller: { kind: 'anonymous' | 'user' | 'robot'; id: string | null; roles: string[]; impliedRoles: string[] };
  fix: string | null;
}

interface Matcher {
  route: AnyRoute;
  pattern: RegExp;
  names: string[];
  checkParams: ((value: unknown) => boolean) & { errors: (value: unknown) => TLocalizedValidationError[] };
}

/** The route table as regular expressions, in table order (which has no overlapping paths). */
export function routeMatchers(table: readonly AnyRoute[]): Matcher[] {
  // Fewer parameters first: a literal segment wins over a parameter, as in the router.
  const byParams = (route: AnyRoute) => (route.path.match(/:/g) ?? []).length;
  return [...table]
    .sort((a, b) => byParams(a) - byParams(b))
    .map((route) => {
      const names: string[] = [];
      const source = route.path
        .split('/')
        .map((part) => {
          if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(part.slice(1));
          return '([^/]+)';
        })
        .join('/');
      const check = route.params ? Compile(route.params as TSchema) : null;
      // Path text converted to the declared types first (`/cors/9`: an integer), as the server does.
      const typed = (value: unknown) => (route.params ? convertTextValue(route.params as object, value) : value);
      const checkParams = Object.assign((value: unknown) => (check ? check.Check(typed(value)) : true), {
        errors: (value: unknown) => (check ? [...check.Errors(typed(value))] : []),
      });
      return { route, pattern: new RegExp(`^${source}/?$`), names, checkParams };
    });
}

function displayPath(route: AnyRoute): string {
  return route.path.replace(/:([A-Za-z]+)/g, '{$1}');
}

function denial(problem: Problem) {
  const body = problem.toBody();
  return {
    allowed: false,
    status: problem.status,
    message: problem.message,
    reason: body.reason,
    fix: typeof body.reason.hint === 'string' ? body.reason.hint : null,
  };
}

/** The answer in reading order: the verdict first, then what it rests on. */
function ordered(e: Explanation): Explanation {
  return {
    allowed: e.allowed,
    status: e.status,
    message: e.message,
    reason: e.reason,
    fix: e.fix,
    route: e.route,
    resource: e.resource,
    caller: e.caller,
  };
}

export async function explainRequest(...call: Parameters<typeof decideCall>): Promise<Explanation> {
  return ordered(await decideCall(...call));
}

async function decideCall(
  matchers: readonly Matcher[],
  services: Services,
  principal: Principal | null,
  method: Method,
  rawPath: string,
  /** The project in context (host or `X-Sanity-Project-ID` of the explained call), if any. */
  contextProjectId?: string | null,
): Promise<Explanation> {
  const caller: Explanation['caller'] = {
    kind: principal?.kind ?? 'anonymous',
    id: principal?.id ?? null,
    roles: [],
    impliedRoles: [],
  };
  const base = { route: null, resource: null, caller };
  const path = rawPath.split('?')[0] ?? '';
  const segments = path.split('/');
  const first = segments[1] ?? '';

  // Versioned routes live under /v{version}; a few (/health) do not.
  let unversioned = path;
  let versionError: Problem | null = null;
  if (/^v/.test(first)) {
    const parsed = parseApiVersion(first, services.now().getTime());
    if (parsed.ok) unversioned = `/${segments.slice(2).join('/')}`;
    else versionError = versionProblem(parsed.message, first);
  }
  const versioned = unversioned !== path;
  const match = matchers
    .filter((m) => m.route.method === method && (m.route.versioned !== false) === versioned)
    .map((m) => ({ m, groups: m.pattern.exec(versioned ? unversioned : path) }))
    .find((x) => x.groups !== null);
  if (!match?.groups) {
    return { ...base, ...denial(versionError ?? notFoundProblem(method, path)) };
  }
  const { route } = match.m;
  const params: Record<string, string> = {};
  try {
    match.m.names.forEach((name, index) => {
      params[name] = decodeURIComponent(match.groups?.[index + 1] ?? '');
    });
  } catch {
    return { ...base, ...denial(problems.invalidInput('path contains malformed percent-encoding', 'path')) };
  }
  const resource = resourceFromParams(route.policy.resource, params, contextProjectId) ?? null;
  const permission = requiredPermission(route.policy, resource ?? undefined);
  const routeInfo = {
    method: route.method,
    path: displayPath(route),
    accepts: [...route.policy.accepts],
    permission: permission ?? null,
    managesAccess: route.policy.managesAccess === true,
    note: route.policy.note ?? null,
  };
  const known = { route: routeInfo, caller };

  const first_ = decidePrincipal(route.policy, principal, resource ?? undefined);
  if (!first_.allowed) return { ...known, resource, ...denial(first_.problem) };
  if (!match.m.checkParams(params)) {
    const { message, field } = describeValidation(match.m.checkParams.errors(params), 'params');
    return { ...known, resource, ...denial(problems.invalidInput(message, field)) };
  }
  if (route.policy.resource) {
    const withPolicy = route.policy.managesAccess === true && principal?.kind === 'robot';
    const access = resource ? await services.auth.accessOf(principal, resource, withPolicy) : null;
    if (access) {
      caller.roles = [...access.roleNames];
      caller.impliedRoles = [...(access.impliedRoleNames ?? [])];
    }
    const second = decideResource(route.policy, principal, resource ?? undefined, access);
    if (!second.allowed) return { ...known, resource, ...denial(second.problem) };
  }
  return {
    ...known,
    resource,
    allowed: true,
    status: route.status ?? 200,
    message: 'Allowed',
    reason: null,
    fix: null,
  };
}
