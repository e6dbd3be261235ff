/**
 * Builds the Fastify application from the route table. Nothing here knows about a particular
 * endpoint: each route's validation, authorization, documentation and handler come from its
 * declaration in routes/.
 */

import { setImmediate as nextTurn } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchemaCompiler,
  type FastifySerializerCompiler,
  type FastifyServerOptions,
  type RequestPayload,
} from 'fastify';
import { type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { Problem } from '../model/errors.js';
import type { Services } from '../services/index.js';
import { JsonText } from '../services/page-cache.js';
import { authorizationHooks } from './auth.js';
import { registerConsole } from './console.js';
import { corsHooks, registerPreflight } from './cors.js';
import { docsPageOptions } from './docs-page.js';
import {
  checkContentEncoding,
  checkRequestFraming,
  clientErrorHandler,
  errorHandler,
  notFoundHandler,
  nulCharacterProblem,
  rawHttpOptions,
} from './errors.js';
import { describeOperation } from './openapi.js';
import { projectContextOf, traceIdOf, traceparentFor } from './request-context.js';
import { lazyChildLogger } from './request-logger.js';
import type { AnyRoute } from './route.js';
import { routes as defaultRoutes } from './routes/index.js';
import { ErrorBody } from './schemas.js';
import { addSecurityHeaders } from './security-headers.js';
import { convertTextValue, documentListParameters, normalizeQuery } from './text-values.js';
import { writeBatcher } from './write-batching.js';
import './formats.js';

export interface AppOptions {
  services: Services;
  /** The configured public URL; null when none was configured (the document then names no host). */
  publicUrl: string | null;
  /** A pino logger, or false for none. */
  logger?: FastifyServerOptions['loggerInstance'] | false;
  /** Check every response against its schema and fail loudly on drift (tests turn this on). */
  validateResponses?: boolean;
  routes?: readonly AnyRoute[];
  trustProxy?: boolean | string[];
  /** The built web console (default: `dist/console/`, see http/console.ts). */
  consoleDir?: string;
  /** How long a client may take to send a request's headers (default 10 s; http/errors.ts#rawHttpOptions). */
  headersTimeoutMs?: number;
  /** Called once per answered request (metrics; see src/metrics.ts). */
  observe?: (request: FastifyRequest, reply: FastifyReply) => void;
}

type PreParsingDone = (error?: Error | null, payload?: RequestPayload) => void;

export const BODY_LIMIT = 64 * 1024;
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';
/**
 * Longest path parameter. Fastify's default (100) is shorter than `/users/{a},{b},…` with its
 * 100 ids, and longer parameters would be refused before our schemas could explain why.
 */
export const MAX_PARAM_LENGTH = 8 * 1024;
export const DEFAULT_DOCS_VERSION = 'v2025-01-09';
/** Routes registered between two turns of the event loop at start-up (see buildApp). */
const ROUTES_PER_TURN = 12;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const routes = options.routes ?? defaultRoutes;
  // Query strings and path parameters arrive as text and are converted to the declared types;
  // bodies are JSON and must already have the right types ("5" is not a number). Each validator is
  // compiled on its route's first request, not at start-up: a server starts sooner, and routes
  // nobody calls cost nothing.
  const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
    let compiled: ReturnType<typeof Compile> | undefined;
    return (raw: unknown) => {
      compiled ??= Compile(schema);
      const check = compiled;
      // `name[]` list parameters and the clients' `tag` first (text-values.ts), then most path and
      // query values are already valid as text (ids, cursors): convert only if needed.
      const value = httpPart === 'querystring' ? normalizeQuery(schema as object, raw) : raw;
      const nul = nulCharacterProblem(value, httpPart ?? 'request');
      if (nul) return { error: nul };
      if (check.Check(value)) return { value };
      const converted = httpPart === 'body' ? value : convertTextValue(schema as object, value);
      return check.Check(converted) ? { value: converted } : { error: check.Errors(converted) };
    };
  };
  const serializerCompiler: FastifySerializerCompiler<TSchema> = ({ schema, httpStatus, url, method }) => {
    if (!options.validateResponses) return (data) => JSON.stringify(data);
    const check = responseCheck(schema, `response ${httpStatus} of ${method} ${url}`);
    return (data) => {
      check(data);
      return JSON.stringify(data);
    };
  };
  const app = Fastify({
    // Each request's child logger is built on its first log line only (http/request-logger.ts).
    ...(options.logger ? { loggerInstance: options.logger, childLoggerFactory: lazyChildLogger } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    // Errors the router raises before any route runs (bad percent-encoding, overlong parameter)
    // get the same envelope as every other error, not Fastify's own body.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    clientErrorHandler,
    http: rawHttpOptions(options.headersTimeoutMs),
    trustProxy: options.trustProxy ?? false,
    genReqId: (request) => traceIdOf(request.headers.traceparent),
    // `/v1/projects/` is `/v1/projects`: clients build URLs by concatenation, and a redirect is not an option.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Our compilers from the start, so Fastify never loads its default ones (Ajv, fast-json-stringify).
    // Fastify types these factories after Ajv's; ours take the same arguments and ignore them.
    schemaController: {
      compilersFactory: {
        buildValidator: (() => validatorCompiler) as never,
        buildSerializer: (() => serializerCompiler) as never,
      },
    },
  });
  // JSON, and HTML forms for the routes that declare `bodyType: 'form'` (registerRoute refuses
  // each type on the other kind of route): a text/plain body is a 415 that says so, not a string
  // that fails validation later. Repeated form keys: the last one wins. `Object.fromEntries`
  // defines own properties, so a `__proto__` key is a field the schema refuses, not a prototype.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(FORM_MEDIA_TYPE, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.decorateRequest('gatehouse', null as never);

  // CORS: the project's allowed origins, on every request with an Origin in a project context.
  app.decorateRequest('corsVary', false);
  const cors = corsHooks(options.services);
  // One hook per phase for every request, as plain callbacks (no promise when nothing is awaited).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('traceparent', traceparentFor(request.id));
    checkRequestFraming(request);
    checkContentEncoding(request);
    cors.checkOrigin(request, reply, done);
  });
  // Responses finished in one turn of the event loop are written together at its end (write-batching.ts).
  const writes = writeBatcher((error) => app.log.error({ err: error }, 'writing a response failed'));
  app.addHook('onSend', (request, reply, payload, done) => {
    addSecurityHeaders(request, reply);
    cors.varyOnOrigin(request, reply);
    writes.add(() => done(null, payload));
  });
  const observe = options.observe;
  if (observe) app.addHook('onResponse', async (request, reply) => observe(request, reply));
  registerPreflight(app, options.services);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Gatehouse Access API',
        version: '0.1.0',
        description:
          'Who is this caller, and may they do this to that organization or project? Every operation lists the principal kinds it accepts (`x-accepts`) and the permission it requires (`x-permission`).',
        license: { name: 'Apache-2.0' },
      },
      // Without a configured public URL, a relative server: "the host that served this document".
      servers: [{ url: options.publicUrl ?? '/' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'A robot token (gth_robot_…) or a personal token (gth_user_…).',
          },
        },
      },
      security: [{ bearerAuth: [] }],
    },
  });
  const docsBase = options.publicUrl ? new URL(options.publicUrl).pathname.replace(/\/+$/, '') : '';
  const docsPage = docsPageOptions(docsBase);
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    theme: docsPage.theme,
    logo: docsPage.logo,
    uiConfig: {
      persistAuthorization: true,
      tryItOutEnabled: true,
      displayRequestDuration: true,
      docExpansion: 'list',
      ...docsPage.uiConfig,
    },
    // "Try it out" must call the server the page was loaded from, under whatever name the browser
    // used for it: the configured public URL may name it differently (CORS), or not be reachable
    // at all (port 0, 0.0.0.0). Only its path is kept, for deployments under a path prefix.
    transformSpecificationClone: false,
    transformSpecification: (spec) => ({
      ...spec,
      servers: [{ url: (options.publicUrl ? new URL(options.publicUrl).pathname.replace(/\/+$/, '') : '') || '/' }],
    }),
  });

  // Registering the routes is the longest stretch of start-up without a pause (about 50 ms on a
  // cold process). Every few routes the event loop gets a turn, so that what was started before,
  // such as the database's connection and schema check on PostgreSQL (server.ts), goes on meanwhile
  // instead of after.
  for (const [index, route] of routes.entries()) {
    registerRoute(app, route, options.services, options.validateResponses ?? false);
    if (index % ROUTES_PER_TURN === ROUTES_PER_TURN - 1) await nextTurn();
  }
  await registerConsole(app, options.consoleDir !== undefined ? { dir: options.consoleDir } : {});

  return app;
}

/** The response schema of each status a route answers with: its success status(es), then the errors. */
function responseSchemas(route: AnyRoute, status: number): Record<number, TSchema> {
  const schemas: Record<number, TSchema> = { [status]: route.response };
  if (route.unchangedStatus) schemas[route.unchangedStatus] = route.response;
  for (const error of [400, 401, 403, 404]) schemas[error] = ErrorBody;
  return schemas;
}

/**
 * A pre-rendered body gzip-compressed, at most once per body: the page cache keeps a page's
 * `JsonText` for as long as the page is current, and its compressed bytes live exactly as long. A
 * cached 25 KiB page of members shrinks about tenfold, and clients such as @sanity/client ask for gzip.
 */
const compressed = new WeakMap<JsonText, Buffer>();

function gzipped(text: JsonText): Buffer {
  let bytes = compressed.get(text);
  if (!bytes) {
    bytes = gzipSync(text.bytes);
    compressed.set(text, bytes);
  }
  return bytes;
}

/** Whether an Accept-Encoding header allows gzip (listed, and not with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** A form body on a JSON route, or any other body on a form route: 415 `unsupported_media_type`. */
function checkBodyType(route: AnyRoute, contentType: string | undefined): void {
  if (contentType === undefined || route.method === 'GET') return;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const form = route.bodyType === 'form';
  if (form === (mediaType === FORM_MEDIA_TYPE)) return;
  const expected = form ? FORM_MEDIA_TYPE : 'application/json';
  throw new Problem(415, `Unsupported content-type: send ${expected}`, {
    code: 'unsupported_media_type',
    detail: `${mediaType.slice(0, 100)} is not accepted here`,
    hint: form ? 'This endpoint takes an HTML form post.' : 'Send the body as JSON.',
  });
}

/** Throws when a response body does not match its schema (tests turn this on to catch drift). */
function responseCheck(schema: TSchema, label: string): (data: unknown) => void {
  let compiled: ReturnType<typeof Compile> | undefined;
  return (data) => {
    compiled ??= Compile(schema);
    const check = compiled;
    if (!check.Check(data)) {
      throw new Error(`${label} does not match its schema: ${JSON.stringify(check.Errors(data).slice(0, 3))}`);
    }
  };
}

function registerRoute(app: FastifyInstance, route: AnyRoute, services: Services, validateResponses: boolean): void {
  const versioned = route.versioned !== false;
  const url = versioned ? `/:apiVersion${route.path}` : route.path;
  const hooks = authorizationHooks(route, services);
  const status = route.status ?? 200;
  // Pre-rendered bodies skip the serializer, so they are checked here instead.
  const checkText = validateResponses ? responseCheck(route.response, `response ${status} of ${route.method} ${url}`) : null;

  const params = versioned
    ? Type.Object({
        apiVersion: Type.String({
          default: DEFAULT_DOCS_VERSION,
          description: 'API version: `v1`, `vX` or `vYYYY-MM-DD`.',
        }),
        ...((route.params as { properties?: Record<string, TSchema> } | undefined)?.properties ?? {}),
      })
    : route.params;

  const absentBody = (route.body as { default?: unknown } | undefined)?.default;
  /** What the handler returned, sent: a pre-rendered body as its bytes (gzip when asked), JSON otherwise. */
  const answer = (request: FastifyRequest, reply: FastifyReply, result: unknown): unknown => {
    if (status === 204) return reply.send();
    if (result instanceof JsonText) {
      checkText?.(JSON.parse(result.bytes.toString('utf8')));
      reply.type('application/json; charset=utf-8').header('vary', 'accept-encoding');
      if (result.bytes.length >= 1024 && acceptsGzip(request.headers['accept-encoding'])) {
        return reply.header('content-encoding', 'gzip').send(gzipped(result));
      }
      return reply.send(result.bytes);
    }
    // Fastify sends what a handler returns; a handler that returned nothing without answering gets an empty body.
    return result === undefined && !reply.sent ? reply.send() : result;
  };
  app.route({
    method: route.method,
    url,
    schema: {
      ...describeOperation(route),
      ...(params ? { params } : {}),
      ...(route.query ? { querystring: documentListParameters(route.query) } : {}),
      ...(route.body ? { body: route.body } : {}),
      ...(route.bodyType === 'form' ? { consumes: [FORM_MEDIA_TYPE] } : {}),
      response: responseSchemas(route, status),
    },
    onRequest: hooks.onRequest,
    // Before the body is read: a JSON route refuses a form body, a form route anything but a form.
    // A GET has no body to check.
    ...(route.method === 'GET'
      ? {}
      : {
          preParsing: (request: FastifyRequest, _reply: FastifyReply, payload: RequestPayload, done: PreParsingDone) => {
            checkBodyType(route, request.headers['content-type']);
            done(null, payload);
          },
        }),
    // A body schema with a `default` makes the body optional: a request that sends none (no
    // content type, nothing to parse) gets the default. A JSON `null` is still a wrong body.
    ...(absentBody !== undefined
      ? {
          preValidation: async (request: FastifyRequest) => {
            if (request.headers['content-type'] === undefined && request.body == null) {
              request.body = structuredClone(absentBody);
            }
          },
        }
      : {}),
    ...(hooks.preHandler ? { preHandler: hooks.preHandler } : {}),
    // Not an async function: a handler that answers at once (a warm read) is sent without a promise.
    handler: (request, reply) => {
      const state = request.gatehouse;
      reply.code(status);
      const result = route.handler({
        params: request.params,
        query: request.query,
        body: request.body,
        principal: state.principal,
        actor: {
          principal: state.principal,
          ip: request.ip,
          userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
          requestId: request.id,
        },
        resource: state.resource,
        access: state.access,
        projectId: state.resource?.type === 'project' ? state.resource.id : projectContextOf(request),
        version: state.version,
        services,
        reply,
      });
      return result instanceof Promise ? result.then((value) => answer(request, reply, value)) : answer(request, reply, result);
    },
  });
}
