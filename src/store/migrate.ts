/** One set of migrations for both dialects, applied at start-up and by `gatehouse migrate`. */
import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import * as initial from './migrations/0001_initial.js';
import * as access from './migrations/0002_access.js';
import * as identity from './migrations/0003_identity.js';
import * as collaboration from './migrations/0004_collaboration.js';
import * as performance from './migrations/0005_performance.js';
import * as hardening from './migrations/0006_hardening.js';
import * as memberIds from './migrations/0007_member_ids.js';
import * as console_ from './migrations/0008_console.js';
import * as auditHeadLink from './migrations/0009_audit_head_link.js';
import type { Database } from './schema.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_access': access,
  '0003_identity': identity,
  '0004_collaboration': collaboration,
  '0005_performance': performance,
  '0006_hardening': hardening,
  '0007_member_ids': memberIds,
  '0008_console': console_,
  '0009_audit_head_link': auditHeadLink,
};

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'gatehouse_migrations',
    migrationLockTableName: 'gatehouse_migrations_lock',
    // The names sort by their fixed-width number. Kysely's default, `localeCompare`, would load
    // ICU's collator on every start for that (about 10 ms).
    nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    // No failed migration means the migrator never got to run one: usually the database is unreachable.
    throw new Error(failed ? `migration ${failed.migrationName} failed: ${cause}` : `cannot migrate the database: ${cause}`);
  }
  return result;
}
