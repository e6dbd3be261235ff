/** The OpenAPI operation of a route, derived from its declaration (never written by hand). */
import type { AnyRoute } from './route.js';

function operationId(route: AnyRoute): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part));
  return [route.method.toLowerCase(), ...words].join('-').replace(/[^a-zA-Z0-9]+(.)/g, (_, c: string) => c.toUpperCase());
}

export function policySentence(route: AnyRoute): string {
  const accepts = route.policy.accepts;
  const who =
    accepts.length === 3
      ? 'Anyone, with or without a token.'
      : `Accepts ${accepts.map((k) => (k === 'anonymous' ? 'callers without a token' : `${k} tokens`)).join(' and ')}${
          route.policy.note ? ` (${route.policy.note})` : ''
        }.`;
  const needs = route.policy.permission
    ? ` Requires \`${route.policy.permission}\` on the ${route.policy.resource === 'path' ? 'resource in the path' : route.policy.resource}; non-members get 404.`
    : '';
  return who + needs;
}

const OPTIONAL_AUTH: Array<Record<string, string[]>> = [{}, { bearerAuth: [] }];

export function describeOperation(route: AnyRoute) {
  return {
    summary: route.summary,
    description: [route.description, `**Authorization:** ${policySentence(route)}`].filter(Boolean).join('\n\n'),
    tags: route.tags,
    operationId: operationId(route),
    'x-accepts': [...route.policy.accepts],
    'x-permission': route.policy.permission ?? null,
    ...(route.policy.accepts.includes('anonymous') ? { security: OPTIONAL_AUTH } : {}),
    ...(route.hidden ? { hide: true } : {}),
  };
}
