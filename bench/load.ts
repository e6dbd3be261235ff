/**
 * Load generator worker: autocannon in its own process (bench/run.ts pins it to a core of its own),
 * driven over IPC so that one warm process serves every measurement of a run.
 *
 * Message in:  { id, url, headers?, duration, connections }
 * Message out: { id, result } or { id, error }
 *
 * Latency percentiles are computed here from every 2xx response time (autocannon's own histogram
 * rounds to whole milliseconds, too coarse for a 1–3 ms p50).
 */
import { createRequire } from 'node:module';
import autocannon from 'autocannon';

/**
 * autocannon keeps each response's body as a string (`body += chunk`: every chunk decoded as UTF-8
 * and appended) for per-request `onResponse` hooks, which this benchmark does not use: for a
 * 25.6 KB list-users answer, work of the load generator's that nothing reads. The body is not
 * kept; status codes, byte counts and timings are recorded as before. (The larger cost of large
 * answers to the load generator is memory it gives back and faults in again: LOAD_ENV in
 * bench/run.ts.) autocannon is pinned in package.json; if the method moves, this fails instead of
 * measuring something else.
 */
const PipelinedRequestsQueue = createRequire(import.meta.url)('autocannon/lib/pipelinedRequestsQueue.js') as {
  prototype: { addBody?: (data: Buffer) => void };
};
if (typeof PipelinedRequestsQueue.prototype.addBody !== 'function') {
  throw new Error('autocannon no longer has PipelinedRequestsQueue#addBody: update bench/load.ts');
}
PipelinedRequestsQueue.prototype.addBody = () => {};

export interface LoadRequest {
  id: number;
  url: string;
  headers?: Record<string, string>;
  /** Seconds. */
  duration: number;
  connections: number;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  reqPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  bytesPerSec: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** CPU time the load generator used, as a fraction of one core over the run. */
  loadCpu: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

async function measure(request: LoadRequest): Promise<LoadResult> {
  let times = new Float64Array(1 << 16);
  let count = 0;
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const instance = autocannon({
    url: request.url,
    connections: request.connections,
    duration: request.duration,
    pipelining: 1,
    timeout: 10,
    headers: request.headers ?? {},
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode < 200 || statusCode >= 300) return;
    if (count === times.length) {
      const bigger = new Float64Array(times.length * 2);
      bigger.set(times);
      times = bigger;
    }
    times[count++] = responseTime;
  });
  const result = await instance;
  const wallS = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = times.subarray(0, count).sort();
  const statusCodes: Record<string, number> = {};
  for (const [code, { count: n }] of Object.entries(result.statusCodeStats)) statusCodes[code] = n;
  return {
    requests: result['2xx'],
    durationS: result.duration,
    reqPerSec: result['2xx'] / result.duration,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: percentile(sorted, 100),
    bytesPerSec: (result.throughput.total ?? 0) / result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    loadCpu: (cpu.user + cpu.system) / 1e6 / wallS,
  };
}

if (!process.send) {
  process.stderr.write('bench/load.ts is a worker of bench/run.ts (it needs an IPC channel)\n');
  process.exit(2);
}

// One measurement at a time: requests are queued in arrival order.
let queue: Promise<void> = Promise.resolve();
process.on('message', (message: LoadRequest) => {
  queue = queue.then(async () => {
    try {
      process.send?.({ id: message.id, result: await measure(message) });
    } catch (error) {
      process.send?.({ id: message.id, error: (error as Error).stack ?? String(error) });
    }
  });
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
