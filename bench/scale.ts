/**
 * `npm run bench:scale`: does Gatehouse stay as fast for a project of 1,000,000 members as for one of
 * 10,000? Seeds both in one database (SQLite by default; `--db postgres` starts a throwaway
 * PostgreSQL server), starts the server (pinned to CPU 0 when possible) and, for each project in
 * turn, times one request at a time through the HTTP API:
 *
 * - `first-page-after-change`: the first member page after a membership change (a member's roles
 *   toggled just before, untimed): the uncached page;
 * - `deep-cursor-page`: a page at a cursor in the last tenth of the list, after a change (uncached);
 * - `check`: `/user-permissions/me/check` for the robot;
 * - `add-member`: accepting an access request (the person becomes a member);
 * - `remove-member`: removing that member again (with the last-administrator rule checked).
 *
 * Writes `bench/results/scale.json` (`scale-postgres.json`): per operation p50/p99 for both sizes
 * and `p99Ratio` (large ÷ small), `worstP99Ratio` over all operations, and the seeding time.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { encodeCursor } from '../src/model/pagination.js';
import { createUserWithToken } from '../src/services/bootstrap.js';
import { openStore } from '../src/store/db.js';
import { throwawayDatabase } from './postgres.js';
import { type SeededProject, seedProjects } from './seed.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const V = '/v2025-01-09';

const { values: flags } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    'database-url': { type: 'string' },
    samples: { type: 'string', default: '1000' },
    sizes: { type: 'string', default: '1000000,10000' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`Usage: npm run bench:scale -- [--db sqlite|postgres] [--database-url <url>] [--samples 1000] [--sizes 1000000,10000] [--out <file>]
  Without --database-url, --db postgres starts a throwaway PostgreSQL server.\n`);
  process.exit(0);
}
const samples = Number(flags.samples);
const sizes = (flags.sizes as string).split(',').map(Number);
if (!Number.isInteger(samples) || samples < 10) throw new Error('--samples must be an integer ≥ 10');
if (sizes.length !== 2 || sizes.some((n) => !Number.isInteger(n) || n < 100))
  throw new Error('--sizes takes two sizes, e.g. 1000000,10000');
const dialect = flags.db === 'postgres' ? 'postgres' : 'sqlite';
const t0 = performance.now();
const log = (line: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
const pin = spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0 && os.cpus().length >= 2;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

async function call(base: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return text === '' ? null : JSON.parse(text);
}

function startServer(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const args = [...(process.env.BENCH_FROM === 'src' ? ['--import', 'tsx'] : []), join(ROOT, 'bench/serve-gatehouse.js')];
  const [command, argv] = pin ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command as string, argv as string[], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveStart, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^(http:\/\/\S+)$/m.exec(out);
      if (match?.[1]) resolveStart({ url: match[1], child });
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'gatehouse-scale-'));
  let ownPostgres: { url: string; stop(): Promise<void> } | null = null;
  let server: ChildProcess | null = null;
  try {
    let databaseUrl =
      dialect === 'postgres' ? (flags['database-url'] as string | undefined) : `sqlite:${join(dataDir, 'gatehouse.db')}`;
    if (databaseUrl === undefined) {
      log('scale: starting a throwaway PostgreSQL server');
      ownPostgres = await throwawayDatabase('gatehouse_scale');
      databaseUrl = ownPostgres.url;
    }
    const secret = process.env.GATEHOUSE_SECRET || randomBytes(32).toString('base64url');
    const config = loadConfig({ dataDir, databaseUrl, secret, port: 0, logLevel: 'warn' }, {});

    log(`scale: ${dialect}, seeding projects of ${sizes.map((n) => n.toLocaleString('en-US')).join(' and ')} members`);
    const seeded = await seedProjects(config.database, config.keys, sizes);
    for (const p of seeded.projects)
      log(`scale: seeded ${p.members.toLocaleString('en-US')} members in ${(p.ms / 1000).toFixed(1)} s`);

    const started = await startServer({
      ...process.env,
      BENCH_FROM: process.env.BENCH_FROM ?? 'dist',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_DATABASE_URL: databaseUrl,
      GATEHOUSE_SECRET: secret,
    });
    server = started.child;
    const base = started.url;
    const admin = seeded.adminToken;
    const store = openStore(config.database);
    const people = async (n: number) => {
      const made: Array<{ userId: string; token: string }> = [];
      for (let i = 0; i < n; i++) {
        made.push(
          await createUserWithToken(store, config.keys, { email: `scale.${randomBytes(5).toString('hex')}@bench.example` }),
        );
      }
      return made;
    };

    type Op = 'first-page-after-change' | 'deep-cursor-page' | 'check' | 'add-member' | 'remove-member';
    const OPS: Op[] = ['first-page-after-change', 'deep-cursor-page', 'check', 'add-member', 'remove-member'];
    const times = new Map<string, number[]>();
    const record = (op: Op, size: number, ms: number) => {
      const key = `${op}/${size}`;
      times.set(key, [...(times.get(key) ?? []), ms]);
    };
    const timed = async (work: () => Promise<unknown>) => {
      const t = performance.now();
      await work();
      return performance.now() - t;
    };

    const contexts = [] as Array<{ project: SeededProject; robot: string; toggle: number }>;
    for (const project of seeded.projects) {
      const robot = await call(base, 'POST', `${V}/access/project/${project.projectId}/robots`, admin, {
        label: 'scale robot',
        memberships: [{ resourceType: 'project', resourceId: project.projectId, roleNames: ['viewer'] }],
      });
      contexts.push({ project, robot: robot.token, toggle: 0 });
    }
    const warmup = 20;
    const newcomers = await people((samples + warmup) * contexts.length);

    log(`scale: timing ${samples} samples per operation and size, one request at a time, sizes interleaved`);
    for (let i = -warmup; i < samples; i++) {
      for (const ctx of contexts) {
        const { project } = ctx;
        const users = `${V}/access/project/${project.projectId}/users`;
        const size = project.members;
        const change = () =>
          call(base, 'PUT', `${users}/${project.firstMemberIds[0]}/roles`, admin, {
            roleNames: [ctx.toggle++ % 2 === 0 ? 'editor' : 'viewer'],
          });
        await change();
        const first = await timed(() => call(base, 'GET', `${users}?limit=50`, ctx.robot));
        await change();
        const key = project.deepKeys[(i + warmup) % project.deepKeys.length] as string;
        const deep = await timed(() => call(base, 'GET', `${users}?limit=50&nextCursor=${encodeCursor(key)}`, ctx.robot));
        const check = await timed(() =>
          call(
            base,
            'GET',
            `${V}/access/project/${project.projectId}/user-permissions/me/check?permissions=sanity.project.members.read`,
            ctx.robot,
          ),
        );
        if (i >= 0) {
          record('first-page-after-change', size, first);
          record('deep-cursor-page', size, deep);
          record('check', size, check);
        }
        // Membership writes: accept an access request, then remove the member again.
        {
          const person = newcomers.pop() ?? (await people(1))[0];
          if (!person) throw new Error('no person to add');
          const request = await call(base, 'POST', `${V}/access/project/${project.projectId}/requests`, person.token, {});
          const add = await timed(() =>
            call(base, 'PUT', `${V}/access/project/${project.projectId}/requests/${request.id}/accept`, admin, {}),
          );
          const remove = await timed(() => call(base, 'DELETE', `${users}/${person.userId}`, admin));
          if (i >= 0) {
            record('add-member', size, add);
            record('remove-member', size, remove);
          }
        }
      }
    }
    await store.close();

    const [large, small] = [...sizes].sort((x, y) => y - x) as [number, number];
    const operations: Record<string, unknown> = {};
    let worst = 0;
    let worstOp = '';
    for (const op of OPS) {
      const stats = (size: number) => {
        const sorted = [...(times.get(`${op}/${size}`) ?? [])].sort((x, y) => x - y);
        return {
          samples: sorted.length,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          maxMs: percentile(sorted, 100),
        };
      };
      const [l, s] = [stats(large), stats(small)];
      const p99Ratio = l.p99Ms / s.p99Ms;
      if (p99Ratio > worst) {
        worst = p99Ratio;
        worstOp = op;
      }
      operations[op] = { [String(large)]: l, [String(small)]: s, p99Ratio, p50Ratio: l.p50Ms / s.p50Ms };
      log(
        `scale: ${op.padEnd(24)} ${large}: p50 ${l.p50Ms.toFixed(2)} ms p99 ${l.p99Ms.toFixed(2)} ms | ${small}: p50 ${s.p50Ms.toFixed(2)} ms p99 ${s.p99Ms.toFixed(2)} ms | p99 ratio ${p99Ratio.toFixed(2)}`,
      );
    }
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    const results = {
      schema: 'gatehouse-bench-scale/1',
      finishedAt: new Date().toISOString(),
      git: { commit: head || null },
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? null,
        node: process.version,
        loadAverage: os.loadavg(),
        pinned: pin,
      },
      db: dialect,
      sizes: { large, small },
      samples,
      method:
        'one request at a time over HTTP (keep-alive), the server pinned to CPU 0; uncached pages follow a role change made just before (untimed)',
      seeding: {
        totalMs: Math.round(seeded.ms),
        perProject: seeded.projects.map((p) => ({ members: p.members, ms: Math.round(p.ms) })),
      },
      operations,
      worstP99Ratio: worst,
      worstOperation: worstOp,
    };
    const out = resolve(ROOT, flags.out ?? `bench/results/scale${dialect === 'postgres' ? '-postgres' : ''}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      `worstP99Ratio ${worst.toFixed(2)} (${worstOp}); seeding ${(seeded.ms / 1000).toFixed(1)} s; results: ${out}\n`,
    );
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((done) => server?.once('exit', done));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (ownPostgres) await ownPostgres.stop().catch(() => {});
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:scale: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
