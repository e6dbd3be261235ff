/**
 * A route's handler is typed by its response schema (`RouteResult` in src/http/route.ts). The
 * `@ts-expect-error` lines are the test: `npm run typecheck` fails if any of them stops being an
 * error, that is, if a handler could return something its schema does not describe.
 */
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { defineRoute, redirectTo } from '../../src/http/route.js';
import type { RoutePolicy } from '../../src/model/policy.js';
import { JsonText } from '../../src/services/page-cache.js';

const Thing = Type.Object({ id: Type.String(), count: Type.Integer() });
const policy: RoutePolicy = { accepts: ['user'] };
const base = { method: 'GET' as const, path: '/things', summary: 'test', tags: ['Test'], policy };

describe('defineRoute', () => {
  it('types the handler by the response schema', () => {
    const routes = [
      defineRoute({ ...base, response: Thing, handler: () => ({ id: 't1', count: 1 }) }),
      defineRoute({ ...base, response: Thing, handler: async () => ({ id: 't1', count: 1 }) }),
      // @ts-expect-error a field of the wrong type
      defineRoute({ ...base, response: Thing, handler: () => ({ id: 't1', count: '1' }) }),
      // @ts-expect-error a required field missing
      defineRoute({ ...base, response: Thing, handler: async () => ({ id: 't1' }) }),
      // Pre-rendered bytes of the declared body (services/page-cache.ts) are sent as they are.
      defineRoute({ ...base, response: Thing, handler: () => JsonText.of({ id: 't1', count: 1 }) }),
      // @ts-expect-error pre-rendered bytes of another body
      defineRoute({ ...base, response: Thing, handler: () => JsonText.of({ id: 't1' }) }),
      // @ts-expect-error pre-rendered bytes of an unknown body
      defineRoute({ ...base, response: Thing, handler: () => new JsonText('{}') }),
      // A handler that answers itself returns the reply (redirects, HTML, CSV).
      defineRoute({ ...base, response: Type.Null(), status: 303, handler: (ctx) => redirectTo(ctx, '/', 303) }),
      // A 204 returns nothing.
      defineRoute({ ...base, method: 'DELETE', response: Type.Null(), status: 204, handler: async () => {} }),
      // @ts-expect-error a 204 has no body to return
      defineRoute({ ...base, method: 'DELETE', response: Thing, status: 204, handler: () => ({ id: 't1', count: 1 }) }),
    ];
    expect(routes).toHaveLength(10);
  });
});
