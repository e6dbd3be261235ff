/**
 * CORS origins (Sanity's Projects API and CORS rules): the Projects API routes, their project-host aliases (`/cors`
 * on `<projectId>.api.<host>` or with `X-Sanity-Project-ID`), the explanation behind
 * `gatehouse cors explain`, and the browser's own check `GET /check/cors`. Enforcement is in
 * http/cors.ts.
 */
import { Type } from 'typebox';
import { MAX_ORIGIN_LENGTH } from '../../model/cors.js';
import { Problem } from '../../model/errors.js';
import { type AnyRoute, defineRoute, resourceOf } from '../route.js';
import { Empty, Id, Nullable, Timestamp } from '../schemas.js';

export const CorsOrigin = Type.Object({
  id: Type.Integer({ description: 'Numeric id, as Sanity’s.' }),
  origin: Type.String({ description: 'protocol://host[:port], `*`, `null` or `file:///*`.' }),
  allowCredentials: Type.Boolean({ description: 'Whether pages from this origin may send a token or cookies.' }),
  projectId: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  deletedAt: Type.Null(),
});

const CorsEntry = Type.Object({ id: Type.Integer(), origin: Type.String(), allowCredentials: Type.Boolean() });

export const CorsExplanation = Type.Object({
  origin: Type.String(),
  normalized: Nullable(Type.String()),
  allowed: Type.Boolean(),
  withCredentials: Type.Boolean(),
  matched: Nullable(CorsEntry),
  consoleOrigin: Type.Boolean({ description: 'Allowed as a configured console origin (GATEHOUSE_CONSOLE_ORIGINS).' }),
  entries: Type.Array(
    Type.Object({
      id: Type.Integer(),
      origin: Type.String(),
      allowCredentials: Type.Boolean(),
      matches: Type.Boolean(),
      reason: Type.String(),
    }),
  ),
  summary: Type.String(),
});

export const CreateCorsOriginBody = Type.Object(
  {
    origin: Type.String({ minLength: 1, maxLength: MAX_ORIGIN_LENGTH, description: 'e.g. https://studio.example.com' }),
    allowCredentials: Type.Optional(Type.Boolean({ description: 'Default false.' })),
  },
  { additionalProperties: false },
);

const OriginId = Type.Integer({ minimum: 1, maximum: 2147483647, description: 'CORS origin id' });
const ProjectParams = Type.Object({ projectId: Id('Project id') });
const TAGS = ['Projects: CORS origins'];

function contextProject(projectId: string | null): string {
  if (projectId) return projectId;
  throw new Problem(400, 'No project in context', {
    code: 'project_context_required',
    hint: 'Call this on the project host (<projectId>.api.<host>) or send the X-Sanity-Project-ID header.',
  });
}

/** One set of CORS routes, under `/projects/{projectId}` or on the project in context. */
function corsRoutes(prefix: string, alias: boolean): AnyRoute[] {
  const where = alias ? ' (project host alias: the project in context)' : '';
  const params = alias ? undefined : ProjectParams;
  return [
    defineRoute({
      method: 'GET',
      path: `${prefix}/cors`,
      summary: `List the origins allowed to call the project from a browser${where}`,
      tags: TAGS,
      policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.cors.read' },
      ...(params ? { params } : {}),
      response: Type.Array(CorsOrigin),
      handler: (ctx) => ctx.services.cors.list(resourceOf(ctx).id),
    }),
    defineRoute({
      method: 'POST',
      path: `${prefix}/cors`,
      summary: `Allow an origin to call the project from a browser${where}`,
      description:
        'The origin is protocol://host[:port] (default ports are dropped), with `*` allowed in host labels and as the port; or `*` (only without credentials), `null`, `file:///*`. 400 `invalid_origin`. Adding an origin that is already allowed with the same `allowCredentials` is idempotent: 200 with the existing entry and an `x-sanity-warning` header saying nothing changed (the official clients print it). The same origin with other credentials is a 409 `cors_origin_exists`.',
      tags: TAGS,
      policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.cors.create' },
      ...(params ? { params } : {}),
      body: CreateCorsOriginBody,
      status: 201,
      unchangedStatus: 200,
      response: CorsOrigin,
      handler: async (ctx) => {
        const { origin, created } = await ctx.services.cors.create(ctx.actor, resourceOf(ctx).id, ctx.body);
        if (!created) {
          ctx.reply
            .code(200)
            .header(
              'x-sanity-warning',
              `Origin ${origin.origin} was already allowed ${origin.allowCredentials ? 'with' : 'without'} credentials (id ${origin.id}); nothing changed.`,
            );
        }
        return origin;
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: `${prefix}/cors/:originId`,
      summary: `Stop allowing an origin${where}`,
      tags: TAGS,
      policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.cors.delete' },
      params: alias ? Type.Object({ originId: OriginId }) : Type.Object({ projectId: Id('Project id'), originId: OriginId }),
      status: 204,
      response: Empty,
      handler: async (ctx) => {
        await ctx.services.cors.remove(ctx.actor, resourceOf(ctx).id, ctx.params.originId);
      },
    }),
  ];
}

export const corsRoutesTable: AnyRoute[] = [
  ...corsRoutes('/projects/:projectId', false),
  defineRoute({
    method: 'GET',
    path: '/projects/:projectId/cors/explain',
    summary: 'Explain whether an origin may call the project, and which entry matches or why none does',
    tags: TAGS,
    policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.cors.read' },
    params: ProjectParams,
    query: Type.Object(
      { origin: Type.String({ minLength: 1, maxLength: MAX_ORIGIN_LENGTH, description: 'The page’s origin.' }) },
      { additionalProperties: false },
    ),
    response: CorsExplanation,
    handler: (ctx) => ctx.services.cors.explain(ctx.params.projectId, ctx.query.origin),
  }),
  ...corsRoutes('', true),
  defineRoute({
    method: 'GET',
    path: '/check/cors',
    summary: 'Whether the calling page’s origin may call the project in context',
    description:
      'Called by browsers with a plain fetch from the page; it always answers with CORS headers for the calling origin, so the page can read the answer. Needs a project in context (project host or X-Sanity-Project-ID); an unknown project is a 404 with `errorCode` SIO-404-PNF.',
    tags: TAGS,
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'a diagnostic a page calls before it has any token' },
    response: Type.Object({ result: Type.Object({ allowed: Type.Boolean(), withCredentials: Type.Boolean() }) }),
    handler: async (ctx) => {
      const origin = ctx.reply.request.headers.origin;
      const result = await ctx.services.cors.check(
        contextProject(ctx.projectId),
        typeof origin === 'string' ? origin : undefined,
      );
      return { result };
    },
  }),
];
