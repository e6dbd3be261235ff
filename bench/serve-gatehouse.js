/**
 * Benchmark server: Gatehouse on an already seeded database, logging at `warn` (no per-request log
 * lines), listening on 127.0.0.1 on a free port. Prints its URL on one line of stdout, then serves
 * until SIGTERM/SIGINT, when it closes cleanly.
 *
 * Plain JavaScript, run by plain `node` like `gatehouse serve`: a TypeScript loader in the process
 * would add its own thread and memory to what is measured (RSS, CPU). The code is the build in
 * dist/, or src/ with BENCH_FROM=src (then bench/run.ts starts it with tsx).
 *
 * With BENCH_CPU_PROF=<dir>, the V8 sampling profiler starts on SIGUSR2 (bench/run.ts sends it
 * once the warm-up is over, so start-up and warm-up stay out of the profile) and the profile is
 * written to <dir>/CPU.<pid>.cpuprofile when the server stops.
 *
 * Configuration comes from the environment exactly as for `gatehouse serve`
 * (GATEHOUSE_DATA_DIR, GATEHOUSE_DATABASE_URL, GATEHOUSE_SECRET); bench/run.ts sets it.
 */
const root = process.env.BENCH_FROM === 'src' ? '../src/' : '../dist/';
const { loadConfig } = await import(`${root}config.js`);
const { createLogger, startServer } = await import(`${root}server.js`);

const profileDir = process.env.BENCH_CPU_PROF;
let writeProfile = async () => {};
if (profileDir) {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 100 µs between samples: several per request, without distorting a request of ~50 µs much.
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  let started = false;
  process.on('SIGUSR2', () => {
    if (started) return;
    started = true;
    void session.post('Profiler.start');
  });
  writeProfile = async () => {
    if (!started) return;
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${profileDir}/CPU.${process.pid}.cpuprofile`, JSON.stringify(profile));
  };
}

const config = loadConfig({ port: 0, host: '127.0.0.1', logLevel: 'warn' }, process.env, { createSecret: false });
const server = await startServer(config, { logger: createLogger('warn', process.stderr) });
process.stdout.write(`${server.url}\n`);

let closing = false;
async function stop() {
  if (closing) return;
  closing = true;
  await writeProfile();
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
