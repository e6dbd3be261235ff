/**
 * store/db.ts `pgDriver`: loading pg must not load Node's fetch implementation. On Node 20, which
 * has no `navigator`, pg would construct a fetch `Response` to tell a Cloudflare Worker from Node
 * (about 25 ms of a PostgreSQL node's start); the driver gives it a navigator for that moment only.
 * A fresh process, so nothing else loaded pg or fetch before.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

it('loads pg without fetch, and leaves the global navigator as it found it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-driver-'));
  try {
    const script = join(dir, 'load.mts');
    const db = pathToFileURL(join(import.meta.dirname, '../../src/store/db.ts')).href;
    writeFileSync(
      script,
      `import { pgDriver } from ${JSON.stringify(db)};
const navigatorOf = () => Object.getOwnPropertyDescriptor(globalThis, 'navigator');
const before = navigatorOf();
const pg = pgDriver();
const after = navigatorOf();
process.stdout.write(JSON.stringify({
  pool: typeof pg.Pool,
  fetchLoaded: process.moduleLoadList.some((name) => name.includes('undici')),
  unchanged: before === undefined ? after === undefined : after !== undefined && (after.get === before.get && after.value === before.value),
}));
`,
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '../..'),
    });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ pool: 'function', fetchLoaded: false, unchanged: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
