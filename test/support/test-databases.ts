/**
 * Which databases a test run covers. Read by vitest.config.ts (which projects exist) and by the
 * global setup (whether to start PostgreSQL), so both agree.
 *
 * GATEHOUSE_TEST_DATABASES is a comma list of `sqlite` and `postgres`; the default is both.
 */
export type TestDialect = 'sqlite' | 'postgres';

const DIALECTS: readonly TestDialect[] = ['sqlite', 'postgres'];

export const isCI = /^(1|true|yes)$/i.test(process.env.CI ?? '');

export function testDatabases(value = process.env.GATEHOUSE_TEST_DATABASES): TestDialect[] {
  const names = (value ?? 'sqlite,postgres')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((name) => !DIALECTS.includes(name as TestDialect));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `GATEHOUSE_TEST_DATABASES=${JSON.stringify(value)} is not valid: use a comma list of ${DIALECTS.join(', ')} (default: both)`,
    );
  }
  return DIALECTS.filter((dialect) => names.includes(dialect));
}
