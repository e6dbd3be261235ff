/**
 * The OpenAPI document is derived from the route table: every declared route is in it, with the
 * principal kinds it accepts (`x-accepts`) and the permission it requires (`x-permission`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../src/http/route.js';
import { routes } from '../../src/http/routes/index.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document read freely.
let doc: any;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  const res = await api('GET', '/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
});

afterAll(async () => {
  await server?.close();
});

/** `/access/:resourceType/:resourceId/users` → `/{apiVersion}/access/{resourceType}/{resourceId}/users`. */
function documentedPath(route: AnyRoute): string {
  const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  return route.versioned === false ? path : `/{apiVersion}${path}`;
}

const documented = routes.filter((route) => !route.hidden);

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3 document served as JSON, without a token', async () => {
    const res = await api('GET', '/openapi.json');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Gatehouse Access API');
  });

  it('is the same document with a user token and the same as the one behind /docs', async () => {
    const user = await server.createUser();
    const withToken = await api('GET', '/openapi.json', { token: user.token });
    expect(withToken.status).toBe(200);
    expect(withToken.body).toEqual(doc);
    const docsJson = await api('GET', '/docs/json');
    expect(docsJson.status).toBe(200);
    expect(docsJson.body.paths).toEqual(doc.paths);
  });

  it('is itself a declared route, accepting anyone, and hidden from the document', () => {
    const self = routes.find((route) => route.path === '/openapi.json');
    expect(self).toMatchObject({ method: 'GET', versioned: false, hidden: true });
    expect(self?.policy.accepts).toEqual(['anonymous', 'user', 'robot']);
    expect(doc.paths['/openapi.json']).toBeUndefined();
  });

  it('lists every route of the route table with its method and path', () => {
    expect(documented.length).toBeGreaterThan(20);
    for (const route of documented) {
      const path = documentedPath(route);
      expect(doc.paths[path], `${route.method} ${path}`).toBeDefined();
      expect(doc.paths[path][route.method.toLowerCase()], `${route.method} ${path}`).toBeDefined();
    }
    // …and nothing else: the document has exactly the operations of the table.
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object)
        .filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(documented.map((route) => `${route.method} ${documentedPath(route)}`).sort());
  });

  it('the versioned paths document the version parameter', () => {
    const op = doc.paths['/{apiVersion}/access/{resourceType}/{resourceId}/users'].get;
    const version = op.parameters.find((p: { name: string; in: string }) => p.name === 'apiVersion' && p.in === 'path');
    expect(version).toMatchObject({ required: true });
    expect(doc.paths['/health'].get).toBeDefined();
  });

  it('every operation carries x-accepts and x-permission from the route policy', () => {
    for (const route of documented) {
      const op = doc.paths[documentedPath(route)][route.method.toLowerCase()];
      expect(op['x-accepts'], `${route.method} ${route.path}`).toEqual([...route.policy.accepts]);
      expect(op['x-permission'], `${route.method} ${route.path}`).toBe(route.policy.permission ?? null);
      expect(op.operationId).toBeTruthy();
      expect(op.description).toContain('**Authorization:**');
    }
  });

  it('operation ids are unique', () => {
    const ids = documented.map((route) => doc.paths[documentedPath(route)][route.method.toLowerCase()].operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the story endpoint says it accepts robots and which permission it needs', () => {
    const op = doc.paths['/{apiVersion}/access/{resourceType}/{resourceId}/users'].get;
    expect(op['x-accepts']).toEqual(['user', 'robot']);
    expect(op['x-permission']).toBe('sanity.{resourceType}.members.read');
    const create = doc.paths['/{apiVersion}/projects'].post;
    expect(create['x-accepts']).toEqual(['user']);
  });

  it('declares a bearer security scheme, required by default and optional where anonymous callers are accepted', () => {
    const schemes = doc.components.securitySchemes;
    const bearer = Object.values(schemes).find((s) => (s as { type: string }).type === 'http') as Record<string, string>;
    expect(bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const name = Object.keys(schemes).find((key) => schemes[key] === bearer) as string;
    expect(doc.security).toEqual([{ [name]: [] }]);
    const health = doc.paths['/health'].get;
    expect(health.security).toContainEqual({});
  });

  it('documents the error envelope for 4xx responses', () => {
    const op = doc.paths['/{apiVersion}/access/{resourceType}/{resourceId}/users'].get;
    for (const status of ['400', '401', '403', '404']) {
      const schema = op.responses[status]?.content?.['application/json']?.schema;
      expect(schema, status).toBeDefined();
      const resolved = schema.$ref ? resolveRef(schema.$ref) : schema;
      expect(resolved.type).toBe('object');
      expect(resolved.required).toEqual(expect.arrayContaining(['statusCode', 'error', 'message', 'reason']));
      expect(Object.keys(resolved.properties)).toEqual(expect.arrayContaining(['statusCode', 'error', 'message', 'reason']));
    }
  });
});

function resolveRef(ref: string) {
  // '#/components/schemas/def-0' → doc.components.schemas['def-0']
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node, key) => node[key], doc);
}
