/**
 * `gatehouse serve` as shipped: the bundle in dist/ (scripts/bundle.mjs), started by bin/gatehouse.js.
 * The modules the bundle leaves out or loads on first use still work when they are needed (the
 * OpenAPI document as YAML, the docs page's assets, the console) and are not loaded before. On
 * Node ≥ 22.1 a graceful stop leaves V8's compile cache in the data directory for the next start
 * (cli/compile-cache.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, startServe } from '../support/cli.js';
import { dropDatabase, freshDatabaseConfig } from '../support/database.js';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bundle-'));
let dropDb: () => Promise<void> = async () => {};
let child: ChildProcess;
let url: string;

async function start(databaseUrl: string): Promise<void> {
  ({ child, url } = await startServe(
    ['--port', '0', '--host', '127.0.0.1'],
    cleanEnv({
      GATEHOUSE_DATABASE_URL: databaseUrl,
      GATEHOUSE_DATA_DIR: dataDir,
      // Required on PostgreSQL; a fresh one per run.
      GATEHOUSE_SECRET: randomBytes(32).toString('base64url'),
      GATEHOUSE_LOG_LEVEL: 'warn',
    }),
  ));
}

async function stop(): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

beforeAll(async () => {
  const database = await freshDatabaseConfig();
  dropDb = () => dropDatabase(database);
  await start(database.dialect === 'sqlite' ? `sqlite:${database.file}` : database.url);
}, 60_000);

afterAll(async () => {
  if (child) await stop();
  await dropDb();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the bundled server', () => {
  it('serves the OpenAPI document as JSON and as YAML (yaml is loaded on first use)', async () => {
    const json = await fetch(`${url}/docs/json`);
    expect(json.status).toBe(200);
    const document = (await json.json()) as { openapi: string; info: { title: string } };
    expect(document.openapi).toBe('3.0.3');
    const yaml = await fetch(`${url}/docs/yaml`);
    expect(yaml.status).toBe(200);
    const text = await yaml.text();
    expect(text.startsWith('openapi: 3.0.3\n')).toBe(true);
    expect(text).toContain(`title: ${document.info.title}`);
  });

  it('requires yaml and glob on first use only, in every file of the bundle', () => {
    const dist = join(import.meta.dirname, '..', '..', 'dist');
    const chunks = readdirSync(dist).filter((file) => /^gatehouse[-.].*js$/.test(file));
    expect(chunks).toContain('gatehouse.js');
    for (const chunk of chunks) {
      const source = readFileSync(join(dist, chunk), 'utf8');
      // Each call sits in a function (`(...args)=>__require("yaml")…`), none runs as a module loads.
      for (const call of source.matchAll(/(.{0,12})__require\("(yaml|glob)"\)/g)) {
        expect(call[1], `${chunk}: ${call[0]}`).toMatch(/=>$/);
      }
    }
  });

  it('serves the docs page and its assets from @fastify/swagger-ui’s own folder', async () => {
    const page = await fetch(`${url}/docs/static/index.html`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    const bundle = await fetch(`${url}/docs/static/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });

  it('serves the console page', async () => {
    const console = await fetch(`${url}/console/`);
    expect(console.status).toBe(200);
    expect(console.headers.get('content-type')).toContain('text/html');
  });

  it('stops gracefully on SIGTERM, leaving the compile cache in the data directory where Node has one', async () => {
    expect(await stop()).toBe(0);
    const cache = join(dataDir, 'compile-cache');
    if (typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function') {
      expect(existsSync(cache)).toBe(true);
      expect(readdirSync(cache).length).toBeGreaterThan(0);
    } else {
      // Node 20: no compile cache API, nothing written.
      expect(existsSync(cache)).toBe(false);
    }
  });
});
