/**
 * Benchmark baseline: a bare Fastify with Fastify's defaults and no logger.
 *
 * - `GET /`: a hello-world JSON object. Every Gatehouse scenario is reported as a ratio to this
 *   route, measured in the same run, on the same core, with the same load generator.
 * - `GET /page`: the list-users response body (the file named by BENCH_PAGE_FILE, captured from
 *   Gatehouse by run.ts), kept in memory as objects and serialised per request, with no auth and
 *   no database.
 * - `GET /page-bytes`: the very same bytes, pre-rendered once and sent as they are, as Gatehouse
 *   sends a cached page: the true ceiling for list-users.
 * - `GET /page-bytes-auth-floor`: the same bytes behind the least any access service has to do to
 *   serve them, whatever its design: find the caller from the bearer token (its SHA-256 looked up
 *   in memory, the key Gatehouse's credential cache uses; the stored, keyed digest is only computed
 *   on a miss), decide with one lookup in memory whether it may read members, and answer with the
 *   headers Gatehouse's answer carries (a W3C `traceparent`, `vary`, `nosniff`). Nothing else: no
 *   hooks, no route table, no page cache. It shows how close to `/page-bytes` an authenticated
 *   answer can come on this stack. It needs BENCH_TOKEN, the token the load generator sends.
 *
 * Prints its URL on stdout. Plain JavaScript run by plain `node`, as bench/serve-gatehouse.js is.
 */
import { hash, randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const page = process.env.BENCH_PAGE_FILE ? JSON.parse(readFileSync(process.env.BENCH_PAGE_FILE, 'utf8')) : null;

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
if (page !== null) {
  app.get('/page', async () => page);
  const bytes = Buffer.from(JSON.stringify(page), 'utf8');
  app.get('/page-bytes', async (_request, reply) => reply.type('application/json; charset=utf-8').send(bytes));
  if (process.env.BENCH_TOKEN) floorRoute(bytes, process.env.BENCH_TOKEN);
}

/** `/page-bytes-auth-floor` (see above), for callers holding `token`. */
function floorRoute(bytes, token) {
  const digest = (text) => hash('sha256', text, 'base64');
  const principals = new Map([[digest(token), 'robot']]);
  const permissions = new Map([['robot', new Set(['sanity.project.members.read'])]]);
  // Random hex from a pool refilled 4 KiB at a time, as Gatehouse draws its trace ids.
  const pool = Buffer.alloc(4096);
  let offset = pool.length;
  const randomHex = (n) => {
    if (offset + n > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    offset += n;
    return pool.toString('hex', offset - n, offset);
  };
  app.get('/page-bytes-auth-floor', async (request, reply) => {
    const header = request.headers.authorization;
    const principal = typeof header === 'string' ? principals.get(digest(header.slice(7))) : undefined;
    if (!principal || !permissions.get(principal)?.has('sanity.project.members.read')) return reply.code(401).send();
    return reply
      .header('traceparent', `00-${randomHex(16)}-${randomHex(8)}-01`)
      .type('application/json; charset=utf-8')
      .header('vary', 'accept-encoding')
      .header('x-content-type-options', 'nosniff')
      .send(bytes);
  });
}
// BENCH_PORT: a given port (cold-start measurement); otherwise any free one.
await app.listen({ port: Number(process.env.BENCH_PORT ?? 0), host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`http://127.0.0.1:${port}\n`);

let closing = false;
async function stop() {
  if (closing) return;
  closing = true;
  await app.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
