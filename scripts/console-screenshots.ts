/**
 * Takes the screenshots in docs/console/ from a real server (scripts/console-demo.ts: Gatehouse on a
 * throwaway database, filled through the public API), signing in through the real login page in
 * headless Chromium: the console's pages 1280 px wide, a few at 390 px and in the dark theme.
 * Secrets on screen (the "Token" field) are masked.
 *
 * Usage: npm run console:screenshots                      (writes docs/console/*.png)
 *        GATEHOUSE_SCREENSHOTS=/tmp/shots npm run console:screenshots
 *        GATEHOUSE_CHROMIUM=/path/to/chromium             (default /usr/bin/chromium)
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, newPage, PHONE, signIn, startDemo } from './console-demo.js';

const OUT = resolve(process.env.GATEHOUSE_SCREENSHOTS ?? join(import.meta.dirname, '..', 'docs', 'console'));

const demo = await startDemo();
const browser = await launchChromium();
const { ada, cleo, site, org } = demo;

async function shot(page: Page, name: string, options: { full?: boolean; mask?: string[] } = {}) {
  // The page has settled: no request in flight, every list drawn.
  await page.waitForLoadState('networkidle');
  await page.getByRole('status').filter({ hasText: 'Loading' }).first().waitFor({ state: 'detached' });
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

try {
  mkdirSync(OUT, { recursive: true });
  console.log(`Screenshots of ${demo.base}/console/ into ${OUT}`);
  const signedOut = await newPage(browser, demo);
  await signedOut.goto('/console/projects');
  await signedOut.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
  await shot(signedOut, 'sign-in');

  const page = await newPage(browser, demo);
  await signIn(page, ada.email);
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
  await page.getByRole('option', { name: 'Viewer', exact: true }).click();
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
  await visit(page, `/organizations/${org.id}/sso`, 'SSO providers');
  await shot(page, 'organization-sso');
  await visit(page, '/account', 'Account');
  await shot(page, 'account', { full: true });

  // As a viewer sees it: Cleo may look, not change; a refused action says why on focus.
  const viewer = await newPage(browser, demo);
  await signIn(viewer, cleo.email);
  await visit(viewer, `/projects/${site.id}/members`, 'People');
  await viewer.getByRole('button', { name: 'Invite members' }).focus();
  await viewer.getByRole('tooltip').first().waitFor();
  await shot(viewer, 'members-viewer');

  const dark = await newPage(browser, demo, { colorScheme: 'dark' });
  await signIn(dark, ada.email);
  await shot(dark, 'projects-dark');
  await visit(dark, `/projects/${site.id}/api/tokens`, 'API tokens');
  await shot(dark, 'tokens-dark');

  const phone = await newPage(browser, demo, { viewport: PHONE, deviceScaleFactor: 2 });
  await signIn(phone, ada.email);
  await visit(phone, `/projects/${site.id}/api/tokens`, 'API tokens');
  await shot(phone, 'tokens-390', { full: true });
  await visit(phone, `/projects/${site.id}/members`, 'People');
  await shot(phone, 'members-390');
} finally {
  await browser.close();
  await demo.close();
}
