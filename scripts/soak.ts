/**
 * `npm run soak`: memory under a steady mixed load. Starts `gatehouse serve` (the build in dist/,
 * default settings, a fresh SQLite data directory or a PostgreSQL database) as its own process,
 * seeds a project through the API, and drives it with autocannon at a fixed mix of 8 reads to
 * 2 writes over 50 connections. The server's resident memory (RSS, from /proc) is sampled
 * throughout; the verdict compares the end of the load with the end of the warm-up. Each is the
 * median of the samples of its last 30 seconds: RSS saw-tooths with V8's garbage collections, and a
 * single sample would measure where in a cycle it fell rather than whether memory grows.
 *
 *   npm run soak                                   # 60 s warm-up, 10 minutes of load
 *   npm run soak -- --duration 60 --warmup 15      # a short run
 *   npm run soak -- --heap-snapshots /tmp/heaps    # also write heap snapshots (after warm-up, at the end)
 *   npm run soak -- --db postgres --database-url postgres://…   (GATEHOUSE_SECRET must be set)
 *
 * Reads: the member list (robot and person), the robot list, /users/me, the project, the activity
 * log, the roles. Writes: an invitation to a new address (an audit event, an outbox message and its
 * .eml file) and a project rename (an audit event, the member-page cache invalidated).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';

/** One request of autocannon's rotation (its `requests` option, which bench/autocannon.d.ts leaves out). */
interface SoakRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: SoakRequest) => SoakRequest;
}

declare module 'autocannon' {
  interface Options {
    requests?: SoakRequest[];
  }
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const V = '/v2025-01-09';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '600' },
    warmup: { type: 'string', default: '60' },
    connections: { type: 'string', default: '50' },
    sample: { type: 'string', default: '5' },
    idle: { type: 'string', default: '30' },
    db: { type: 'string', default: 'sqlite' },
    'database-url': { type: 'string' },
    'heap-snapshots': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  process.stdout.write(
    'Usage: npm run soak -- [--duration s] [--warmup s] [--connections n] [--sample s] [--idle s]\n' +
      '                       [--db sqlite|postgres --database-url url] [--heap-snapshots dir] [--log-level level]\n',
  );
  process.exit(0);
}

const seconds = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${value}`);
  return n;
};
const duration = seconds('duration', flags.duration);
const warmup = seconds('warmup', flags.warmup);
const connections = seconds('connections', flags.connections);
const sampleEvery = Math.max(1, seconds('sample', flags.sample));
const idle = seconds('idle', flags.idle);

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

function cli(args: string[], env: NodeJS.ProcessEnv): string {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'gatehouse.js'), ...args], { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`gatehouse ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

async function startServer(env: NodeJS.ProcessEnv, snapshots: string | undefined): Promise<{ child: ChildProcess; url: string }> {
  const nodeArgs = snapshots ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshots}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin', 'gatehouse.js'), 'serve', '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The request log is read and dropped, as a log shipper would: a full pipe must not be what grows.
  child.stdout?.resume();
  const url = await new Promise<string>((resolvePromise, reject) => {
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(err);
      if (match?.[1]) resolvePromise(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
  return { child, url };
}

async function json(url: string, method: string, token: string, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function load(url: string, requests: SoakRequest[], seconds: number): Promise<Result> {
  return await autocannon({ url, connections, duration: seconds, pipelining: 1, timeout: 10, requests });
}

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-soak-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  GATEHOUSE_DATA_DIR: dataDir,
  GATEHOUSE_LOG_LEVEL: flags['log-level'],
  ...(flags.db === 'postgres' ? { GATEHOUSE_DATABASE_URL: flags['database-url'] } : {}),
};
if (flags.db === 'postgres' && (!flags['database-url'] || !process.env.GATEHOUSE_SECRET)) {
  throw new Error('--db postgres needs --database-url and GATEHOUSE_SECRET');
}
if (flags['heap-snapshots']) mkdirSync(flags['heap-snapshots'], { recursive: true });

const tag = randomBytes(3).toString('hex');
const admin = JSON.parse(cli(['admin', 'create-user', '--email', `soak.${tag}@soak.example`, '--json'], env)) as {
  token: string;
};
const { child, url } = await startServer(env, flags['heap-snapshots']);
const pid = child.pid as number;
const samples: Array<{ t: number; phase: string; rss: number }> = [];

/** The median RSS of a phase's samples in its last 30 seconds (up to `end`). */
function tailMedian(of: string, end: number): number {
  const window = samples.filter((s) => s.phase === of && s.t >= end - 30).map((s) => s.rss);
  const sorted = window.sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
const started = Date.now();
let phase = 'start';
const sampler = setInterval(
  () => samples.push({ t: (Date.now() - started) / 1000, phase, rss: rssMiB(pid) }),
  sampleEvery * 1000,
);
samples.push({ t: 0, phase, rss: rssMiB(pid) });

try {
  const project = await json(`${url}${V}/projects`, 'POST', admin.token, { displayName: `Soak ${tag}` });
  const robot = await json(`${url}${V}/access/project/${project.id}/robots`, 'POST', admin.token, {
    label: 'soak reader',
    memberships: [{ resourceType: 'project', resourceId: project.id, roleNames: ['viewer'] }],
  });
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  let n = 0;
  const requests: SoakRequest[] = [
    { method: 'GET', path: `${V}/access/project/${project.id}/users`, headers: as(robot.token) },
    { method: 'GET', path: `${V}/access/project/${project.id}/users`, headers: as(admin.token) },
    { method: 'GET', path: `${V}/access/project/${project.id}/robots`, headers: as(admin.token) },
    { method: 'GET', path: `${V}/users/me`, headers: as(robot.token) },
    { method: 'GET', path: `${V}/projects/${project.id}`, headers: as(admin.token) },
    { method: 'GET', path: `${V}/activity?limit=10`, headers: as(admin.token) },
    { method: 'GET', path: `${V}/access/project/${project.id}/roles`, headers: as(robot.token) },
    { method: 'GET', path: `${V}/users/me/grants`, headers: as(admin.token) },
    {
      method: 'POST',
      path: `${V}/access/project/${project.id}/invites`,
      headers: { ...as(admin.token), 'content-type': 'application/json' },
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({ email: `invitee-${n++}-${tag}@soak.example`, role: 'viewer' }),
      }),
    },
    {
      method: 'PATCH',
      path: `${V}/projects/${project.id}`,
      headers: { ...as(admin.token), 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ displayName: `Soak ${tag} ${n++}` }) }),
    },
  ];

  phase = 'warm-up';
  const warm = warmup > 0 ? await load(url, requests, warmup) : null;
  const warmupEnd = (Date.now() - started) / 1000;
  samples.push({ t: warmupEnd, phase, rss: rssMiB(pid) });
  const afterWarmup = tailMedian('warm-up', warmupEnd);
  if (flags['heap-snapshots']) child.kill('SIGUSR2');

  phase = 'load';
  const result = await load(url, requests, duration);
  const loadEnd = (Date.now() - started) / 1000;
  samples.push({ t: loadEnd, phase, rss: rssMiB(pid) });
  const atEnd = tailMedian('load', loadEnd);
  if (flags['heap-snapshots']) child.kill('SIGUSR2');

  phase = 'idle';
  await new Promise((r) => setTimeout(r, idle * 1000));
  const afterIdle = rssMiB(pid);
  clearInterval(sampler);

  const during = samples.filter((s) => s.phase === 'load').map((s) => s.rss);
  const change = (atEnd - afterWarmup) / afterWarmup;
  const summary = {
    database: flags.db,
    connections,
    warmupSeconds: warmup,
    loadSeconds: duration,
    mix: '8 reads : 2 writes',
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    non2xx: result.non2xx + (warm?.non2xx ?? 0),
    errors: result.errors + (warm?.errors ?? 0),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    rssMiB: {
      start: Number(samples[0]?.rss.toFixed(1)),
      afterWarmup: Number(afterWarmup.toFixed(1)),
      minDuringLoad: Number(Math.min(...during).toFixed(1)),
      maxDuringLoad: Number(Math.max(...during).toFixed(1)),
      endOfLoad: Number(atEnd.toFixed(1)),
      afterIdle: Number(afterIdle.toFixed(1)),
    },
    endVersusWarmupPercent: Number((change * 100).toFixed(1)),
    withinTenPercent: Math.abs(change) <= 0.1,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`samples (s, MiB): ${samples.map((s) => `${Math.round(s.t)}:${s.rss.toFixed(0)}`).join(' ')}\n`);
  if (!summary.withinTenPercent || summary.non2xx > 0 || summary.errors > 0) process.exitCode = 1;
} finally {
  clearInterval(sampler);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
