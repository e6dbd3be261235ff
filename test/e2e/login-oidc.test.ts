/**
 * OpenID Connect login against a real OpenID provider (`oidc-provider`, test/support/oidc-provider.ts),
 * through the global provider from configuration and through an organization's own provider made
 * with the API.
 *
 * In real headless Chromium: the CLI-style login URL → the provider's login and consent pages →
 * Gatehouse's redirect URI → the loopback callback with `?sid=` → `/auth/fetch` → a personal token
 * with the right lifetime (the personal one for the global provider, the organization's SSO one for
 * its provider) → `/users/me` shows the provider's e-mail and name. A second login links the same
 * person. Over HTTP: what the authorization request carries (PKCE S256, state, nonce), and the
 * answers that must end on an error page (unknown or used state, a state of another provider, the
 * provider's `access_denied`, unknown and disabled providers, an unreachable issuer).
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchBrowser } from '../support/browser.js';
import { approveSsoDomain, createOrganization, expectErrorEnvelope, V } from '../support/fixtures.js';
import { cliLoginUrl, type Loopback, loginAtProvider, startLoopback } from '../support/loopback.js';
import { startOidcProvider, type TestAccount, type TestOidcProvider } from '../support/oidc-provider.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const DAY = 86_400_000;
const ORG_SSO_DAYS = 3;
const GLOBAL_SECRET = `global-secret-${randomBytes(12).toString('hex')}`;
const ORG_SECRET = `org-secret-${randomBytes(12).toString('hex')}`;

const ACCOUNTS: TestAccount[] = [
  {
    login: 'alice',
    password: 'alice-password',
    claims: { email: 'Alice@Acme.example', email_verified: true, name: 'Alice Acme', given_name: 'Alice', family_name: 'Acme' },
  },
  { login: 'linda', password: 'linda-password', claims: { email: 'linda@acme.example', name: 'Linda Linked' } },
  {
    login: 'una',
    password: 'una-password',
    claims: { email: 'una@acme.example', email_verified: false, name: 'Una Unverified' },
  },
  { login: 'noemail', password: 'noemail-password', claims: { name: 'No Mail' } },
  { login: 'bob', password: 'bob-password', claims: { email: 'bob@acme.example', email_verified: true, name: 'Bob Org' } },
  { login: 'carl', password: 'carl-password', claims: { email: 'carl@acme.example', email_verified: true, name: 'Carl Taken' } },
];

let idp: TestOidcProvider;
let server: TestServer;
let api: Api;
let loopback: Loopback;
let browser: Browser | null = null;
let owner: { userId: string; token: string };
let organizationId: string;
/** The organization's OIDC provider, as the API answered when it was created. */
let orgProvider: { id: string; loginUrl: string; callbackUrl: string };
/** Personal tokens issued in this file: none may ever appear in a log line. */
const issuedTokens: string[] = [];

beforeAll(async () => {
  idp = await startOidcProvider({ accounts: ACCOUNTS });
  server = await startTestServer({
    identity: {
      oidc: { name: 'acme', title: 'Acme SSO', issuer: idp.issuer, clientId: 'gatehouse', clientSecret: GLOBAL_SECRET },
    },
  });
  api = apiClient(server.url);
  idp.registerClient({
    clientId: 'gatehouse',
    clientSecret: GLOBAL_SECRET,
    redirectUris: [`${server.url}/v1/auth/callback/oidc/acme`],
  });
  loopback = await startLoopback();

  // An organization with its own provider, configured through the API as its administrator would.
  owner = await server.createUser('org-owner@example.com', 'Olga Owner');
  organizationId = await createOrganization(api, owner.token, 'Acme Org');
  // The operator vouches for the organization's provider over acme.example addresses.
  await approveSsoDomain(server, organizationId, 'acme.example');
  const slug = await api('PATCH', `${V}/organizations/${organizationId}`, { token: owner.token, body: { slug: 'acme-oidc' } });
  expect(slug.status, slug.text).toBe(200);
  const policies = await api('PATCH', `${V}/organizations/${organizationId}/policies`, {
    token: owner.token,
    body: { ssoTokenLifetimeDays: ORG_SSO_DAYS },
  });
  expect(policies.status, policies.text).toBe(200);
  expect(policies.body.ssoTokenLifetimeDays).toBe(ORG_SSO_DAYS);
  const created = await api('POST', `${V}/organizations/${organizationId}/providers`, {
    token: owner.token,
    body: {
      type: 'oidc',
      title: 'Acme Org SSO',
      config: { issuer: idp.issuer, clientId: 'gatehouse-org', clientSecret: ORG_SECRET },
    },
  });
  expect(created.status, created.text).toBe(201);
  orgProvider = created.body;
  expect(orgProvider.callbackUrl).toBe(`${server.url}/v1/auth/callback/oidc/${orgProvider.id}`);
  // The administrator registers Gatehouse's callback URL at the identity provider.
  idp.registerClient({ clientId: 'gatehouse-org', clientSecret: ORG_SECRET, redirectUris: [orgProvider.callbackUrl] });

  if (haveChromium) browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await loopback?.close();
  await idp?.close();
  await server?.close();
});

function loginUrl(base: string, label = 'laptop / Chromium'): string {
  return cliLoginUrl(base, loopback, label);
}

/** A page of `context` that records page errors, failed requests and console errors (CSP violations among them). */
async function watchedPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return { page, problems };
}

function requireBrowser(): Browser {
  if (!browser) throw new Error('chromium is missing: install it or set GATEHOUSE_CHROMIUM');
  return browser;
}

/** Logs in at the identity provider in `page`; where the browser ended (test/support/loopback.ts). */
function loginInBrowser(page: Page, start: string, account: TestAccount | null): Promise<URL> {
  return loginAtProvider(page, start, account, { loopback, serverUrl: server.url });
}

/** The loopback callback's `sid`, exchanged for the token as the CLI does. */
async function fetchToken(callback: URL): Promise<{ token: string; label: string; expiresAt: string }> {
  expect(callback.href.startsWith(`${loopback.url}/callback?`), callback.href).toBe(true);
  const sid = callback.searchParams.get('sid') ?? '';
  expect(sid.length).toBeGreaterThanOrEqual(20);
  expect(callback.searchParams.get('url')).toBe(`${server.url}/v1/auth/fetch?sid=${sid}`);
  const res = await api('GET', `/v1/auth/fetch?sid=${encodeURIComponent(sid)}`);
  expect(res.status, res.text).toBe(200);
  issuedTokens.push(res.body.token);
  return res.body;
}

async function me(token: string) {
  const res = await api('GET', '/v1/users/me', { token });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

function expectLifetime(expiresAt: string, days: number): void {
  // The server's clock: the real one plus whatever a test advanced it by (nothing before the last test).
  const expected = Date.now() + days * DAY;
  expect(Math.abs(Date.parse(expiresAt) - expected), `expiresAt ${expiresAt} vs ${days} days`).toBeLessThan(60_000);
}

/** An HTML error page from Gatehouse: status, strict headers, and the code it names. */
async function expectErrorPage(res: { status: number; headers: Headers; text: string }, status: number, code: string) {
  expect(res.status, res.text.slice(0, 300)).toBe(status);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.text).toContain(`<code id="code">${code}</code>`);
  expect(res.text).not.toMatch(/at .*\.ts:\d+|Error: /);
}

/** Starts a login over HTTP and returns the authorization request Gatehouse redirected to. */
async function startOverHttp(provider: string): Promise<URL> {
  const res = await api('GET', `/v1/auth/login/${provider}?${new URLSearchParams({ origin: `${loopback.url}/callback` })}`);
  expect(res.status, res.text).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

describe('the global OpenID Connect provider', () => {
  it('is listed by /auth/providers next to e-mail and password', async () => {
    const res = await api('GET', '/v1/auth/providers');
    expect(res.status).toBe(200);
    expect(res.body.providers).toContainEqual({ name: 'acme', title: 'Acme SSO', url: `${server.url}/v1/auth/login/acme` });
  });

  it('redirects to the authorization endpoint with PKCE (S256), state, nonce and the registered redirect URI', async () => {
    const authorize = await startOverHttp('acme');
    expect(authorize.origin).toBe(idp.issuer);
    const params = authorize.searchParams;
    expect(params.get('client_id')).toBe('gatehouse');
    expect(params.get('response_type')).toBe('code');
    expect(params.get('redirect_uri')).toBe(`${server.url}/v1/auth/callback/oidc/acme`);
    expect(params.get('scope')?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(params.get('nonce')?.length).toBeGreaterThanOrEqual(32);
    // Two logins never share a state or a challenge.
    const again = (await startOverHttp('acme')).searchParams;
    expect(again.get('state')).not.toBe(params.get('state'));
    expect(again.get('code_challenge')).not.toBe(params.get('code_challenge'));
  });

  it('in Chromium: log in and consent at the provider, fetch the token, and /users/me is that person; a second login links the same user', async () => {
    const context = await requireBrowser().newContext();
    try {
      const { page, problems } = await watchedPage(context);
      const first = await fetchToken(
        await loginInBrowser(page, loginUrl(`${server.url}/v1/auth/login/acme`), ACCOUNTS[0] as TestAccount),
      );
      expect(first.label).toBe('laptop / Chromium');
      expectLifetime(first.expiresAt, 365);
      const profile = await me(first.token);
      expect(profile).toMatchObject({ email: 'alice@acme.example', name: 'Alice Acme', provider: 'acme' });
      expect(await page.locator('body').textContent()).toContain('Login received');

      // Again, with the provider's session: no login page, same person, a new token.
      const second = await fetchToken(await loginInBrowser(page, loginUrl(`${server.url}/v1/auth/login/acme`), null));
      expect(second.token).not.toBe(first.token);
      expect((await me(second.token)).id).toBe(profile.id);
      expect((await me(first.token)).id).toBe(profile.id);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
    // The claims came from the userinfo endpoint (the ID token carries only `sub` here).
    expect(idp.calls.get('/token')).toBeGreaterThanOrEqual(2);
    expect(idp.calls.get('/me')).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('links an existing account with the same e-mail address (the global provider is the operator’s choice)', async () => {
    const existing = await server.createUser('linda@acme.example', 'Linda Before');
    const context = await requireBrowser().newContext();
    try {
      const page = await context.newPage();
      const { token } = await fetchToken(
        await loginInBrowser(page, loginUrl(`${server.url}/v1/auth/login/acme`), ACCOUNTS[1] as TestAccount),
      );
      expect((await me(token)).id).toBe(existing.userId);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('refuses an e-mail address the provider marks unverified, and a login without one: an error page', async () => {
    const context = await requireBrowser().newContext();
    try {
      const page = await context.newPage();
      const unverified = await loginInBrowser(page, loginUrl(`${server.url}/v1/auth/login/acme`), ACCOUNTS[2] as TestAccount);
      expect(unverified.pathname).toBe('/v1/auth/callback/oidc/acme');
      expect(await page.locator('#code').textContent()).toBe('email_unverified');
      expect(await page.locator('#message').textContent()).toBe('Acme SSO has not verified your e-mail address');
      await context.clearCookies();
      await loginInBrowser(page, loginUrl(`${server.url}/v1/auth/login/acme`), ACCOUNTS[3] as TestAccount);
      expect(await page.locator('#code').textContent()).toBe('email_missing');
    } finally {
      await context.close();
    }
    const users = await server.running.store.db.selectFrom('users').select('email').execute();
    expect(users.map((u) => u.email)).not.toContain('una@acme.example');
  }, 60_000);

  it('in Chromium: "Cancel" at the provider ends on an error page that says the login was refused', async () => {
    const context = await requireBrowser().newContext();
    try {
      const page = await context.newPage();
      await page.goto(loginUrl(`${server.url}/v1/auth/login/acme`));
      await page.locator('#cancel').click();
      await page.waitForURL((url) => url.href.startsWith(`${server.url}/v1/auth/callback/oidc/acme`));
      expect(await page.locator('#code').textContent()).toBe('provider_refused');
      expect(await page.locator('#hint').textContent()).toContain('cancelled or refused');
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe('answers that end on an error page', () => {
  it('an unknown state, a missing state, and an unknown provider', async () => {
    await expectErrorPage(
      await api('GET', '/v1/auth/callback/oidc/acme?state=not-a-flow-of-this-server&code=abc'),
      400,
      'login_expired',
    );
    await expectErrorPage(await api('GET', '/v1/auth/callback/oidc/acme?code=abc'), 400, 'login_expired');
    await expectErrorPage(await api('GET', '/v1/auth/callback/oidc/nosuch?state=x&code=abc'), 404, 'provider_not_found');
    await expectErrorPage(await api('GET', '/v1/auth/callback/oidc/oidc-aaaaaaaaaaaaaaaa?state=x'), 404, 'provider_not_found');
  });

  it('the provider’s error (access_denied) uses the flow up; the same state cannot be used again', async () => {
    const state = (await startOverHttp('acme')).searchParams.get('state') ?? '';
    const query = new URLSearchParams({ error: 'access_denied', error_description: 'The <b>user</b> said no', state });
    const refused = await api('GET', `/v1/auth/callback/oidc/acme?${query}`);
    await expectErrorPage(refused, 400, 'provider_refused');
    expect(refused.text).toContain('The &#60;b&#62;user&#60;/b&#62; said no');
    await expectErrorPage(await api('GET', `/v1/auth/callback/oidc/acme?${query}`), 400, 'login_expired');
  });

  it('a state started for one provider is refused at another’s redirect URI', async () => {
    const state = (await startOverHttp('acme')).searchParams.get('state') ?? '';
    await expectErrorPage(
      await api('GET', `/v1/auth/callback/oidc/${orgProvider.id}?state=${state}&code=abc`),
      400,
      'login_expired',
    );
  });

  it('a forged code with a real state: the code exchange fails at the provider (502) and the flow is used up', async () => {
    const state = (await startOverHttp('acme')).searchParams.get('state') ?? '';
    const query = new URLSearchParams({ code: 'forged-code', state, iss: idp.issuer });
    await expectErrorPage(await api('GET', `/v1/auth/callback/oidc/acme?${query}`), 502, 'oidc_response_invalid');
    await expectErrorPage(await api('GET', `/v1/auth/callback/oidc/acme?${query}`), 400, 'login_expired');
  });

  it('unknown query parameters are ignored (providers add their own); overlong values are refused', async () => {
    await expectErrorPage(await api('GET', '/v1/auth/callback/oidc/acme?state=x&extra=1'), 400, 'login_expired');
    expectErrorEnvelope(await api('GET', `/v1/auth/callback/oidc/acme?state=${'x'.repeat(201)}`), 400);
    expectErrorEnvelope(await api('GET', `/v1/auth/callback/oidc/acme?state=x&extra=${'y'.repeat(2001)}`), 400);
  });

  it('a login to a foreign origin is refused before the provider is asked anything', async () => {
    const before = idp.calls.get('/.well-known/openid-configuration') ?? 0;
    const res = await api('GET', `/v1/auth/login/${orgProvider.id}?origin=${encodeURIComponent('https://evil.example/cb')}`);
    expectErrorEnvelope(res, 400, 'invalid_origin');
    expect(idp.calls.get('/.well-known/openid-configuration') ?? 0).toBe(before);
  });
});

describe('an organization’s own provider', () => {
  it('is listed on the organization’s login page by slug; an unknown slug is a 404', async () => {
    const res = await api('GET', '/v1/auth/organizations/by-slug/acme-oidc/providers');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([
      {
        id: orgProvider.id,
        name: orgProvider.id,
        title: 'Acme Org SSO',
        type: 'oidc',
        organizationId,
        loginUrl: `${server.url}/v1/auth/login/${orgProvider.id}`,
        callbackUrl: orgProvider.callbackUrl,
        disabled: false,
      },
    ]);
    expectErrorEnvelope(await api('GET', '/v1/auth/organizations/by-slug/no-such-org/providers'), 404, 'not_found');
  });

  it('in Chromium: the login gets the organization’s SSO lifetime, then the server default when the policy is cleared', async () => {
    const context = await requireBrowser().newContext();
    try {
      const { page, problems } = await watchedPage(context);
      const first = await fetchToken(await loginInBrowser(page, loginUrl(orgProvider.loginUrl), ACCOUNTS[4] as TestAccount));
      expectLifetime(first.expiresAt, ORG_SSO_DAYS);
      const profile = await me(first.token);
      expect(profile).toMatchObject({ email: 'bob@acme.example', name: 'Bob Org', provider: orgProvider.id });

      const cleared = await api('PATCH', `${V}/organizations/${organizationId}/policies`, {
        token: owner.token,
        body: { ssoTokenLifetimeDays: null },
      });
      expect(cleared.status, cleared.text).toBe(200);
      const second = await fetchToken(await loginInBrowser(page, loginUrl(orgProvider.loginUrl), null));
      expectLifetime(second.expiresAt, 7);
      expect((await me(second.token)).id).toBe(profile.id);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      const restored = await api('PATCH', `${V}/organizations/${organizationId}/policies`, {
        token: owner.token,
        body: { ssoTokenLifetimeDays: ORG_SSO_DAYS },
      });
      expect(restored.status, restored.text).toBe(200);
    }
  }, 60_000);

  it('in Chromium: a public client (PKCE only, no secret) whose provider puts the claims in the ID token', async () => {
    const dana: TestAccount = {
      login: 'dana',
      password: 'dana-password',
      claims: { email: 'dana@acme.example', email_verified: true, name: 'Dana Direct' },
    };
    const direct = await startOidcProvider({ accounts: [dana], claimsInIdToken: true });
    const context = await requireBrowser().newContext();
    try {
      const created = await api('POST', `${V}/organizations/${organizationId}/providers`, {
        token: owner.token,
        body: { type: 'oidc', title: 'Direct', config: { issuer: direct.issuer, clientId: 'public-client' } },
      });
      expect(created.status, created.text).toBe(201);
      expect(created.body.config.clientSecretSet).toBe(false);
      direct.registerClient({ clientId: 'public-client', clientSecret: null, redirectUris: [created.body.callbackUrl] });
      const page = await context.newPage();
      const { token, expiresAt } = await fetchToken(await loginInBrowser(page, loginUrl(created.body.loginUrl), dana));
      expectLifetime(expiresAt, ORG_SSO_DAYS);
      expect(await me(token)).toMatchObject({ email: 'dana@acme.example', name: 'Dana Direct', provider: created.body.id });
      // Everything came in the ID token: the userinfo endpoint was never asked.
      expect(direct.calls.get('/token')).toBe(1);
      expect(direct.calls.get('/me')).toBeUndefined();
      await api('DELETE', `${V}/organizations/${organizationId}/providers/${created.body.id}`, { token: owner.token });
    } finally {
      await context.close();
      await direct.close();
    }
  }, 60_000);

  it('never logs in an existing account that belongs to anything outside the organization: 403 sso_account_conflict', async () => {
    const existing = await server.createUser('carl@acme.example', 'Carl Before');
    const elsewhere = await api('POST', `${V}/projects`, { token: existing.token, body: { displayName: 'Carl’s own' } });
    expect(elsewhere.status, elsewhere.text).toBe(201);
    const context = await requireBrowser().newContext();
    try {
      const page = await context.newPage();
      const ended = await loginInBrowser(page, loginUrl(orgProvider.loginUrl), ACCOUNTS[5] as TestAccount);
      expect(ended.pathname).toBe(`/v1/auth/callback/oidc/${orgProvider.id}`);
      expect(await page.locator('#code').textContent()).toBe('sso_account_conflict');
    } finally {
      await context.close();
    }
    const identities = await server.running.store.db
      .selectFrom('identities')
      .selectAll()
      .where('user_id', '=', existing.userId)
      .execute();
    expect(identities).toEqual([]);
  }, 60_000);

  it('a disabled provider starts and finishes no login (404 provider_not_found), and is listed as disabled', async () => {
    const state = (await startOverHttp(orgProvider.id)).searchParams.get('state') ?? '';
    const put = (disabled: boolean) =>
      api('PUT', `${V}/organizations/${organizationId}/providers/${orgProvider.id}`, {
        token: owner.token,
        body: { type: 'oidc', title: 'Acme Org SSO', disabled, config: { issuer: idp.issuer, clientId: 'gatehouse-org' } },
      });
    expect((await put(true)).status).toBe(200);
    try {
      const start = await api('GET', `/v1/auth/login/${orgProvider.id}?origin=${encodeURIComponent(`${loopback.url}/callback`)}`);
      expectErrorEnvelope(start, 404, 'provider_not_found');
      await expectErrorPage(
        await api('GET', `/v1/auth/callback/oidc/${orgProvider.id}?state=${state}&code=abc`),
        404,
        'provider_not_found',
      );
      const listed = await api('GET', '/v1/auth/organizations/by-slug/acme-oidc/providers');
      expect(listed.body[0]).toMatchObject({ id: orgProvider.id, disabled: true });
    } finally {
      const enabled = await put(false);
      expect(enabled.status, enabled.text).toBe(200);
      // The secret was left out of the PUT: it is kept.
      expect(enabled.body.config.clientSecretSet).toBe(true);
    }
  });

  it('an unreachable issuer: 502 provider_unavailable, and no login flow is left behind', async () => {
    const created = await api('POST', `${V}/organizations/${organizationId}/providers`, {
      token: owner.token,
      body: { type: 'oidc', title: 'Nowhere', config: { issuer: 'http://127.0.0.1:9', clientId: 'x' } },
    });
    expect(created.status, created.text).toBe(201);
    const flows = async () => (await server.running.store.db.selectFrom('login_flows').select('id').execute()).length;
    const before = await flows();
    const res = await api('GET', `/v1/auth/login/${created.body.id}?origin=${encodeURIComponent(`${loopback.url}/callback`)}`);
    expectErrorEnvelope(res, 502, 'provider_unavailable');
    expect(res.body.error).toBe('Bad Gateway');
    expect(res.text).not.toContain('ECONNREFUSED');
    expect(await flows()).toBe(before);
    await api('DELETE', `${V}/organizations/${organizationId}/providers/${created.body.id}`, { token: owner.token });
  });
});

describe('secrets', () => {
  it('no personal token and no client secret ever reaches the log; refusals are logged with their code', () => {
    const logs = server.logs();
    expect(issuedTokens.length).toBeGreaterThanOrEqual(5);
    for (const token of issuedTokens) expect(logs).not.toContain(token);
    expect(logs).not.toContain(GLOBAL_SECRET);
    expect(logs).not.toContain(ORG_SECRET);
    expect(logs).toContain('OIDC login refused');
    expect(logs).toContain('"code":"provider_refused"');
  });

  it('the database holds the organization’s client secret only sealed', async () => {
    const row = await server.running.store.db
      .selectFrom('identity_providers')
      .selectAll()
      .where('id', '=', orgProvider.id)
      .executeTakeFirstOrThrow();
    expect(row.config).not.toContain(ORG_SECRET);
    expect(JSON.parse(row.config).clientSecretSealed).toMatch(/^gsb1\./);
  });
});

describe('lifetimes on the server’s clock', () => {
  it('past the organization’s SSO lifetime its token is refused, while the global provider’s lives on', async () => {
    const context = await requireBrowser().newContext();
    let orgToken: string;
    let globalToken: string;
    try {
      const page = await context.newPage();
      orgToken = (await fetchToken(await loginInBrowser(page, loginUrl(orgProvider.loginUrl), ACCOUNTS[4] as TestAccount))).token;
      await context.clearCookies();
      globalToken = (
        await fetchToken(await loginInBrowser(page, loginUrl(`${server.url}/v1/auth/login/acme`), ACCOUNTS[0] as TestAccount))
      ).token;
    } finally {
      await context.close();
    }
    server.advance(ORG_SSO_DAYS * DAY + 60_000);
    const expired = await api('GET', '/v1/users/me', { token: orgToken });
    expectErrorEnvelope(expired, 401, 'token_expired');
    expect((await api('GET', '/v1/users/me', { token: globalToken })).status).toBe(200);
  }, 60_000);
});
