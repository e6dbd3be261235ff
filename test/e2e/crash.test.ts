/**
 * The adversary's kill -9 test, kept (test/support/crash.ts): the real server under concurrent
 * writes, killed with SIGKILL at random moments and restarted on the same database, loses no
 * acknowledged write (projects, robots, invitations and their outbox e-mail), corrupts nothing,
 * and keeps an intact audit chain. A few rounds here (GATEHOUSE_CRASH_ROUNDS, default 3: seconds);
 * `npm run crash` runs the full-size campaign and prints its figures (docs/security.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crashRounds } from '../support/crash.js';
import { dropDatabase, freshDatabaseConfig } from '../support/database.js';

const ROUNDS = Number(process.env.GATEHOUSE_CRASH_ROUNDS ?? 3);
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'));
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('kill -9 under concurrent writes', () => {
  it(
    `${ROUNDS} rounds: no acknowledged write lost, no corruption, the audit chain intact`,
    async () => {
      const database = await freshDatabaseConfig();
      cleanups.push(() => dropDatabase(database));
      const report = await crashRounds({
        databaseUrl: database.dialect === 'sqlite' ? `sqlite:${database.file}` : database.url,
        dataDir,
        secret: `crash-test-secret-${Date.now()}-0123456789abcdef`,
        rounds: ROUNDS,
      });
      console.info(
        `crash: ${report.rounds} kill -9 rounds on ${database.dialect}, ${report.acknowledged} acknowledged writes checked after each restart, in ${report.elapsedMs} ms; lost ${report.lost.length}, corrupt ${report.integrity.length}, chain breaks ${report.chain.length}`,
      );
      expect(report.lost).toEqual([]);
      expect(report.integrity).toEqual([]);
      expect(report.chain).toEqual([]);
      expect(report.rounds).toBe(ROUNDS);
      expect(report.acknowledged).toBeGreaterThan(ROUNDS);
    },
    Math.max(120_000, ROUNDS * 30_000),
  );
});
