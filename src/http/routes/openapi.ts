/**
 * The OpenAPI document at `/openapi.json`. It is built by @fastify/swagger from the route table
 * (http/openapi.ts), so it cannot drift from what the server enforces. The route is declared like
 * every other one, and hidden from the document it serves.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { defineRoute } from '../route.js';

const OpenApiDocument = Type.Object(
  {
    openapi: Type.String(),
    info: Type.Object({ title: Type.String(), version: Type.String() }, { additionalProperties: true }),
    paths: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: true, description: 'An OpenAPI 3 document.' },
);

/** What `app.swagger()` returns when registered for OpenAPI 3.0 (its other kinds lack `openapi` or require no `paths`). */
type OpenApi3Document = Extract<ReturnType<FastifyInstance['swagger']>, { openapi: string; paths: object }>;

export const openApiRoutes = [
  defineRoute({
    method: 'GET',
    path: '/openapi.json',
    versioned: false,
    hidden: true,
    summary: 'The OpenAPI 3 document of this server',
    description: 'Every operation carries `x-accepts` (principal kinds) and `x-permission` (required permission or null).',
    tags: ['Operations'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'the API reference is public' },
    response: OpenApiDocument,
    // An OpenAPI 3.0 document: http/app.ts registers the plugin with `openapi: '3.0.3'`.
    handler: (ctx) => ctx.reply.server.swagger() as OpenApi3Document,
  }),
];
