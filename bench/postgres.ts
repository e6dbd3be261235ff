/**
 * A throwaway PostgreSQL server for a benchmark run (the test harness's, test/support/postgres.ts)
 * with one fresh database in it: what `--db postgres` without `--database-url` uses.
 */
import pg from 'pg';

export async function throwawayDatabase(name: string): Promise<{ url: string; stop(): Promise<void> }> {
  const { startPostgres } = await import('../test/support/postgres.js');
  const server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return { url: server.url.replace(/\/postgres$/, `/${name}`), stop: () => server.stop() };
}
