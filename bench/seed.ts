/**
 * Seeds the benchmark data straight through the store: one administrator (through the operator
 * bootstrap, so it has a personal token), then projects with N human members holding `viewer`,
 * batch-inserted in one transaction per project, with the maintained member and role-holder counts
 * (store/versions.ts) set to match. Robots and writes are made later through the HTTP API, as a real
 * client would.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { newId } from '../src/model/ids.js';
import type { ServerKey } from '../src/model/tokens.js';
import { createUserWithToken } from '../src/services/bootstrap.js';
import { runTransaction } from '../src/store/changes.js';
import { type DatabaseConfig, openStore, type Store } from '../src/store/db.js';
import { insertMembership } from '../src/store/memberships.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { insertProject } from '../src/store/projects.js';
import type { MembershipRow, UserRow } from '../src/store/schema.js';
import { adjustCounts, countNames } from '../src/store/versions.js';

export interface SeededProject {
  projectId: string;
  members: number;
  /** User ids of the first members (after the administrator), for write scenarios. */
  firstMemberIds: string[];
  /** Membership ids spread over the last tenth of the list: keys of deep cursors. */
  deepKeys: string[];
  ms: number;
}

export interface SeedResult {
  projectId: string;
  adminUserId: string;
  adminToken: string;
  members: number;
  firstMemberIds: string[];
  ms: number;
}

/** Rows per INSERT, under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters. */
const USER_CHUNK = 2_000;

async function seedProject(
  store: Store,
  adminUserId: string,
  tag: string,
  index: number,
  members: number,
): Promise<SeededProject> {
  const started = performance.now();
  const projectId = newId.project();
  // Membership ids are time-ordered; spread them one millisecond apart, administrator first, so
  // the member list has a stable, realistic order.
  const base = Date.now() - members - 1;
  const at = (ms: number) => new Date(ms).toISOString();
  const firstMemberIds: string[] = [];
  const deepKeys: string[] = [];
  const deepEvery = Math.max(1, Math.floor(members / 10 / 64));
  const resource = { type: 'project' as const, id: projectId };

  await runTransaction(store.db, async (trx) => {
    await insertProject(trx, {
      id: projectId,
      display_name: `Benchmark ${tag} ${index}`,
      organization_id: null,
      studio_host: null,
      metadata: '{}',
      created_by_user_id: adminUserId,
      created_at: at(base),
      updated_at: at(base),
    });
    await insertMembership(
      trx,
      {
        id: newId.membership(base),
        resource_type: 'project',
        resource_id: projectId,
        principal_kind: 'user',
        principal_id: adminUserId,
        resource_user_id: adminUserId,
        added_at: at(base),
        last_seen_at: null,
      },
      ['administrator'],
    );

    for (let start = 0; start < members; start += USER_CHUNK) {
      const users: UserRow[] = [];
      const memberships: MembershipRow[] = [];
      const roles: Array<{ membership_id: string; role_name: string }> = [];
      for (let i = start; i < Math.min(members, start + USER_CHUNK); i++) {
        const n = String(i + 1).padStart(7, '0');
        const ms = base + 1 + i;
        const userId = newId.user();
        users.push({
          id: userId,
          email: `member${n}.${index}.${tag}@bench.example`,
          display_name: `Member ${n}`,
          given_name: 'Member',
          family_name: n,
          image_url: i % 2 === 0 ? `https://images.bench.example/avatars/${userId}.png` : null,
          provider: 'google',
          created_at: at(ms),
          updated_at: at(ms),
          disabled_at: null,
        });
        const membershipId = newId.membership(ms);
        memberships.push({
          id: membershipId,
          resource_type: 'project',
          resource_id: projectId,
          principal_kind: 'user',
          principal_id: userId,
          resource_user_id: userId,
          added_at: at(ms),
          last_seen_at: null,
        });
        roles.push({ membership_id: membershipId, role_name: 'viewer' });
        if (i < 16) firstMemberIds.push(userId);
        if (i >= members - Math.floor(members / 10) && i < members - 100 && (i - members) % deepEvery === 0) {
          deepKeys.push(membershipId);
        }
      }
      await trx.insertInto('users').values(users).execute();
      await trx.insertInto('memberships').values(memberships).execute();
      await trx.insertInto('membership_roles').values(roles).execute();
    }
    await adjustCounts(
      trx,
      resource,
      new Map([
        [countNames.members('user'), members],
        [countNames.roleHolders('viewer'), members],
      ]),
    );
  });
  return { projectId, members, firstMemberIds, deepKeys, ms: performance.now() - started };
}

/** One administrator and one project per entry of `sizes`. */
export async function seedProjects(database: DatabaseConfig, keys: ServerKey[], sizes: readonly number[]) {
  const started = performance.now();
  const store = openStore(database);
  try {
    await migrateToLatest(store.db);
    // A bulk load inserts into large indexes at random places: give SQLite's page cache room
    // (256 MiB for this connection only) instead of its 2 MiB default.
    if (store.dialect === 'sqlite') await sql`pragma cache_size = -262144`.execute(store.db);
    // A run tag keeps e-mails unique, so a reused PostgreSQL database can be seeded again.
    const tag = randomBytes(3).toString('hex');
    const admin = await createUserWithToken(store, keys, { email: `admin.${tag}@bench.example`, name: 'Bench Administrator' });
    const projects: SeededProject[] = [];
    for (const [index, size] of sizes.entries()) projects.push(await seedProject(store, admin.userId, tag, index, size));
    // Fresh statistics, as autovacuum would gather them soon after a bulk load.
    if (store.dialect === 'postgres') await sql`analyze`.execute(store.db);
    return { adminUserId: admin.userId, adminToken: admin.token, projects, ms: performance.now() - started };
  } finally {
    await store.close();
  }
}

export async function seed(database: DatabaseConfig, keys: ServerKey[], members: number): Promise<SeedResult> {
  const seeded = await seedProjects(database, keys, [members]);
  const project = seeded.projects[0] as SeededProject;
  return {
    projectId: project.projectId,
    adminUserId: seeded.adminUserId,
    adminToken: seeded.adminToken,
    members,
    firstMemberIds: project.firstMemberIds,
    ms: seeded.ms,
  };
}
