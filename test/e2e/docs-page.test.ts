/**
 * The interactive API reference at /docs, in a real headless Chromium: a developer pastes a robot
 * token into "Authorize", tries the list-users operation, and sees the project's users.
 *
 * The browser runs in the sqlite project only (one browser run proves the page; the database
 * behind it is covered everywhere else). Under postgres the same steps run over plain HTTP: the
 * page, the document it loads and the request the page sends. Nothing here is ever skipped: under
 * CI a missing Chromium fails the run.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../support/database.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';
import { isCI } from '../support/test-databases.js';

const CHROMIUM = process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium';
const OPERATION_PATH = '/{apiVersion}/access/{resourceType}/{resourceId}/users';
const SCREENSHOT = process.env.GATEHOUSE_DOCS_SCREENSHOT; // e.g. /tmp/docs.png, to look at the page

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && isCI) {
  throw new Error(
    `${CHROMIUM} is missing: CI must install chromium (apt-get install -y chromium, or set GATEHOUSE_CHROMIUM) to test the docs page`,
  );
}
const useBrowser = TEST_DIALECT === 'sqlite' && haveChromium;

let server: TestServer;
let api: Api;
let projectId: string;
let robotToken: string;
const ownerEmail = 'docs-owner@example.com';

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  const owner = await server.createUser(ownerEmail, 'Dora Docs');
  const project = await api('POST', '/v2025-01-09/projects', { token: owner.token, body: { displayName: 'Docs' } });
  expect(project.status).toBe(201);
  projectId = project.body.id;
  const robot = await api('POST', `/v2025-01-09/access/projects/${projectId}/robots`, {
    token: owner.token,
    body: { label: 'docs reader', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
  });
  expect(robot.status).toBe(201);
  robotToken = robot.body.token;
});

afterAll(async () => {
  await server?.close();
});

describe('the /docs page', () => {
  it('serves Swagger UI over the OpenAPI document of the route table', async () => {
    const page = await api('GET', '/docs/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui');
    // Gatehouse's page, showing the public document's address rather than the UI's own.
    expect(page.text).toContain('<title>Gatehouse Access API reference</title>');
    const initializer = await api('GET', '/docs/static/swagger-initializer.js');
    expect(initializer.text).toContain('"/openapi.json"');
    const doc = await api('GET', '/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.paths[OPERATION_PATH].get['x-accepts']).toEqual(['user', 'robot']);
    expect(doc.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  if (useBrowser) {
    it('a robot token entered under "Authorize" lists the project users with "Try it out"', async () => {
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
        page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
        // A Content-Security-Policy violation is reported as a console error: the page must need none.
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
        });
        try {
          await page.goto(`${server.url}/docs/`, { waitUntil: 'load' });
          expect(await page.title()).toBe('Gatehouse Access API reference');
          await expect.poll(() => text(page.locator('.info a').first())).toBe('/openapi.json');

          // Authorize: paste the bearer token into the dialog.
          await page.locator('.auth-wrapper button.authorize').click();
          const dialog = page.locator('.dialog-ux .modal-ux');
          await dialog.locator('input').first().fill(robotToken);
          await dialog.locator('button.authorize').click();
          await expect.poll(() => dialog.locator('button.authorize').count()).toBe(0); // now shows "Logout"
          await dialog.locator('button.btn-done').click();

          // Open GET /{apiVersion}/access/{resourceType}/{resourceId}/users.
          const operation = page.locator('.opblock.opblock-get', {
            has: page.locator(`.opblock-summary-path[data-path="${OPERATION_PATH}"]`),
          });
          await operation.locator('.opblock-summary').first().click();
          // The page enables "Try it out" up front (tryItOutEnabled); click it if it is still off.
          const tryOut = operation.locator('button.try-out__btn');
          if ((await text(tryOut)) === 'Try it out') await tryOut.click();
          await expect.poll(() => text(tryOut)).toBe('Cancel');

          await fillParameter(operation, 'resourceType', 'project');
          await fillParameter(operation, 'resourceId', projectId);
          await operation.locator('button.execute').click();

          const response = operation.locator('.live-responses-table .response').first();
          await response.waitFor({ timeout: 10_000 });
          await expect.poll(() => text(response.locator('.response-col_status'))).toMatch(/^200/);
          const body = await text(response.locator('.response-col_description'));
          expect(body).toContain(ownerEmail);
          expect(body).toContain('"totalCount": 1');

          // The request the page sent carried the token and hit this server.
          const curl = await text(operation.locator('.curl-command'));
          expect(curl).toContain(`${server.url}/v2025-01-09/access/project/${projectId}/users`);
          expect(curl).toContain('Authorization: Bearer');

          if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });
          expect(problems).toEqual([]);
        } catch (error) {
          await page.screenshot({ path: '/tmp/gatehouse-docs-failure.png', fullPage: true }).catch(() => {});
          throw error;
        }
      });
    }, 60_000);
  } else {
    it('the request the page sends with a robot token lists the project users (HTTP only; the browser runs under sqlite)', async () => {
      if (!haveChromium) console.warn(`${CHROMIUM} is missing: the docs page was checked over HTTP only`);
      const doc = (await api('GET', '/docs/json')).body;
      const op = doc.paths[OPERATION_PATH].get;
      const version = op.parameters.find((p: { name: string }) => p.name === 'apiVersion').schema.default;
      const path = OPERATION_PATH.replace('{apiVersion}', version)
        .replace('{resourceType}', 'project')
        .replace('{resourceId}', projectId);
      const res = await api('GET', path, { token: robotToken, headers: { accept: 'application/json' } });
      expect(res.status).toBe(200);
      expect(res.text).toContain(ownerEmail);
    });
  }
});

async function withBrowser(work: (browser: Browser) => Promise<void>): Promise<void> {
  const browser = await chromium.launch({
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
    ],
  });
  try {
    await work(browser);
  } finally {
    await browser.close();
  }
}

async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim();
}

/** A parameter row of Swagger UI: a select for enums, a text input otherwise. */
async function fillParameter(operation: Locator, name: string, value: string): Promise<void> {
  const row = operation.locator(`tr[data-param-name="${name}"]`);
  const select = row.locator('select');
  if ((await select.count()) > 0) await select.selectOption(value);
  else await row.locator('input').fill(value);
}
