/**
 * Seeds the benchmark data straight through the store: one administrator (through the operator
 * bootstrap, so it has a personal token), one project, and N human members holding `viewer`, all
 * batch-inserted in a single transaction. The robot is created later through the HTTP API by the
 * administrator (see run.ts), as a real client would.
 */
import { randomBytes } from 'node:crypto';
import { newId } from '../src/model/ids.js';
import type { ServerKey } from '../src/model/tokens.js';
import { createUserWithToken } from '../src/services/bootstrap.js';
import { type DatabaseConfig, openStore } from '../src/store/db.js';
import { insertMembership } from '../src/store/memberships.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { insertProject } from '../src/store/projects.js';
import type { MembershipRow, UserRow } from '../src/store/schema.js';

export interface SeedResult {
  projectId: string;
  adminUserId: string;
  adminToken: string;
  members: number;
  ms: number;
}

/** Rows per INSERT: 10 user columns × 500 stays far below SQLite's and PostgreSQL's bind limits. */
const CHUNK = 500;

export async function seed(database: DatabaseConfig, keys: ServerKey[], members: number): Promise<SeedResult> {
  const started = performance.now();
  const store = openStore(database);
  try {
    await migrateToLatest(store.db);
    // A run tag keeps e-mails unique, so a reused PostgreSQL database can be seeded again.
    const tag = randomBytes(3).toString('hex');
    const admin = await createUserWithToken(store, keys, { email: `admin.${tag}@bench.example`, name: 'Bench Administrator' });
    const projectId = newId.project();
    // Membership ids are time-ordered; spread them one millisecond apart, administrator first, so
    // the member list has a stable, realistic order.
    const base = Date.now() - members - 1;
    const at = (ms: number) => new Date(ms).toISOString();

    await store.db.transaction().execute(async (trx) => {
      await insertProject(trx, {
        id: projectId,
        display_name: `Benchmark ${tag}`,
        organization_id: null,
        studio_host: null,
        metadata: '{}',
        created_by_user_id: admin.userId,
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
          principal_id: admin.userId,
          resource_user_id: admin.userId,
          added_at: at(base),
          last_seen_at: null,
        },
        ['administrator'],
      );

      for (let start = 0; start < members; start += CHUNK) {
        const users: UserRow[] = [];
        const memberships: MembershipRow[] = [];
        const roles: Array<{ membership_id: string; role_name: string }> = [];
        for (let i = start; i < Math.min(members, start + CHUNK); i++) {
          const n = String(i + 1).padStart(5, '0');
          const ms = base + 1 + i;
          const userId = newId.user();
          users.push({
            id: userId,
            email: `member${n}.${tag}@bench.example`,
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
        }
        await trx.insertInto('users').values(users).execute();
        await trx.insertInto('memberships').values(memberships).execute();
        await trx.insertInto('membership_roles').values(roles).execute();
      }
    });
    return { projectId, adminUserId: admin.userId, adminToken: admin.token, members, ms: performance.now() - started };
  } finally {
    await store.close();
  }
}
