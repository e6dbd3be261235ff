/**
 * The adversary's crash test, kept: `gatehouse serve` (the build in dist/) under concurrent writes
 * is killed with SIGKILL at a random moment, restarted on the same database, and checked:
 *
 * - every write the server acknowledged (2xx) before it died is there after the restart (projects,
 *   robots, invitations, and the invitations' messages in the mail outbox);
 * - the database is not corrupt (SQLite's `integrity_check`; PostgreSQL answers queries);
 * - the audit log's hash chain verifies from the first event to the last (as `gatehouse audit verify`).
 *
 * `test/e2e/crash.test.ts` runs a few rounds on every `npm test`; `npm run crash` runs many.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cleanEnv, runCli, startServe } from './cli.js';

export interface CrashOptions {
  /** `sqlite:<file>` or `postgres://…`. */
  databaseUrl: string;
  dataDir: string;
  secret: string;
  rounds: number;
  /** Concurrent writers per round. */
  writers?: number;
  /** The kill comes between these many milliseconds after the writers start. */
  killAfterMs?: [number, number];
}

export interface CrashReport {
  rounds: number;
  acknowledged: number;
  lost: string[];
  integrity: string[];
  chain: string[];
  elapsedMs: number;
}

interface Server {
  child: ChildProcess;
  url: string;
}

const V = '/v2025-01-09';

function env(options: CrashOptions): NodeJS.ProcessEnv {
  return cleanEnv({
    GATEHOUSE_DATABASE_URL: options.databaseUrl,
    GATEHOUSE_DATA_DIR: options.dataDir,
    GATEHOUSE_SECRET: options.secret,
    GATEHOUSE_LOG_LEVEL: 'warn',
  });
}

async function start(options: CrashOptions): Promise<Server> {
  return startServe(['--port', '0'], env(options));
}

async function kill(server: Server, signal: NodeJS.Signals): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill(signal);
  await exited;
}

async function call(
  url: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: the test reads response bodies freely.
): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** One acknowledged write, and how to find it again. */
interface Ack {
  what: string;
  check: (url: string, token: string) => Promise<boolean>;
}

/** A writer: creates a project, then robots, invitations and renames in it, until the server dies. */
async function writer(url: string, token: string, acks: Ack[], stop: { dead: boolean }): Promise<void> {
  let projectId: string | null = null;
  let n = 0;
  while (!stop.dead) {
    n += 1;
    try {
      if (projectId === null) {
        const res = await call(url, 'POST', `${V}/projects`, token, { displayName: `Crash ${n}` });
        if (res.status !== 201) continue;
        const id = res.body.id as string;
        projectId = id;
        acks.push({
          what: `project ${id}`,
          check: async (u, t) => (await call(u, 'GET', `${V}/projects/${id}`, t)).status === 200,
        });
        continue;
      }
      const project = projectId;
      switch (n % 3) {
        case 0: {
          const res = await call(url, 'POST', `${V}/access/project/${project}/robots`, token, {
            label: `crash ${n}`,
            memberships: [{ resourceType: 'project', resourceId: project, roleNames: ['viewer'] }],
          });
          if (res.status === 201) {
            const id = res.body.id as string;
            acks.push({
              what: `robot ${id}`,
              check: async (u, t) => (await call(u, 'GET', `${V}/access/project/${project}/robots/${id}`, t)).status === 200,
            });
          }
          break;
        }
        case 1: {
          const email = `crash-${randomBytes(4).toString('hex')}@crash.example`;
          const res = await call(url, 'POST', `${V}/access/project/${project}/invites`, token, { email, role: 'viewer' });
          if (res.status === 201) {
            const id = res.body.id as string;
            acks.push({
              what: `invitation ${id}`,
              check: async (u, t) => {
                const list = await call(
                  u,
                  'GET',
                  `${V}/access/project/${project}/invites?status=pending&status=accepted&limit=500`,
                  t,
                );
                return list.status === 200 && list.body.data.some((i: { id: string }) => i.id === id);
              },
            });
          }
          break;
        }
        default: {
          const name = `Crash ${project} ${n}`;
          const res = await call(url, 'PATCH', `${V}/projects/${project}`, token, { displayName: name });
          if (res.status === 200) {
            acks.push({
              what: `rename of ${project}`,
              // A later rename may have won; what must hold is that the project exists with a name.
              check: async (u, t) => (await call(u, 'GET', `${V}/projects/${project}`, t)).status === 200,
            });
          }
        }
      }
    } catch {
      // The server died mid-request: this write was never acknowledged.
    }
  }
}

export async function crashRounds(options: CrashOptions): Promise<CrashReport> {
  const started = Date.now();
  const report: CrashReport = { rounds: 0, acknowledged: 0, lost: [], integrity: [], chain: [], elapsedMs: 0 };
  const created = await runCli(
    ['admin', 'create-user', '--email', `crash-${randomBytes(3).toString('hex')}@crash.example`, '--json'],
    env(options),
  );
  if (created.code !== 0) throw new Error(`admin create-user failed: ${created.stderr}`);
  const token = JSON.parse(created.stdout).token as string;
  const [low, high] = options.killAfterMs ?? [300, 1_500];
  const acks: Ack[] = [];

  // Each restart is checked, then serves the next round: one start per round.
  let server = await start(options);
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const stop = { dead: false };
      const before = acks.length;
      const writers = Array.from({ length: options.writers ?? 8 }, () => writer(server.url, token, acks, stop));
      // At least one acknowledged write per round, then a random moment.
      const deadline = Date.now() + 20_000;
      while (acks.length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, low + Math.random() * (high - low)));
      await kill(server, 'SIGKILL');
      stop.dead = true;
      await Promise.all(writers);
      report.rounds = round;

      // Back on the same database: everything acknowledged so far, in this round or before, is there.
      server = await start(options);
      for (const ack of acks) {
        if (!(await ack.check(server.url, token))) report.lost.push(`round ${round}: ${ack.what}`);
      }
      // Each acknowledged invitation's message is in the outbox (sent or waiting), never lost.
      const invitations = acks.filter((a) => a.what.startsWith('invitation')).length;
      if (invitations > 0) {
        const stored = await outboxCount(options);
        if (stored < invitations)
          report.lost.push(`round ${round}: ${invitations - stored} invitation e-mails missing from the outbox`);
      }
      const chain = await verifyChain(options);
      if (chain !== null) report.chain.push(`round ${round}: ${chain}`);
      const integrity = await integrityCheck(options);
      if (integrity !== 'ok') report.integrity.push(`round ${round}: ${integrity}`);
    }
  } finally {
    await kill(server, 'SIGTERM');
  }
  report.acknowledged = acks.length;
  report.elapsedMs = Date.now() - started;
  return report;
}

/** The audit chain, verified as `gatehouse audit verify` does it; null when intact. */
async function verifyChain(options: CrashOptions): Promise<string | null> {
  const { openStore } = await import('../../src/store/db.js');
  const { verifyAuditLog } = await import('../../src/services/audit.js');
  const store = openStore(databaseOf(options.databaseUrl));
  try {
    const verification = await verifyAuditLog(store.db);
    return verification.break === null && verification.unchained === 0 ? null : JSON.stringify(verification);
  } finally {
    await store.close();
  }
}

/** Messages in the mail outbox (sent, waiting or given up): read with the server's own store. */
async function outboxCount(options: CrashOptions): Promise<number> {
  const { openStore } = await import('../../src/store/db.js');
  const store = openStore(databaseOf(options.databaseUrl));
  try {
    const row = await store.db
      .selectFrom('mail_outbox')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('kind', '=', 'invite')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await store.close();
  }
}

/** SQLite's own integrity check; on PostgreSQL, that every table answers a count. */
async function integrityCheck(options: CrashOptions): Promise<string> {
  const { openStore } = await import('../../src/store/db.js');
  const { sql } = await import('kysely');
  const store = openStore(databaseOf(options.databaseUrl));
  try {
    if (store.dialect === 'sqlite') {
      const rows = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(store.db);
      return rows.rows.map((r) => r.integrity_check).join('; ');
    }
    for (const table of ['users', 'projects', 'robots', 'tokens', 'memberships', 'invites', 'mail_outbox', 'audit_events']) {
      await sql`SELECT count(*) FROM ${sql.table(table)}`.execute(store.db);
    }
    return 'ok';
  } finally {
    await store.close();
  }
}

function databaseOf(url: string): { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string } {
  return url.startsWith('sqlite:') ? { dialect: 'sqlite', file: url.slice('sqlite:'.length) } : { dialect: 'postgres', url };
}
