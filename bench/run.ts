/**
 * `npm run bench`: seeds a project with 10,000 members, then measures Gatehouse over HTTP against a
 * bare Fastify hello-world in the same run, and the in-process cost of authentication + decision.
 *
 *   npm run bench                      # full run (a few minutes)
 *   npm run bench -- --quick           # smoke run (~20 s)
 *   npm run bench -- --help            # every option
 *
 * Methodology (docs/benchmarks.md has the long form):
 * - Server processes are pinned to CPU 0 and the load generator (autocannon, one process) to CPU 1
 *   with `taskset`, when it exists and there are two CPUs or more.
 * - Every scenario measurement is paired with a baseline measurement next to it, in rounds whose
 *   order alternates ([baseline, scenario], then [scenario, baseline]); the ratio is computed per
 *   round and the reported figures are medians over rounds. Absolute req/s on a shared VM drift by
 *   up to 2× between minutes, and within one: many short pairs (9 rounds of 2 s) give a slowdown
 *   that lasts a few seconds fewer pairs to spoil than a few long ones, and the median drops them.
 * - Every server and scenario is warmed up before the first round; responses must all be 2xx.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import type { LoadRequest, LoadResult } from './load.js';
import type { MicroInput, MicroResult } from './micro.js';
import { throwawayDatabase } from './postgres.js';
import { clockTicks, cpuSeconds } from './proc.js';
import { seed } from './seed.js';
import type { WriteResult, WritesInput } from './writes.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const API_VERSION = 'v2025-01-09';

// ------------------------------------------------------------------------------------------------
// Options

const HELP = `Usage: npm run bench -- [options]

  --duration <s>      whole seconds per measurement (default 2; quick 1)
  --warmup <s>        whole warm-up seconds before each measurement (default 0: only the initial
                      warm-up of every server and scenario)
  --write-duration <s> whole seconds per write scenario (default 5; quick 1)
  --connections <n>   concurrent connections (default 50)
  --rounds <n>        rounds of [baseline, scenario] pairs (default 9; quick 1)
  --members <n>       human members to seed besides the administrator (default 10000)
  --scenarios <list>  comma-separated subset of: list-users, list-users-gzip, users-me, check, page-from-memory,
                      page-bytes-from-memory, page-bytes-auth-floor (default all; list-users-gzip sends
                      accept-encoding: gzip, as
                      @sanity/client does)
  --writers <n>       concurrent writers of the write scenarios (default 8; 0 skips them)
  --db <dialect>      sqlite (default) or postgres
  --database-url <u>  postgres://… (with --db postgres; GATEHOUSE_SECRET is used if set). Without it,
                      --db postgres starts a throwaway PostgreSQL server of its own
  --quick             smoke run of about 20 seconds
  --no-micro          skip the in-process micro-benchmarks
  --no-pin            do not pin processes to CPUs even when taskset is available
  --from <dist|src>   run the servers and micro-benchmarks on the build in dist/ (default; \`npm run bench\`
                      builds first) or on src/ through tsx (no build needed)
  --cpu-prof          profile the Gatehouse server during the measurements (after start-up and warm-up);
                      the profile goes to bench/results/profiles/CPU.<pid>.cpuprofile; summarise it with
                      node --import tsx bench/profile-summary.ts <file>
  --out <file>        results file (default bench/results/latest.json; quick: bench/results/quick.json)
  --keep              keep the temporary data directory
  --help              this text
`;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'write-duration': { type: 'string' },
    connections: { type: 'string' },
    rounds: { type: 'string' },
    members: { type: 'string' },
    scenarios: { type: 'string' },
    writers: { type: 'string' },
    db: { type: 'string' },
    'database-url': { type: 'string' },
    from: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'no-micro': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function numberFlag(name: string, text: string | undefined, fallback: number, { integer = false, min = 0 } = {}): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    fail(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${text}"`);
  }
  return value;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

const quick = flags.quick === true;
const params = {
  quick,
  durationS: numberFlag('duration', flags.duration, quick ? 1 : 2, { integer: true, min: 1 }),
  warmupS: numberFlag('warmup', flags.warmup, 0, { integer: true }),
  writeDurationS: numberFlag('write-duration', flags['write-duration'], quick ? 1 : 5, { integer: true, min: 1 }),
  initialWarmupS: quick ? 1 : 3,
  connections: numberFlag('connections', flags.connections, 50, { integer: true, min: 1 }),
  rounds: numberFlag('rounds', flags.rounds, quick ? 1 : 9, { integer: true, min: 1 }),
  members: numberFlag('members', flags.members, 10_000, { integer: true, min: 50 }),
  writers: numberFlag('writers', flags.writers, 8, { integer: true }),
  pageLimit: 50,
  db: flags.db ?? 'sqlite',
  from: flags.from ?? 'dist',
  micro: !flags['no-micro'],
  microWarmupMs: quick ? 50 : 500,
  microTimeMs: quick ? 250 : 2000,
};
if (params.from !== 'dist' && params.from !== 'src') fail(`--from must be dist or src, got "${params.from}"`);
if (params.db !== 'sqlite' && params.db !== 'postgres') fail(`--db must be sqlite or postgres, got "${params.db}"`);
if (params.db === 'sqlite' && flags['database-url']) fail('--database-url is only for --db postgres');

const SCENARIO_NAMES = [
  'list-users',
  'list-users-gzip',
  'users-me',
  'check',
  'page-from-memory',
  'page-bytes-from-memory',
  'page-bytes-auth-floor',
] as const;
const REFERENCE_SCENARIOS = new Set(['page-from-memory', 'page-bytes-from-memory', 'page-bytes-auth-floor']);
type ScenarioName = (typeof SCENARIO_NAMES)[number];
const selected = (flags.scenarios ?? SCENARIO_NAMES.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
for (const name of selected) {
  if (!(SCENARIO_NAMES as readonly string[]).includes(name))
    fail(`unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`);
}

/** With --from dist, every TypeScript file under src/ must have a compiled dist/ file at least as new. */
function checkDistFresh(): void {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const built = join(ROOT, 'dist', rel.slice('src/'.length).replace(/\.ts$/, '.js'));
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(ROOT, rel)).mtimeMs) stale.push(rel);
      }
    }
  };
  walk('src');
  if (stale.length > 0) {
    fail(
      `dist/ is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''}: run \`npm run build\` (or use npm run bench, which builds), or pass --from src`,
    );
  }
}
if (params.from === 'dist') checkDistFresh();

// ------------------------------------------------------------------------------------------------
// Processes: pinning, servers, the load worker

const cpuCount = os.cpus().length;
const tasksetAvailable = spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
const pin = !flags['no-pin'] && tasksetAvailable && cpuCount >= 2;
const SERVER_CPU = 0;
const LOAD_CPU = 1;

const children = new Set<ChildProcess>();

function spawnNode(script: string, cpu: number, options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; ipc?: boolean } = {}) {
  // TypeScript (and the servers with --from src) run through tsx; the servers on dist/ run on plain
  // node, as `gatehouse serve` does, so no loader thread adds to their memory and CPU.
  const tsx = script.endsWith('.ts') || params.from === 'src';
  const nodeArgs = [...(options.nodeArgs ?? []), ...(tsx ? ['--import', 'tsx'] : []), join(ROOT, script)];
  const [command, args] = pin ? ['taskset', ['-c', String(cpu), process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(command as string, args as string[], {
    cwd: ROOT,
    env: options.env ?? process.env,
    stdio: options.ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

interface Server {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a server script and waits for the URL it prints; its other output is passed through, prefixed. */
function startServerProcess(name: string, script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<Server> {
  const child = spawnNode(script, SERVER_CPU, { env, nodeArgs });
  return new Promise((resolvePromise, reject) => {
    let buffered = '';
    let url: string | null = null;
    const timer = setTimeout(() => reject(new Error(`${name} did not print its URL within 60 s`)), 60_000);
    const forward = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') stream.write(`  [${name}] ${line}\n`);
    };
    child.stderr?.on('data', forward(process.stderr));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (url !== null) return forward(process.stderr)(chunk);
      buffered += chunk.toString();
      const match = /^(https?:\/\/\S+)$/m.exec(buffered);
      if (!match?.[1]) return;
      url = match[1];
      clearTimeout(timer);
      resolvePromise({
        name,
        url,
        pid: child.pid as number,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (url === null) reject(new Error(`${name} exited (${signal ?? code}) before printing its URL`));
    });
  });
}

/** Busy CPU ticks (everything but idle and iowait) of the whole machine and of each CPU, from /proc/stat. */
function busyTicks(): { total: number; perCpu: number[] } | null {
  try {
    const perCpu: number[] = [];
    let total = 0;
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d*) +(.*)$/.exec(line);
      if (!match) continue;
      const [user, nice, system, , , irq, softirq, steal] = (match[2] as string).split(/ +/).map(Number);
      const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
      if (match[1] === '') total = busy;
      else perCpu[Number(match[1])] = busy;
    }
    return { total, perCpu };
  } catch {
    return null;
  }
}

interface LoadWorker {
  run(request: Omit<LoadRequest, 'id'>): Promise<LoadResult>;
  stop(): Promise<void>;
}

/**
 * The load generators' environment. Node reads each socket's data into a fresh, zero-filled 64 KiB
 * buffer; glibc hands the freed memory back to the kernel and the next read faults it in again,
 * page by page. On this project's VMs those faults and that zeroing were a third of the load
 * generator's CPU under the 25.6 KB list-users answers (`perf`: `exc_page_fault` under
 * `AllocateExternalBackingStore`), and its speed, not the server's, set their req/s. Keeping freed
 * memory in the process (glibc's documented tunables; ignored elsewhere) took bare Fastify's
 * page-bytes answers from 12 to 17k req/s to 25 to 31k on one core. The servers under test keep
 * the defaults: they run as operators run them.
 */
const LOAD_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  MALLOC_TRIM_THRESHOLD_: String(1 << 30),
  MALLOC_TOP_PAD_: String(64 << 20),
};

function startLoadWorker(): Promise<LoadWorker> {
  const child = spawnNode('bench/load.ts', LOAD_CPU, { ipc: true, env: LOAD_ENV });
  const pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  return new Promise((resolvePromise, reject) => {
    child.once('exit', (code) => {
      const error = new Error(`load worker exited (${code})`);
      reject(error);
      for (const p of pending.values()) p.reject(error);
    });
    child.on('message', (message: { ready?: boolean; id?: number; result?: LoadResult; error?: string }) => {
      if (message.ready) {
        resolvePromise({
          run: (request) =>
            new Promise((res, rej) => {
              const id = nextId++;
              pending.set(id, { resolve: res, reject: rej });
              child.send({ ...request, id });
            }),
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.disconnect();
            }),
        });
        return;
      }
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      pending.delete(message.id);
      if (message.result) waiter.resolve(message.result);
      else waiter.reject(new Error(`load worker: ${message.error}`));
    });
  });
}

// ------------------------------------------------------------------------------------------------
// Measurements

interface Target {
  name: string;
  server: Server;
  path: string;
  headers: Record<string, string>;
}

interface Measurement extends LoadResult {
  /** CPU the server process used during the measured window, as a fraction of one core. */
  serverCpu: number;
  /** Server CPU time per request, µs: a throughput proxy that CPU contention barely moves. */
  serverCpuUsPerReq: number;
  /**
   * CPU used by everything else on the machine during the window (in cores): neither the server
   * nor the load generator. Other work on a shared machine shows up here and makes numbers noisy.
   */
  otherCpu: number;
  /** The server's resident memory during the window, MiB: highest sample (every 100 ms). */
  rssMiB: number;
}

/** A process's resident set size in MiB (from /proc/<pid>/status). */
function rssMiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function measure(load: LoadWorker, target: Target, durationS: number, warmupS: number): Promise<Measurement> {
  const request = { url: target.server.url + target.path, headers: target.headers, connections: params.connections };
  if (warmupS > 0) check(target, await load.run({ ...request, duration: warmupS }));
  const cpuBefore = cpuSeconds(target.server.pid);
  const busyBefore = busyTicks();
  const wallBefore = performance.now();
  let rss = rssMiB(target.server.pid);
  const sampler = setInterval(() => {
    rss = Math.max(rss, rssMiB(target.server.pid));
  }, 100);
  const result = check(target, await load.run({ ...request, duration: durationS }));
  clearInterval(sampler);
  const wallS = (performance.now() - wallBefore) / 1000;
  const busyAfter = busyTicks();
  const serverCpuS = cpuSeconds(target.server.pid) - cpuBefore;
  const machineCores = busyBefore && busyAfter ? (busyAfter.total - busyBefore.total) / clockTicks / wallS : Number.NaN;
  return {
    ...result,
    serverCpu: serverCpuS / wallS,
    serverCpuUsPerReq: (serverCpuS * 1e6) / result.requests,
    otherCpu: Math.max(0, machineCores - serverCpuS / wallS - result.loadCpu),
    rssMiB: rss,
  };
}

/** A measurement with any non-2xx answer or socket error measures the wrong thing: stop. */
function check(target: Target, result: LoadResult): LoadResult {
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.requests === 0) {
    throw new Error(
      `${target.name}: ${result.requests} ok, ${result.non2xx} non-2xx (${JSON.stringify(result.statusCodes)}), ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return result;
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function api(base: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: checked by hand below.
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, json, bytes: Buffer.byteLength(text) };
}

/** A TCP port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Milliseconds from spawning a server, pinned like the servers under test, to its first 200:
 * - `gatehouse`: `gatehouse serve` (the shipped binary, dist/) on the already migrated and seeded
 *   database, asked for GET /users/me;
 * - `baseline`: the bare Fastify hello-world (bench/serve-baseline.js), asked for GET /. It is the
 *   same-run reference: how long this machine, at this minute, takes to start Node and Fastify.
 */
async function coldStart(kind: 'gatehouse' | 'baseline', env: NodeJS.ProcessEnv): Promise<number> {
  const port = await freePort();
  const args = kind === 'gatehouse' ? [join(ROOT, 'bin', 'gatehouse.js'), 'serve'] : [join(ROOT, 'bench', 'serve-baseline.js')];
  const url = kind === 'gatehouse' ? `http://127.0.0.1:${port}/${API_VERSION}/users/me` : `http://127.0.0.1:${port}/`;
  const [command, argv] = pin ? ['taskset', ['-c', String(SERVER_CPU), process.execPath, ...args]] : [process.execPath, args];
  const started = performance.now();
  const child = spawn(command as string, argv as string[], {
    cwd: ROOT,
    env:
      kind === 'gatehouse'
        ? { ...env, GATEHOUSE_PORT: String(port), GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_LOG_LEVEL: 'warn' }
        : { ...process.env, BENCH_PORT: String(port) },
    stdio: 'ignore',
  });
  children.add(child);
  try {
    while (performance.now() - started < 30_000) {
      if (child.exitCode !== null) throw new Error(`${kind} exited (${child.exitCode}) before answering`);
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 5));
    }
    throw new Error(`${kind} did not answer within 30 s`);
  } finally {
    await new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
    children.delete(child);
  }
}

// ------------------------------------------------------------------------------------------------
// Output

const fmt = {
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'),
  ms: (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–'),
  us: (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–'),
  ratio: (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–'),
  pct: (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : '–'),
  cores: (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–'),
};

function table(headers: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (rightAlign[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** The issue's yardstick: list-users ratio against the floor (0.25) and goal (0.5), and against the ceiling. */
function summarise(scenarios: Array<{ scenario: string; ratio: number }>) {
  const listUsersRatio = scenarios.find((s) => s.scenario === 'list-users')?.ratio ?? null;
  const ceilingRatio = scenarios.find((s) => s.scenario === 'page-from-memory')?.ratio ?? null;
  const bytesCeilingRatio = scenarios.find((s) => s.scenario === 'page-bytes-from-memory')?.ratio ?? null;
  const authFloorRatio = scenarios.find((s) => s.scenario === 'page-bytes-auth-floor')?.ratio ?? null;
  return {
    bytesCeilingRatio,
    listUsersOfBytesCeiling: listUsersRatio !== null && bytesCeilingRatio !== null ? listUsersRatio / bytesCeilingRatio : null,
    authFloorRatio,
    // How close to the ceiling any authenticated answer comes on this stack, and list-users to that.
    authFloorOfBytesCeiling: authFloorRatio !== null && bytesCeilingRatio !== null ? authFloorRatio / bytesCeilingRatio : null,
    listUsersOfAuthFloor: listUsersRatio !== null && authFloorRatio !== null ? listUsersRatio / authFloorRatio : null,
    floor: 0.25,
    goal: 0.5,
    listUsersRatio,
    meetsFloor: listUsersRatio === null ? null : listUsersRatio >= 0.25,
    meetsGoal: listUsersRatio === null ? null : listUsersRatio >= 0.5,
    ceilingRatio,
    listUsersOfCeiling: listUsersRatio !== null && ceilingRatio !== null ? listUsersRatio / ceilingRatio : null,
  };
}

function gitInfo(): { commit: string | null; dirty: boolean | null } {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return { commit: null, dirty: null };
  const status = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' });
  return { commit: head.stdout.trim(), dirty: status.status === 0 ? status.stdout.trim() !== '' : null };
}

// ------------------------------------------------------------------------------------------------
// Main

const t0 = performance.now();
const log = (line: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'gatehouse-bench-'));
  const secret = process.env.GATEHOUSE_SECRET || randomBytes(32).toString('base64url');
  // --db postgres without a URL: a throwaway PostgreSQL server of our own, as the test harness starts.
  let ownPostgres: { url: string; stop(): Promise<void> } | null = null;
  let databaseUrl: string | undefined =
    params.db === 'postgres' ? (flags['database-url'] as string | undefined) : `sqlite:${join(dataDir, 'gatehouse.db')}`;
  if (databaseUrl === undefined) {
    log('bench: starting a throwaway PostgreSQL server');
    ownPostgres = await throwawayDatabase('gatehouse_bench');
    databaseUrl = ownPostgres.url;
  }
  const dbUrl: string = databaseUrl;
  const config = loadConfig({ dataDir, databaseUrl, secret, port: 0, logLevel: 'warn' }, {});
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_FROM: params.from,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_DATABASE_URL: databaseUrl,
    GATEHOUSE_SECRET: secret,
  };
  for (const name of ['GATEHOUSE_PORT', 'GATEHOUSE_HOST', 'GATEHOUSE_PUBLIC_URL', 'GATEHOUSE_LOG_LEVEL']) delete serverEnv[name];

  log(
    `bench: ${params.db}, ${params.members.toLocaleString('en-US')} members, ${params.rounds} round(s) × ${params.durationS} s (+${params.warmupS} s warm-up), ${params.connections} connections, ` +
      (pin
        ? `server on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU}`
        : `unpinned (${tasksetAvailable ? `${cpuCount} CPU` : 'no taskset'}${flags['no-pin'] ? ', --no-pin' : ''})`),
  );

  const servers: Server[] = [];
  let load: LoadWorker | null = null;
  try {
    const seeded = await seed(config.database, config.keys, params.members);
    log(
      `bench: seeded project ${seeded.projectId} with ${seeded.members.toLocaleString('en-US')} members + 1 administrator in ${Math.round(seeded.ms)} ms`,
    );

    const profileDir = join(ROOT, 'bench', 'results', 'profiles');
    if (flags['cpu-prof']) {
      mkdirSync(profileDir, { recursive: true });
      // Profiles are large and local: keep them out of git without touching the root .gitignore.
      writeFileSync(join(profileDir, '.gitignore'), '*\n');
    }
    const gatehouse = await startServerProcess(
      'gatehouse',
      'bench/serve-gatehouse.js',
      flags['cpu-prof'] ? { ...serverEnv, BENCH_CPU_PROF: profileDir } : serverEnv,
    );
    servers.push(gatehouse);
    load = await startLoadWorker();

    // The robot, created as a client would: POST with the administrator's personal token.
    const created = await api(
      gatehouse.url,
      'POST',
      `/${API_VERSION}/access/project/${seeded.projectId}/robots`,
      seeded.adminToken,
      {
        label: 'benchmark robot',
        memberships: [{ resourceType: 'project', resourceId: seeded.projectId, roleNames: ['viewer'] }],
      },
    );
    if (created.status !== 201 || typeof created.json?.token !== 'string') {
      throw new Error(`creating the robot failed: ${created.status} ${JSON.stringify(created.json)}`);
    }
    const robotToken = created.json.token as string;
    const robotHeaders = { authorization: `Bearer ${robotToken}` };

    const listPath = `/${API_VERSION}/access/project/${seeded.projectId}/users?limit=${params.pageLimit}`;
    const mePath = `/${API_VERSION}/users/me`;
    // What deploy tools ask before acting: two permissions, one held by a viewer robot, one not.
    const checkPath = `/${API_VERSION}/access/project/${seeded.projectId}/user-permissions/me/check?permissions=sanity.project.members.read&permissions=sanity.project.tokens.create`;

    // Each scenario answers what it should before it is timed.
    const responseBytes: Record<string, number> = {};
    const listed = await api(gatehouse.url, 'GET', listPath, robotToken);
    if (
      listed.status !== 200 ||
      listed.json?.data?.length !== params.pageLimit ||
      listed.json?.totalCount !== params.members + 1
    ) {
      throw new Error(
        `list-users: expected 200 with ${params.pageLimit} users of ${params.members + 1}, got ${listed.status} with ${listed.json?.data?.length} of ${listed.json?.totalCount}`,
      );
    }
    responseBytes['list-users'] = listed.bytes;
    // What @sanity/client sends: the page comes back compressed once per rendered version.
    const gzipHeaders = { ...robotHeaders, 'accept-encoding': 'gzip' };
    const zipped = await fetch(gatehouse.url + listPath, { headers: gzipHeaders });
    if (zipped.status !== 200 || zipped.headers.get('content-encoding') !== 'gzip') {
      throw new Error(
        `list-users-gzip: expected a gzip-encoded 200, got ${zipped.status} ${zipped.headers.get('content-encoding')}`,
      );
    }
    responseBytes['list-users-gzip'] =
      Number(zipped.headers.get('content-length') ?? 0) || (await zipped.arrayBuffer()).byteLength;
    const me = await api(gatehouse.url, 'GET', mePath, robotToken);
    if (me.status !== 200 || me.json?.provider !== 'sanity-token')
      throw new Error(`users-me: expected the robot, got ${me.status} ${JSON.stringify(me.json)}`);
    responseBytes['users-me'] = me.bytes;
    const checked = await api(gatehouse.url, 'GET', checkPath, robotToken);
    if (
      checked.status !== 200 ||
      checked.json?.data?.['sanity.project.members.read'] !== true ||
      checked.json?.data?.['sanity.project.tokens.create'] !== false
    ) {
      throw new Error(
        `check: expected {members.read: true, tokens.create: false}, got ${checked.status} ${JSON.stringify(checked.json)}`,
      );
    }
    responseBytes.check = checked.bytes;

    // The baseline server also serves the very page list-users returned, from memory (the ceiling).
    const pageFile = join(dataDir, 'page.json');
    writeFileSync(pageFile, JSON.stringify(listed.json));
    const baseline = await startServerProcess('baseline', 'bench/serve-baseline.js', {
      ...process.env,
      BENCH_PAGE_FILE: pageFile,
      BENCH_TOKEN: robotToken,
    });
    servers.push(baseline);
    responseBytes.baseline = (await api(baseline.url, 'GET', '/', 'none')).bytes;
    responseBytes['page-from-memory'] = (await api(baseline.url, 'GET', '/page', 'none')).bytes;
    responseBytes['page-bytes-from-memory'] = (await api(baseline.url, 'GET', '/page-bytes', 'none')).bytes;
    responseBytes['page-bytes-auth-floor'] = (await api(baseline.url, 'GET', '/page-bytes-auth-floor', robotToken)).bytes;

    const targets = selected.map((name): Target => {
      switch (name as ScenarioName) {
        case 'list-users':
          return { name, server: gatehouse, path: listPath, headers: robotHeaders };
        case 'list-users-gzip':
          return { name, server: gatehouse, path: listPath, headers: gzipHeaders };
        case 'users-me':
          return { name, server: gatehouse, path: mePath, headers: robotHeaders };
        case 'check':
          return { name, server: gatehouse, path: checkPath, headers: robotHeaders };
        case 'page-bytes-from-memory':
          return { name, server: baseline, path: '/page-bytes', headers: {} };
        case 'page-bytes-auth-floor':
          return { name, server: baseline, path: '/page-bytes-auth-floor', headers: robotHeaders };
        default:
          return { name, server: baseline, path: '/page', headers: {} };
      }
    });
    const baselineTarget: Target = { name: 'baseline', server: baseline, path: '/', headers: {} };

    log(`bench: warming up (${params.initialWarmupS} s per server/scenario)`);
    await load.run({ url: baseline.url, connections: params.connections, duration: params.initialWarmupS });
    for (const target of targets) {
      check(
        target,
        await load.run({
          url: target.server.url + target.path,
          headers: target.headers,
          connections: params.connections,
          duration: params.initialWarmupS,
        }),
      );
    }

    // The profile covers the measurements only: start-up and warm-up are over.
    if (flags['cpu-prof']) process.kill(gatehouse.pid, 'SIGUSR2');

    interface Pair {
      round: number;
      order: 'baseline-first' | 'scenario-first';
      scenario: Measurement;
      baseline: Measurement;
      ratio: number;
      cpuRatio: number;
    }
    const pairs = new Map<string, Pair[]>(targets.map((t) => [t.name, []]));
    for (let round = 1; round <= params.rounds; round++) {
      for (const target of targets) {
        const baselineFirst = round % 2 === 1;
        let scenario: Measurement;
        let base: Measurement;
        if (baselineFirst) {
          base = await measure(load, baselineTarget, params.durationS, params.warmupS);
          scenario = await measure(load, target, params.durationS, params.warmupS);
        } else {
          scenario = await measure(load, target, params.durationS, params.warmupS);
          base = await measure(load, baselineTarget, params.durationS, params.warmupS);
        }
        const ratio = scenario.reqPerSec / base.reqPerSec;
        const cpuRatio = base.serverCpuUsPerReq / scenario.serverCpuUsPerReq;
        pairs.get(target.name)?.push({
          round,
          order: baselineFirst ? 'baseline-first' : 'scenario-first',
          scenario,
          baseline: base,
          ratio,
          cpuRatio,
        });
        log(
          `bench: round ${round}/${params.rounds} ${target.name.padEnd(10)} ${fmt.int(scenario.reqPerSec).padStart(7)} req/s ` +
            `(p50 ${fmt.ms(scenario.p50Ms)} ms, p99 ${fmt.ms(scenario.p99Ms)} ms, server CPU ${fmt.pct(scenario.serverCpu)}) ` +
            `vs baseline ${fmt.int(base.reqPerSec).padStart(7)} req/s (CPU ${fmt.pct(base.serverCpu)}) → ratio ${fmt.ratio(ratio)}, ` +
            `CPU/req ${fmt.us(scenario.serverCpuUsPerReq)} vs ${fmt.us(base.serverCpuUsPerReq)} µs, other load ${fmt.cores(Math.max(scenario.otherCpu, base.otherCpu))} cores`,
        );
      }
    }

    // ---- writes: 8 concurrent writers through the API, then the audit chain is verified.
    let writes: WriteResult[] = [];
    let audit: { verified: number; intact: boolean } | null = null;
    if (params.writers > 0) {
      log(`bench: write scenarios, ${params.writers} concurrent writers × ${params.writeDurationS} s each`);
      const writesInput: WritesInput = {
        url: gatehouse.url,
        token: seeded.adminToken,
        projectId: seeded.projectId,
        memberIds: seeded.firstMemberIds.slice(0, params.writers),
        writers: params.writers,
        durationS: params.writeDurationS,
        scenarios: ['create-robot', 'change-roles', 'add-cors-origin'],
        serverPid: gatehouse.pid,
        countPostgres: params.db === 'postgres',
      };
      const child = spawnNode('bench/writes.ts', LOAD_CPU, {
        env: { ...LOAD_ENV, BENCH_WRITES: JSON.stringify(writesInput) },
      });
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      const cpuBefore = cpuSeconds(gatehouse.pid);
      const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
      if (code !== 0) throw new Error(`write scenarios exited with ${code}`);
      writes = JSON.parse(out.trim().split('\n').pop() as string) as WriteResult[];
      const serverCpuS = cpuSeconds(gatehouse.pid) - cpuBefore;
      for (const w of writes) {
        log(
          `bench: ${w.scenario.padEnd(16)} ${fmt.int(w.writesPerSec).padStart(6)} writes/s, p50 ${fmt.ms(w.p50Ms)} ms, p99 ${fmt.ms(w.p99Ms)} ms, ${w.errors} errors; ` +
            `CPU per write: server ${fmt.ms(w.cpuMsPerWrite.server)} ms, ` +
            (w.cpuMsPerWrite.postgres === null ? '' : `PostgreSQL ${fmt.ms(w.cpuMsPerWrite.postgres)} ms, `) +
            `writers ${fmt.ms(w.cpuMsPerWrite.writers)} ms`,
        );
      }
      log(`bench: server CPU during the writes: ${serverCpuS.toFixed(1)} s`);
      const { openStore } = await import('../src/store/db.js');
      const { verifyAuditLog } = await import('../src/services/audit.js');
      const store = openStore(config.database);
      try {
        const verification = await verifyAuditLog(store.db);
        audit = { verified: verification.verified, intact: verification.break === null };
      } finally {
        await store.close();
      }
      log(`bench: audit chain ${audit.intact ? 'verified' : 'BROKEN'} (${audit.verified} events)`);
      if (!audit.intact) throw new Error('the audit chain does not verify after the write scenarios');
      const errors = writes.reduce((n, w) => n + w.errors, 0);
      if (errors > 0) throw new Error(`write scenarios: ${errors} errors (${JSON.stringify(writes.map((w) => w.statusCodes))})`);
    }
    const gatehouseRss = rssMiB(gatehouse.pid);

    for (const server of servers.splice(0)) await server.stop();
    await load.stop();
    load = null;

    // ---- cold start: `gatehouse serve` on the existing database, to its first 200, each next to
    // a start of the bare Fastify baseline (the machine's start-up speed moves from minute to minute).
    const coldStarts: number[] = [];
    const baselineStarts: number[] = [];
    for (let i = 0; i < 3; i++) {
      baselineStarts.push(await coldStart('baseline', serverEnv));
      coldStarts.push(await coldStart('gatehouse', serverEnv));
    }
    log(
      `bench: cold start ${coldStarts.map((ms) => `${Math.round(ms)} ms`).join(', ')}; bare Fastify ${baselineStarts.map((ms) => `${Math.round(ms)} ms`).join(', ')}`,
    );

    let micro: MicroResult[] = [];
    if (params.micro) {
      log('bench: in-process micro-benchmarks');
      const microInput: MicroInput = {
        dataDir,
        databaseUrl: dbUrl,
        secret,
        robotToken,
        projectId: seeded.projectId,
        warmupMs: params.microWarmupMs,
        timeMs: params.microTimeMs,
      };
      const child = spawnNode('bench/micro.ts', SERVER_CPU, { env: { ...serverEnv, BENCH_MICRO: JSON.stringify(microInput) } });
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
      if (code !== 0) throw new Error(`micro-benchmarks exited with ${code}`);
      micro = JSON.parse(out.trim().split('\n').pop() as string) as MicroResult[];
    }

    // ---- summary
    const scenarioResults = targets.map((target) => {
      const list = pairs.get(target.name) ?? [];
      return {
        scenario: target.name,
        reference: REFERENCE_SCENARIOS.has(target.name),
        server: target.server.name,
        method: 'GET',
        path: target.path.replace(seeded.projectId, '<projectId>'),
        reqPerSec: median(list.map((p) => p.scenario.reqPerSec)),
        p50Ms: median(list.map((p) => p.scenario.p50Ms)),
        p99Ms: median(list.map((p) => p.scenario.p99Ms)),
        baselineReqPerSec: median(list.map((p) => p.baseline.reqPerSec)),
        baselineP50Ms: median(list.map((p) => p.baseline.p50Ms)),
        baselineP99Ms: median(list.map((p) => p.baseline.p99Ms)),
        ratio: median(list.map((p) => p.ratio)),
        ratioMin: Math.min(...list.map((p) => p.ratio)),
        ratioMax: Math.max(...list.map((p) => p.ratio)),
        cpuRatio: median(list.map((p) => p.cpuRatio)),
        serverCpuUsPerReq: median(list.map((p) => p.scenario.serverCpuUsPerReq)),
        baselineServerCpuUsPerReq: median(list.map((p) => p.baseline.serverCpuUsPerReq)),
        serverCpu: median(list.map((p) => p.scenario.serverCpu)),
        baselineServerCpu: median(list.map((p) => p.baseline.serverCpu)),
        otherCpu: median(list.flatMap((p) => [p.scenario.otherCpu, p.baseline.otherCpu])),
        rssMiB: Math.max(...list.map((p) => p.scenario.rssMiB)),
        loadCpu: median(list.map((p) => p.scenario.loadCpu)),
        baselineLoadCpu: median(list.map((p) => p.baseline.loadCpu)),
        responseBytes: responseBytes[target.name] ?? null,
        rounds: list.map((p) => ({
          round: p.round,
          order: p.order,
          ratio: p.ratio,
          cpuRatio: p.cpuRatio,
          reqPerSec: p.scenario.reqPerSec,
          p50Ms: p.scenario.p50Ms,
          p90Ms: p.scenario.p90Ms,
          p99Ms: p.scenario.p99Ms,
          maxMs: p.scenario.maxMs,
          requests: p.scenario.requests,
          serverCpu: p.scenario.serverCpu,
          serverCpuUsPerReq: p.scenario.serverCpuUsPerReq,
          loadCpu: p.scenario.loadCpu,
          otherCpu: p.scenario.otherCpu,
          baselineReqPerSec: p.baseline.reqPerSec,
          baselineP50Ms: p.baseline.p50Ms,
          baselineP99Ms: p.baseline.p99Ms,
          baselineServerCpu: p.baseline.serverCpu,
          baselineServerCpuUsPerReq: p.baseline.serverCpuUsPerReq,
          baselineLoadCpu: p.baseline.loadCpu,
          baselineOtherCpu: p.baseline.otherCpu,
        })),
      };
    });
    const allBaselines = [...pairs.values()].flat().map((p) => p.baseline);
    const finishedAt = new Date();

    const results = {
      schema: 'gatehouse-bench/1',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      git: gitInfo(),
      machine: {
        cpus: cpuCount,
        cpuModel: os.cpus()[0]?.model ?? null,
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: os.loadavg(),
        pinned: pin,
        serverCpu: pin ? SERVER_CPU : null,
        loadGeneratorCpu: pin ? LOAD_CPU : null,
      },
      params: {
        db: params.db,
        members: params.members,
        pageLimit: params.pageLimit,
        durationS: params.durationS,
        warmupS: params.warmupS,
        writeDurationS: params.writeDurationS,
        initialWarmupS: params.initialWarmupS,
        connections: params.connections,
        rounds: params.rounds,
        quick: params.quick,
        loadGenerator: 'autocannon 9 (one process, pipelining 1)',
        code: params.from === 'dist' ? 'dist/ (compiled build)' : 'src/ through tsx',
        logLevel: 'warn',
        seedMs: Math.round(seeded.ms),
      },
      baseline: {
        scenario: 'baseline',
        description: 'bare Fastify hello-world JSON (bench/serve-baseline.js)',
        reqPerSec: median(allBaselines.map((b) => b.reqPerSec)),
        p50Ms: median(allBaselines.map((b) => b.p50Ms)),
        p99Ms: median(allBaselines.map((b) => b.p99Ms)),
        serverCpu: median(allBaselines.map((b) => b.serverCpu)),
        serverCpuUsPerReq: median(allBaselines.map((b) => b.serverCpuUsPerReq)),
        // How fast the machine was across the run: the same hello-world's cost, slowest and quickest round.
        serverCpuUsPerReqMin: Math.min(...allBaselines.map((b) => b.serverCpuUsPerReq)),
        serverCpuUsPerReqMax: Math.max(...allBaselines.map((b) => b.serverCpuUsPerReq)),
        responseBytes: responseBytes.baseline ?? null,
      },
      scenarios: scenarioResults,
      summary: summarise(scenarioResults),
      writes,
      audit,
      coldStart: {
        ms: coldStarts,
        medianMs: median(coldStarts),
        command: 'node bin/gatehouse.js serve (dist/), existing database, to the first 200 of GET /v2025-01-09/users/me',
        baselineMs: baselineStarts,
        baselineMedianMs: median(baselineStarts),
        baselineCommand: 'node bench/serve-baseline.js (bare Fastify), to the first 200 of GET /',
      },
      memory: {
        listUsersRssMiB: scenarioResults.find((x) => x.scenario === 'list-users')?.rssMiB ?? null,
        afterRunRssMiB: gatehouseRss,
      },
      micro,
    };

    // A smoke run must not overwrite the results of a full one.
    const defaultOut = quick
      ? 'bench/results/quick.json'
      : `bench/results/latest${params.db === 'postgres' ? '-postgres' : ''}.json`;
    const out = resolve(ROOT, flags.out ?? defaultOut);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    if (!flags.out) {
      const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
      writeFileSync(join(ROOT, 'bench', 'results', `run-${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
    }

    // ---- tables on stdout
    const print = (text = '') => process.stdout.write(`${text}\n`);
    print();
    print(
      `Gatehouse benchmark — ${params.db}, ${params.members.toLocaleString('en-US')} members, ${params.rounds} round(s) × ${params.durationS} s, ${params.connections} connections, ` +
        `${pin ? 'server CPU 0 / load CPU 1' : 'unpinned'}, ${cpuCount} CPUs, Node ${process.version}`,
    );
    print();
    print(
      table(
        [
          'scenario',
          'req/s',
          'p50 ms',
          'p99 ms',
          'baseline req/s',
          'ratio',
          'ratio per round',
          'server CPU',
          'CPU µs/req',
          'CPU ratio',
          'bytes',
        ],
        [
          [
            'baseline (fastify hello)',
            fmt.int(results.baseline.reqPerSec),
            fmt.ms(results.baseline.p50Ms),
            fmt.ms(results.baseline.p99Ms),
            '',
            '1.00',
            '',
            fmt.pct(results.baseline.serverCpu),
            fmt.us(results.baseline.serverCpuUsPerReq),
            '1.00',
            String(results.baseline.responseBytes ?? ''),
          ],
          ...scenarioResults.map((s) => [
            s.scenario,
            fmt.int(s.reqPerSec),
            fmt.ms(s.p50Ms),
            fmt.ms(s.p99Ms),
            fmt.int(s.baselineReqPerSec),
            fmt.ratio(s.ratio),
            s.rounds.map((r) => fmt.ratio(r.ratio)).join(' '),
            fmt.pct(s.serverCpu),
            fmt.us(s.serverCpuUsPerReq),
            fmt.ratio(s.cpuRatio),
            String(s.responseBytes ?? ''),
          ]),
        ],
        [false, true, true, true, true, true, false, true, true, true, true],
      ),
    );
    const speed = results.baseline;
    print();
    print(
      `machine speed: hello-world cost ${fmt.us(speed.serverCpuUsPerReqMin)} to ${fmt.us(speed.serverCpuUsPerReqMax)} µs of server CPU per request ` +
        `across the rounds (median ${fmt.us(speed.serverCpuUsPerReq)})`,
    );
    if (speed.serverCpuUsPerReqMax > 1.5 * speed.serverCpuUsPerReqMin) {
      print(
        'warning: the machine ran at different speeds during this run (more than 1.5× between rounds): ratios measured on a slow ' +
          'machine differ from those on a quick one, so compare runs whose hello-world cost is alike.',
      );
    }
    const otherCpu = median(scenarioResults.map((s) => s.otherCpu));
    if (otherCpu > 0.25) {
      print();
      print(
        `warning: other processes used ${fmt.cores(otherCpu)} cores (median) during the measurements: absolute numbers are depressed and ratios noisy; ` +
          'CPU µs/req and CPU ratio are the steadier figures. Re-run on a quiet machine for numbers to publish.',
      );
    }
    if (micro.length > 0) {
      print();
      print(
        table(
          ['in-process (no HTTP)', 'µs/op', 'p50 µs', 'p99 µs', 'CPU µs/op', 'ops/s'],
          micro.map((m) => [
            m.name,
            fmt.us(m.usPerOp),
            fmt.us(m.p50Us),
            fmt.us(m.p99Us),
            fmt.us(m.cpuUsPerOp),
            fmt.int(m.opsPerSec),
          ]),
          [false, true, true, true, true, true],
        ),
      );
    }
    if (writes.length > 0) {
      print();
      print(
        table(
          ['writes (8 writers)', 'writes/s', 'p50 ms', 'p99 ms', 'errors', 'CPU ms/write: server', 'PostgreSQL', 'writers'],
          writes.map((w) => [
            w.scenario,
            fmt.int(w.writesPerSec),
            fmt.ms(w.p50Ms),
            fmt.ms(w.p99Ms),
            String(w.errors),
            fmt.ms(w.cpuMsPerWrite.server),
            w.cpuMsPerWrite.postgres === null ? '–' : fmt.ms(w.cpuMsPerWrite.postgres),
            fmt.ms(w.cpuMsPerWrite.writers),
          ]),
          [false, true, true, true, true, true, true, true],
        ),
      );
      print(`audit chain after the writes: ${audit?.intact ? 'verified' : 'BROKEN'} (${audit?.verified ?? 0} events)`);
    }
    print();
    print(
      `cold start (gatehouse serve → first 200): median ${fmt.int(median(coldStarts))} ms (${coldStarts.map((x) => fmt.int(x)).join(', ')}), ` +
        `bare Fastify ${fmt.int(median(baselineStarts))} ms; ` +
        `server RSS under list-users load: ${fmt.ms(results.memory.listUsersRssMiB ?? Number.NaN)} MiB`,
    );
    const summary = results.summary;
    if (summary.ceilingRatio !== null && summary.listUsersRatio !== null) {
      print();
      print(
        `ceiling: the same page served from memory by bare Fastify reaches ${fmt.ratio(summary.ceilingRatio)} of hello; ` +
          `list-users reaches ${fmt.ratio(summary.listUsersOfCeiling ?? Number.NaN)} of that ceiling`,
      );
    }
    if (summary.bytesCeilingRatio !== null && summary.listUsersOfBytesCeiling !== null) {
      print(
        `page-bytes ceiling: bare Fastify sending the same bytes reaches ${fmt.ratio(summary.bytesCeilingRatio)} of hello; ` +
          `list-users reaches ${fmt.ratio(summary.listUsersOfBytesCeiling)} of it` +
          (summary.authFloorOfBytesCeiling !== null
            ? `, and the least authenticated answer (page-bytes-auth-floor) ${fmt.ratio(summary.authFloorOfBytesCeiling)}`
            : ''),
      );
    }
    const listUsers = scenarioResults.find((s) => s.scenario === 'list-users');
    if (listUsers) {
      print();
      const verdict =
        listUsers.ratio >= 0.5
          ? 'meets the goal (≥ 0.5)'
          : listUsers.ratio >= 0.25
            ? 'meets the floor (≥ 0.25), below the goal (0.5)'
            : 'BELOW the floor (0.25)';
      print(`list-users ratio ${fmt.ratio(listUsers.ratio)}: ${verdict}`);
    }
    print(`results: ${out}`);
  } finally {
    for (const server of servers) await server.stop().catch(() => {});
    if (load) await load.stop().catch(() => {});
    for (const child of children) child.kill('SIGKILL');
    if (flags.keep) log(`bench: data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
    if (ownPostgres) await ownPostgres.stop().catch(() => {});
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
  for (const child of children) child.kill('SIGKILL');
});
