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
 *
 * Prints its URL on stdout. Plain JavaScript run by plain `node`, as bench/serve-gatehouse.js is.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const page = process.env.BENCH_PAGE_FILE ? JSON.parse(readFileSync(process.env.BENCH_PAGE_FILE, 'utf8')) : null;

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
if (page !== null) {
  app.get('/page', async () => page);
  const bytes = Buffer.from(JSON.stringify(page), 'utf8');
  app.get('/page-bytes', async (_request, reply) => reply.type('application/json; charset=utf-8').send(bytes));
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
