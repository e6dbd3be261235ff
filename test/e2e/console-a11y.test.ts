/**
 * Accessibility and layout of the whole web console in headless Chromium: an axe-core scan of every
 * page and every dialog, in the light and the dark theme, must find nothing serious or critical;
 * every page fits a 1280 px and a 390 px wide window without scrolling sideways; and the first page
 * sends less than 250 KB of JavaScript (gzip). The CSP watch of test/support/console.ts runs
 * throughout.
 *
 * This file runs in the sqlite project only (vitest.config.ts): what a page is made of does not
 * depend on the database, and every flow runs on both databases in the other console files.
 */
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleSuite,
  createPerson,
  DESKTOP,
  hookConsoleSuite,
  openConsole,
  openDialog,
  type Person,
  PHONE,
  rowOf,
  seriousAxeFindings,
} from '../support/console.js';
import { addMember, createOrganization, V } from '../support/fixtures.js';
import { selfSignedCertificate } from '../support/saml-idp.js';

let suite: ConsoleSuite;
hookConsoleSuite((started) => {
  suite = started;
});
let owner: Person;
let viewer: Person;
let projectId: string;
let organizationId: string;

beforeAll(async () => {
  owner = await createPerson(suite, 'Alma Access');
  viewer = await createPerson(suite, 'Vida Viewer');
  const asker = await createPerson(suite, 'Asa Asker');
  organizationId = await createOrganization(suite.api, owner.token, 'Scan org');
  await suite.api('PATCH', `${V}/organizations/${organizationId}`, { token: owner.token, body: { slug: 'scan-org' } });
  const project = await suite.api('POST', `${V}/projects`, {
    token: owner.token,
    body: { displayName: 'Scanned', organizationId },
  });
  projectId = project.body.id;
  const resource = `project/${projectId}`;
  await addMember(suite.server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);
  const writes: Array<[string, string, unknown, string?]> = [
    ['POST', `/access/${resource}/invites`, { email: 'pending@example.com', roleNames: ['editor'] }],
    [
      'POST',
      `/access/${resource}/robots`,
      { label: 'CI deploys', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['developer'] }] },
    ],
    ['POST', `/projects/${projectId}/cors`, { origin: 'https://app.scan.example', allowCredentials: true }],
    [
      'POST',
      `/access/${resource}/roles`,
      {
        name: 'auditor-lite',
        title: 'Auditor lite',
        appliesToUsers: true,
        appliesToRobots: false,
        permissions: [{ name: 'sanity-project-members', action: 'read' }],
      },
    ],
    [
      'POST',
      `/access/${resource}/permissions`,
      { name: 'posts', type: 'sanity.document.filter', title: 'Posts', config: { filter: '_type == "post"' } },
    ],
    [
      'POST',
      `/organizations/${organizationId}/providers`,
      {
        type: 'saml',
        title: 'Scan SAML',
        config: {
          entryPoint: 'https://idp.scan.example/sso',
          idpIssuer: 'https://idp.scan.example',
          idpCert: selfSignedCertificate('idp.scan.example').certificatePem,
        },
      },
    ],
    ['POST', `/access/${resource}/requests`, { note: 'Please', requestedRole: 'editor' }, asker.token],
  ];
  for (const [method, path, body, token] of writes) {
    const res = await suite.api(method, `${V}${path}`, { token: token ?? owner.token, body });
    expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(300);
  }
});

/** Every page, with the heading that says it has loaded. */
const PAGES = (): Array<[string, string]> => [
  ['/projects', 'Your projects'],
  [`/projects/${projectId}/members`, 'Pending invitations'],
  [`/projects/${projectId}/requests`, 'Access requests'],
  [`/projects/${projectId}/api/tokens`, 'API tokens'],
  [`/projects/${projectId}/api/cors`, 'Test an origin'],
  [`/projects/${projectId}/roles`, 'Custom permissions'],
  [`/projects/${projectId}/activity`, 'Activity'],
  [`/organizations/${organizationId}/members`, 'Roles in projects'],
  [`/organizations/${organizationId}/projects`, 'Projects'],
  [`/organizations/${organizationId}/robots`, 'Robots'],
  [`/organizations/${organizationId}/roles`, 'Roles'],
  [`/organizations/${organizationId}/policies`, 'Policies'],
  [`/organizations/${organizationId}/sso`, 'SSO providers'],
  ['/account', 'Personal tokens'],
  ['/no/such/page', 'Page not found'],
];

/** Serious or critical axe findings on the page (or in `within`). */
const findings = seriousAxeFindings;

/** Waits until nothing is loading any more. */
async function settled(page: Page) {
  await page.waitForLoadState('networkidle');
  await expect.poll(() => page.getByRole('status').filter({ hasText: 'Loading' }).count()).toBe(0);
}

/** The dialogs to scan: how to open each one from its page. */
const DIALOGS = (): Array<{ name: string; path: string; open: (page: Page) => Promise<void> }> => [
  { name: 'Create project', path: '/projects', open: (p) => p.getByRole('button', { name: 'Create project' }).click() },
  {
    name: 'Invite members',
    path: `/projects/${projectId}/members`,
    open: (p) => p.getByRole('button', { name: 'Invite members' }).click(),
  },
  {
    name: 'Change roles',
    path: `/projects/${projectId}/members`,
    open: (p) => rowOf(p, 'People', viewer.email).getByRole('button', { name: 'Change roles' }).click(),
  },
  {
    name: 'Remove member',
    path: `/projects/${projectId}/members`,
    open: (p) => rowOf(p, 'People', viewer.email).getByRole('button', { name: 'Remove' }).click(),
  },
  {
    name: 'Approve access request',
    path: `/projects/${projectId}/requests`,
    open: (p) => p.getByRole('button', { name: 'Approve' }).first().click(),
  },
  {
    name: 'Add API token',
    path: `/projects/${projectId}/api/tokens`,
    open: (p) => p.getByRole('button', { name: 'Add API token' }).click(),
  },
  {
    name: 'API token created',
    path: `/projects/${projectId}/api/tokens`,
    open: async (p) => {
      await p.getByRole('button', { name: 'Add API token' }).click();
      const dialog = openDialog(p);
      await dialog.getByLabel('Name').fill(`scan ${Date.now()}`);
      await dialog.getByRole('combobox', { name: 'Role' }).click();
      await p.getByRole('option', { name: 'Viewer', exact: true }).click();
      await dialog.getByRole('button', { name: 'Create token' }).click();
      await dialog.getByLabel('Token').waitFor();
    },
  },
  {
    name: 'Rotate token',
    path: `/projects/${projectId}/api/tokens`,
    open: (p) => rowOf(p, 'API tokens', 'CI deploys').getByRole('button', { name: 'Rotate' }).click(),
  },
  {
    name: 'Delete API token',
    path: `/projects/${projectId}/api/tokens`,
    open: (p) => rowOf(p, 'API tokens', 'CI deploys').getByRole('button', { name: 'Delete' }).click(),
  },
  {
    name: 'Add CORS origin',
    path: `/projects/${projectId}/api/cors`,
    open: (p) => p.getByRole('button', { name: 'Add CORS origin' }).click(),
  },
  {
    name: 'Create role',
    path: `/projects/${projectId}/roles`,
    open: (p) => p.getByRole('button', { name: 'Create role' }).click(),
  },
  {
    name: 'View role',
    path: `/projects/${projectId}/roles`,
    open: (p) => rowOf(p, 'Roles', 'Administrator').getByRole('button', { name: 'View' }).click(),
  },
  {
    name: 'Create permission',
    path: `/projects/${projectId}/roles`,
    open: (p) => p.getByRole('button', { name: 'Create permission' }).click(),
  },
  {
    name: 'Add SSO provider',
    path: `/organizations/${organizationId}/sso`,
    open: (p) => p.getByRole('button', { name: 'Add SSO provider' }).click(),
  },
  {
    name: 'Sign out everywhere',
    path: '/account',
    open: (p) => p.getByRole('button', { name: 'Sign out everywhere' }).click(),
  },
];

for (const theme of ['light', 'dark'] as const) {
  describe(`the ${theme} theme`, { timeout: 300_000 }, () => {
    it('every page: no serious or critical axe finding', async () => {
      const opened = await openConsole(suite, owner, '/projects', { colorScheme: theme });
      const { page, context } = opened;
      const found: string[] = [];
      for (const [path, heading] of PAGES()) {
        await page.goto(`/console${path}`);
        await page.getByRole('heading', { name: heading }).first().waitFor();
        await settled(page);
        expect(await page.evaluate(() => document.documentElement.style.colorScheme)).toBe(theme);
        for (const finding of await findings(page)) found.push(`${path}: ${finding}`);
      }
      // The sign-in page, signed out, and the viewer's refused actions with a tooltip open.
      await context.clearCookies();
      await page.goto('/console/projects');
      await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
      for (const finding of await findings(page)) found.push(`sign-in: ${finding}`);
      expect(found).toEqual([]);
      await context.close();
    });

    it('every dialog: no serious or critical axe finding', async () => {
      const opened = await openConsole(suite, owner, '/projects', { colorScheme: theme });
      const { page, context } = opened;
      const found: string[] = [];
      let shown = '';
      for (const dialog of DIALOGS()) {
        if (dialog.path !== shown) {
          await page.goto(`/console${dialog.path}`);
          shown = dialog.path;
        }
        await settled(page);
        await dialog.open(page);
        await openDialog(page).waitFor();
        await settled(page);
        // The page behind is scanned on its own above; here, the dialog.
        for (const finding of await findings(page, '[role="dialog"], [role="alertdialog"]')) {
          found.push(`${dialog.name}: ${finding}`);
        }
        await page.keyboard.press('Escape');
        await openDialog(page).waitFor({ state: 'detached' });
      }
      expect(found).toEqual([]);
      await context.close();
    });

    it('a viewer’s refused actions and refused lists: no serious or critical axe finding', async () => {
      const opened = await openConsole(suite, viewer, `/projects/${projectId}/members`, { colorScheme: theme });
      const { page, context } = opened;
      await settled(page);
      await page.getByRole('button', { name: 'Invite members' }).focus();
      await page.getByRole('tooltip').first().waitFor();
      const found = (await findings(page)).map((f) => `members: ${f}`);
      await page.goto(`/console/projects/${projectId}/api/tokens`);
      await page.getByRole('alert').first().waitFor();
      await settled(page);
      found.push(...(await findings(page)).map((f) => `tokens: ${f}`));
      expect(found).toEqual([]);
      await context.close();
    });
  });
}

/**
 * The element is on screen and inside `width`. Polled: a list that refetches can re-render the
 * element between finding it and measuring it, which leaves a detached node with no box.
 */
async function expectWithin(locator: Locator, width: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const box = await locator.boundingBox().catch(() => null);
        return box !== null && box.x >= 0 && box.x + box.width <= width;
      },
      { timeout: 10_000 },
    )
    .toBe(true);
}

describe('layout', { timeout: 180_000 }, () => {
  for (const viewport of [DESKTOP, PHONE]) {
    it(`every page fits ${viewport.width} px without scrolling sideways, its main action in view${viewport === PHONE ? ', and passes axe' : ''}`, async () => {
      const opened = await openConsole(suite, owner, '/projects', { viewport });
      const { page, context } = opened;
      const overflowing: string[] = [];
      for (const [path, heading] of PAGES()) {
        await page.goto(`/console${path}`);
        await page.getByRole('heading', { name: heading }).first().waitFor();
        await settled(page);
        const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth }));
        if (widths.page > widths.window) overflowing.push(`${path}: ${widths.page} px wide in ${widths.window}`);
        // On a phone, tables scroll sideways: their regions must be reachable from the keyboard.
        if (viewport === PHONE) for (const finding of await findings(page)) overflowing.push(`${path}: ${finding}`);
      }
      expect(overflowing).toEqual([]);
      // The main actions are on screen and usable at this width.
      await page.goto(`/console/projects/${projectId}/api/tokens`);
      const add = page.getByRole('button', { name: 'Add API token' });
      await add.waitFor();
      await settled(page);
      await expectWithin(add, viewport.width);
      await add.click();
      await expectWithin(openDialog(page), viewport.width);
      await context.close();
    });
  }
});

describe('the first page', () => {
  it('sends less than 250 KB of JavaScript, gzip', async () => {
    const opened = await openConsole(suite, owner, '/projects');
    const { context } = opened;
    const page = await context.newPage();
    const scripts: string[] = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'script') scripts.push(request.url());
    });
    await page.goto('/console/projects');
    await page.getByRole('heading', { name: 'Your projects' }).waitFor();
    await settled(page);
    let total = 0;
    for (const url of new Set(scripts)) {
      // Scripts under 1 KiB are not worth compressing and are sent as they are.
      const res = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
      const bytes = (await res.arrayBuffer()).byteLength;
      const sent = Number(res.headers.get('content-length'));
      if (res.headers.get('content-encoding') !== 'gzip') expect(bytes, url).toBeLessThan(1024);
      total += sent;
    }
    expect(scripts.length).toBeGreaterThan(1);
    expect(total).toBeLessThan(250 * 1024);
    await context.close();
  });
});
