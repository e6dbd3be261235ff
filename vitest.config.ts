import { configDefaults, defineConfig } from 'vitest/config';
import { testDatabases } from './test/support/test-databases.js';

// Unit tests need no database; every e2e file runs once per database in GATEHOUSE_TEST_DATABASES
// (default: sqlite,postgres). test/support/database.ts reads GATEHOUSE_TEST_DB to know which one.
const databases = testDatabases();
// Files to leave out of the database projects, comma-separated globs (.ci/run leaves out the files
// that drive Chromium on the other Node versions). A project's own `exclude` replaces the command
// line's `--exclude`, hence a variable.
const excluded = (process.env.GATEHOUSE_TEST_EXCLUDE ?? '').split(',').filter((glob) => glob !== '');

// Settings every project shares. Projects do not `extends: true` the root config on purpose:
// that would run the global setup (and start PostgreSQL) once per project.
const shared = {
  pool: 'forks' as const,
  testTimeout: 30_000,
  hookTimeout: 60_000,
  setupFiles: ['test/support/record-project.ts'],
};

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    // Two cores: two test files at a time, across all projects.
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The console's own logic (console/src), in Node: no browser, no server.
      { esbuild: { jsx: 'automatic' }, test: { ...shared, name: 'console', include: ['console/src/**/*.test.{ts,tsx}'] } },
      // The shell blocks of README.md and docs/quickstart.md, run once as a newcomer would (on SQLite).
      { test: { ...shared, name: 'docs', include: ['test/docs/**/*.test.ts'], testTimeout: 240_000 } },
      ...databases.map((dialect) => ({
        test: {
          ...shared,
          name: dialect,
          include: ['test/e2e/**/*.test.ts'],
          // The console's accessibility and layout scans look at what the browser renders, which does
          // not depend on the database: they run once, on SQLite (every console flow runs on both).
          exclude: [...configDefaults.exclude, ...excluded, ...(dialect === 'sqlite' ? [] : ['test/e2e/console-a11y.test.ts'])],
          env: { GATEHOUSE_TEST_DB: dialect },
        },
      })),
    ],
  },
});
