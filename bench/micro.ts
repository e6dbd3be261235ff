/**
 * In-process micro-benchmarks (no HTTP): what authentication and the authorization decision cost
 * per request, and where the time of the list-users handler goes. Run by bench/run.ts as its own
 * process, pinned to the server's core, after the HTTP servers have stopped, on the seeded database.
 *
 * Input: the BENCH_MICRO environment variable (JSON, see MicroInput). Output: one JSON line
 * (MicroResult[]) on stdout.
 *
 * Each operation is warmed up, then timed in batches of `batch` back-to-back calls, all operations
 * round-robin in slices until each has spent its time budget. µs/op is total time / total calls; p50/p99 are over per-batch averages (for
 * batch = 1 these are true per-call percentiles; for sub-microsecond operations a batch of 1 would
 * measure the timer, so they are batched and their percentiles describe batch averages).
 */
import type { ResourceRef } from '../src/model/policy.js';
import { gatehouse } from './modules.js';

export interface MicroInput {
  dataDir: string;
  databaseUrl: string;
  secret: string;
  robotToken: string;
  projectId: string;
  warmupMs: number;
  timeMs: number;
}

export interface MicroResult {
  name: string;
  group: 'auth' | 'breakdown';
  description: string;
  usPerOp: number;
  /** Process CPU time per call (all threads): steadier than wall time when the machine is shared. */
  cpuUsPerOp: number;
  p50Us: number;
  p99Us: number;
  opsPerSec: number;
  calls: number;
  batch: number;
}

const input = JSON.parse(process.env.BENCH_MICRO ?? 'null') as MicroInput | null;
if (!input) {
  process.stderr.write('bench/micro.ts is run by bench/run.ts (BENCH_MICRO is not set)\n');
  process.exit(2);
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Keeps results alive so no call can be optimised away. */
let sink: unknown;

interface Op {
  name: string;
  group: MicroResult['group'];
  description: string;
  /** Calls timed together as one sample. */
  batch: number;
  /** Returns its answer, or a promise of it (awaited): a warm `authorize` answers at once (model/maybe-promise.ts). */
  op: () => unknown;
}

interface Tally {
  samples: number[];
  totalNs: number;
  cpuUs: number;
}

/** Times one batch of calls; returns nanoseconds. */
async function runBatch(op: Op): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < op.batch; i++) {
    const value = op.op();
    sink = value instanceof Promise ? await value : value;
  }
  return Number(process.hrtime.bigint() - t0);
}

/**
 * Warms every operation up, then measures them round-robin in SLICES slices each, so that a burst
 * of load from elsewhere on the machine falls on all of them alike rather than on one.
 */
const SLICES = 8;
async function measureAll(ops: Op[], budget: { warmupMs: number; timeMs: number }): Promise<MicroResult[]> {
  for (const op of ops) {
    const end = performance.now() + budget.warmupMs;
    while (performance.now() < end) await runBatch(op);
  }
  const tallies = ops.map((): Tally => ({ samples: [], totalNs: 0, cpuUs: 0 }));
  const sliceMs = budget.timeMs / SLICES;
  for (let slice = 0; slice < SLICES; slice++) {
    for (const [index, op] of ops.entries()) {
      const tally = tallies[index] as Tally;
      const cpuBefore = process.cpuUsage();
      const end = performance.now() + sliceMs;
      while (performance.now() < end) {
        const ns = await runBatch(op);
        tally.samples.push(ns / op.batch / 1000);
        tally.totalNs += ns;
      }
      const cpu = process.cpuUsage(cpuBefore);
      tally.cpuUs += cpu.user + cpu.system;
    }
  }
  return ops.map((op, index) => {
    const tally = tallies[index] as Tally;
    const samples = tally.samples.sort((a, b) => a - b);
    const calls = samples.length * op.batch;
    const usPerOp = tally.totalNs / calls / 1000;
    return {
      name: op.name,
      group: op.group,
      description: op.description,
      usPerOp,
      cpuUsPerOp: tally.cpuUs / calls,
      p50Us: percentile(samples, 50),
      p99Us: percentile(samples, 99),
      opsPerSec: 1e6 / usPerOp,
      calls,
      batch: op.batch,
    };
  });
}

const { loadConfig } = await gatehouse.config();
const { routes } = await gatehouse.routes();
const { decide } = await gatehouse.policy();
const { digestToken, parseToken } = await gatehouse.tokens();
const { createServices } = await gatehouse.services();
const { openStore } = await gatehouse.db();
const { countMembers, listUserMembers, rolesByMembership, rolesOf } = await gatehouse.memberships();

const config = loadConfig({ dataDir: input.dataDir, databaseUrl: input.databaseUrl, secret: input.secret, port: 0 }, {});
const store = openStore(config.database);
// The server's own defaults: lastUsedAt written at most every 5 minutes, so after the first call
// the hot path is reads only, as in production.
const deps = {
  db: store.db,
  keys: config.keys,
  now: () => new Date(),
  lastUsedWriteIntervalMs: 5 * 60_000,
  identity: config.identity,
  baseUrl: () => config.publicUrl,
};
const services = createServices(deps);
// As in the server: the change feed keeps the authorization cache exact and lets it be served.
const { startChangeFeed } = await gatehouse.changeFeed();
const feed = startChangeFeed(store, services.auth.cache);
if (!(await feed.ready(10_000))) throw new Error('the change feed did not start');
const auth = services.auth;
// The same services with no change feed: nothing is served from memory, every lookup reads the
// database (what a node does while its PostgreSQL listener is down, and what every request did before).
const uncached = createServices({ ...deps });
const key = config.keys[0];
if (!key) throw new Error('no server key');
const token = input.robotToken;
const ip = '127.0.0.1';
const resource: ResourceRef = { type: 'project', id: input.projectId };
const listUsers = routes.find((r) => r.method === 'GET' && r.path === '/access/:resourceType/:resourceId/users');
if (!listUsers) throw new Error('the list-users route is not in the route table');
const policy = listUsers.policy;

// Sanity: the robot authenticates, is a member, and is allowed to list users.
const principal = await auth.authenticate(token, ip);
const access = await auth.accessOf(principal, resource);
const verdict = decide(policy, principal, resource, access);
if (!verdict.allowed) throw new Error(`the robot is not allowed to list users: ${verdict.problem.message}`);
/** The page as objects: the service returns it already rendered as JSON bytes. */
function asPage(listed: { bytes: Buffer }): { data: unknown[] } {
  return JSON.parse(listed.bytes.toString('utf8')) as { data: unknown[] };
}
const page = asPage(await services.members.list(resource, undefined, 50));
if (page.data.length !== 50) throw new Error(`expected a page of 50 users, got ${page.data.length}`);

// A person holding 10 roles on the project: the five built-in ones that apply to users and five
// custom roles, the case `decide()` must still answer in microseconds.
const { accessFromHoldings, builtInRoles, grantsOf } = await gatehouse.roles();
const { insertCustomRole } = await gatehouse.customRoles();
const { addMember } = await gatehouse.addMember();
const builtInNames = builtInRoles('project')
  .filter((r) => r.appliesToUsers)
  .map((r) => r.name)
  .slice(0, 5);
const customNames: string[] = [];
const now = new Date().toISOString();
const suffix = Date.now().toString(36);
for (const [index, permission] of [
  'sanity-project-cors',
  'sanity-project-webhooks',
  'sanity-project-tokens',
  'sanity-project-usage',
  'sanity-project-graphql',
].entries()) {
  const name = `bench-custom-${suffix}-${index}`;
  const permissions = [{ name: permission, action: permission === 'sanity-project-graphql' ? 'manage' : 'read' }];
  await insertCustomRole(store.db, {
    resource_type: 'project',
    resource_id: input.projectId,
    name,
    title: name,
    description: '',
    applies_to_users: 1,
    applies_to_robots: 1,
    permissions: JSON.stringify(permissions),
    grants: JSON.stringify([...grantsOf({ permissions })].sort()),
    created_at: now,
    updated_at: now,
  });
  customNames.push(name);
}
const tenRoleUserId = `gbench${suffix}`;
await addMember(store.db, resource, { kind: 'user', id: tenRoleUserId }, [...builtInNames, ...customNames], new Date());
const tenRoles = {
  kind: 'user' as const,
  id: tenRoleUserId,
  tokenId: 'tbench',
  email: 'bench@example.com',
  displayName: 'Bench',
};
const tenRoleAccess = await auth.accessOf(tenRoles, resource);
if (tenRoleAccess?.roleNames.length !== 10) throw new Error(`expected 10 roles, got ${tenRoleAccess?.roleNames.length}`);
const tenHoldings = (
  await gatehouse.memberships().then((m) => m.accessHoldings(store.db, 'project', input.projectId, tenRoleUserId))
).map((r) => ({ resourceType: 'project' as const, roleName: r.role_name, customGrants: r.grants }));
const checkRoute = routes.find((r) => r.method === 'GET' && r.path.endsWith('/user-permissions/me/check')) ?? listUsers;

const pageRows = await listUserMembers(store.db, resource, null, 50);
const membershipIds = pageRows.slice(0, 50).map((r) => r.id);
const pageBytes = Buffer.byteLength(JSON.stringify(page));

const authorizeRequest = { token, viaCookie: false, ip, unsafe: false, policy, resource };
const ops: Op[] = [
  {
    name: 'verify+decide',
    group: 'auth',
    description:
      'Token verification + decision for list-users, warm cache: AuthService.authenticate (SHA-256 key, cached credential, clock checks) → accessOf (cached access) → decide()',
    batch: 1,
    op: async () => {
      const p = await auth.authenticate(token, ip);
      const a = await auth.accessOf(p, resource);
      return decide(policy, p, resource, a);
    },
  },
  {
    name: 'authorize',
    group: 'auth',
    description:
      'AuthService.authorize, the one call an HTTP request makes (failure limit, credential, both decisions), warm: answered at once, without a promise (unless the change feed cannot vouch for the cache just then)',
    batch: 1,
    op: () => auth.authorize(authorizeRequest),
  },
  {
    name: 'verify+decide (database)',
    group: 'auth',
    description:
      'The same with no cache (no change feed): parseToken, HMAC digest, token lookup, access query, decide() — every request before, and a node whose listener is down',
    batch: 1,
    op: async () => {
      const p = await uncached.auth.authenticate(token, ip);
      const a = await uncached.auth.accessOf(p, resource);
      return decide(policy, p, resource, a);
    },
  },
  {
    name: 'authenticate',
    group: 'auth',
    description: 'AuthService.authenticate alone, warm',
    batch: 1,
    op: () => auth.authenticate(token, ip),
  },
  {
    name: 'accessOf',
    group: 'auth',
    description:
      'AuthService.accessOf alone, warm: answered at once, without a promise (unless the change feed cannot vouch for the cache just then)',
    batch: 1,
    op: () => auth.accessOf(principal, resource),
  },
  {
    name: 'parseToken',
    group: 'auth',
    description: 'parseToken: shape + CRC-32 checksum',
    batch: 1000,
    op: () => parseToken(token),
  },
  {
    name: 'digestToken',
    group: 'auth',
    description: 'digestToken: HMAC-SHA-256 with the server pepper',
    batch: 1000,
    op: () => digestToken(token, key),
  },
  {
    name: 'decide',
    group: 'auth',
    description: 'decide() alone (pure: policy × principal × access)',
    batch: 10_000,
    op: () => decide(policy, principal, resource, access),
  },
  {
    name: 'access+decide(10 roles)',
    group: 'auth',
    description:
      'In-process decision for a person holding 10 roles (5 built-in, 5 custom): accessFromHoldings (grants of the roles) → decide()',
    batch: 100,
    op: () => decide(checkRoute.policy, tenRoles, resource, { ...accessFromHoldings('project', tenHoldings) }),
  },
  {
    name: 'accessOf+decide(10 roles)',
    group: 'auth',
    description:
      'The same through the database: AuthService.accessOf with no cache (one query: memberships, roles, custom grants) → decide()',
    batch: 1,
    op: async () => decide(checkRoute.policy, tenRoles, resource, await uncached.auth.accessOf(tenRoles, resource)),
  },
  // Where the list-users handler spends its time (the HTTP scenario minus Fastify and auth).
  {
    name: 'members.list(50)',
    group: 'breakdown',
    description:
      'MemberService.list, limit 50, as the route calls it (when the service caches rendered pages, this is the cached path)',
    batch: 1,
    op: () => services.members.list(resource, undefined, 50),
  },
  {
    name: 'listUserMembers(51)',
    group: 'breakdown',
    description: 'store: one page of members joined with users (51 rows)',
    batch: 1,
    op: () => listUserMembers(store.db, resource, null, 50),
  },
  {
    name: 'countMembers',
    group: 'breakdown',
    description: 'store: the maintained count of human members (one primary-key read)',
    batch: 1,
    op: () => countMembers(store.db, resource, 'user'),
  },
  {
    name: 'rolesByMembership(50)',
    group: 'breakdown',
    description: 'store: role names of the 50 memberships (IN list)',
    batch: 1,
    op: () => rolesByMembership(store.db, membershipIds),
  },
  {
    name: 'JSON.stringify(page)',
    group: 'breakdown',
    description: `JSON.stringify of the 50-user page as objects (${pageBytes} bytes)`,
    batch: 10,
    op: () => JSON.stringify(page),
  },
  {
    name: 'users.me(robot)',
    group: 'breakdown',
    description: 'UserService.me for the robot (the users-me handler: its roles from the cached access)',
    batch: 1,
    op: () => services.users.me(principal, null),
  },
  {
    name: 'rolesOf',
    group: 'breakdown',
    description: 'store: rolesOf (the query behind users.me)',
    batch: 1,
    op: () => rolesOf(store.db, resource, principal.id),
  },
];

const results = await measureAll(ops, { warmupMs: input.warmupMs, timeMs: input.timeMs });
for (const result of results) {
  process.stderr.write(`  micro ${result.name}: ${result.usPerOp.toFixed(2)} µs/op (CPU ${result.cpuUsPerOp.toFixed(2)} µs)\n`);
}

await feed.stop();
await store.close();
void sink;
process.stdout.write(`${JSON.stringify(results)}\n`);
