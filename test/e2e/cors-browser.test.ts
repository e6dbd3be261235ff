/**
 * CORS as a browser sees it, in real headless Chromium: pages served from small HTTP servers on
 * 127.0.0.1 (each port is its own origin) run an inline script that calls the API with fetch.
 * - a page from an allowed origin can call the API;
 * - a page from an origin the project does not allow cannot (fetch rejects: the 403 carries no
 *   CORS headers), yet it can read `/check/cors`, which says so;
 * - a credentialed call (`credentials: 'include'`) needs an entry with allowCredentials.
 * `/check/cors` is called on the project host `<projectId>.api.gatehouse.test`, which Chromium is
 * told to resolve to 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, haveChromium } from '../support/browser.js';
import { createProject, V } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

interface Attempt {
  ok: boolean;
  status?: number;
  body?: unknown;
  error?: string;
}

interface Results {
  plain: Attempt;
  credentialed: Attempt;
  check: Attempt;
}

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let projectId: string;
let browser: Browser | undefined;
const pageServers: Server[] = [];

/** A page whose inline script calls the API three ways and leaves the outcomes in `window.__results`. */
function pageHtml(config: { api: string; projectHost: string; project: string; token: string }): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><title>CORS page</title></head><body><script>
const cfg = ${json};
async function attempt(call) {
  try {
    const response = await call();
    return { ok: true, status: response.status, body: await response.json() };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}
(async () => {
  const auth = { authorization: 'Bearer ' + cfg.token };
  const url = cfg.api + '${V}/projects/' + cfg.project;
  const plain = await attempt(() => fetch(url, { headers: auth }));
  const credentialed = await attempt(() => fetch(url, { headers: auth, credentials: 'include' }));
  const check = await attempt(() => fetch(cfg.projectHost + '${V}/check/cors'));
  window.__results = { plain, credentialed, check };
})();
</script></body></html>`;
}

/** Starts a page server on 127.0.0.1 and returns its origin. */
async function servePage(): Promise<string> {
  const api = new URL(server.url);
  const page = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      pageHtml({
        api: server.url,
        projectHost: `http://${projectId}.api.gatehouse.test:${api.port}`,
        project: projectId,
        token: owner.token,
      }),
    );
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageServers.push(page);
  return `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
}

async function resultsFrom(origin: string): Promise<Results> {
  if (!browser) throw new Error('no browser');
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { __results?: unknown }).__results !== undefined, undefined, {
      timeout: 20_000,
    });
    return (await page.evaluate(() => (window as unknown as { __results: unknown }).__results)) as Results;
  } finally {
    await context.close();
  }
}

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser();
  projectId = await createProject(api, owner.token, 'Browser CORS');
  if (haveChromium) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP *.api.gatehouse.test 127.0.0.1',
      ],
    });
  }
});

afterAll(async () => {
  await browser?.close();
  for (const page of pageServers) await new Promise((resolve) => page.close(resolve));
  await server?.close();
});

async function allow(origin: string, allowCredentials: boolean): Promise<void> {
  const res = await api('POST', `${V}/projects/${projectId}/cors`, { token: owner.token, body: { origin, allowCredentials } });
  expect(res.status, res.text).toBe(201);
}

describe.skipIf(!haveChromium)('CORS in headless Chromium', { timeout: 90_000 }, () => {
  it('a page from an allowed origin (with credentials) can call the API, credentialed or not', async () => {
    const origin = await servePage();
    await allow(origin, true);
    const results = await resultsFrom(origin);
    expect(results.plain).toMatchObject({ ok: true, status: 200, body: { id: projectId } });
    expect(results.credentialed).toMatchObject({ ok: true, status: 200, body: { id: projectId } });
    expect(results.check).toMatchObject({ ok: true, status: 200, body: { result: { allowed: true, withCredentials: true } } });
  });

  it('a page from an origin allowed without credentials: plain calls work, credentialed ones fail', async () => {
    const origin = await servePage();
    await allow(origin, false);
    const results = await resultsFrom(origin);
    expect(results.plain).toMatchObject({ ok: true, status: 200 });
    expect(results.credentialed.ok).toBe(false);
    expect(results.credentialed.error).toMatch(/TypeError|Failed to fetch/);
    expect(results.check).toMatchObject({ ok: true, body: { result: { allowed: true, withCredentials: false } } });
  });

  it('a page from a disallowed origin cannot call the API, but can read /check/cors', async () => {
    const origin = await servePage();
    const results = await resultsFrom(origin);
    expect(results.plain.ok).toBe(false);
    expect(results.plain.error).toMatch(/TypeError|Failed to fetch/);
    expect(results.credentialed.ok).toBe(false);
    expect(results.check).toMatchObject({ ok: true, status: 200, body: { result: { allowed: false, withCredentials: false } } });
    // The server did refuse it (what the browser hides from the page).
    const direct = await api('GET', `${V}/projects/${projectId}`, { token: owner.token, headers: { origin } });
    expect(direct.status).toBe(403);
    expect(direct.body.reason.code).toBe('cors_origin_not_allowed');
  });
});
