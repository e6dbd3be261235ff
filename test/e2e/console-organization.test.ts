/**
 * Organization and account pages of the web console, end to end in headless Chromium and checked
 * through the API: members with their roles in every project of the organization, its projects
 * and robots, its policies (and the token dialog stating the lifetime limit they set), its SSO
 * providers with the service-provider values and the SAML metadata; the account's password,
 * personal tokens ("Revoke") and "Sign out everywhere".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleSuite,
  choose,
  confirm,
  createPerson,
  hookConsoleSuite,
  issueTokenFor,
  openConsole,
  openDialog,
  type Person,
  rowOf,
} from '../support/console.js';
import { addMember, createOrganization, V } from '../support/fixtures.js';
import { selfSignedCertificate } from '../support/saml-idp.js';

let suite: ConsoleSuite;
hookConsoleSuite((started) => {
  suite = started;
});
let owner: Person;

beforeAll(async () => {
  owner = await createPerson(suite, 'Ona Org');
});

async function projectIn(organizationId: string, displayName: string): Promise<string> {
  const res = await suite.api('POST', `${V}/projects`, { token: owner.token, body: { displayName, organizationId } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

describe('Organization', () => {
  it('members with their roles in every project; its projects and robots', async () => {
    const organizationId = await createOrganization(suite.api, owner.token, 'Northwind');
    const alpha = await projectIn(organizationId, 'Alpha');
    const beta = await projectIn(organizationId, 'Beta');
    const ben = await createPerson(suite, 'Ben Northwind');
    const cleo = await createPerson(suite, 'Cleo Contractor');
    await addMember(suite.server, { type: 'organization', id: organizationId }, ben.userId, ['member']);
    await addMember(suite.server, { type: 'project', id: alpha }, ben.userId, ['editor']);
    await addMember(suite.server, { type: 'project', id: beta }, cleo.userId, ['viewer']);
    for (const [resource, label, role] of [
      [`organization/${organizationId}`, 'Org deployer', 'member'],
      [`project/${alpha}`, 'Alpha importer', 'viewer'],
    ] as const) {
      const [type, id] = resource.split('/') as [string, string];
      const res = await suite.api('POST', `${V}/access/${resource}/robots`, {
        token: owner.token,
        body: { label, memberships: [{ resourceType: type, resourceId: id, roleNames: [role] }] },
      });
      expect(res.status, res.text).toBe(201);
    }

    const opened = await openConsole(suite, owner, `/organizations/${organizationId}/members`);
    const { page, context } = opened;
    await rowOf(page, 'Organization members', ben.email).getByText('Member').waitFor();
    const matrix = page.getByRole('table', { name: 'Roles in projects' });
    await matrix.getByRole('columnheader', { name: 'Alpha' }).waitFor();
    await matrix.getByRole('columnheader', { name: 'Beta' }).waitFor();
    const benRow = matrix.getByRole('row').filter({ hasText: 'Ben Northwind' });
    expect(await benRow.getByRole('cell').allTextContents()).toEqual(['Editor', '—']);
    const cleoRow = matrix.getByRole('row').filter({ hasText: 'Cleo Contractor' });
    expect(await cleoRow.getByRole('cell').allTextContents()).toEqual(['—', 'Viewer']);

    await page.getByRole('link', { name: 'Projects', exact: true }).last().click();
    const projects = page.getByRole('table', { name: 'Projects of the organization' });
    await projects.getByRole('link', { name: 'Alpha' }).waitFor();
    await projects.getByRole('link', { name: 'Beta' }).waitFor();

    await page.getByRole('link', { name: 'Robots' }).click();
    await rowOf(page, 'API tokens', 'Org deployer').getByRole('button', { name: 'Rotate' }).waitFor();
    await rowOf(page, 'API tokens', 'Alpha importer').getByRole('link', { name: 'In Alpha' }).waitFor();
    await context.close();
  });

  it('Policies: the robot token lifetime and whether robots manage members; the token dialog states the limit', async () => {
    const organizationId = await createOrganization(suite.api, owner.token, 'Policy org');
    const projectId = await projectIn(organizationId, 'Governed');
    const opened = await openConsole(suite, owner, `/organizations/${organizationId}/policies`);
    const { page, context } = opened;
    await page.getByLabel('Robot token maximum lifetime (days)').fill('30');
    await page.getByRole('switch', { name: 'Robots may manage members' }).click();
    await page.getByRole('button', { name: 'Save policies' }).click();
    await page.getByText('Policies saved.').waitFor();
    const policies = await suite.api('GET', `${V}/organizations/${organizationId}/policies`, { token: owner.token });
    expect(policies.body).toMatchObject({ robotTokenMaxLifetimeDays: 30, robotsMayManageMembers: false });

    // A bad value: the server's message next to the field.
    await page.getByLabel('Robot token maximum lifetime (days)').fill('4000');
    await page.getByRole('button', { name: 'Save policies' }).click();
    await page
      .getByText(/robotTokenMaxLifetimeDays/)
      .first()
      .waitFor();

    await page.goto(`/console/projects/${projectId}/api/tokens`);
    await page.getByRole('button', { name: 'Add API token' }).click();
    const dialog = openDialog(page);
    await dialog.getByText('lets tokens live at most 30 days').waitFor();
    await dialog.getByLabel('Name').fill('Limited');
    await choose(dialog, page, 'Role', 'Viewer');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    await dialog.getByLabel('Token').waitFor();
    const robots = await suite.api('GET', `${V}/access/project/${projectId}/robots`, { token: owner.token });
    const expiresAt = Date.parse(robots.body.data[0].expiresAt);
    expect(expiresAt).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
    await context.close();
  });

  it('SSO providers: a SAML provider added in the console shows the values to give the IdP, with copy buttons and its metadata', async () => {
    const organizationId = await createOrganization(suite.api, owner.token, 'SSO org');
    const opened = await openConsole(suite, owner, `/organizations/${organizationId}/sso`);
    const { page, context } = opened;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.server.url });
    await page.getByText('No SSO provider yet.').waitFor();
    await page.getByRole('button', { name: 'Add SSO provider' }).click();
    const dialog = openDialog(page);
    await choose(dialog, page, 'Protocol', 'SAML 2.0');
    await dialog.getByLabel('Title').fill('Northwind SAML');
    await dialog.getByLabel('Identity provider SSO URL').fill('https://idp.northwind.example/sso');
    await dialog.getByLabel('Identity provider entity ID').fill('https://idp.northwind.example/entity');
    await dialog
      .getByLabel('Identity provider signing certificate')
      .fill(selfSignedCertificate('idp.northwind.example').certificatePem);
    await dialog.getByRole('button', { name: 'Add provider' }).click();
    await dialog.waitFor({ state: 'detached' });

    const [provider] = (await suite.api('GET', `${V}/organizations/${organizationId}/providers`, { token: owner.token })).body;
    const card = page.getByRole('article', { name: 'Northwind SAML' });
    expect(await card.getByLabel('Entity ID', { exact: true }).inputValue()).toBe(provider.entityId);
    expect(await card.getByLabel('Assertion consumer service URL', { exact: true }).inputValue()).toBe(provider.callbackUrl);
    expect(await card.getByLabel('Login URL', { exact: true }).inputValue()).toBe(provider.loginUrl);
    await card.getByRole('button', { name: 'Copy Entity ID' }).click();
    await card.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(provider.entityId);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card.getByRole('link', { name: 'Download SAML metadata' }).click(),
    ]);
    const stream = await download.createReadStream();
    let xml = '';
    for await (const chunk of stream) xml += chunk.toString();
    expect(xml).toContain(`entityID="${provider.entityId}"`);
    expect(xml).toContain(provider.callbackUrl);

    await card.getByRole('button', { name: 'Delete' }).click();
    const confirm = openDialog(page);
    await confirm.getByLabel('Type Northwind SAML to confirm').fill('Northwind SAML');
    await confirm.getByRole('button', { name: 'Delete provider' }).click();
    await page.getByText('No SSO provider yet.').waitFor();
    expect((await suite.api('GET', `${V}/organizations/${organizationId}/providers`, { token: owner.token })).body).toEqual([]);
    await context.close();
  });
});

describe('Account', () => {
  it('sets a password; revokes another personal token; "Sign out everywhere" ends every session', async () => {
    const person = await createPerson(suite, 'Ada Account');
    const laptop = await issueTokenFor(suite, person, 'laptop');
    const opened = await openConsole(suite, person, '/account');
    const { page, context } = opened;
    await page.getByText(person.email).waitFor();

    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page
      .getByText(/10/)
      .filter({ hasText: /characters/ })
      .first()
      .waitFor();
    await page.getByLabel('New password').fill('juniper canyon 88 echoes');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    // The new password is the one the server holds: it is accepted as the current one.
    const proof = await suite.api('PUT', `${V}/users/me/password`, {
      token: person.token,
      body: { currentPassword: 'juniper canyon 88 echoes', newPassword: 'juniper canyon 88 echoes!' },
    });
    expect(proof.status, proof.text).toBe(204);

    const tokens = page.getByRole('table', { name: 'Personal tokens' });
    await tokens.getByRole('row').filter({ hasText: 'This session' }).waitFor();
    await rowOf(page, 'Personal tokens', 'laptop')
      .getByRole('button', { name: /^Revoke/ })
      .click();
    await confirm(page, 'Revoke token');
    await rowOf(page, 'Personal tokens', 'laptop').waitFor({ state: 'detached' });
    expect((await suite.api('GET', `${V}/auth/id`, { token: laptop })).status).toBe(401);
    expect((await suite.api('GET', `${V}/auth/id`, { token: person.token })).status).toBe(200);

    const session = (await context.cookies()).find((c) => c.name === 'gatehouse_session')?.value as string;
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await confirm(page, 'Sign out everywhere');
    await page.getByText('You have logged out').waitFor();
    for (const token of [person.token, session]) expect((await suite.api('GET', `${V}/auth/id`, { token })).status).toBe(401);
    expect((await suite.api('GET', `${V}/auth/id`, { token: owner.token })).status).toBe(200);
    await context.close();
  });
});
