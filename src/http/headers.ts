/**
 * The response headers that services describe as data (`Problem.extra` in src/model/errors.ts, the
 * token-failure window of `AuthService.authorize`): the RFC 6750 `WWW-Authenticate` challenge,
 * `Retry-After`, and the `RateLimit-*` headers (draft-ietf-httpapi-ratelimit-headers).
 */
import type { FastifyReply } from 'fastify';
import type { ProblemExtra } from '../model/errors.js';
import type { RateLimitReport } from '../model/rate-limit.js';

/** The `WWW-Authenticate` value of each challenge a problem may describe (RFC 6750 §3). */
const CHALLENGES: Record<NonNullable<ProblemExtra['challenge']>, string> = {
  token: 'Bearer realm="gatehouse"',
  invalid_token: 'Bearer realm="gatehouse", error="invalid_token"',
  invalid_request: 'Bearer realm="gatehouse", error="invalid_request"',
};

/** Writes a window's `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`. */
export function setRateLimitHeaders(reply: FastifyReply, report: RateLimitReport): void {
  reply.header('ratelimit-limit', String(report.limit));
  reply.header('ratelimit-remaining', String(report.remaining));
  reply.header('ratelimit-reset', String(report.resetSeconds));
}

/** Writes the headers a problem describes: its wait, its window, its challenge, then any literal headers. */
export function setProblemHeaders(reply: FastifyReply, extra: ProblemExtra): void {
  if (extra.retryAfterSeconds !== undefined) reply.header('retry-after', String(extra.retryAfterSeconds));
  if (extra.rateLimit) setRateLimitHeaders(reply, extra.rateLimit);
  if (extra.challenge) reply.header('www-authenticate', CHALLENGES[extra.challenge]);
  for (const [name, value] of Object.entries(extra.headers ?? {})) reply.header(name, value);
}
