/**
 * Benchmark server: Gatehouse on an already seeded database, logging at `warn` (no per-request log
 * lines), listening on 127.0.0.1 on a free port. Prints its URL on one line of stdout, then serves
 * until SIGTERM/SIGINT, when it closes cleanly (so `node --cpu-prof` writes its profile).
 *
 * Configuration comes from the environment exactly as for `gatehouse serve`
 * (GATEHOUSE_DATA_DIR, GATEHOUSE_DATABASE_URL, GATEHOUSE_SECRET); bench/run.ts sets it. The code
 * is the build in dist/ unless BENCH_FROM=src (see modules.ts).
 */
import { gatehouse } from './modules.js';

const { loadConfig } = await gatehouse.config();
const { createLogger, startServer } = await gatehouse.server();

const config = loadConfig({ port: 0, host: '127.0.0.1', logLevel: 'warn' }, process.env, { createSecret: false });
const server = await startServer(config, { logger: createLogger('warn', process.stderr) });
process.stdout.write(`${server.url}\n`);

let closing = false;
async function stop(): Promise<void> {
  if (closing) return;
  closing = true;
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
