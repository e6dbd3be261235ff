/**
 * "Why can't I?" in the web console: for a viewer, every action they may not take is disabled and
 * says why — the server's own decision from GET /access/explain — on hover, on focus and to screen
 * readers; a list the server refuses shows its 403 with the reason's hint; a session that ends on
 * the server (401) leads to sign-in with the server's reason and back. Keyboard-only use of a
 * dialog: it opens from the keyboard, traps focus, closes on Esc and gives focus back.
 */
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleSuite,
  createPerson,
  hookConsoleSuite,
  openConsole,
  openDialog,
  type Person,
  rowOf,
  setPassword,
} from '../support/console.js';
import { addMember, createProject, V } from '../support/fixtures.js';

const PASSWORD = 'saffron harbor 61 gulls';

let suite: ConsoleSuite;
hookConsoleSuite((started) => {
  suite = started;
});
let owner: Person;
let viewer: Person;
let projectId: string;

beforeAll(async () => {
  owner = await createPerson(suite, 'Pia Owner');
  await setPassword(suite, owner, PASSWORD);
  viewer = await createPerson(suite, 'Vic Viewer');
  projectId = await createProject(suite.api, owner.token, 'Read-only for some');
  await addMember(suite.server, { type: 'project', id: projectId }, viewer.userId, ['viewer']);
  await suite.api('POST', `${V}/access/project/${projectId}/robots`, {
    token: owner.token,
    body: { label: 'Some robot', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
  });
});

/** What the server says about `method path` for `person`: `message. fix`, as the console shows it. */
async function serverReason(person: Person, method: string, path: string): Promise<string> {
  const res = await suite.api('GET', `${V}/access/explain?method=${method}&path=${encodeURIComponent(`${V}${path}`)}`, {
    token: person.token,
  });
  expect(res.status, res.text).toBe(200);
  expect(res.body.allowed).toBe(false);
  return `${res.body.message}. ${res.body.fix}`;
}

/** The accessible description of an element (what a screen reader says after its name). */
async function descriptionOf(page: Page, button: Locator): Promise<string> {
  const ids = ((await button.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ').trim();
}

/** A refused action: focusable, aria-disabled, described by `reason`, which its tooltip shows on focus. */
async function expectRefused(page: Page, button: Locator, reason: string) {
  await button.waitFor();
  expect(await button.getAttribute('aria-disabled')).toBe('true');
  await expect.poll(() => descriptionOf(page, button)).toBe(reason);
  await button.focus();
  await page.getByRole('tooltip').filter({ hasText: reason }).first().waitFor();
  // Clicking it does nothing (forced: it is not enabled, which is the point).
  await button.click({ force: true });
  expect(await page.locator('[role="dialog"], [role="alertdialog"]').count()).toBe(0);
  await page.keyboard.press('Escape');
}

describe('a viewer', () => {
  it('sees members, and every action on them disabled with the server’s reason on focus and hover', async () => {
    const opened = await openConsole(suite, viewer, `/projects/${projectId}/members`);
    const { page, context } = opened;
    await expectRefused(
      page,
      page.getByRole('button', { name: 'Invite members' }),
      await serverReason(viewer, 'POST', `/access/project/${projectId}/invites`),
    );
    const ownerRow = rowOf(page, 'People', owner.email);
    await expectRefused(
      page,
      ownerRow.getByRole('button', { name: 'Change roles' }),
      await serverReason(viewer, 'PUT', `/access/project/${projectId}/users/${owner.userId}/roles`),
    );
    const remove = ownerRow.getByRole('button', { name: 'Remove' });
    const removeReason = await serverReason(viewer, 'DELETE', `/access/project/${projectId}/users/${owner.userId}`);
    // Hover shows the same reason.
    await remove.hover();
    await page.getByRole('tooltip').filter({ hasText: removeReason }).first().waitFor();
    await context.close();
  });

  it('is shown the server’s 403 and its hint for what it may not read, and may not add tokens, origins or roles', async () => {
    const opened = await openConsole(suite, viewer, `/projects/${projectId}/api/tokens`);
    const { page, context } = opened;
    const refused = await suite.api('GET', `${V}/access/project/${projectId}/robots?limit=20`, { token: viewer.token });
    expect(refused.status).toBe(403);
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load API tokens' });
    await alert.getByText(refused.body.reason.hint).waitFor();
    await alert.getByText(refused.body.reason.code).waitFor();
    await expectRefused(
      page,
      page.getByRole('button', { name: 'Add API token' }),
      await serverReason(viewer, 'POST', `/access/project/${projectId}/robots`),
    );

    await page.getByRole('link', { name: 'CORS origins' }).click();
    const cors = await suite.api('GET', `${V}/projects/${projectId}/cors`, { token: viewer.token });
    await page.getByRole('alert').getByText(cors.body.reason.hint).waitFor();
    await expectRefused(
      page,
      page.getByRole('button', { name: 'Add CORS origin' }),
      await serverReason(viewer, 'POST', `/projects/${projectId}/cors`),
    );

    await page.getByRole('link', { name: 'Roles' }).click();
    await rowOf(page, 'Roles', 'Administrator').waitFor();
    await expectRefused(
      page,
      page.getByRole('button', { name: 'Create role' }),
      await serverReason(viewer, 'POST', `/access/project/${projectId}/roles`),
    );
    await context.close();
  });
});

describe('a session that ends on the server', () => {
  it('leads to sign-in with the server’s reason, then back to the page', async () => {
    const opened = await openConsole(suite, owner, `/projects/${projectId}/members`);
    const { page, context } = opened;
    await rowOf(page, 'People', owner.email).waitFor();
    const session = (await context.cookies()).find((c) => c.name === 'gatehouse_session')?.value as string;
    const tokens = await suite.api('GET', `${V}/auth/tokens`, { token: session });
    const current = tokens.body.data.find((t: { current: boolean }) => t.current);
    expect((await suite.api('DELETE', `${V}/auth/tokens/${current.id}`, { token: owner.token })).status).toBe(204);
    const after = await suite.api('GET', `${V}/users/me`, { token: session });
    expect(after.status).toBe(401);

    await page.getByRole('link', { name: 'Access requests' }).click();
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    const alert = page.getByRole('alert');
    await alert.getByText(after.body.message).waitFor();
    await alert.getByText(after.body.reason.hint).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/projects/${projectId}/requests`);

    // Signing in again comes back to the page the person was going to.
    await page.getByRole('button', { name: 'Log in with E-mail / password' }).click();
    await page.getByLabel('E-mail').fill(owner.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Access requests' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/projects/${projectId}/requests`);
    await context.close();
  });
});

describe('keyboard only', () => {
  it('a dialog opens from the keyboard, keeps focus inside, closes on Esc and gives focus back', async () => {
    const opened = await openConsole(suite, owner, `/projects/${projectId}/api/tokens`);
    const { page, context } = opened;
    const add = page.getByRole('button', { name: 'Add API token' });
    await rowOf(page, 'API tokens', 'Some robot').waitFor();
    // Reach the button by tabbing from the top of the page, as a keyboard user would.
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await add.evaluate((el) => el === document.activeElement);
    }
    expect(reached, 'Add API token is reachable with Tab').toBe(true);
    await page.keyboard.press('Enter');
    const dialog = openDialog(page);
    await dialog.getByRole('heading', { name: 'Add API token' }).waitFor();
    const inDialog = () => dialog.evaluate((el) => el.contains(document.activeElement));
    await expect.poll(inDialog).toBe(true);
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      expect(await inDialog(), `focus stays in the dialog after ${i + 1} Tab`).toBe(true);
    }
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Shift+Tab');
      expect(await inDialog(), `focus stays in the dialog after ${i + 1} Shift+Tab`).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => add.evaluate((el) => el === document.activeElement)).toBe(true);
    await context.close();
  });
});
