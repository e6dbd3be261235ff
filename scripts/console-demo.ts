/**
 * A demonstration Gatehouse for the console scripts (screenshots, measurements): a real server on a
 * throwaway SQLite database (a temporary data dir, a free port), filled through the public API the
 * way people would: an organization with a slug and a lifetime policy, projects, members invited
 * and accepted, API tokens (one used once), CORS origins, a custom permission and role, a pending
 * invitation and an access request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../src/config.js';
import { createLogger, startServer } from '../src/server.js';
import { createUserWithToken } from '../src/services/bootstrap.js';
import { outboxInviteToken } from '../test/support/outbox.js';

const CHROMIUM = process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium';
const V = '/v2025-01-09';
export const PASSWORD = 'harbour lights 1987 calm';
export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export async function startDemo() {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'));
  // The demonstration server's log is not shown: invitations are read from its outbox.
  const logs = new Writable({
    write(_chunk, _encoding, done) {
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

  /** Invites `email` with `roles` and, when `invitee` is given, accepts with the link from the e-mail (the outbox). */
  async function invite(resource: string, owner: string, email: string, roles: string[], invitee?: string) {
    await call('POST', `/access/${resource}/invites`, owner, { email, roleNames: roles });
    if (!invitee) return;
    const token = await outboxInviteToken(join(dataDir, 'outbox'), email, resource.split('/')[1] ?? '');
    await call('POST', `/access/${resource}/invites/token/${token}/accept`, invitee);
  }

  // --- A believable organization --------------------------------------------------------------------

  const ada = await person('ada@acme.example', 'Ada Lovelace');
  await call('PUT', '/users/me/password', ada.token, { newPassword: PASSWORD });
  const ben = await person('ben@acme.example', 'Ben Okafor');
  const cleo = await person('cleo@acme.example', 'Cleo Martins');
  const evan = await person('evan@contractor.example', 'Evan Wright');
  await call('PUT', '/users/me/password', cleo.token, { newPassword: PASSWORD });

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
  await call('POST', `/organizations/${org.id}/providers`, ada.token, {
    type: 'oidc',
    title: 'Acme single sign-on',
    config: { issuer: 'https://login.acme.example/realms/acme', clientId: 'gatehouse', clientSecret: 'demo-client-secret' },
  });
  await call('POST', `/access/${project}/requests`, evan.token, {
    note: 'Freelance copy editor for the spring campaign',
    requestedRole: 'editor',
  });

  return {
    base,
    ada,
    cleo,
    site,
    org,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Demo = Awaited<ReturnType<typeof startDemo>>;

/** Headless Chromium with the options every script and test here uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
}

export async function newPage(browser: Browser, demo: Demo, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1, baseURL: demo.base, ...options });
  return context.newPage();
}

/** Signs in through the real login page (e-mail and password) and waits for the projects page. */
export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/console/projects');
  await page.getByRole('button', { name: 'Log in with E-mail / password' }).click();
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
}
