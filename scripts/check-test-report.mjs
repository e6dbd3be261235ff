#!/usr/bin/env node
/**
 * Checks a vitest JSON report (`--reporter=json --outputFile.json=<file>`) for the things a green
 * `vitest run` does not rule out, and exits 1 with a list of them:
 *   - a test that did not pass or fail: skipped, pending, todo (nothing may be left out quietly);
 *   - a failed test, or a failed file (import error, failing beforeAll/afterAll);
 *   - no test at all;
 *   - under CI: a required project without a passing test (by default sqlite and postgres; with
 *     `--projects a,b`, those: a run of the unit and SQLite suites on another Node version says
 *     `--projects unit,sqlite`).
 *
 * The report names files, not projects, and an e2e file runs once per database with the same path.
 * test/support/record-project.ts therefore writes each test's project into its `meta`, which the
 * JSON reporter copies into the report.
 *
 * On success the last line is exactly `N passed, 0 failed`.
 *
 * Usage: node scripts/check-test-report.mjs .tmp/test-report.json [--projects unit,sqlite] [--label "Node 22"]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const isCI = /^(1|true|yes)$/i.test(process.env.CI ?? '');

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
};
const requiredOption = option('--projects');
const label = option('--label');
const REQUIRED_IN_CI = (requiredOption ?? 'sqlite,postgres')
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
const prefix = `check-test-report${label ? ` (${label})` : ''}`;

const file = args[0];
if (!file) {
  console.error('usage: node scripts/check-test-report.mjs <vitest-json-report> [--projects a,b] [--label text]');
  process.exit(2);
}

let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`${prefix}: cannot read the vitest JSON report ${file}: ${error.message}`);
  console.error(`${prefix}: FAILED`);
  process.exit(1);
}
if (!Array.isArray(report.testResults)) {
  console.error(`${prefix}: ${file} is not a vitest JSON report (no testResults)`);
  console.error(`${prefix}: FAILED`);
  process.exit(1);
}

const problems = [];
const passedByProject = new Map();
const notPassed = [];
const failed = [];
let passed = 0;
let withoutProject = 0;

for (const testFile of report.testResults) {
  const path = relative(process.cwd(), testFile.name);
  const tests = testFile.assertionResults ?? [];
  for (const test of tests) {
    const project = test.meta?.project;
    const where = `[${project || '?'}] ${path} > ${test.fullName}`;
    if (test.status === 'passed') {
      passed++;
      if (!project) withoutProject++;
      passedByProject.set(project, (passedByProject.get(project) ?? 0) + 1);
    } else if (test.status === 'failed') {
      failed.push(where);
    } else {
      notPassed.push(`${test.status}: ${where}`);
    }
  }
  // A file can fail with no failed test in it: it did not import, or a beforeAll/afterAll hook threw.
  if (testFile.status === 'failed' && !tests.some((test) => test.status === 'failed')) {
    const message = (testFile.message || 'failed outside any test (a beforeAll/afterAll hook?)').split('\n')[0];
    problems.push(`file failed: ${path}: ${message}`);
  }
}

if (failed.length > 0) problems.push(`${failed.length} test(s) failed:\n${failed.map((t) => `    ${t}`).join('\n')}`);
if (notPassed.length > 0) {
  problems.push(
    `${notPassed.length} test(s) did not run (skipped/pending/todo); every test must run:\n${notPassed.map((t) => `    ${t}`).join('\n')}`,
  );
}
if (passed === 0) problems.push('no test passed: zero tests ran');
if (report.success === false && problems.length === 0) problems.push('vitest reported the run as unsuccessful');
if (isCI) {
  if (withoutProject > 0) {
    problems.push(
      `${withoutProject} passed test(s) carry no project in meta: is test/support/record-project.ts in every project's setupFiles?`,
    );
  }
  for (const project of REQUIRED_IN_CI) {
    if (!passedByProject.get(project))
      problems.push(`no test passed in the ${project} project: this CI run must cover ${REQUIRED_IN_CI.join(', ')}`);
  }
}

const byProject = [...passedByProject].map(([project, count]) => `${project || '?'} ${count}`).join(', ');
console.log(`${prefix}: passed per project: ${byProject || 'none'}`);

if (problems.length > 0) {
  console.error('');
  console.error('================ TEST REPORT CHECK FAILED ================');
  for (const problem of problems) console.error(`- ${problem}`);
  console.error('==========================================================');
  console.log(`${passed} passed, ${failed.length} failed`);
  console.error(`${prefix}: FAILED`);
  process.exit(1);
}
console.log(`${passed} passed, 0 failed`);
