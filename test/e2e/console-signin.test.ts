/**
 * Signing in to the web console in headless Chromium: the sign-in page lists every provider the
 * server offers (e-mail and password, the global OpenID Connect provider, "Log in with SSO" by
 * organization slug); a signed-out visit to any page leads to sign-in and back to that page;
 * "Log out" ends the session on the server. Checked through the API as well.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSOLE,
  type ConsoleSuite,
  createPerson,
  hookConsoleSuite,
  newContext,
  openConsole,
  setPassword,
} from '../support/console.js';
import { approveSsoDomain, createOrganization, createProject, V } from '../support/fixtures.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';

const PASSWORD = 'amber lighthouse 17 kites';
const ACCOUNT = {
  login: 'olive',
  password: 'sso-password-olive',
  claims: { email: 'olive@sso.example', email_verified: true, name: 'Olive Sso' },
};

let suite: ConsoleSuite;
let idp: TestOidcProvider;

beforeAll(async () => {
  idp = await startOidcProvider({ accounts: [ACCOUNT] });
});
hookConsoleSuite(
  (started) => {
    suite = started;
  },
  () => ({
    identity: {
      oidc: { name: 'acme', title: 'Acme ID', issuer: idp.issuer, clientId: 'gatehouse-global', clientSecret: 'global-secret' },
    },
  }),
);
beforeAll(() => {
  idp.registerClient({
    clientId: 'gatehouse-global',
    clientSecret: 'global-secret',
    redirectUris: [`${suite.server.url}/v1/auth/callback/oidc/acme`],
  });
});

afterAll(async () => {
  await idp?.close();
});

describe('signing in', () => {
  it('a signed-out visit goes to sign-in, the password login comes back to that page, with a session on the server', async () => {
    const person = await createPerson(suite, 'Pat Password');
    await setPassword(suite, person, PASSWORD);
    const projectId = await createProject(suite.api, person.token, 'Signed-in project');
    const opened = await newContext(suite);
    const page = await opened.context.newPage();

    await page.goto(`${CONSOLE}/projects/${projectId}/api/tokens`);
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/projects/${projectId}/api/tokens`);
    // Every provider the server offers, and SSO by organization slug.
    await page.getByRole('button', { name: 'Log in with E-mail / password' }).waitFor();
    await page.getByRole('button', { name: 'Log in with Acme ID' }).waitFor();
    await page.getByLabel('Organization slug').waitFor();

    await page.getByRole('button', { name: 'Log in with E-mail / password' }).click();
    await page.getByLabel('E-mail').fill(person.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();

    await page.getByRole('heading', { name: 'Signed-in project', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`${CONSOLE}/projects/${projectId}/api/tokens`);
    // The sid never stays in the address bar.
    expect(page.url()).not.toContain('sid=');
    // The session is a personal token named after the console, held in an HttpOnly cookie.
    const cookies = await opened.context.cookies();
    expect(cookies.find((c) => c.name === 'gatehouse_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const tokens = await suite.api('GET', `${V}/auth/tokens`, { token: person.token });
    expect(tokens.body.data.map((t: { label: string; source: string }) => [t.label, t.source])).toContainEqual([
      'Gatehouse console',
      'password',
    ]);
    await opened.context.close();
  });

  it('"Log out" ends the session on the server', async () => {
    const person = await createPerson(suite, 'Lou Logout');
    const { context, page } = await openConsole(suite, person, '/projects');
    const session = (await context.cookies()).find((c) => c.name === 'gatehouse_session')?.value as string;
    expect(session).toMatch(/^gth_user_/);
    expect((await suite.api('GET', `${V}/auth/id`, { token: session })).status).toBe(200);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You have logged out').waitFor();
    const after = await suite.api('GET', `${V}/auth/id`, { token: session });
    expect(after.status).toBe(401);
    expect(after.body.reason.code).toBe('token_revoked');
    // The console is closed to this browser until it signs in again.
    await page.goto(`${CONSOLE}/projects`);
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    await context.close();
  });

  it('"Log in with SSO" finds the organization by its slug and logs in through its provider', async () => {
    const owner = await createPerson(suite, 'Sso Owner');
    const organizationId = await createOrganization(suite.api, owner.token, 'Slugged');
    expect(
      (await suite.api('PATCH', `${V}/organizations/${organizationId}`, { token: owner.token, body: { slug: 'console-sso' } }))
        .status,
    ).toBe(200);
    const created = await suite.api('POST', `${V}/organizations/${organizationId}/providers`, {
      token: owner.token,
      body: {
        type: 'oidc',
        title: 'Slugged SSO',
        config: { issuer: idp.issuer, clientId: 'gatehouse-org', clientSecret: 'org-secret' },
      },
    });
    expect(created.status, created.text).toBe(201);
    idp.registerClient({ clientId: 'gatehouse-org', clientSecret: 'org-secret', redirectUris: [created.body.callbackUrl] });
    // An organization's provider signs in only addresses of domains the operator approved for it.
    await approveSsoDomain(suite.server, organizationId, 'sso.example');

    const opened = await newContext(suite);
    const page = await opened.context.newPage();
    await page.goto(`${CONSOLE}/account`);
    await page.getByLabel('Organization slug').fill('no-such-slug');
    await page.getByRole('button', { name: 'Log in with SSO' }).click();
    // An unknown slug: the server's answer, not a generic error.
    await page.getByRole('alert').filter({ hasText: 'not found' }).waitFor();

    await page.getByLabel('Organization slug').fill('console-sso');
    await page.getByRole('button', { name: 'Log in with SSO' }).click();
    await page.locator('#login').fill(ACCOUNT.login);
    await page.locator('#password').fill(ACCOUNT.password);
    await page.locator('#sign-in').click();
    await page.locator('#allow').click();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await page.getByText(ACCOUNT.claims.email).waitFor();
    await opened.context.close();
  });

  it('the global OpenID Connect provider is offered, and logs in', async () => {
    const opened = await newContext(suite);
    const page = await opened.context.newPage();
    await page.goto(`${CONSOLE}/projects`);
    await page.getByRole('button', { name: 'Log in with Acme ID' }).click();
    await page.locator('#login').fill(ACCOUNT.login);
    await page.locator('#password').fill(ACCOUNT.password);
    await page.locator('#sign-in').click();
    await page.locator('#allow').click();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    await opened.context.close();
  });
});
