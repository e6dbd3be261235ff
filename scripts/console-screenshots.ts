/**
 * Takes the screenshots in docs/console/ from a real server: starts Gatehouse on a throwaway SQLite
 * database (a temporary data dir, a free port), fills it through the public API the way people
 * would (an organization, projects, members invited and accepted, API tokens, CORS origins, a
 * custom role, an access request), signs in through the real login page in headless Chromium and
 * photographs the console's pages: 1280 px wide, a few at 390 px, and a few in the dark theme.
 * Secrets on screen (the "Token" field) are masked.
 *
 * Usage: npm run console:screenshots            (writes docs/console/*.png)
 *        GATEHOUSE_SCREENSHOTS=/tmp/shots npm run console:screenshots
 *        GATEHOUSE_CHROMIUM=/path/to/chromium   (default /usr/bin/chromium)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../src/config.js';
import { createLogger, startServer } from '../src/server.js';
import { createUserWithToken } from '../src/services/bootstrap.js';

const OUT = resolve(process.env.GATEHOUSE_SCREENSHOTS ?? join(import.meta.dirname, '..', 'docs', 'console'));
const CHROMIUM = process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium';
const V = '/v2025-01-09';
const PASSWORD = 'harbour lights 1987 calm';
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-screenshots-'));
let logText = '';
const logs = new Writable({
  write(chunk, _encoding, done) {
    logText += chunk.toString();
    done();
  },
});
const config = loadConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'info' }, {});
const server = await startServer(config, { logger: createLogger('info', logs) });
const base = server.url;

async function call<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${V}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function person(email: string, name: string) {
  const user = await createUserWithToken(server.store, config.keys, { email, name });
  return { ...user, email, name };
}

/** Invites `email` with `roles` and, when `invitee` is given, accepts with the link the server logged. */
async function invite(resource: string, owner: string, email: string, roles: string[], invitee?: string) {
  await call('POST', `/access/${resource}/invites`, owner, { email, roleNames: roles });
  if (!invitee) return;
  const line =
    logText
      .split('\n')
      .filter((l) => l.includes(email))
      .at(-1) ?? '';
  const token = /\/v1\/invites\/(gth_invite_[0-9A-Za-z]+)/.exec(line)?.[1];
  if (!token) throw new Error(`no invitation link for ${email}`);
  await call('POST', `/access/${resource}/invites/token/${token}/accept`, invitee);
}

// --- A believable organization --------------------------------------------------------------------

const ada = await person('ada@acme.example', 'Ada Lovelace');
await call('PUT', '/users/me/password', ada.token, { newPassword: PASSWORD });
const ben = await person('ben@acme.example', 'Ben Okafor');
const cleo = await person('cleo@acme.example', 'Cleo Martins');
const evan = await person('evan@contractor.example', 'Evan Wright');

const org = await call<{ id: string }>('POST', '/organizations', ada.token, { name: 'Acme Publishing', slug: 'acme' });
await call('PATCH', `/organizations/${org.id}/policies`, ada.token, { robotTokenMaxLifetimeDays: 365 });
const site = await call<{ id: string }>('POST', '/projects', ada.token, {
  displayName: 'Marketing site',
  organizationId: org.id,
});
await call('POST', '/projects', ada.token, { displayName: 'Mobile app', organizationId: org.id });
await call('POST', '/projects', ada.token, { displayName: 'Docs portal' });
const project = `project/${site.id}`;

await invite(project, ada.token, ben.email, ['editor', 'developer'], ben.token);
await invite(project, ada.token, cleo.email, ['viewer'], cleo.token);
await invite(`organization/${org.id}`, ada.token, ben.email, ['member'], ben.token);
await invite(project, ada.token, 'dana@acme.example', ['viewer', 'contributor']);

const ci = await call<{ token: string }>('POST', `/access/${project}/robots`, ada.token, {
  label: 'CI deploys',
  memberships: [{ resourceType: 'project', resourceId: site.id, roleNames: ['developer'] }],
  expiresAt: new Date(Date.now() + 180 * 86_400_000).toISOString(),
});
await call('POST', `/access/${project}/robots`, ada.token, {
  label: 'Analytics reader',
  memberships: [{ resourceType: 'project', resourceId: site.id, roleNames: ['viewer'] }],
  expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString(),
});
await call('GET', `/access/${project}/users`, ci.token);

await call('POST', `/projects/${site.id}/cors`, ada.token, { origin: 'https://www.acme.example', allowCredentials: false });
await call('POST', `/projects/${site.id}/cors`, ada.token, { origin: 'https://studio.acme.example', allowCredentials: true });

await call('POST', `/access/${project}/permissions`, ada.token, {
  name: 'published-posts',
  type: 'sanity.document.filter',
  title: 'Published posts',
  config: { filter: '_type == "post" && !(_id in path("drafts.**"))' },
});
await call('POST', `/access/${project}/roles`, ada.token, {
  name: 'release-manager',
  title: 'Release manager',
  description: 'Publishes posts and manages deploy tokens',
  appliesToUsers: true,
  appliesToRobots: true,
  permissions: [
    { name: 'published-posts', action: 'read' },
    { name: 'published-posts', action: 'update' },
    { name: 'sanity-project-tokens', action: 'read' },
    { name: 'sanity-project-tokens', action: 'create' },
  ],
});
await call('POST', `/access/${project}/requests`, evan.token, {
  note: 'Freelance copy editor for the spring campaign',
  requestedRole: 'editor',
});

// --- The pages ------------------------------------------------------------------------------------

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});

async function newPage(options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1, baseURL: base, ...options });
  return context.newPage();
}

async function signIn(page: Page, email = ada.email) {
  await page.goto('/console/projects');
  await page.getByRole('button', { name: 'Log in with E-mail / password' }).click();
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
}

async function shot(page: Page, name: string, options: { full?: boolean; mask?: string[] } = {}) {
  // The page has settled: no request in flight, every list drawn.
  await page.waitForLoadState('networkidle');
  await page
    .getByRole('status')
    .filter({ hasText: 'Loading' })
    .first()
    .waitFor({ state: 'detached' })
    .catch(() => {});
  await page.screenshot({
    path: join(OUT, `${name}.png`),
    fullPage: options.full ?? false,
    animations: 'disabled',
    caret: 'hide',
    mask: (options.mask ?? []).map((selector) => page.locator(selector)),
  });
  console.log(`  ${name}.png`);
}

async function visit(page: Page, path: string, heading: string) {
  await page.goto(`/console${path}`);
  await page.getByRole('heading', { name: heading }).first().waitFor();
}

console.log(`Screenshots of ${base}/console/ into ${OUT}`);
const signedOut = await newPage();
await signedOut.goto('/console/projects');
await signedOut.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
await shot(signedOut, 'sign-in');

const page = await newPage();
await signIn(page);
await shot(page, 'projects');
await visit(page, `/projects/${site.id}/members`, 'People');
await shot(page, 'members', { full: true });
await visit(page, `/projects/${site.id}/requests`, 'Access requests');
await shot(page, 'access-requests');
await visit(page, `/projects/${site.id}/api/tokens`, 'API tokens');
await shot(page, 'tokens');
await page.getByRole('button', { name: 'Add API token' }).click();
const dialog = page.getByRole('dialog');
await dialog.getByLabel('Name').fill('Preview builds');
await dialog.getByRole('combobox', { name: 'Role' }).click();
await page.getByRole('option', { name: 'Viewer' }).click();
await shot(page, 'tokens-add');
await dialog.getByRole('button', { name: 'Create token' }).click();
await dialog.getByLabel('Token').waitFor();
await shot(page, 'tokens-created', { mask: ['.gh-secret'] });
await dialog.getByRole('button', { name: 'Done' }).click();
await visit(page, `/projects/${site.id}/api/cors`, 'CORS origins');
await page.getByLabel('Origin to test').fill('https://evil.example');
await page.getByRole('button', { name: 'Test an origin' }).click();
await page.getByText('Not allowed', { exact: true }).waitFor();
await shot(page, 'cors', { full: true });
await visit(page, `/projects/${site.id}/roles`, 'Roles');
await shot(page, 'roles', { full: true });
await page.getByRole('button', { name: 'Edit Release manager' }).click();
await page.getByRole('dialog').getByRole('table', { name: 'Permissions' }).waitFor();
await shot(page, 'roles-edit');
await page.keyboard.press('Escape');
await visit(page, `/projects/${site.id}/activity`, 'Activity');
await shot(page, 'activity');
await visit(page, `/organizations/${org.id}/members`, 'Organization members');
await shot(page, 'organization-members', { full: true });
await visit(page, `/organizations/${org.id}/policies`, 'Policies');
await shot(page, 'organization-policies');
await visit(page, '/account', 'Account');
await shot(page, 'account', { full: true });

// As a viewer sees it: Cleo may look, not change; a refused action says why on focus.
await call('PUT', '/users/me/password', cleo.token, { newPassword: PASSWORD });
const viewer = await newPage();
await signIn(viewer, cleo.email);
await visit(viewer, `/projects/${site.id}/members`, 'People');
await viewer.getByRole('button', { name: 'Invite members' }).focus();
await viewer.getByRole('tooltip').first().waitFor();
await shot(viewer, 'members-viewer');

const dark = await newPage({ colorScheme: 'dark' });
await signIn(dark);
await shot(dark, 'projects-dark');
await visit(dark, `/projects/${site.id}/api/tokens`, 'API tokens');
await shot(dark, 'tokens-dark');

const phone = await newPage({ viewport: PHONE, deviceScaleFactor: 2 });
await signIn(phone);
await visit(phone, `/projects/${site.id}/api/tokens`, 'API tokens');
await shot(phone, 'tokens-390', { full: true });
await visit(phone, `/projects/${site.id}/members`, 'People');
await shot(phone, 'members-390');

await browser.close();
await server.close();
rmSync(dataDir, { recursive: true, force: true });
