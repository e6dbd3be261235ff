/**
 * Small fixtures shared by end-to-end tests: projects, organizations, robots and members made
 * through the HTTP API (as a user would), plus the one thing the API cannot do yet — adding a
 * second human to a resource — done straight in the store until invitations exist.
 */
import { request } from 'node:http';
import { expect } from 'vitest';
import type { AnyRoute } from '../../src/http/route.js';
import { approveDomain } from '../../src/services/login/sso-accounts.js';
import { addMember as addMembership } from '../../src/services/memberships.js';
import { issueToken } from '../../src/services/tokens.js';
import type { Api, ApiResponse, TestServer } from './server.js';

export const V = '/v2025-01-09';

export type ResourceKind = 'project' | 'organization';

export interface RobotFixture {
  id: string;
  token: string;
  tokenId: string;
}

export async function createProject(api: Api, token: string, displayName = 'Fixture'): Promise<string> {
  const res = await api('POST', `${V}/projects`, { token, body: { displayName } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

export async function createOrganization(api: Api, token: string, name = 'Fixture org'): Promise<string> {
  const res = await api('POST', `${V}/organizations`, { token, body: { name } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** A robot on a project or organization, created by `token` (which must be allowed to). */
export async function createRobot(
  api: Api,
  token: string,
  resource: { type: ResourceKind; id: string },
  roleNames: string[],
  label = `robot ${roleNames.join('+')}`,
): Promise<RobotFixture> {
  const res = await api('POST', `${V}/access/${resource.type}/${resource.id}/robots`, {
    token,
    body: { label, memberships: [{ resourceType: resource.type, resourceId: resource.id, roleNames }] },
  });
  expect(res.status, res.text).toBe(201);
  return { id: res.body.id, token: res.body.token, tokenId: res.body.tokenId };
}

/**
 * Makes an existing user a member of a resource with the given roles. Written to the store
 * directly because no endpoint adds a second human yet (invitations come later).
 */
export async function addMember(
  server: TestServer,
  resource: { type: ResourceKind; id: string },
  userId: string,
  roleNames: string[],
): Promise<void> {
  await addMembership(server.running.store.db, resource, { kind: 'user', id: userId }, roleNames, new Date());
}

/**
 * The operator approves an e-mail domain for an organization's single sign-on, as
 * `gatehouse orgs domains add` does (services/login/sso-accounts.ts).
 */
export async function approveSsoDomain(server: TestServer, organizationId: string, domain: string): Promise<void> {
  await approveDomain(server.running.store.db, organizationId, domain, new Date());
}

/**
 * The error envelope every failure must have: JSON with `content-type: application/json;
 * charset=utf-8`, `statusCode` equal to the HTTP status, `error`, `message` and `reason.code`.
 */
export function expectErrorEnvelope(
  res: { status: number; headers: Headers; body: unknown; text: string },
  status: number,
  code?: string,
  label = '',
): void {
  const where = `${label ? `${label}: ` : ''}${res.status} ${res.text.slice(0, 400)}`;
  expect(res.status, where).toBe(status);
  expect(res.headers.get('content-type'), where).toBe('application/json; charset=utf-8');
  const body = res.body as Record<string, unknown>;
  expect(body, where).toMatchObject({
    statusCode: status,
    error: expect.any(String),
    message: expect.any(String),
    reason: { code: expect.any(String) },
  });
  if (code !== undefined) expect((body.reason as { code: string }).code, where).toBe(code);
}

// --- Calling routes from the route table -----------------------------------------------------

export const routeKey = (route: Pick<AnyRoute, 'method' | 'path'>) => `${route.method} ${route.path}`;

export interface SampleContext {
  /** The resource the route acts on, when its policy names one. */
  resource: { type: ResourceKind; id: string } | undefined;
}

let suffix = 0;
/** A name no other sample in this process used. */
function uniqueSuffix(): string {
  suffix += 1;
  return `${process.pid.toString(36)}-${suffix}`;
}

/** A password the sign-up rules accept (long, not common, not an e-mail address). */
export const SAMPLE_PASSWORD = 'copper kettle sings at dawn 42';
/** A well-formed login flow id (`flow`, SAML `RelayState`) of no login. */
export const NO_SUCH_FLOW = 'sample-flow-that-was-never-started';
/** A well-formed sid that no login issued. */
export const NO_SUCH_SID = 'sample-sid-that-was-never-issued';
/**
 * Where sample logins send the browser back: a loopback origin, as the CLI's (nothing listens
 * there; tests never follow the redirect).
 */
export const SAMPLE_ORIGIN = 'http://127.0.0.1:9/callback';

/**
 * A valid body for every route that takes one, keyed by `METHOD path`. Tests that walk the route
 * table fail on a route with a body and no entry here, so a new route cannot skip them silently.
 * Each sample is harmless: it creates something disposable or renames a fixture.
 */
export const SAMPLE_BODIES: Record<string, (ctx: SampleContext) => Record<string, unknown>> = {
  'POST /access/:resourceType/:resourceId/robots': ({ resource }) => ({
    label: 'sample robot',
    memberships: [
      {
        resourceType: resource?.type,
        resourceId: resource?.id,
        roleNames: [resource?.type === 'organization' ? 'member' : 'viewer'],
      },
    ],
  }),
  'POST /access/:resourceType/:resourceId/roles': ({ resource }) => ({
    name: `sample-role-${uniqueSuffix()}`,
    title: 'Sample role',
    description: 'Made by a test',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [{ name: resource?.type === 'organization' ? 'sanity-organization' : 'sanity-project', action: 'read' }],
  }),
  'PUT /access/:resourceType/:resourceId/roles/:roleName': ({ resource }) => ({
    title: 'Sample role (updated)',
    description: 'Updated by a test',
    appliesToUsers: true,
    appliesToRobots: true,
    permissions: [{ name: resource?.type === 'organization' ? 'sanity-organization' : 'sanity-project', action: 'read' }],
  }),
  'POST /access/:resourceType/:resourceId/permissions': ({ resource }) => ({
    name: `sample-permission-${uniqueSuffix()}`,
    type: resource?.type === 'organization' ? 'sanity.organization' : 'sanity.project',
    title: 'Sample permission',
    description: 'Made by a test',
  }),
  'PUT /access/:resourceType/:resourceId/permissions/:permissionName': ({ resource }) => ({
    type: resource?.type === 'organization' ? 'sanity.organization' : 'sanity.project',
    title: 'Sample permission (updated)',
    description: 'Updated by a test',
  }),
  'PUT /access/:resourceType/:resourceId/users/:userId/roles': ({ resource }) => ({
    roleNames: [resource?.type === 'organization' ? 'administrator' : 'administrator'],
  }),
  'PUT /access/:resourceType/:resourceId/robots/:robotId': () => ({ label: 'sample label' }),
  // A long grace period, so the rotated token keeps working for the rest of a test.
  'POST /access/robots/me/rotate': () => ({ gracePeriodSeconds: 86_400 }),
  'POST /access/:resourceType/:resourceId/robots/:robotId/rotate': () => ({ gracePeriodSeconds: 3_600 }),
  'PATCH /organizations/:organizationId/policies': () => ({ robotsMayManageMembers: true }),
  'POST /organizations/:organizationId/providers': () => ({
    type: 'oidc',
    title: 'Sample provider',
    config: { issuer: 'https://login.example.com', clientId: 'sample' },
  }),
  'PUT /organizations/:organizationId/providers/:providerId': () => ({
    type: 'oidc',
    title: 'Sample provider (updated)',
    config: { issuer: 'https://login.example.com', clientId: 'sample' },
  }),
  'POST /projects': () => ({ displayName: 'Sample project' }),
  'PATCH /projects/:projectId': () => ({ displayName: 'Sample name' }),
  'POST /projects/:projectId/tokens': () => ({ label: 'sample token', roleName: 'viewer' }),
  'POST /organizations': () => ({ name: 'Sample organization' }),
  // Asking for another role: allowed to members and non-members alike (`access` is 409
  // already_member for a member). One cell per user and resource, so never 409 request_pending.
  'POST /access/:resourceType/:resourceId/requests': () => ({ type: 'role', note: 'sample' }),
  // The body is required; empty means "the requested role, or the default one".
  'PUT /access/:resourceType/:resourceId/requests/:requestId/accept': () => ({}),
  // A new address per call (a second pending invitation to one address is 409 invite_pending).
  // Without SMTP the message goes to the outbox folder: harmless.
  'POST /access/:resourceType/:resourceId/invites': ({ resource }) => ({
    email: `sample-${uniqueSuffix()}@example.com`,
    role: resource?.type === 'organization' ? 'member' : 'viewer',
  }),
  'POST /invitations/project/:projectId': () => ({ email: `sample-${uniqueSuffix()}@example.com`, role: 'viewer' }),
  // A new origin per call (an origin already allowed is 409 cors_origin_exists).
  'POST /projects/:projectId/cors': () => ({ origin: `https://sample-${uniqueSuffix()}.example.com`, allowCredentials: false }),
  'POST /cors': () => ({ origin: `https://sample-${uniqueSuffix()}.example.com`, allowCredentials: false }),
  'PATCH /organizations/:organizationId': () => ({ name: 'Sample org name' }),
  // Idempotent: sets the password the first time, and then changes it to itself.
  'PUT /users/me/password': () => ({ currentPassword: SAMPLE_PASSWORD, newPassword: SAMPLE_PASSWORD }),
  // Form routes (`bodyType: 'form'`): every value is text. Their single-use values name nothing
  // (see NO_SUCH_FLOW); a test that needs the call to succeed makes a live one.
  'POST /auth/login/sanity': () => ({ flow: NO_SUCH_FLOW, email: 'nobody@example.com', password: SAMPLE_PASSWORD }),
  'POST /auth/signup/sanity': () => ({
    flow: NO_SUCH_FLOW,
    name: 'Sample person',
    email: `signup-${uniqueSuffix()}@example.com`,
    password: SAMPLE_PASSWORD,
  }),
  // A well-formed token whose checksum is wrong: it names nothing, so the report changes nothing.
  'POST /tokens/leaked': () => ({ token: `gth_robot_${'A'.repeat(49)}`, url: 'https://example.com/where-it-was-found' }),
  'POST /auth/saml/acs/:providerId': () => ({
    SAMLResponse: Buffer.from('<samlp:Response/>').toString('base64'),
    RelayState: NO_SUCH_FLOW,
  }),
};

/**
 * A valid query string for every route with a required query parameter, keyed like SAMPLE_BODIES;
 * tests that walk the route table fail on a route that needs one and has none. Single-use values
 * (a login's flow, a sid) are well-formed and name nothing, as in SAMPLE_BODIES.
 */
export const SAMPLE_QUERIES: Record<string, (ctx: SampleContext) => string> = {
  'GET /access/explain': () => `method=GET&path=${encodeURIComponent(`${V}/projects`)}`,
  'GET /access/:resourceType/:resourceId/user-permissions/me/check': ({ resource }) =>
    `permissions=sanity.${resource?.type ?? 'project'}.read&permissions=sanity.${resource?.type ?? 'project'}.members.read`,
  'GET /auth/login/:provider': () => `origin=${encodeURIComponent(SAMPLE_ORIGIN)}&type=token&label=sample`,
  'GET /auth/fetch': () => `sid=${NO_SUCH_SID}`,
  'GET /auth/signup/sanity': () => `flow=${NO_SUCH_FLOW}`,
  'GET /projects/:projectId/cors/explain': () => `origin=${encodeURIComponent('https://example.com')}`,
};

/**
 * A well-formed invite token (`gth_invite_` and 49 characters) whose checksum is wrong: it names no
 * invitation, so the token routes answer 404 invite_not_found to everybody they let through. A
 * real token exists only in the e-mail (test/e2e/invites.test.ts reads one from the outbox).
 */
export const NO_SUCH_INVITE_TOKEN = `gth_invite_${'a'.repeat(49)}`;

/**
 * Routes whose handler reads the project in context (the `<projectId>.api.` host or the
 * `X-Sanity-Project-ID` header) although their policy names no resource. Routes whose policy's
 * resource is `project` and whose path has no `:projectId` (the `/cors` aliases) take the project
 * from the context by declaration, and need no entry here.
 */
const READS_PROJECT_CONTEXT = new Set([
  // The browser's CORS check: 400 project_context_required without a project in context.
  'GET /check/cors',
]);

/** Whether a route acts on the project in context rather than one named in its path. */
export function takesProjectFromContext(route: Pick<AnyRoute, 'method' | 'path' | 'policy'>): boolean {
  if (READS_PROJECT_CONTEXT.has(routeKey(route))) return true;
  return route.policy.resource === 'project' && !route.path.includes(':projectId');
}

/** The headers that put `projectId` in context, for routes that take their project from it; none for others. */
export function projectContextHeaders(
  route: Pick<AnyRoute, 'method' | 'path' | 'policy'>,
  projectId: string,
): Record<string, string> {
  return takesProjectFromContext(route) ? { 'x-sanity-project-id': projectId } : {};
}

/** The query parameters a route requires (those not marked optional in its schema). */
export function requiredQuery(route: AnyRoute): string[] {
  return ((route.query as { required?: string[] } | undefined)?.required ?? []).slice();
}

/** The path of a route call with its sample query string, if it needs one. */
export function withSampleQuery(route: AnyRoute, path: string, ctx: SampleContext): string {
  const sample = SAMPLE_QUERIES[routeKey(route)];
  if (!sample) {
    if (requiredQuery(route).length > 0) throw new Error(`${routeKey(route)} requires a query but has no SAMPLE_QUERIES entry`);
    return path;
  }
  return `${path}?${sample(ctx)}`;
}

/**
 * A body as the route takes it, as options for the `api` client: JSON, or for `bodyType: 'form'`
 * routes an HTML form (`application/x-www-form-urlencoded`, every value as text).
 */
export function encodeBody(
  route: Pick<AnyRoute, 'bodyType'>,
  body: Record<string, unknown>,
): { rawBody: string; headers: Record<string, string> } {
  if (route.bodyType !== 'form') return { rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  const form = new URLSearchParams(Object.entries(body).map(([name, value]) => [name, String(value)]));
  return { rawBody: form.toString(), headers: { 'content-type': FORM_MEDIA_TYPE } };
}

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/**
 * A further personal token of a user, straight from the store (as `admin create-user` issues
 * them): one that no test authenticates with, so revoking it ends nobody's session.
 */
export function issuePersonalToken(server: TestServer, userId: string, label = 'spare') {
  return issueToken(server.running.store.db, server.running.deps, {
    kind: 'user',
    principalId: userId,
    label,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    source: 'admin',
  });
}

/**
 * The concrete path of a route (with its version prefix unless it has none), each `:param`
 * replaced from `values` and URL-encoded. A parameter with no value is an error that names it.
 */
export function fillPath(route: AnyRoute, values: Record<string, string | undefined>, version = V): string {
  const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${routeKey(route)}; teach the test about it`);
    return encodeURIComponent(value);
  });
  return route.versioned === false ? path : `${version}${path}`;
}

/**
 * A request sent exactly as written, for paths `fetch` would normalize (`/a/../b`). Same result
 * shape as the `api` client.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely.
): Promise<ApiResponse<any>> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        let body: unknown = text;
        try {
          body = text === '' ? null : JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers, body, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
