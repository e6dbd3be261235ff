/** Per-request facts derived from headers: trace ids, client IP, project context. */
import { randomFillSync } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Trace and span ids need uniqueness, not secrecy, but cost two CSPRNG calls per request when
 * drawn one by one; drawing 8 KiB at a time makes them nearly free.
 */
const pool = Buffer.alloc(8192);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The trace id of an incoming W3C `traceparent`, or a fresh one. Used as the request id. */
export function traceIdOf(header: string | string[] | undefined): string {
  const match = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
  if (match?.[1] && !/^0+$/.test(match[1])) return match[1];
  return randomHex(16);
}

export function traceparentFor(traceId: string): string {
  return `00-${traceId}-${randomHex(8)}-01`;
}

const PROJECT_HOST = /^([a-z0-9][a-z0-9-]{0,63})\.api\./;
const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Project context from the `<projectId>.api.<host>` subdomain or the `X-Sanity-Project-ID` header. */
export function projectContextOf(request: FastifyRequest): string | null {
  const fromHost = PROJECT_HOST.exec(request.hostname ?? '')?.[1];
  if (fromHost) return fromHost;
  const header = request.headers['x-sanity-project-id'];
  return typeof header === 'string' && PROJECT_ID.test(header) ? header : null;
}

/** The origin the client used to reach this server: `<protocol>://<Host>` (behind a trusted proxy, its forwarded values). */
export function requestOriginOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}
