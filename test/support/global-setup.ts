/**
 * Vitest global setup: starts the throwaway PostgreSQL server when the run covers PostgreSQL and
 * hands its superuser URL to the workers as `inject('pgAdminUrl')`. Teardown stops it.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';
import { isCI, testDatabases } from './test-databases.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const databases = testDatabases();
  if (isCI && databases.length < 2) {
    throw new Error(
      `GATEHOUSE_TEST_DATABASES=${process.env.GATEHOUSE_TEST_DATABASES} under CI: CI must run the tests on both SQLite and PostgreSQL. Unset GATEHOUSE_TEST_DATABASES.`,
    );
  }
  // `--project unit` or `--project sqlite` needs no server; `vitest.projects` lists only the selected ones.
  const postgresSelected = project.vitest.projects.some((selected) => selected.name === 'postgres');
  if (!databases.includes('postgres') || !postgresSelected) return undefined;

  let server: Awaited<ReturnType<typeof startPostgres>>;
  try {
    server = await startPostgres();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const fix = isCI
      ? 'CI runs every test on PostgreSQL too; .ci/run installs the postgresql package first.'
      : 'Install the PostgreSQL server (Debian/Ubuntu: `sudo apt-get install postgresql`; macOS: `brew install postgresql`, with initdb and pg_ctl on PATH), ' +
        'or run only the SQLite tests: GATEHOUSE_TEST_DATABASES=sqlite npm test';
    throw new Error(`Could not start a throwaway PostgreSQL server for the tests.\n${fix}\n\n${reason}`);
  }
  project.provide('pgAdminUrl', server.url);
  return () => server.stop();
}
