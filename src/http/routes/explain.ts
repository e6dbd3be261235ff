/** `GET /access/explain`: the decision the route table would make, for the caller, without acting. */
import { Type } from 'typebox';
import { explainRequest, routeMatchers } from '../explain.js';
import { type AnyRoute, defineRoute } from '../route.js';
import { Id, Nullable, StringEnum } from '../schemas.js';

export const Explanation = Type.Object({
  allowed: Type.Boolean({ description: 'Whether the call would get past authorization.' }),
  status: Type.Integer({ description: 'The status the call would get: the route’s success status, or the denial’s.' }),
  message: Type.String(),
  reason: Nullable(
    Type.Object(
      { code: Type.String() },
      { additionalProperties: true, description: 'The denial’s `reason`, as the call would return it.' },
    ),
  ),
  route: Nullable(
    Type.Object({
      method: Type.String(),
      path: Type.String(),
      accepts: Type.Array(Type.String()),
      permission: Nullable(Type.String()),
      managesAccess: Type.Boolean(),
      note: Nullable(Type.String()),
    }),
  ),
  resource: Nullable(Type.Object({ type: Type.String(), id: Type.String() })),
  caller: Type.Object({
    kind: StringEnum(['anonymous', 'user', 'robot'] as const),
    id: Nullable(Type.String()),
    roles: Type.Array(Type.String(), { description: 'Roles the caller holds on the resource.' }),
    impliedRoles: Type.Array(Type.String(), { description: 'Roles implied by the caller’s organization roles.' }),
  }),
  fix: Nullable(Type.String({ description: 'What to do about a denial.' })),
});

/** Built from the table it explains (the table includes this route, so it can explain itself). */
export function explainRoutes(table: readonly AnyRoute[]): AnyRoute[] {
  let matchers: ReturnType<typeof routeMatchers> | undefined;
  return [
    defineRoute({
      method: 'GET',
      path: '/access/explain',
      summary: 'Explain whether your credentials may make a call, and why not',
      description:
        'Runs the authorization of `method path` as the real request would — version, principal kind, path parameters, membership, permission, organization policy — with your own token, and answers with the decision, the route’s requirement, the roles you hold on the resource and a concrete fix. Nothing is performed. Query and body are assumed valid. A resource you cannot see gets the same 404 the real call would. ' +
        'Routes that act on the project in context (the `/cors` aliases, called on `<projectId>.api.<host>` or with `X-Sanity-Project-ID`) take it from `projectId`: pass the project the real call would name by its host or header; without `projectId` the answer is the 404 such a call gets without a project in context. For routes that name their project in the path, the path wins.',
      tags: ['Access: explain'],
      policy: { accepts: ['anonymous', 'user', 'robot'], note: 'anyone may ask what their own credentials allow' },
      query: Type.Object({
        method: StringEnum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const, { description: 'HTTP method of the call.' }),
        path: Type.String({
          minLength: 1,
          maxLength: 2000,
          pattern: '^/',
          description: 'Path of the call, e.g. `/v2025-01-09/access/project/abc123/users`; a query string is ignored.',
        }),
        projectId: Type.Optional(
          Id(
            'The project in context of the call (its `<projectId>.api.` host or `X-Sanity-Project-ID` header), for routes that take their project from the context.',
          ),
        ),
      }),
      response: Explanation,
      handler: (ctx) => {
        matchers ??= routeMatchers(table);
        return explainRequest(matchers, ctx.services, ctx.principal, ctx.query.method, ctx.query.path, ctx.query.projectId);
      },
    }),
  ];
}
