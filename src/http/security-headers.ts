/**
 * Response security headers, on every answer the application sends:
 *
 * - `X-Content-Type-Options: nosniff` everywhere (JSON, HTML, CSV, errors, 404s), so a browser
 *   never second-guesses a declared content type and runs a JSON body or an error as a script;
 * - on the interactive reference under `/docs`, which runs scripts: a Content-Security-Policy that
 *   allows only this server's own scripts, styles and requests, no framing (`frame-ancestors`
 *   and `X-Frame-Options`), and no `Referer` to other sites.
 *
 * Login pages set their own, stricter policy (no script at all) in `sendHtml` (http/route.ts); a
 * header a route already set is never replaced here. Answers written straight to the socket before
 * Fastify sees a request (http/errors.ts#clientErrorHandler) carry `nosniff` themselves.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Where the interactive reference lives (@fastify/swagger-ui's `routePrefix`). */
export const DOCS_PREFIX = '/docs';

/**
 * Swagger UI loads its bundle, styles and the document from this server, sets inline styles on
 * elements, shows data-URI icons, and calls this server when "Try it out" runs an operation.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** Headers every answer carries. */
export const BASELINE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
};

/** Headers of the `/docs` pages and their assets, on top of the baseline. */
export const DOCS_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DOCS_CSP,
  // Not `no-referrer`: with it, browsers send `Origin: null` on the page's own requests.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

function isDocs(url: string): boolean {
  return url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`) || url.startsWith(`${DOCS_PREFIX}?`);
}

const BASELINE = Object.entries(BASELINE_HEADERS);
const DOCS = Object.entries({ ...BASELINE_HEADERS, ...DOCS_HEADERS });

/** Adds the headers a reply must carry and does not yet (http/app.ts calls it in its one `onSend` hook). */
export function addSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  for (const [name, value] of isDocs(request.url) ? DOCS : BASELINE) {
    if (!reply.hasHeader(name)) reply.header(name, value);
  }
}
