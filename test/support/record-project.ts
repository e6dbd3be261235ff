/**
 * Setup file of every project: records the project name in each test's `meta`, which the JSON
 * reporter writes out. The report has no other way to tell the sqlite run of an e2e file from its
 * postgres run (both have the same file path), and scripts/check-test-report.mjs needs to.
 */
import { beforeEach } from 'vitest';

beforeEach(({ task }) => {
  task.meta.project = task.file.projectName ?? '';
});
