/**
 * The web console: the single-page app built from `console/` into `dist/console/`, served at
 * `/console/` on the API's own origin, and the front door `GET /`.
 *
 * - `/console/assets/*`: the hashed files Vite emitted, cached `immutable` for a year (a new build
 *   has new names), sent pre-compressed (`.br`, `.gz`) when the browser accepts it.
 * - `/console/` and every other path under it: `index.html` (the app routes in the browser),
 *   `Cache-Control: no-cache` so a new build is picked up at once. An asset that does not exist is
 *   a 404, never the page: a stale chunk must fail loudly rather than be parsed as HTML.
 * - Every page carries a strict Content-Security-Policy: scripts and style sheets only from this
 *   server, no inline script. The UI kit adds `<style>` elements at run time (the scroll lock of its
 *   dialogs), so styles may also carry this response's nonce. The app reads the nonce from
 *   `<meta property="csp-nonce">` at boot: nothing inline has to run to hand it over.
 * - `GET /`: browsers (an `Accept` naming `text/html`) are sent to the console; other clients get
 *   a small JSON pointer to the console, the API reference and the OpenAPI document.
 *
 * The console is an ordinary client of the public API: nothing here gives it powers a script with
 * a token would not have.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Problem } from '../model/errors.js';
import { packagePath } from '../paths.js';
import { sendProblem } from './errors.js';

export const CONSOLE_PREFIX = '/console/';
/** What Vite writes into `index.html` where each response puts its own nonce (`html.cspNonce`). */
export const NONCE_PLACEHOLDER = 'GATEHOUSE_CSP_NONCE';

/**
 * Where the built console lives: `dist/console/` of this package, whether the server runs from
 * `dist/` or from `src/` (tests, `tsx`).
 */
export function defaultConsoleDir(): string {
  return packagePath('dist/console/');
}

/** The Content-Security-Policy of a console page. */
export function consoleCsp(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function consoleNotBuilt(dir: string): Problem {
  return new Problem(503, 'The web console is not built', {
    code: 'console_not_built',
    hint: `No console was found in ${dir}. Run \`npm run build\` (or \`npm run build:console\`), then restart the server. The API works without it.`,
  });
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && /\btext\/html\b/i.test(accept);
}

/**
 * Registers the console and the front door. `dir` is the built app (default: `defaultConsoleDir()`);
 * without an `index.html` there, console pages answer 503 `console_not_built` and the API works on.
 */
export async function registerConsole(app: FastifyInstance, { dir = defaultConsoleDir() }: { dir?: string } = {}): Promise<void> {
  const indexFile = `${dir.replace(/\/+$/, '')}/index.html`;
  const template = existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : null;

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (wantsHtml(request)) return reply.code(302).header('cache-control', 'no-cache').redirect(CONSOLE_PREFIX);
    return {
      name: 'Gatehouse',
      console: CONSOLE_PREFIX,
      docs: '/docs',
      openapi: '/openapi.json',
      health: '/health',
    };
  });

  if (template === null) {
    const notBuilt = async (_request: FastifyRequest, reply: FastifyReply) => sendProblem(reply, consoleNotBuilt(dir));
    app.get('/console', { schema: { hide: true } }, notBuilt);
    app.get('/console/*', { schema: { hide: true } }, notBuilt);
    return;
  }

  await app.register(fastifyStatic, {
    root: `${dir.replace(/\/+$/, '')}/assets`,
    prefix: `${CONSOLE_PREFIX}assets/`,
    // Only the hashed build output is served from disk; the page itself is rendered below.
    index: false,
    redirect: false,
    list: false,
    decorateReply: false,
    preCompressed: true,
    immutable: true,
    maxAge: '365d',
    schemaHide: true,
  });

  const page = async (_request: FastifyRequest, reply: FastifyReply) => {
    const nonce = randomBytes(18).toString('base64url');
    return reply
      .code(200)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', consoleCsp(nonce))
      .send(template.replaceAll(NONCE_PLACEHOLDER, nonce));
  };
  // `/console` and `/console/` are one route (the router ignores a trailing slash).
  app.get('/console', { schema: { hide: true } }, page);
  app.get('/console/*', { schema: { hide: true } }, page);
}
