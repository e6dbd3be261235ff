/**
 * Write scenarios: `writers` concurrent clients (8 by default), each sending one write after another
 * for `durationS` seconds, through the HTTP API with the administrator's personal token. Run by
 * bench/run.ts in its own process (pinned to the load generator's core).
 *
 * The writers use node:http on kept-alive connections, not `fetch`: on Node 20, `fetch` costs about
 * 1 ms of CPU per request, as much as Gatehouse spends on the write itself, and on a machine of two
 * cores the load generator shares its core with PostgreSQL. The benchmark measures the server, so
 * the client is kept as cheap as autocannon is for the reads.
 *
 * - `create-robot`: POST /access/project/{id}/robots (a robot, its token and membership, an audit event);
 * - `change-roles`: PUT /access/project/{id}/users/{userId}/roles, each writer on its own member,
 *   alternating viewer and editor (the last-administrator check, the counts, an audit event);
 * - `add-cors-origin`: POST /projects/{id}/cors with a new origin each time.
 *
 * Input: BENCH_WRITES (JSON, WritesInput). Output: one JSON line (WriteResult[]) on stdout. Every
 * answer must be 2xx: anything else is counted as an error and reported.
 */
import http from 'node:http';
import { cpuSeconds, postgresCpuSeconds } from './proc.js';

export interface WritesInput {
  url: string;
  token: string;
  projectId: string;
  /** One member per writer for `change-roles`. */
  memberIds: string[];
  writers: number;
  durationS: number;
  scenarios: string[];
  /** The Gatehouse server's process, whose CPU time is reported per write. */
  serverPid: number;
  /** Whether to report the CPU time of the machine's `postgres` processes per write too. */
  countPostgres: boolean;
}

export interface WriteResult {
  scenario: string;
  writers: number;
  writes: number;
  errors: number;
  statusCodes: Record<string, number>;
  durationS: number;
  writesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * CPU time per successful write, in ms, of each party: the Gatehouse server, PostgreSQL (every
   * `postgres` process on the machine; null on SQLite) and this process, the writers.
   */
  cpuMsPerWrite: { server: number; postgres: number | null; writers: number };
}

const input = JSON.parse(process.env.BENCH_WRITES ?? 'null') as WritesInput | null;
if (!input) {
  process.stderr.write('bench/writes.ts is run by bench/run.ts (BENCH_WRITES is not set)\n');
  process.exit(2);
}

const V = '/v2025-01-09';

/** One connection per writer, kept alive between its writes. */
const agent = new http.Agent({ keepAlive: true, maxSockets: input.writers });

/** Sends one request and reads the whole answer; resolves to its status code. */
function send(method: string, url: string, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.on('error', reject);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.resume();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let runs = 0;

function request(scenario: string, writer: number, n: number): { method: string; path: string; body: unknown } {
  const project = input?.projectId as string;
  switch (scenario) {
    case 'create-robot':
      return {
        method: 'POST',
        path: `${V}/access/project/${project}/robots`,
        body: {
          label: `writer ${writer} robot ${n}`,
          memberships: [{ resourceType: 'project', resourceId: project, roleNames: ['viewer'] }],
        },
      };
    case 'change-roles':
      return {
        method: 'PUT',
        path: `${V}/access/project/${project}/users/${input?.memberIds[writer]}/roles`,
        body: { roleNames: [n % 2 === 0 ? 'editor' : 'viewer'] },
      };
    default:
      return {
        method: 'POST',
        path: `${V}/projects/${project}/cors`,
        body: { origin: `https://r${runs}-w${writer}-${n}-${process.pid}.bench.example`, allowCredentials: false },
      };
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

async function run(scenario: string, durationS: number): Promise<WriteResult> {
  const { url, token, writers, serverPid, countPostgres } = input as WritesInput;
  runs++;
  const times: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  const cpuBefore = { server: cpuSeconds(serverPid), postgres: postgresCpuSeconds(), writers: process.cpuUsage() };
  const started = performance.now();
  const end = started + durationS * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let n = 0; performance.now() < end; n++) {
        const { method, path, body } = request(scenario, writer, n);
        const t0 = performance.now();
        try {
          const status = await send(method, url + path, token, JSON.stringify(body));
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status >= 300) errors++;
          else times.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const writersCpu = process.cpuUsage(cpuBefore.writers);
  const perWrite = (seconds: number) => (seconds * 1000) / Math.max(1, times.length);
  const cpuMsPerWrite = {
    server: perWrite(cpuSeconds(serverPid) - cpuBefore.server),
    postgres: countPostgres ? perWrite(postgresCpuSeconds() - cpuBefore.postgres) : null,
    writers: perWrite((writersCpu.user + writersCpu.system) / 1e6),
  };
  times.sort((a, b) => a - b);
  return {
    scenario,
    writers,
    writes: times.length,
    errors,
    statusCodes,
    durationS: elapsed,
    writesPerSec: times.length / elapsed,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: percentile(times, 100),
    cpuMsPerWrite,
  };
}

const results: WriteResult[] = [];
for (const scenario of input.scenarios) {
  // One second of the same writes first, not counted.
  await run(scenario, 1);
  results.push(await run(scenario, input.durationS));
}
process.stdout.write(`${JSON.stringify(results)}\n`);
