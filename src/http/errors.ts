/**
 * Every failure becomes the one envelope: `{statusCode, error, message, reason}`. Validation
 * errors name the field; framework errors (bad JSON, too large, wrong media type) say what to send
 * instead; anything unexpected is a 500 whose body reveals nothing and whose log line has the detail.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Problem, problems, STATUS_TEXT } from '../model/errors.js';
import { parseApiVersion } from '../model/versions.js';
import { setProblemHeaders } from './headers.js';

interface SchemaError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * The first string in a request part that holds a NUL character, as a 400 naming the field (in
 * describeValidation's form), or undefined. PostgreSQL's text cannot hold one, so such a value
 * would otherwise fail deep in a write on one database and be stored on the other.
 */
export function nulCharacterProblem(value: unknown, part: string): Problem | undefined {
  const field = findNul(value, part);
  return field === undefined ? undefined : problems.invalidInput(`${field} must not contain a NUL character (\\u0000)`, field);
}

function findNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = findNul(item, `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Turns validator output into one sentence about the most specific problem. */
export function describeValidation(errors: readonly SchemaError[], part: string): { message: string; field: string } {
  const useful = errors.filter((e) => e.keyword !== 'boolean' && e.keyword !== 'const');
  const chosen = [...useful].sort((a, b) => b.instancePath.length - a.instancePath.length)[0] ?? errors[0];
  const where = (path: string) => `${part}${path.replace(/\//g, '.')}`;
  if (!chosen) return { message: `${part} is invalid`, field: part };
  const field = where(chosen.instancePath);
  switch (chosen.keyword) {
    case 'additionalProperties': {
      const extra = (chosen.params.additionalProperties as string[] | string | undefined) ?? [];
      const names = Array.isArray(extra) ? extra : [extra];
      return {
        message: `${field} has unknown field${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')}`,
        field: `${field}.${names[0] ?? ''}`,
      };
    }
    case 'required': {
      const missing = (chosen.params.requiredProperties as string[] | undefined) ?? [chosen.params.missingProperty as string];
      return { message: `${field} is missing required field ${missing.map((n) => `"${n}"`).join(', ')}`, field };
    }
    case 'enum':
      return { message: `${field} must be one of ${(chosen.params.allowedValues as unknown[]).join(', ')}`, field };
    case 'anyOf': {
      const options = errors
        .filter((e) => e.keyword === 'const' && e.instancePath === chosen.instancePath)
        .map((e) => String(e.params.allowedValue));
      return {
        message: options.length > 0 ? `${field} must be one of ${options.join(', ')}` : `${field} has the wrong type or shape`,
        field,
      };
    }
    case 'pattern':
      return { message: `${field} has an invalid format`, field };
    case 'format':
      return { message: `${field} must be a valid ${String(chosen.params.format)}`, field };
    case 'type':
      return {
        message:
          field === part && part === 'body' ? 'body must be a JSON object' : `${field} ${chosen.message ?? 'has the wrong type'}`,
        field,
      };
    default:
      return { message: `${field} ${chosen.message ?? 'is invalid'}`, field };
  }
}

const FRAMEWORK_ERRORS: Record<string, (error: FastifyError) => Problem> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new Problem(400, 'Malformed JSON in request body', { code: 'malformed_json', hint: 'Send a valid JSON document.' }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new Problem(400, 'Empty body with content-type application/json', {
      code: 'malformed_json',
      hint: 'Send a JSON document, or omit the content-type header.',
    }),
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new Problem(413, 'Request body is too large', { code: 'body_too_large', hint: 'Bodies are limited to 64 KiB.' }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (error) =>
    new Problem(415, 'Unsupported content-type: send application/json', {
      code: 'unsupported_media_type',
      detail: error.message.slice(0, 200),
    }),
  FST_ERR_BAD_URL: () =>
    new Problem(400, 'The path is not valid percent-encoding', {
      code: 'invalid_input',
      field: 'path',
      hint: 'Encode path segments with encodeURIComponent.',
    }),
  FST_ERR_MAX_PARAM_LENGTH: () =>
    new Problem(414, 'A path parameter is too long', { code: 'uri_too_long', hint: 'Path parameters are limited to 8 KiB.' }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new Problem(400, 'Content-Length does not match the body', { code: 'invalid_content_length' }),
};

export function toProblem(error: FastifyError | Problem | Error): Problem | null {
  if (error instanceof Problem) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const { message, field } = describeValidation(
      fastifyError.validation as unknown as SchemaError[],
      fastifyError.validationContext ?? 'request',
    );
    return new Problem(400, message, { code: 'invalid_input', field });
  }
  const mapped = fastifyError.code ? FRAMEWORK_ERRORS[fastifyError.code] : undefined;
  if (mapped) return mapped(fastifyError);
  if (error instanceof SyntaxError && (fastifyError.statusCode ?? 0) === 400)
    return FRAMEWORK_ERRORS.FST_ERR_CTP_INVALID_JSON_BODY?.(fastifyError) ?? null;
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new Problem(status, error.message.slice(0, 300), { code: 'bad_request' });
  }
  return null;
}

/**
 * 403s that mean "this token may not do that" (RFC 6750 §3.1 `insufficient_scope`), as opposed to
 * refusals about the request itself (a CSRF header, an invitation for another address…).
 */
const INSUFFICIENT_SCOPE_CODES = new Set([
  'missing_permission',
  'principal_not_accepted',
  'robots_may_not_manage_members',
  'privilege_escalation',
  'administrator_only',
]);

/**
 * The RFC 6750 challenge of a 403 that refuses the token's privileges: `error="insufficient_scope"`
 * and, when one permission is missing, `scope="<permission>"` (a space-separated list when several are).
 */
export function insufficientScopeChallenge(problem: Problem): string | null {
  if (problem.status !== 403 || !INSUFFICIENT_SCOPE_CODES.has(problem.reason.code)) return null;
  const missing = problem.reason.missingPermissions;
  const scopes =
    typeof problem.reason.permission === 'string'
      ? [problem.reason.permission]
      : Array.isArray(missing)
        ? missing.filter((p): p is string => typeof p === 'string')
        : [];
  // Scope tokens are printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3).
  const scope = scopes.filter((p) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(p)).join(' ');
  return `Bearer realm="gatehouse", error="insufficient_scope"${scope ? `, scope="${scope}"` : ''}`;
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  setProblemHeaders(reply, problem.extra);
  if (!reply.hasHeader('www-authenticate')) {
    const challenge = insufficientScopeChallenge(problem);
    if (challenge) reply.header('www-authenticate', challenge);
  }
  return reply.code(problem.status).type('application/json; charset=utf-8').send(problem.toBody());
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem) return sendProblem(reply, problem);
  request.log.error({ err: error }, 'unhandled error');
  return sendProblem(
    reply,
    new Problem(500, 'Internal server error', {
      code: 'internal_error',
      requestId: request.id,
      hint: 'This is a bug in Gatehouse. The request id identifies the log line with the detail.',
    }),
  );
}

/** Unknown routes: a bad version prefix is a 400 that names the valid forms, anything else a 404. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? '/';
  const first = path.split('/')[1] ?? '';
  if (/^v/.test(first) && first !== '') {
    const version = parseApiVersion(first);
    if (!version.ok) return sendProblem(reply, versionProblem(version.message, first));
  }
  return sendProblem(reply, notFoundProblem(request.method, path));
}

export function notFoundProblem(method: string, path: string): Problem {
  const first = path.split('/')[1] ?? '';
  return new Problem(404, `Not found: ${method} ${path.slice(0, 200)}`, {
    code: 'route_not_found',
    hint: /^v/.test(first)
      ? 'No such endpoint. The API reference is at /docs.'
      : 'API paths start with a version, e.g. /v2025-01-09/projects. The API reference is at /docs.',
  });
}

export function versionProblem(message: string, segment: string): Problem {
  return new Problem(400, message, {
    code: 'invalid_api_version',
    version: segment.slice(0, 40),
    accepted: ['v1', 'vX', 'vYYYY-MM-DD'],
  });
}

/**
 * Options of the Node HTTP server that let Gatehouse answer malformed requests itself, in the
 * envelope, instead of Node answering with an empty body or not at all:
 * - `requireHostHeader: false`: Node's own refusal of an HTTP/1.1 request without `Host` is an
 *   empty 400; {@link checkRequestFraming} refuses it with the envelope instead;
 * - `headersTimeout` with a short `connectionsCheckingInterval`: a connection that sends nothing
 *   but blank lines (which HTTP says to skip before a request line), or headers too slowly, gets
 *   `408 request_timeout` after `headersTimeoutMs` rather than holding the socket until some
 *   keep-alive timer ends it.
 */
export function rawHttpOptions(headersTimeoutMs = DEFAULT_HEADERS_TIMEOUT_MS) {
  return {
    requireHostHeader: false,
    headersTimeout: headersTimeoutMs,
    // Node checks for the timeout on this interval; a fraction of the timeout keeps the answer prompt.
    connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(headersTimeoutMs / 4))),
  };
}

/** How long a client may take to send a request's headers (and the blank lines before them). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;

/** `host[:port]`: a registered name, an IPv4 address or a bracketed IPv6 address (RFC 9110 §7.2). */
const HOST_HEADER = /^(?:[A-Za-z0-9._~!$&'()*+,;=%-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** A request this malformed may be a smuggling attempt: nothing else is read from its connection. */
const CLOSE = { headers: { connection: 'close' } };

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without `Host`, with more than one, or with an invalid one is
 * answered with 400. Node keeps only the first of two `Host` headers, so they are counted in the
 * raw headers. (HTTP/1.0 requests may leave `Host` out.)
 */
export function checkRequestFraming(request: FastifyRequest): void {
  const raw = request.raw.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) {
    throw new Problem(
      400,
      'The request has more than one Host header',
      {
        code: 'invalid_host',
        hint: 'Send exactly one Host header.',
      },
      CLOSE,
    );
  }
  const host = request.headers.host;
  if (host === undefined) {
    if (request.raw.httpVersion === '1.0') return;
    throw new Problem(
      400,
      'The request has no Host header',
      {
        code: 'missing_host',
        hint: 'HTTP/1.1 requests must name the server in a Host header.',
      },
      CLOSE,
    );
  }
  if (!HOST_HEADER.test(host)) {
    throw new Problem(
      400,
      'The Host header is not a valid host',
      {
        code: 'invalid_host',
        hint: 'Send Host: <name or address>[:<port>].',
      },
      CLOSE,
    );
  }
}

/**
 * Requests Node's HTTP parser rejects before Fastify sees them (a Content-Length that lies,
 * oversized headers, a request line that is not HTTP, headers that never finish): still the
 * envelope, written straight to the socket, then the connection closes.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem = rawClientProblem(error.code);
  const body = JSON.stringify(problem.toBody());
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_TEXT[problem.status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `x-content-type-options: nosniff\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The answer to a request the parser could not read, by Node's error code. */
export function rawClientProblem(code: string | undefined): Problem {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new Problem(431, 'Request headers are too large', { code: 'headers_too_large' });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new Problem(408, 'The request was not received in time', {
        code: 'request_timeout',
        hint: 'Send the request line and headers promptly after connecting.',
      });
    default:
      return new Problem(400, 'Malformed HTTP request', {
        code: 'malformed_request',
        hint: 'Check Content-Length and the request line.',
      });
  }
}

/** Bodies are plain JSON: a compressed (or otherwise encoded) body is refused rather than misread. */
export function checkContentEncoding(request: FastifyRequest): void {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new Problem(415, `Content-Encoding ${encoding.slice(0, 40)} is not supported`, {
      code: 'unsupported_content_encoding',
      hint: 'Send the JSON body uncompressed.',
    });
  }
}
