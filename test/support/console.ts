/**
 * Browser tests of the web console: one Chromium per test file, a fresh context per test, and for
 * the whole run a watch on Content-Security-Policy violations (the page's own
 * `securitypolicyviolation` events and the browser's console reports) and on page errors. A test
 * that saw one fails in `afterEach` with what was reported.
 *
 * People sign in through the real login page in test/e2e/console-signin.test.ts. Every other test
 * starts from a signed-in context made the way the console itself makes one: a login's single-use
 * sid exchanged at `/auth/fetch` by a same-origin request, whose cookies the context then carries.
 * That skips only the password form (and its deliberately slow hash), not the session.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { launchBrowser } from './browser.js';
import { issuePersonalToken, V } from './fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer, type TestServerOptions } from './server.js';

export const CONSOLE = '/console';
export const DESKTOP = { width: 1280, height: 900 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** What went wrong in the pages of one test: CSP violations, page errors, failed requests. */
export interface Watch {
  csp: string[];
  errors: string[];
}

export interface ConsoleSuite {
  server: TestServer;
  api: Api;
  browser: Browser;
  /** The CSP violations of the whole file, whichever test caused them. */
  cspViolations: string[];
  /** The watches of the contexts the current test opened, checked after it. */
  watches: Watch[];
  close(): Promise<void>;
}

export interface Person {
  userId: string;
  token: string;
  email: string;
  name: string;
}

export async function startConsoleSuite(options: TestServerOptions = {}): Promise<ConsoleSuite> {
  const [server, browser] = await Promise.all([startTestServer(options), launchBrowser()]);
  return {
    server,
    api: apiClient(server.url),
    browser,
    cspViolations: [],
    watches: [],
    close: async () => {
      await Promise.all([browser.close(), server.close()]);
    },
  };
}

let people = 0;

/**
 * The hooks of a console test file: a server and a Chromium for the file (`assign` receives them),
 * every test's pages checked for CSP violations and errors after it, and the whole file's CSP
 * violations checked at the end.
 */
export function hookConsoleSuite(
  assign: (suite: ConsoleSuite) => void,
  options: TestServerOptions | (() => TestServerOptions) = {},
): void {
  // A flow is a dozen page steps; on a busy machine each can take seconds.
  vi.setConfig({ testTimeout: 120_000 });
  let suite: ConsoleSuite | undefined;
  beforeAll(async () => {
    suite = await startConsoleSuite(typeof options === 'function' ? options() : options);
    assign(suite);
  });
  afterEach(() => {
    const watches = suite?.watches.splice(0) ?? [];
    for (const watch of watches) expectClean(watch);
  });
  afterAll(async () => {
    expect(suite?.cspViolations ?? [], 'CSP violations in this file').toEqual([]);
    await suite?.close();
  });
}

/** A new person (the operator bootstrap path), with a personal token for API checks. */
export async function createPerson(suite: ConsoleSuite, name = `Person ${++people}`): Promise<Person> {
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}.${Date.now().toString(36)}${people}@example.com`;
  const user = await suite.server.createUser(email, name);
  return { ...user, email, name };
}

/** Another personal token of `person` (another device, say), labelled `label`. */
export async function issueTokenFor(suite: ConsoleSuite, person: Pick<Person, 'userId'>, label: string): Promise<string> {
  return (await issuePersonalToken(suite.server, person.userId, label)).token;
}

/** Sets a person's first password through the API (a fresh token counts as a recent login). */
export async function setPassword(suite: ConsoleSuite, person: Person, password: string): Promise<void> {
  const res = await suite.api('PUT', `${V}/users/me/password`, { token: person.token, body: { newPassword: password } });
  expect(res.status, res.text).toBe(204);
}

/**
 * A browser context that reports CSP violations and page errors into `watch`. The listener is
 * installed before any page script runs (an init script is not subject to the page's CSP).
 */
export async function newContext(
  suite: ConsoleSuite,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; watch: Watch }> {
  const context = await suite.browser.newContext({ viewport: DESKTOP, baseURL: suite.server.url, ...options });
  // A step that does not happen fails with the locator it waited for, well within the test's time.
  context.setDefaultTimeout(10_000);
  const watch: Watch = { csp: [], errors: [] };
  const report = (text: string) => {
    watch.csp.push(text);
    suite.cspViolations.push(text);
  };
  await context.exposeBinding('__gatehouseCspViolation', (_source, text: string) => report(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __gatehouseCspViolation: (text: string) => void }).__gatehouseCspViolation;
      report(`${event.violatedDirective} blocked ${event.blockedURI || '(inline)'} in ${event.documentURI}: ${event.sample}`);
    });
  });
  context.on('page', (page) => watchPage(page, watch, report));
  suite.watches.push(watch);
  return { context, watch };
}

function watchPage(page: Page, watch: Watch, report: (text: string) => void): void {
  page.on('pageerror', (error) => watch.errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy/i.test(text)) report(`console: ${text}`);
    else if (message.type() === 'error' && !/status of 4\d\d/.test(text)) watch.errors.push(`console error: ${text}`);
  });
}

/** Fails the test when its pages reported a CSP violation or an error. */
export function expectClean(watch: Watch): void {
  expect(watch.csp, 'Content-Security-Policy violations').toEqual([]);
  expect(watch.errors, 'page errors').toEqual([]);
}

/**
 * Signs `person` in for `context`: a login's single-use sid (as a provider ends it), exchanged at
 * `/auth/fetch` by a same-origin request, whose session cookies the context then carries.
 */
export async function signInAs(suite: ConsoleSuite, context: BrowserContext, person: Pick<Person, 'userId'>): Promise<void> {
  const services = suite.server.running.services;
  const origin = `${suite.server.url}/console/auth/callback`;
  const flowId = await services.login.startFlow({ provider: 'sanity', origin, type: 'token', label: 'console test' });
  const flow = await services.login.takeFlow(flowId, 'sanity');
  const target = await services.login.finish({
    flow,
    userId: person.userId,
    source: 'password',
    organizationId: null,
    lifetimeDays: 1,
  });
  const sid = new URL(target).searchParams.get('sid') as string;
  const res = await suite.api('GET', `/v1/auth/fetch?sid=${sid}`, { headers: { 'sec-fetch-site': 'same-origin' } });
  expect(res.status, res.text).toBe(200);
  const cookies = res.headers.getSetCookie().map((line) => {
    const [pair] = line.split(';');
    const [name, value] = (pair as string).split('=') as [string, string];
    return { name, value, url: suite.server.url, sameSite: 'Lax' as const, httpOnly: name === 'gatehouse_session' };
  });
  await context.addCookies(cookies);
}

/** A signed-in page at a console path (`/projects`), waited for until its main heading shows. */
export async function openConsole(
  suite: ConsoleSuite,
  person: Pick<Person, 'userId'>,
  path: string,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page; watch: Watch }> {
  const { context, watch } = await newContext(suite, options);
  await signInAs(suite, context, person);
  const page = await context.newPage();
  await page.goto(`${CONSOLE}${path}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  return { context, page, watch };
}

/** The dialog that is open (a dialog or an alert dialog). */
export function openDialog(page: Page): Locator {
  return page.locator('[role="dialog"], [role="alertdialog"]').last();
}

/**
 * Presses `button` in the open dialog and waits for the dialog to close: only then has the change
 * it confirms been made (while a dialog is open, the page behind it is hidden from its roles).
 */
export async function confirm(page: Page, button: string): Promise<void> {
  const dialog = openDialog(page);
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** Picks `option` in the select menu labelled `label` (the UI kit's combobox), inside `scope`. */
export async function choose(scope: Page | Locator, page: Page, label: string, option: string): Promise<void> {
  await scope.getByRole('combobox', { name: label }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** The row of a table whose header cell (or any cell) says `text`. */
export function rowOf(page: Page | Locator, table: string, text: string): Locator {
  return page.getByRole('table', { name: table }).getByRole('row').filter({ hasText: text });
}

/** What this file reads of an axe finding. */
interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * Waits for every animation on the page that ends (a dialog fading in, a menu sliding open) to end.
 * Mid-fade, text is partly transparent, and axe would measure its contrast against a colour nobody
 * reads it on. Endless animations (a spinner) are left alone.
 */
export async function animationsDone(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation.effect?.getComputedTiming().endTime !== Number.POSITIVE_INFINITY)
        .map((animation) => animation.finished.catch(() => undefined)),
    ).then(() => undefined),
  );
}

/**
 * Axe findings of impact serious or critical on the page, or inside `within` (an open dialog), once
 * its animations have ended.
 */
export async function seriousAxeFindings(page: Page, within?: string): Promise<string[]> {
  await animationsDone(page);
  // Only violations are computed: the passes and the incomplete checks are most of axe's work.
  let builder = new AxeBuilder({ page }).options({ resultTypes: ['violations'] });
  if (within) builder = builder.include(within);
  const violations: AxeViolation[] = (await builder.analyze()).violations;
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 5)
          .join(' | ')})`,
    );
}
