/** The test harness gives each e2e file its own empty database, in SQLite and in PostgreSQL alike. */
import { existsSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, freshDatabaseConfig, TEST_DIALECT, type TestDatabaseConfig } from '../support/database.js';

describe(`test database harness (${TEST_DIALECT})`, () => {
  let config: TestDatabaseConfig;
  beforeAll(async () => {
    config = await freshDatabaseConfig();
  });
  afterAll(async () => {
    if (config) await dropDatabase(config);
  });

  it('hands out an empty database of the project dialect that stores and returns a row', async () => {
    expect(config.dialect).toBe(TEST_DIALECT);
    if (config.dialect === 'sqlite') {
      const db = new SQLite(config.file);
      try {
        expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()).toEqual({ n: 0 });
        db.exec('CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
        db.prepare('INSERT INTO widgets (name) VALUES (?)').run('sprocket');
        expect(db.prepare('SELECT id, name FROM widgets').all()).toEqual([{ id: 1, name: 'sprocket' }]);
      } finally {
        db.close();
      }
    } else {
      const client = new pg.Client({ connectionString: config.url });
      await client.connect();
      try {
        const tables = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
        expect(tables.rows).toEqual([{ n: 0 }]);
        await client.query('CREATE TABLE widgets (id serial PRIMARY KEY, name text NOT NULL)');
        await client.query('INSERT INTO widgets (name) VALUES ($1)', ['sprocket']);
        expect((await client.query('SELECT id, name FROM widgets')).rows).toEqual([{ id: 1, name: 'sprocket' }]);
      } finally {
        await client.end();
      }
    }
  });

  it('drops the database again', async () => {
    await dropDatabase(config);
    if (config.dialect === 'sqlite') {
      expect(existsSync(config.file)).toBe(false);
    } else {
      const name = new URL(config.url).pathname.slice(1);
      const admin = new pg.Client({ connectionString: config.url.replace(/\/[^/]+$/, '/postgres') });
      await admin.connect();
      try {
        const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        expect(found.rowCount).toBe(0);
      } finally {
        await admin.end();
      }
    }
  });
});
