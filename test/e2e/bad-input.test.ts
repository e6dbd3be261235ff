/**
 * Bad input, for every route: malformed or mistyped bodies, unknown fields, oversize bodies and
 * bodies of the wrong media type (JSON routes take JSON, form routes an HTML form), bad ids in the
 * path, bad paging, bad versions, unknown routes and broken credentials.
 * Each is refused with the one error envelope, a status that says whose fault it is, a message
 * that names what to fix, and never a 500. A refused request leaves nothing behind.
 *
 * Where the route table can tell us what to send (which routes take a body, which fields it has
 * and their types, which path and query parameters exist), the cases are generated from it.
 */
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../src/http/route.js';
import { routes } from '../../src/http/routes/index.js';
import { convertTextValue } from '../../src/http/text-values.js';
import { generateToken } from '../../src/model/tokens.js';
import {
  createOrganization,
  createProject,
  createRobot,
  encodeBody,
  expectErrorEnvelope,
  FORM_MEDIA_TYPE,
  fillPath,
  issuePersonalToken,
  NO_SUCH_INVITE_TOKEN,
  projectContextHeaders,
  type ResourceKind,
  type RobotFixture,
  rawRequest,
  routeKey,
  SAMPLE_BODIES,
  SAMPLE_ORIGIN,
  SAMPLE_PASSWORD,
  SAMPLE_QUERIES,
  V,
} from '../support/fixtures.js';
import { selfSignedCertificate } from '../support/saml-idp.js';
import { type Api, type ApiResponse, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;
let organizationId: string;
let standing: RobotFixture;
let robotAdmin: RobotFixture;
let robotDeveloper: RobotFixture;
/** Identity providers of the organization: OpenID Connect and SAML. */
let oidcProviderId: string;
let samlProviderId: string;
/** A personal token of the owner that nothing authenticates with. */
let spareTokenId: string;
/** A pending access request to the project (by another user), a pending invitation and an allowed CORS origin of it. */
let requestId: string;
let inviteId: string;
let originId: string;
const ORGANIZATION_SLUG = 'bad-input-org';
/** Every error response checked, for the summary at the end. */
let checked = 0;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser('owner@example.com', 'Oona Owner');
  projectId = await createProject(api, owner.token, 'Bad input');
  organizationId = await createOrganization(api, owner.token, 'Bad input org');
  standing = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer'], 'standing');
  robotAdmin = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['administrator'], 'admin robot');
  robotDeveloper = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['developer'], 'developer robot');
  oidcProviderId = await createProvider({
    type: 'oidc',
    title: 'Bad input OIDC',
    config: { issuer: 'https://login.example.com', clientId: 'bad-input' },
  });
  samlProviderId = await createProvider({
    type: 'saml',
    title: 'Bad input SAML',
    config: {
      entryPoint: 'https://idp.example.com/sso',
      idpIssuer: 'https://idp.example.com/metadata',
      idpCert: selfSignedCertificate('bad-input-idp').certificatePem,
    },
  });
  spareTokenId = (await issuePersonalToken(server, owner.userId)).row.id;
  const asker = await server.createUser('asker@example.com', 'Ash Asker');
  const asked = await api('POST', `${V}/access/project/${projectId}/requests`, {
    token: asker.token,
    body: { note: 'standing' },
  });
  expect(asked.status, asked.text).toBe(201);
  requestId = asked.body.id;
  const invited = await api('POST', `${V}/access/project/${projectId}/invites`, {
    token: owner.token,
    body: { email: 'invitee@example.com', role: 'viewer' },
  });
  expect(invited.status, invited.text).toBe(201);
  inviteId = invited.body.id;
  const origin = await api('POST', `${V}/projects/${projectId}/cors`, {
    token: owner.token,
    body: { origin: 'https://standing.bad-input.example', allowCredentials: false },
  });
  expect(origin.status, origin.text).toBe(201);
  originId = String(origin.body.id);
  const slugged = await api('PATCH', `${V}/organizations/${organizationId}`, {
    token: owner.token,
    body: { slug: ORGANIZATION_SLUG },
  });
  expect(slugged.status, slugged.text).toBe(200);
});

async function createProvider(body: Record<string, unknown>): Promise<string> {
  const res = await api('POST', `${V}/organizations/${organizationId}/providers`, { token: owner.token, body });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

afterAll(async () => {
  await server?.close();
});

/** A call of a route, with the project in context when the route takes its project from there (the `/cors` aliases). */
function callRoute(
  route: AnyRoute,
  method: string,
  path: string,
  options: NonNullable<Parameters<Api>[2]> = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely.
): Promise<ApiResponse<any>> {
  return api(method, path, { ...options, headers: { ...projectContextHeaders(route, projectId), ...options.headers } });
}

function expectError(res: ApiResponse, status: number, code: string | undefined, label: string): void {
  checked++;
  expectErrorEnvelope(res, status, code, label);
}

// --- Calling any route as someone it lets through ------------------------------------------------

/** Valid values (real fixtures) for every path parameter the table uses, on a route. */
function validParams(route: AnyRoute): Record<string, string> {
  return {
    resourceType: 'project',
    resourceId: projectId,
    projectId,
    organizationId,
    userId: owner.userId,
    userIds: owner.userId,
    robotId: standing.id,
    tokenId: standing.tokenId,
    roleName: 'viewer',
    permissionName: 'sanity-project',
    provider: 'sanity',
    providerId: oidcProviderId,
    slug: ORGANIZATION_SLUG,
    requestId,
    inviteId,
    originId,
    inviteToken: NO_SUCH_INVITE_TOKEN,
    ...ROUTE_PARAMS[routeKey(route)]?.(),
  };
}

/** Where a parameter's name does not say which fixture it names, the route does. */
const ROUTE_PARAMS: Record<string, () => Record<string, string>> = {
  // A personal token (of the owner, unused), not a robot's.
  'DELETE /auth/tokens/:tokenId': () => ({ tokenId: spareTokenId }),
  'GET /auth/callback/oidc/:provider': () => ({ provider: oidcProviderId }),
  'GET /auth/saml/metadata/:providerId': () => ({ providerId: samlProviderId }),
  'POST /auth/saml/acs/:providerId': () => ({ providerId: samlProviderId }),
};

/** The path of a route with valid parameters, and its sample query when it needs one (only the tested part is bad). */
function validPath(route: AnyRoute, params: Record<string, string> = {}, version = V): string {
  const path = fillPath(route, { ...validParams(route), ...params }, version);
  const query = SAMPLE_QUERIES[routeKey(route)];
  return query ? `${path}?${query({ resource: resourceOf(route) })}` : path;
}

function paramNames(route: AnyRoute): string[] {
  return [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
}

/** A token the route's policy accepts and that holds every permission it needs. */
function tokenFor(route: AnyRoute): string | undefined {
  const { accepts } = route.policy;
  if (accepts.includes('user')) return owner.token;
  if (accepts.includes('robot')) return robotAdmin.token;
  return undefined;
}

function resourceOf(route: AnyRoute): { type: ResourceKind; id: string } | undefined {
  switch (route.policy.resource) {
    case 'path':
    case 'project':
      return { type: 'project', id: projectId };
    case 'organization':
      return { type: 'organization', id: organizationId };
    default:
      return undefined;
  }
}

function sampleBody(route: AnyRoute): Record<string, unknown> {
  const sample = SAMPLE_BODIES[routeKey(route)];
  if (!sample) throw new Error(`${routeKey(route)} has a body but no entry in SAMPLE_BODIES (test/support/fixtures.ts)`);
  return sample({ resource: resourceOf(route) });
}

/** The sample body as the route takes it (JSON or a form), for tests about something else; none without a body. */
function sampleRequest(route: AnyRoute): { rawBody?: string; headers?: Record<string, string> } {
  return route.body ? encodeBody(route, sampleBody(route)) : {};
}

const bodyRoutes = routes.filter((r) => r.body !== undefined);
const jsonBodyRoutes = bodyRoutes.filter((r) => r.bodyType !== 'form');
const formBodyRoutes = bodyRoutes.filter((r) => r.bodyType === 'form');
const versionedRoutes = routes.filter((r) => r.versioned !== false);
const routesWithParams = routes.filter((r) => paramNames(r).length > 0);
const routesWithQuery = routes.filter((r) => r.query !== undefined);
const pagedRoutes = routes.filter((r) => (r.query as JsonSchema | undefined)?.properties?.limit !== undefined);

/**
 * How a paged list pages. The standard page (`PageQuery`, `PageOf`): `limit` 1–500, unknown query
 * parameters ignored, `{data, totalCount, nextCursor}`. The lists below page otherwise, and get the
 * same checks with their own bounds; every other list must be standard.
 */
interface Paging {
  maxLimit: number;
  /** Whether an unknown query parameter is ignored or refused with 400. */
  unknownQuery: 'ignored' | 'refused';
  /** `page`: the standard page; `events`: `{data, nextCursor}` without totalCount; `csv`: one CSV file, no cursor out. */
  shape: 'page' | 'events' | 'csv';
}
const STANDARD_PAGING: Paging = { maxLimit: 500, unknownQuery: 'ignored', shape: 'page' };
const PAGING_EXCEPTIONS: Record<string, Paging> = {
  // The activity log: at most 100 events a page; its filters are a closed set (a misspelt filter
  // must not silently widen what is read); no totalCount (counting the filtered log is a scan).
  'GET /activity': { maxLimit: 100, unknownQuery: 'refused', shape: 'events' },
  // Its CSV export: one file of up to 10 000 rows, same closed filters; `nextCursor` continues a
  // listing, but none is returned.
  'GET /activity/export/csv': { maxLimit: 10_000, unknownQuery: 'refused', shape: 'csv' },
};
const pagingOf = (route: AnyRoute): Paging => PAGING_EXCEPTIONS[routeKey(route)] ?? STANDARD_PAGING;

// --- Reading the declared schemas ---------------------------------------------------------------

interface JsonSchema {
  type?: string | string[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The JSON types a schema admits, or null when it admits anything (`Type.Unknown`). */
function admittedTypes(schema: JsonSchema): Set<string> | null {
  if (schema.anyOf) {
    const out = new Set<string>();
    for (const branch of schema.anyOf) {
      const types = admittedTypes(branch);
      if (types === null) return null;
      for (const t of types) out.add(t);
    }
    return out;
  }
  if (schema.type === undefined) return schema.enum ? new Set(schema.enum.map(jsonType)) : null;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return new Set(types.map((t) => (t === 'integer' ? 'number' : t)));
}

/** A JSON value of a type the schema does not admit. */
function wrongTypeFor(schema: JsonSchema): unknown {
  const admitted = admittedTypes(schema);
  if (admitted === null) return undefined;
  return [12345, 'not the right type', true, ['x'], { x: 1 }].find((v) => !admitted.has(jsonType(v)));
}

// --- Bodies ---------------------------------------------------------------------------------------

describe('request bodies, on every route that takes one', () => {
  it('the table has routes with bodies, each with a sample', () => {
    expect(bodyRoutes.length).toBeGreaterThan(0);
    for (const route of bodyRoutes) expect(() => sampleBody(route), routeKey(route)).not.toThrow();
  });

  it('every route takes JSON or an HTML form, and both kinds are covered below', () => {
    for (const route of bodyRoutes) expect([undefined, 'json', 'form'], routeKey(route)).toContain(route.bodyType);
    expect(jsonBodyRoutes.length + formBodyRoutes.length).toBe(bodyRoutes.length);
    expect(jsonBodyRoutes.length).toBeGreaterThan(0);
    expect(formBodyRoutes.length).toBeGreaterThan(0);
  });
});

describe('JSON bodies, on every route that takes one', () => {
  for (const route of jsonBodyRoutes) {
    describe(routeKey(route), () => {
      const send = (options: { body?: unknown; rawBody?: string; headers?: Record<string, string> }) =>
        callRoute(route, route.method, validPath(route), { token: tokenFor(route), ...options });

      it('malformed JSON → 400 malformed_json', async () => {
        const bad = ['{', '{"label":', 'not json', "{'single': 'quotes'}", '{"a":1,}', '\u0000'];
        for (const rawBody of bad) {
          const res = await send({ rawBody, headers: { 'content-type': 'application/json' } });
          expectError(res, 400, 'malformed_json', `${routeKey(route)} ${JSON.stringify(rawBody)}`);
        }
        const empty = await send({ rawBody: '', headers: { 'content-type': 'application/json' } });
        expectError(empty, 400, 'malformed_json', `${routeKey(route)} empty body`);
      });

      it('valid JSON that is not an object → 400 invalid_input', async () => {
        for (const rawBody of ['[]', '"text"', '42', 'true', 'null']) {
          const res = await send({ rawBody, headers: { 'content-type': 'application/json' } });
          expectError(res, 400, 'invalid_input', `${routeKey(route)} ${rawBody}`);
          expect(res.body.message, rawBody).toMatch(/^body\b/);
        }
      });

      it('a prototype-poisoning key is refused, not merged', async () => {
        const rawBody = JSON.stringify(sampleBody(route)).replace(/^\{/, '{"__proto__":{"polluted":true},');
        const res = await send({ rawBody, headers: { 'content-type': 'application/json' } });
        expectError(res, 400, undefined, `${routeKey(route)} __proto__`);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });

      it('each field with a wrong type → 400 invalid_input naming the field', async () => {
        const properties = (route.body as JsonSchema).properties ?? {};
        let tried = 0;
        for (const [name, schema] of Object.entries(properties)) {
          const wrong = wrongTypeFor(schema);
          if (wrong === undefined) continue; // admits any JSON value
          tried++;
          const res = await send({ body: { ...sampleBody(route), [name]: wrong } });
          const label = `${routeKey(route)} ${name}=${JSON.stringify(wrong)}`;
          expectError(res, 400, 'invalid_input', label);
          expect(res.body.message, label).toContain(`body.${name}`);
          expect(res.body.reason.field, label).toMatch(new RegExp(`^body\\.${name}\\b`));
        }
        expect(tried, 'fields with a checkable type').toBeGreaterThan(0);
      });

      it('a NUL character in a string → 400 invalid_input naming the field (PostgreSQL text cannot hold one)', async () => {
        const sample = sampleBody(route) as Record<string, unknown>;
        const name = Object.keys(sample).find((key) => typeof sample[key] === 'string') ?? 'surprise';
        const res = await send({ body: { ...sample, [name]: 'a\u0000b' } });
        expectError(res, 400, 'invalid_input', `${routeKey(route)} ${name}`);
        expect(res.body.reason.field).toBe(`body.${name}`);
        expect(res.body.message).toContain('NUL');
      });

      it('an unknown field → 400 naming it', async () => {
        const res = await send({ body: { ...sampleBody(route), surprise: 1 } });
        expectError(res, 400, 'invalid_input', routeKey(route));
        expect(res.body.message).toContain('"surprise"');
        expect(res.body.reason.field).toBe('body.surprise');
      });

      it('a body over 64 KiB → 413 body_too_large', async () => {
        const huge = JSON.stringify({ ...sampleBody(route), padding: 'x'.repeat(70 * 1024) });
        const res = await send({ rawBody: huge, headers: { 'content-type': 'application/json' } });
        expectError(res, 413, 'body_too_large', routeKey(route));
        // Also when the size is not announced up front (chunked transfer encoding).
        const chunked = await rawRequest(server.url, route.method, validPath(route), {
          headers: {
            ...projectContextHeaders(route, projectId),
            authorization: `Bearer ${tokenFor(route)}`,
            'content-type': 'application/json',
            'transfer-encoding': 'chunked',
          },
          body: huge,
        });
        expectError(chunked, 413, 'body_too_large', `${routeKey(route)} chunked`);
      });

      it('a body that is not JSON → 415', async () => {
        const json = JSON.stringify(sampleBody(route));
        for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
          const res = await send({ rawBody: json, headers: { 'content-type': type } });
          expectError(res, 415, 'unsupported_media_type', `${routeKey(route)} ${type}`);
        }
      });
    });
  }

  it('nested fields are named by their path', async () => {
    const path = `${V}/access/project/${projectId}/robots`;
    const membership = { resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] };
    const cases: Array<[unknown, string]> = [
      [{ label: 'x', memberships: [{ ...membership, roleNames: 'viewer' }] }, 'body.memberships.0.roleNames'],
      [{ label: 'x', memberships: [{ ...membership, roleNames: [7] }] }, 'body.memberships.0.roleNames.0'],
      [{ label: 'x', memberships: [{ ...membership, resourceType: 'planet' }] }, 'body.memberships.0.resourceType'],
      [{ label: 'x', memberships: [{ ...membership, resourceId: 'bad id!' }] }, 'body.memberships.0.resourceId'],
      [{ label: 'x', memberships: [{ ...membership, extra: true }] }, 'body.memberships.0'],
      [{ label: 'x', memberships: [membership], expiresAt: 'tomorrow' }, 'body.expiresAt'],
      [{ label: '', memberships: [membership] }, 'body.label'],
      [{ label: 'x'.repeat(201), memberships: [membership] }, 'body.label'],
      [{ memberships: [membership] }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await api('POST', path, { token: owner.token, body });
      const label = JSON.stringify(body).slice(0, 120);
      expectError(res, 400, 'invalid_input', label);
      expect(res.body.message, label).toContain(field);
    }
  });

  it('types are not coerced in bodies ("5" is not a number, "true" not a boolean)', async () => {
    const res = await api('PATCH', `${V}/projects/${projectId}`, { token: owner.token, body: { displayName: 5 } });
    expectError(res, 400, 'invalid_input', 'displayName: 5');
    expect(res.body.reason.field).toBe('body.displayName');
  });
});

/** Values of a text field that its schema refuses: empty, too long, not of its pattern. */
function invalidTexts(schema: JsonSchema): string[] {
  const out: string[] = [];
  if ((schema.minLength ?? 0) >= 1) out.push('');
  if (schema.maxLength !== undefined) out.push('x'.repeat(schema.maxLength + 1));
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test('bad value!')) out.push('bad value!');
  if (schema.enum !== undefined) out.push('not-a-listed-value');
  return out;
}

/**
 * Form routes (`bodyType: 'form'`: the login, sign-up and SAML forms browsers post) get the form
 * equivalents of the JSON checks above. Every form value is text, so there is no "wrong type" and
 * no malformed document: a wrong field is a missing one or a text its schema refuses.
 */
describe('form bodies, on every route that takes an HTML form', () => {
  for (const route of formBodyRoutes) {
    describe(routeKey(route), () => {
      const form = (fields: Record<string, unknown>) => encodeBody(route, fields).rawBody;
      const send = (rawBody: string, contentType = FORM_MEDIA_TYPE) =>
        callRoute(route, route.method, validPath(route), {
          token: tokenFor(route),
          rawBody,
          headers: { 'content-type': contentType },
        });

      it('a JSON body, or any other media type → 415 unsupported_media_type naming the form type', async () => {
        const json = JSON.stringify(sampleBody(route));
        for (const type of [
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
        ]) {
          const res = await send(json, type);
          expectError(res, 415, 'unsupported_media_type', `${routeKey(route)} ${type}`);
          expect(res.body.message).toContain(FORM_MEDIA_TYPE);
        }
      });

      it('an unknown field → 400 naming it', async () => {
        const res = await send(form({ ...sampleBody(route), surprise: '1' }));
        expectError(res, 400, 'invalid_input', routeKey(route));
        expect(res.body.message).toContain('"surprise"');
        expect(res.body.reason.field).toBe('body.surprise');
      });

      it('each required field missing → 400 naming it; an empty form too', async () => {
        const { required = [] } = route.body as JsonSchema;
        for (const name of required) {
          const { [name]: _left, ...rest } = sampleBody(route);
          const res = await send(form(rest));
          expectError(res, 400, 'invalid_input', `${routeKey(route)} without ${name}`);
          expect(res.body.message, name).toContain(`"${name}"`);
        }
        if (required.length === 0) return;
        const empty = await send('');
        expectError(empty, 400, 'invalid_input', `${routeKey(route)} empty form`);
        expect(empty.body.message).toMatch(/^body is missing required field/);
      });

      it('each field with a value its schema refuses → 400 invalid_input naming the field', async () => {
        let tried = 0;
        for (const [name, schema] of Object.entries((route.body as JsonSchema).properties ?? {})) {
          for (const bad of invalidTexts(schema)) {
            tried++;
            const res = await send(form({ ...sampleBody(route), [name]: bad }));
            const label = `${routeKey(route)} ${name}=${JSON.stringify(bad.slice(0, 20))}${bad.length > 20 ? '…' : ''}`;
            expectError(res, 400, 'invalid_input', label);
            expect(res.body.message, label).toContain(`body.${name}`);
            expect(res.body.reason.field, label).toBe(`body.${name}`);
          }
        }
        expect(tried, 'fields with a checkable value').toBeGreaterThan(0);
      });

      it('a repeated field counts once, with its last value (never a list)', async () => {
        const sample = sampleBody(route);
        const [name, bad] = Object.entries((route.body as JsonSchema).properties ?? {})
          .filter(([field]) => field in sample)
          .map(([field, schema]) => [field, invalidTexts(schema)[0]])
          .find(([, text]) => text !== undefined) as [string, string];
        const { [name]: value, ...rest } = sample;
        const invalid = new URLSearchParams({ [name]: bad });
        const valid = new URLSearchParams({ [name]: String(value) });
        const lastBad = await send(`${valid}&${form(rest)}&${invalid}`);
        expectError(lastBad, 400, 'invalid_input', `${routeKey(route)} ${name}: valid, then invalid`);
        expect(lastBad.body.reason.field).toBe(`body.${name}`);
        // Valid last: past validation (the handler then refuses the sample's placeholder values its own way).
        const lastGood = await send(`${invalid}&${form(rest)}&${valid}`);
        expect(lastGood.status, lastGood.text.slice(0, 300)).toBeLessThan(500);
        expect(lastGood.body?.reason?.code, lastGood.text.slice(0, 300)).not.toBe('invalid_input');
      });

      it('a __proto__ or constructor key is a field the schema refuses, not a prototype', async () => {
        for (const key of ['__proto__', '__proto__[polluted]', 'constructor[prototype][polluted]', 'constructor']) {
          const res = await send(`${encodeURIComponent(key)}=true&${form(sampleBody(route))}`);
          expectError(res, 400, 'invalid_input', `${routeKey(route)} ${key}`);
          expect(res.body.message, key).toContain(`"${key}"`);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(Object.getPrototypeOf({})).toBe(Object.prototype);
        }
      });

      it('a form over 64 KiB → 413 body_too_large, also when chunked', async () => {
        const huge = form({ ...sampleBody(route), padding: 'x'.repeat(70 * 1024) });
        const res = await send(huge);
        expectError(res, 413, 'body_too_large', routeKey(route));
        const chunked = await rawRequest(server.url, route.method, validPath(route), {
          headers: {
            ...projectContextHeaders(route, projectId),
            authorization: `Bearer ${tokenFor(route)}`,
            'content-type': FORM_MEDIA_TYPE,
            'transfer-encoding': 'chunked',
          },
          body: huge,
        });
        expectError(chunked, 413, 'body_too_large', `${routeKey(route)} chunked`);
      });
    });
  }
});

// --- Path parameters ------------------------------------------------------------------------------

describe('bad ids in the path, on every route that has path parameters', () => {
  const BAD_VALUES = ['bad id!', 'a'.repeat(65), 'semi;colon', 'ünïcode', 'a\u0000b', 'a/b', '%2e%2e'];

  it('the valid values used below are valid on every route (so only the tested parameter is bad)', () => {
    const keys = new Set(routes.map(routeKey));
    expect(
      Object.keys(ROUTE_PARAMS).filter((key) => !keys.has(key)),
      'stale ROUTE_PARAMS entries',
    ).toEqual([]);
    for (const route of routesWithParams) {
      const values = validParams(route);
      const params = Object.fromEntries(paramNames(route).map((name) => [name, values[name]]));
      const check = Compile(route.params as TSchema);
      // Path text converted to the declared types as the server does (`originId` is an integer).
      const typed = convertTextValue(route.params as object, params);
      expect(check.Check(typed), `${routeKey(route)} ${JSON.stringify(params)}`).toBe(true);
    }
  });

  for (const route of routesWithParams) {
    it(routeKey(route), async () => {
      for (const name of paramNames(route)) {
        for (const value of [...BAD_VALUES, ...(name === 'resourceType' ? ['planet', 'PROJECT'] : [])]) {
          const path = validPath(route, { [name]: value });
          const res = await callRoute(route, route.method, path, { token: tokenFor(route) });
          const label = `${route.method} ${path}`;
          expectError(res, 400, 'invalid_input', label);
          expect(res.body.reason.field ?? res.body.message, label).toContain(name);
        }
        // `..` as a segment, sent as written (fetch would resolve it away).
        const dotted = validPath(route, { [name]: '__DOTS__' }).replace('__DOTS__', '..');
        const res = await rawRequest(server.url, route.method, dotted, {
          headers: { ...projectContextHeaders(route, projectId), authorization: `Bearer ${tokenFor(route)}` },
        });
        expectError(res, 400, 'invalid_input', `${route.method} ${dotted}`);
      }
    });
  }

  it('an id list with too many or malformed ids is refused; 100 ids are fine', async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? owner.userId : `g${i}`)).join(',');
    for (const list of [ids(101), `${owner.userId},`, `,${owner.userId}`, `${owner.userId},bad id!`]) {
      const res = await api('GET', `${V}/users/${encodeURIComponent(list)}`, { token: owner.token });
      expectError(res, 400, 'invalid_input', list.slice(0, 60));
    }
    for (const path of [`${V}/users/${ids(100)}`, `${V}/users/${encodeURIComponent(ids(100))}`]) {
      const res = await api('GET', path, { token: owner.token });
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect(res.body.map((u: { id: string }) => u.id)).toEqual([owner.userId]);
    }
  });

  it('a path that is not valid percent-encoding, or a parameter over 8 KiB, gets the envelope too', async () => {
    const headers = { authorization: `Bearer ${owner.token}` };
    for (const path of [`${V}/projects/%E0%A4%A`, `${V}/users/%ZZ`, '/%', `${V}/access/project/${projectId}/users/%`]) {
      const res = await rawRequest(server.url, 'GET', path, { headers });
      expectError(res, 400, 'invalid_input', path);
    }
    const long = await rawRequest(server.url, 'GET', `${V}/projects/${'a'.repeat(9000)}`, { headers });
    expectError(long, 414, 'uri_too_long', 'GET /projects/<9000 chars>');
  });
});

// --- Query strings ----------------------------------------------------------------------------------

describe('query strings', () => {
  it('each declared query parameter with a value of the wrong type → 400 naming it', async () => {
    let tried = 0;
    for (const route of routesWithQuery) {
      const properties = (route.query as JsonSchema).properties ?? {};
      for (const [name, schema] of Object.entries(properties)) {
        const admitted = admittedTypes(schema) ?? new Set<string>();
        const bad = admitted.has('boolean')
          ? 'maybe'
          : admitted.has('number')
            ? 'abc'
            : schema.pattern
              ? 'bad id!'
              : schema.maxLength !== undefined
                ? 'x'.repeat(schema.maxLength + 1)
                : schema.enum !== undefined
                  ? 'not-a-listed-value'
                  : undefined;
        if (bad === undefined) continue;
        tried++;
        // The rest of the query is the route's valid sample, so that only this parameter is wrong.
        const [base, sample = ''] = validPath(route).split('?');
        const query = new URLSearchParams(sample);
        query.set(name, bad);
        const path = `${base}?${query}`;
        const res = await callRoute(route, route.method, path, { token: tokenFor(route), ...sampleRequest(route) });
        expectError(res, 400, 'invalid_input', `${route.method} ${path.slice(0, 200)}`);
        expect(res.body.message, path).toContain(name);
      }
    }
    expect(tried).toBeGreaterThan(0);
  });

  it('a NUL character in any query parameter → 400 invalid_input naming it', async () => {
    for (const route of routesWithQuery) {
      const [name] = Object.keys((route.query as JsonSchema).properties ?? {});
      if (name === undefined) continue;
      const [base, sample = ''] = validPath(route).split('?');
      const query = new URLSearchParams(sample);
      query.set(name, 'a\u0000b');
      const path = `${base}?${query}`;
      const res = await callRoute(route, route.method, path, { token: tokenFor(route), ...sampleRequest(route) });
      expectError(res, 400, 'invalid_input', `${route.method} ${path.slice(0, 200)}`);
      expect(res.body.reason.field, path).toMatch(new RegExp(`^querystring\\.${name}\\b`));
    }
  });

  it('bad limit and nextCursor on every paged list → 400', async () => {
    expect(pagedRoutes.length).toBeGreaterThan(0);
    const cursorOf = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
    const keys = new Set(pagedRoutes.map(routeKey));
    expect(
      Object.keys(PAGING_EXCEPTIONS).filter((key) => !keys.has(key)),
      'stale PAGING_EXCEPTIONS entries',
    ).toEqual([]);
    for (const route of pagedRoutes) {
      const base = fillPath(route, validParams(route));
      const paging = pagingOf(route);
      const bad = [
        'limit=0',
        `limit=${paging.maxLimit + 1}`,
        'limit=abc',
        'limit=-1',
        'limit=',
        'limit=1.5',
        'limit=1e2',
        'limit=0x10',
        'limit=%2010',
        'nextCursor=bad!cursor',
        `nextCursor=${'x'.repeat(201)}`,
        `nextCursor=${cursorOf('foo')}`, // base64url, but not one of ours
        `nextCursor=${cursorOf('k:../../etc')}`,
        `nextCursor=${cursorOf("k:' or 1=1 --")}`,
      ];
      for (const query of bad) {
        const res = await callRoute(route, 'GET', `${base}?${query}`, { token: tokenFor(route) });
        const label = `GET ${base}?${query}`;
        expectError(res, 400, 'invalid_input', label);
        expect(res.body.message, label).toMatch(/limit|nextCursor/);
      }
      // Every Sanity client appends `tag`: no route refuses it, not even those that refuse other
      // unknown parameters (there a typo such as `actorID` must not silently widen an audit query).
      const tagged = await callRoute(route, 'GET', `${base}?limit=${paging.maxLimit}&tag=sanity.cli`, { token: tokenFor(route) });
      expect(tagged.status, tagged.text).toBe(200);
      if (paging.unknownQuery === 'ignored') {
        const ok = await callRoute(route, 'GET', `${base}?limit=${paging.maxLimit}&unknown=ignored`, { token: tokenFor(route) });
        expect(ok.status, ok.text).toBe(200);
      } else {
        const refused = await callRoute(route, 'GET', `${base}?limit=${paging.maxLimit}&actorID=x`, { token: tokenFor(route) });
        expectError(refused, 400, 'invalid_input', `GET ${base}?actorID=x`);
        expect(refused.body.message).toContain('actorID');
      }
    }
  });

  it('every paged list honours limit and its own cursors (so the checks above guard something real)', async () => {
    for (const route of pagedRoutes) {
      const { shape, maxLimit } = pagingOf(route);
      if (shape === 'csv') continue; // checked below: a file, no cursor to follow
      const base = fillPath(route, validParams(route));
      const seen: string[] = [];
      let cursor: string | null = null;
      let total = -1;
      do {
        const query: string = `limit=1${cursor ? `&nextCursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await callRoute(route, 'GET', `${base}?${query}`, { token: tokenFor(route) });
        expect(res.status, `${base}?${query} ${res.text.slice(0, 200)}`).toBe(200);
        expect(res.body.data.length, base).toBeLessThanOrEqual(1);
        seen.push(
          // An item's identity: its id, or the whole item (an effective permission is name + action + params).
          ...res.body.data.map((item: Record<string, unknown>) => JSON.stringify(item.id ?? item.sanityUserId ?? item)),
        );
        total = shape === 'page' ? res.body.totalCount : -1;
        cursor = res.body.nextCursor;
      } while (cursor !== null && seen.length <= 1000);
      if (shape === 'events') {
        // No totalCount: the one-by-one walk sees exactly what one full page shows.
        const all = await callRoute(route, 'GET', `${base}?limit=${maxLimit}`, { token: tokenFor(route) });
        expect(all.body.nextCursor, 'fits in one page').toBeNull();
        total = all.body.data.length;
        expect(total, base).toBeGreaterThan(1);
      }
      expect(seen.length, base).toBe(total);
      expect(new Set(seen).size, base).toBe(seen.length);
    }
  });
});

describe('the activity log’s filters', () => {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  const BAD = [
    ['startTime=yesterday', 'startTime'],
    ['endTime=2025-13-01T00:00:00Z', 'endTime'],
    ['color=red', 'color'],
    ['actorId=a%20b', 'actorId'],
    ['userId=bad%20id!', 'userId'],
    ['action=Not.An.Action', 'action'],
    ['offset=-1', 'offset'],
    [`startTime=${encodeURIComponent(new Date().toISOString())}&endTime=${encodeURIComponent(yesterday)}`, 'startTime'],
  ] as const;

  for (const path of ['/activity', '/activity/export/csv']) {
    it(`GET ${path}: bad filter values → 400 naming the filter`, async () => {
      for (const [query, name] of BAD) {
        const res = await api('GET', `${V}${path}?${query}`, { token: owner.token });
        expectError(res, 400, undefined, `GET ${path}?${query}`);
        expect(res.body.message, query).toContain(name);
      }
    });
  }

  it('a successful export is CSV, one row per event, and its limit is honoured', async () => {
    const one = await api('GET', `${V}/activity/export/csv?limit=1`, { token: owner.token });
    expect(one.status, one.text.slice(0, 300)).toBe(200);
    expect(one.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(one.text.trim().split(/\r?\n/)).toHaveLength(2);
    const all = await api('GET', `${V}/activity/export/csv?limit=10000`, { token: owner.token });
    const listed = await api('GET', `${V}/activity?limit=100`, { token: owner.token });
    expect(all.text.trim().split(/\r?\n/).length - 1).toBe(listed.body.data.length);
  });
});

// --- Versions and routes ----------------------------------------------------------------------------

describe('versions and unknown routes', () => {
  it('every versioned route refuses a bad version with 400 invalid_api_version, before anything else', async () => {
    for (const route of versionedRoutes) {
      for (const version of ['/v2', '/v3', '/v2025-13-45', '/v2025-02-30', '/v2999-01-01', '/version1', '/vx', '/V1']) {
        const path = validPath(route, {}, version);
        // Anonymous on purpose: the version is checked first, so the caller learns what to fix first.
        const res = await callRoute(route, route.method, path, sampleRequest(route));
        expectError(res, 400, 'invalid_api_version', `${route.method} ${path}`);
        expect(res.body.message).toContain('vYYYY-MM-DD');
        expect(res.body.reason.accepted).toEqual(['v1', 'vX', 'vYYYY-MM-DD']);
      }
    }
  });

  it('an unknown route → 404 route_not_found, and a bad version on one → 400', async () => {
    const unknown: Array<[string, string]> = [
      ['GET', `${V}/nope`],
      ['GET', `${V}/access/project/${projectId}/nope`],
      ['GET', '/nope'],
      ['DELETE', `${V}/projects`],
      ['PUT', `${V}/projects/${projectId}`],
      ['POST', '/health'],
      ['GET', `/health/${V}`],
    ];
    for (const [method, path] of unknown) {
      const res = await api(method, path, { token: owner.token });
      expectError(res, 404, 'route_not_found', `${method} ${path}`);
    }
    const badVersion = await api('GET', '/v2/nope');
    expectError(badVersion, 400, 'invalid_api_version', 'GET /v2/nope');
  });
});

// --- Credentials ----------------------------------------------------------------------------------------

/** The token with one character changed (a typo the checksum must catch). */
function flip(token: string, index: number): string {
  const c = token[index] as string;
  return token.slice(0, index) + (c === 'a' ? 'b' : 'a') + token.slice(index + 1);
}

describe('credentials', () => {
  const MALFORMED = ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Token abc', 'bearer', 'Bearer\ttab'];

  it('a malformed Authorization header → 400 invalid_request, another scheme → 401, on every route (RFC 6750)', async () => {
    for (const route of routes) {
      for (const authorization of MALFORMED) {
        const request = sampleRequest(route);
        const res = await callRoute(route, route.method, validPath(route), {
          ...request,
          headers: { ...request.headers, authorization },
        });
        const label = `${routeKey(route)} with "${authorization}"`;
        const bearer = /^bearer\b/i.test(authorization);
        expectError(res, bearer ? 400 : 401, bearer ? 'invalid_request' : 'unsupported_auth_scheme', label);
        expect(res.headers.get('www-authenticate'), label).toMatch(/^Bearer /);
      }
    }
  });

  it('a token with a mistyped character → 401 invalid_token "Session not found", on every route', async () => {
    const typos = [
      flip(owner.token, owner.token.length - 1),
      flip(robotAdmin.token, robotAdmin.token.length - 3),
      flip(owner.token, 20),
    ];
    for (const route of routes) {
      for (const token of typos) {
        const res = await callRoute(route, route.method, validPath(route), { token, ...sampleRequest(route) });
        const label = `${routeKey(route)} with a mistyped token`;
        expectError(res, 401, 'invalid_token', label);
        expect(res.body.message).toBe('Session not found');
        expect(res.text, label).not.toContain(token);
      }
    }
  });

  it('truncated, padded, foreign and never-issued tokens → 401 invalid_token', async () => {
    const tokens = [
      owner.token.slice(0, -1),
      `${owner.token}x`,
      owner.token.replace('gth_user_', 'gth_bot_'),
      'sk-live-0123456789abcdef',
      'x'.repeat(5000),
      generateToken('robot'), // well-formed, correct checksum, never issued
      generateToken('user'),
    ];
    for (const token of tokens) {
      const res = await api('GET', `${V}/projects`, { token });
      expectError(res, 401, 'invalid_token', token.slice(0, 30));
      expect(res.body.message).toBe('Session not found');
    }
  });
});

// --- A refused request leaves nothing behind -----------------------------------------------------------------

describe('a failed request leaves no partial state', () => {
  async function robotIds(): Promise<string[]> {
    const res = await api('GET', `${V}/access/project/${projectId}/robots?limit=500`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    return res.body.data.map((r: { id: string }) => r.id).sort();
  }
  async function legacyTokenIds(): Promise<string[]> {
    const res = await api('GET', `${V}/projects/${projectId}/tokens`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    return res.body.map((t: { id: string }) => t.id).sort();
  }
  const robotBody = (roleNames: string[], extra: Record<string, unknown> = {}) => ({
    label: 'should not exist',
    memberships: [{ resourceType: 'project', resourceId: projectId, roleNames }],
    ...extra,
  });

  it('an unknown role → 404 "Role not found: x", and no robot', async () => {
    const before = await robotIds();
    for (const roleNames of [['x'], ['viewer', 'x']]) {
      const res = await api('POST', `${V}/access/project/${projectId}/robots`, {
        token: owner.token,
        body: robotBody(roleNames),
      });
      expectError(res, 404, 'role_not_found', roleNames.join());
      expect(res.body.message).toBe('Role not found: x');
    }
    const legacy = await api('POST', `${V}/projects/${projectId}/tokens`, {
      token: owner.token,
      body: { label: 'nope', roleName: 'x' },
    });
    expectError(legacy, 404, 'role_not_found', 'legacy token with role x');
    expect(await robotIds()).toEqual(before);
  });

  it('a role that does not apply to robots (contributor) → 400, and no robot', async () => {
    const before = await robotIds();
    const res = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: robotBody(['contributor']),
    });
    expectError(res, 400, 'role_not_applicable', 'contributor');
    const legacy = await api('POST', `${V}/projects/${projectId}/tokens`, {
      token: owner.token,
      body: { label: 'nope', roleName: 'contributor' },
    });
    expectError(legacy, 400, 'role_not_applicable', 'legacy contributor');
    expect(await robotIds()).toEqual(before);
  });

  it('a developer robot creating an administrator robot → 403 privilege_escalation, and no robot', async () => {
    const before = await robotIds();
    const tokensBefore = await legacyTokenIds();
    const res = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: robotDeveloper.token,
      body: robotBody(['administrator']),
    });
    expectError(res, 403, 'privilege_escalation', 'developer → administrator');
    expect(res.body.reason.role).toBe('administrator');
    expect(res.body.reason.missingPermissions.length).toBeGreaterThan(0);
    const mixed = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: robotDeveloper.token,
      body: robotBody(['viewer', 'administrator']),
    });
    expectError(mixed, 403, 'privilege_escalation', 'developer → viewer+administrator');
    const legacy = await api('POST', `${V}/projects/${projectId}/tokens`, {
      token: robotDeveloper.token,
      body: { label: 'nope', roleName: 'administrator' },
    });
    expectError(legacy, 403, 'privilege_escalation', 'legacy developer → administrator');
    expect(await robotIds()).toEqual(before);
    expect(await legacyTokenIds()).toEqual(tokensBefore);
    // …while the same robot may create what it could do itself.
    const allowed = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: robotDeveloper.token,
      body: robotBody(['viewer'], { label: 'made by a developer' }),
    });
    expect(allowed.status, allowed.text).toBe(201);
  });

  it('an expiry in the past, or memberships naming another resource → 400, and no robot', async () => {
    const before = await robotIds();
    const past = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: robotBody(['viewer'], { expiresAt: '2000-01-01T00:00:00Z' }),
    });
    expectError(past, 400, undefined, 'expiresAt in the past');
    const elsewhere = await api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: { label: 'x', memberships: [{ resourceType: 'organization', resourceId: organizationId, roleNames: ['member'] }] },
    });
    expectError(elsewhere, 400, 'invalid_input', 'membership on another resource');
    expect(await robotIds()).toEqual(before);
  });

  it('removing the last administrator → 409, and the membership stays', async () => {
    const lonely = await createProject(api, owner.token, 'Lonely');
    const res = await api('DELETE', `${V}/access/project/${lonely}/users/${owner.userId}`, { token: owner.token });
    expectError(res, 409, 'last_access_manager', 'remove last administrator');
    const after = await api('GET', `${V}/access/project/${lonely}/users/${owner.userId}`, { token: owner.token });
    expect(after.status, after.text).toBe(200);
    expect(after.body.memberships[0].roleNames).toEqual(['administrator']);
  });

  it('a refused update changes nothing', async () => {
    const before = await api('GET', `${V}/projects/${projectId}`, { token: owner.token });
    const res = await api('PATCH', `${V}/projects/${projectId}`, {
      token: owner.token,
      body: { displayName: 'Changed', studioHost: 'Not A Host!' },
    });
    expectError(res, 400, 'invalid_input', 'bad studioHost');
    const tooBig = await api('PATCH', `${V}/projects/${projectId}`, {
      token: owner.token,
      body: { displayName: 'Changed', metadata: { blob: 'x'.repeat(9000) } },
    });
    expectError(tooBig, 400, 'invalid_input', 'metadata over 8 KiB');
    const after = await api('GET', `${V}/projects/${projectId}`, { token: owner.token });
    expect(after.body.displayName).toBe(before.body.displayName);
    expect(after.body.metadata).toEqual(before.body.metadata);
    expect(after.body.updatedAt).toBe(before.body.updatedAt);
  });

  it('a refused identity provider is not created, and a refused change changes nothing', async () => {
    const base = `${V}/organizations/${organizationId}/providers`;
    const list = async () => (await api('GET', base, { token: owner.token })).body.map((p: { id: string }) => p.id).sort();
    const before = await list();
    const elsewhere = await createProject(api, owner.token, 'Not in the organization');
    const res = await api('POST', base, {
      token: owner.token,
      body: {
        type: 'saml',
        title: 'Should not exist',
        config: {
          entryPoint: 'https://idp.example.com/sso',
          idpIssuer: 'https://idp.example.com/metadata',
          idpCert: selfSignedCertificate('refused').certificatePem,
          roleMappings: [{ group: 'g', projectId: elsewhere, roleNames: ['viewer'] }],
        },
      },
    });
    expectError(res, 400, 'invalid_input', 'role mapping on a project outside the organization');
    expect(await list()).toEqual(before);

    const provider = await api('GET', `${base}/${oidcProviderId}`, { token: owner.token });
    const retyped = await api('PUT', `${base}/${oidcProviderId}`, {
      token: owner.token,
      body: { type: 'saml', title: 'Retyped', config: { entryPoint: 'https://idp.example.com/sso' } },
    });
    expectError(retyped, 400, 'invalid_input', 'a provider keeps its type');
    expect((await api('GET', `${base}/${oidcProviderId}`, { token: owner.token })).body).toEqual(provider.body);
  });

  it('a refused login uses up nothing, and a refused password change keeps the password', async () => {
    const person = await server.createUser('partial-state@example.com');
    const set = await api('PUT', `${V}/users/me/password`, { token: person.token, body: { newPassword: SAMPLE_PASSWORD } });
    expect(set.status, set.text).toBe(204);
    for (const [body, status, code] of [
      [{ currentPassword: 'not the current password', newPassword: 'a brand new passphrase 7' }, 403, 'invalid_current_password'],
      [{ currentPassword: SAMPLE_PASSWORD, newPassword: 'password' }, 400, 'weak_password'],
      [{ newPassword: 'a brand new passphrase 7' }, 400, 'current_password_required'],
    ] as const) {
      const res = await api('PUT', `${V}/users/me/password`, { token: person.token, body });
      expectError(res, status, code, code);
    }

    const page = await api('GET', `/v1/auth/login/sanity?origin=${encodeURIComponent(SAMPLE_ORIGIN)}&type=token&label=partial`);
    expect(page.status, page.text.slice(0, 300)).toBe(200);
    const flow = /name="flow" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const login = (password: string) =>
      api(
        'POST',
        '/v1/auth/login/sanity',
        encodeBody({ bodyType: 'form' }, { flow, email: 'partial-state@example.com', password }),
      );
    // A wrong password, and a form the schema refuses: the flow is still there…
    expectError(await login('not the password at all'), 401, 'invalid_credentials', 'wrong password');
    expectError(await login(''), 400, 'invalid_input', 'empty password');
    // …and the unchanged password logs in with it, once.
    const ok = await login(SAMPLE_PASSWORD);
    expect(ok.status, ok.text).toBe(303);
    expect(ok.headers.get('location')?.startsWith(`${SAMPLE_ORIGIN}?`), String(ok.headers.get('location'))).toBe(true);
    expectError(await login(SAMPLE_PASSWORD), 400, 'login_expired', 'the flow is used up');
  });

  it('a refused CORS origin, invitation or access request is not created', async () => {
    const origins = async () =>
      (await api('GET', `${V}/projects/${projectId}/cors`, { token: owner.token })).body.map((o: { id: number }) => o.id);
    const invites = async () =>
      (await api('GET', `${V}/access/project/${projectId}/invites?status=pending&limit=500`, { token: owner.token })).body.data
        .map((i: { id: string }) => i.id)
        .sort();
    const requests = async () =>
      (await api('GET', `${V}/access/project/${projectId}/requests`, { token: owner.token })).body.map(
        (r: { id: string }) => r.id,
      );
    const [originsBefore, invitesBefore, requestsBefore] = [await origins(), await invites(), await requests()];

    for (const [path, headers] of [
      [`${V}/projects/${projectId}/cors`, {}],
      [`${V}/cors`, { 'x-sanity-project-id': projectId }],
    ] as const) {
      for (const origin of ['not an origin', 'https://example.com/with/path', 'ftp://example.com']) {
        const res = await api('POST', path, { token: owner.token, headers, body: { origin } });
        expectError(res, 400, 'invalid_origin', `${path} ${origin}`);
      }
      // The standing origin again with the same settings is an idempotent success that changes
      // nothing; with other credentials it is a conflict.
      const again = await api('POST', path, {
        token: owner.token,
        headers,
        body: { origin: 'https://standing.bad-input.example' },
      });
      expect(again.status, `${path} existing origin, same settings: ${again.text}`).toBe(200);
      const conflicting = await api('POST', path, {
        token: owner.token,
        headers,
        body: { origin: 'https://standing.bad-input.example', allowCredentials: true },
      });
      expectError(conflicting, 409, 'cors_origin_exists', `${path} existing origin, other credentials`);
    }
    for (const body of [
      { email: 'not an address', role: 'viewer' },
      { email: 'someone@example.com', role: 'x'.repeat(65) },
    ]) {
      const res = await api('POST', `${V}/access/project/${projectId}/invites`, { token: owner.token, body });
      expectError(res, 400, 'invalid_input', JSON.stringify(body));
    }
    const unknownRole = await api('POST', `${V}/access/project/${projectId}/invites`, {
      token: owner.token,
      body: { email: 'someone@example.com', role: 'nosuchrole' },
    });
    expectError(unknownRole, 404, 'role_not_found', 'invite with an unknown role');
    const again = await api('POST', `${V}/access/project/${projectId}/invites`, {
      token: owner.token,
      body: { email: 'invitee@example.com', role: 'viewer' },
    });
    expectError(again, 409, 'invite_pending', 'a second invitation to one address');
    const asker = await server.createUser();
    for (const body of [
      { note: 'x'.repeat(151) },
      { requestUrl: 'x'.repeat(2001) },
      { requestUrl: 'javascript:alert(1)' },
      { type: 'everything' },
    ]) {
      const res = await api('POST', `${V}/access/project/${projectId}/requests`, { token: asker.token, body });
      expectError(res, 400, undefined, JSON.stringify(body).slice(0, 60));
    }
    const member = await api('POST', `${V}/access/project/${projectId}/requests`, {
      token: owner.token,
      body: { type: 'access' },
    });
    expectError(member, 409, 'already_member', 'a member asking for access');

    expect(await origins()).toEqual(originsBefore);
    expect(await invites()).toEqual(invitesBefore);
    expect(await requests()).toEqual(requestsBefore);
  });

  it('unknown or used-up ids of the new objects → 404 / 409, and nothing changes', async () => {
    const cases: Array<[string, string, number, string, Record<string, unknown> | undefined]> = [
      ['DELETE', `${V}/projects/${projectId}/cors/2147483647`, 404, 'not_found', undefined],
      ['DELETE', `${V}/access/project/${projectId}/invites/inosuchinvite`, 404, 'invite_not_found', undefined],
      ['PUT', `${V}/access/project/${projectId}/requests/qnosuchrequest/accept`, 404, 'not_found', {}],
      ['PUT', `${V}/access/project/${projectId}/requests/qnosuchrequest/decline`, 404, 'not_found', undefined],
    ];
    for (const [method, path, status, code, body] of cases) {
      const res = await api(method, path, { token: owner.token, ...(body ? { body } : {}) });
      expectError(res, status, code, `${method} ${path}`);
    }
    // Another project's origin is not found here either.
    const other = await createProject(api, owner.token, 'Other CORS');
    const res = await api('DELETE', `${V}/projects/${other}/cors/${originId}`, { token: owner.token });
    expectError(res, 404, 'not_found', 'an origin of another project');
    // A body is required on accept.
    const noBody = await api('PUT', `${V}/access/project/${projectId}/requests/${requestId}/accept`, { token: owner.token });
    expectError(noBody, 400, undefined, 'accept without a body');
  });

  it('a project in an organization the caller cannot see → refused, and no project', async () => {
    const stranger = await server.createUser();
    const list = async () => (await api('GET', `${V}/projects`, { token: stranger.token })).body.map((p: { id: string }) => p.id);
    const before = await list();
    const res = await api('POST', `${V}/projects`, { token: stranger.token, body: { displayName: 'Sneaky', organizationId } });
    expect([403, 404], res.text).toContain(res.status);
    expectError(res, res.status, undefined, 'project in a foreign organization');
    expect(await list()).toEqual(before);
  });
});

describe('afterwards', () => {
  it('no request above caused an unhandled error', () => {
    expect(server.logs()).not.toContain('unhandled error');
    expect(checked).toBeGreaterThan(0);
    console.info(`bad input: ${checked} error responses checked`);
  });
});
