/**
 * Project → API in the web console, end to end in headless Chromium and checked over plain HTTP:
 * an API token added in the console, copied from its dialog, works with curl-equivalent requests;
 * its secret is never shown again; rotation shows a new one and keeps the old one through the grace
 * period; deleting it (after typing its name) makes it answer 401. A CORS origin added in the
 * console is enforced by the server; a bad origin and a wildcard with credentials are refused with
 * the server's message; "Test an origin" shows the server's explanation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleSuite,
  choose,
  createPerson,
  hookConsoleSuite,
  openConsole,
  openDialog,
  type Person,
  rowOf,
} from '../support/console.js';
import { createProject, V } from '../support/fixtures.js';

let suite: ConsoleSuite;
hookConsoleSuite((started) => {
  suite = started;
});
let owner: Person;

beforeAll(async () => {
  owner = await createPerson(suite, 'Tess Tokens');
});

/** The project's users, as a script with `token` would list them. */
const listUsers = (projectId: string, token: string) => suite.api('GET', `${V}/access/project/${projectId}/users`, { token });

describe('API tokens', () => {
  it('"Add API token": the secret is shown once, copied, and works with plain HTTP; then it is never shown again', async () => {
    const projectId = await createProject(suite.api, owner.token, 'Token project');
    const opened = await openConsole(suite, owner, `/projects/${projectId}/api/tokens`);
    const { page, context } = opened;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.server.url });
    await page.getByText('No API tokens yet').waitFor();

    await page.getByRole('button', { name: 'Add API token' }).click();
    const dialog = openDialog(page);
    await dialog.getByRole('heading', { name: 'Add API token' }).waitFor();
    await expect.poll(() => dialog.getByText('No lifetime limit applies here').count()).toBe(1);
    await dialog.getByLabel('Name').fill('CI deploys');
    await choose(dialog, page, 'Role', 'Viewer');
    await dialog.getByRole('button', { name: 'Create token' }).click();

    const field = dialog.getByLabel('Token');
    await field.waitFor();
    expect(await field.getAttribute('readonly')).not.toBeNull();
    const secret = await field.inputValue();
    expect(secret).toMatch(/^gth_robot_[0-9A-Za-z]+$/);
    await dialog.getByText('this token will not be shown again').waitFor();
    await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
    await dialog.getByText('Copied').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(secret);

    // The copied token is a working robot token: it lists the project's users.
    const users = await listUsers(projectId, copied);
    expect(users.status, users.text).toBe(200);
    expect(users.body.data.map((u: { profile: { email: string } }) => u.profile.email)).toEqual([owner.email]);

    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = rowOf(page, 'API tokens', 'CI deploys');
    await row.getByText('Viewer').waitFor();
    await row.getByText(`…${secret.slice(-4)}`).waitFor();
    // Listed by the API as well, without its secret; the page no longer holds it, even after a reload.
    const robots = await suite.api('GET', `${V}/access/project/${projectId}/robots`, { token: owner.token });
    expect(robots.body.data).toMatchObject([{ label: 'CI deploys', tokenHint: secret.slice(-4) }]);
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await rowOf(page, 'API tokens', 'CI deploys').waitFor();
    expect(await page.content()).not.toContain(secret);
    await context.close();
  });

  it('"Rotate" shows a new secret once; the old one works through the grace period', async () => {
    const projectId = await createProject(suite.api, owner.token, 'Rotation project');
    const created = await suite.api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: { label: 'Nightly export', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
    });
    const oldToken: string = created.body.token;
    const opened = await openConsole(suite, owner, `/projects/${projectId}/api/tokens`);
    const { page, context } = opened;
    await rowOf(page, 'API tokens', 'Nightly export').getByRole('button', { name: 'Rotate' }).click();
    const dialog = openDialog(page);
    await choose(dialog, page, 'Grace period', '1 hour');
    await dialog.getByRole('button', { name: 'Rotate token' }).click();
    const field = dialog.getByLabel('Token');
    await field.waitFor();
    const newToken = await field.inputValue();
    expect(newToken).not.toBe(oldToken);
    await dialog.getByText('keeps working for 1 hour').waitFor();
    expect((await listUsers(projectId, newToken)).status).toBe(200);
    expect((await listUsers(projectId, oldToken)).status).toBe(200);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await rowOf(page, 'API tokens', 'Nightly export')
      .getByText(`…${newToken.slice(-4)}`)
      .waitFor();
    await context.close();
  });

  it('"Delete" asks for the token’s name; afterwards the token gets 401', async () => {
    const projectId = await createProject(suite.api, owner.token, 'Deletion project');
    const created = await suite.api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: { label: 'Old importer', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }] },
    });
    const token: string = created.body.token;
    expect((await listUsers(projectId, token)).status).toBe(200);
    const opened = await openConsole(suite, owner, `/projects/${projectId}/api/tokens`);
    const { page, context } = opened;
    await rowOf(page, 'API tokens', 'Old importer').getByRole('button', { name: 'Delete' }).click();
    const dialog = openDialog(page);
    const confirm = dialog.getByRole('button', { name: 'Delete token' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type Old importer to confirm').fill('Old importe');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type Old importer to confirm').fill('Old importer');
    await confirm.click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('No API tokens yet').waitFor();
    const refused = await listUsers(projectId, token);
    expect(refused.status).toBe(401);
    expect(refused.body.reason.code).toBe('token_revoked');
    await context.close();
  });
});

describe('CORS origins', () => {
  it('an origin added in the console is enforced; bad ones are refused with the server’s reason; "Test an origin" explains', async () => {
    const projectId = await createProject(suite.api, owner.token, 'CORS project');
    const opened = await openConsole(suite, owner, `/projects/${projectId}/api/cors`);
    const { page, context } = opened;
    const app = 'https://app.console-cors.example';
    const fromApp = async (origin: string) =>
      suite.api('GET', `${V}/projects/${projectId}`, { token: owner.token, headers: { origin } });
    expect((await fromApp(app)).status).toBe(403);

    await page.getByRole('button', { name: 'Add CORS origin' }).click();
    const dialog = openDialog(page);
    await dialog.getByLabel('Origin', { exact: true }).fill('app.console-cors.example/path');
    await dialog.getByRole('button', { name: 'Save' }).click();
    // The server's own message, next to the field.
    const refusal = await suite.api('POST', `${V}/projects/${projectId}/cors`, {
      token: owner.token,
      body: { origin: 'app.console-cors.example/path' },
    });
    expect(refusal.status).toBe(400);
    await dialog.getByText(refusal.body.message).waitFor();
    expect(await dialog.getByLabel('Origin', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    // The wildcard for every site, with credentials: refused, with the reason.
    await dialog.getByLabel('Origin', { exact: true }).fill('*');
    await dialog.getByLabel('Allow credentials').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('allowing every site may not include credentials').waitFor();
    expect((await suite.api('GET', `${V}/projects/${projectId}/cors`, { token: owner.token })).body).toEqual([
      expect.objectContaining({ origin: 'http://localhost:3333' }),
    ]);

    await dialog.getByLabel('Origin', { exact: true }).fill(app);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await rowOf(page, 'CORS origins', app).getByText('Credentials allowed').waitFor();

    // Enforced: the origin now gets its CORS headers, with credentials; another still gets 403.
    const allowed = await fromApp(app);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(app);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await fromApp('https://other.console-cors.example')).status).toBe(403);

    // "Test an origin": the server's explanation, as `cors explain` gives it.
    await page.getByLabel('Origin to test').fill('https://other.console-cors.example');
    await page.getByRole('button', { name: 'Test an origin' }).click();
    const explained = await suite.api(
      'GET',
      `${V}/projects/${projectId}/cors/explain?origin=${encodeURIComponent('https://other.console-cors.example')}`,
      { token: owner.token },
    );
    await page.getByText('Not allowed', { exact: true }).waitFor();
    await page.getByText(explained.body.summary).waitFor();
    await context.close();
  });
});
