/**
 * Account takeover through an organization's own single sign-on, as it was found, end to end with
 * a real OpenID provider (`oidc-provider`) driven in headless Chromium:
 *
 *   anyone creates an organization, invites a fresh account into one of its projects, and adds an
 *   OIDC provider whose identity provider asserts that account's e-mail address. The first SSO
 *   login links the identity (allowed: everything the account holds is inside the organization).
 *   When the account later joins an unrelated project, the organization's next SSO login still
 *   opened it — and read the other project's members.
 *
 * The model now (services/login/sso-accounts.ts): an organization's provider starts no login
 * until the operator approves an e-mail domain for it; it logs in only addresses of approved
 * domains; at every login (and again when the token is issued) the account must belong to that
 * organization alone; and joining anything outside ends the tokens its single sign-on issued.
 * Here the operator even approved the victim's domain for the attacker — the worst case — and the
 * attack still fails to get in, with audit events the victim and the organization's administrators
 * see.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { cleanEnv, runCli } from '../support/cli.js';
import { approveSsoDomain, createOrganization, createProject, expectErrorEnvelope, V } from '../support/fixtures.js';
import { cliLoginUrl, type Loopback, loginAtProvider, startLoopback } from '../support/loopback.js';
import { startOidcProvider, type TestAccount, type TestOidcProvider } from '../support/oidc-provider.js';
import { outboxInviteToken } from '../support/outbox.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const VICTIM_EMAIL = 'vic@victim-corp.example';
/** The attacker's identity provider: it asserts whatever its administrator types in. */
const POSING_AS_VICTIM: TestAccount = {
  login: 'posing-as-vic',
  password: 'attacker-knows-this',
  claims: { email: VICTIM_EMAIL, email_verified: true, name: 'Not Vic' },
};
const ATTACKER_OWN: TestAccount = {
  login: 'mallory',
  password: 'mallory-password',
  claims: { email: 'mallory@attacker.example', email_verified: true, name: 'Mallory' },
};

let server: TestServer;
let api: Api;
let idp: TestOidcProvider;
let loopback: Loopback;
let browser: Browser;
let attacker: { userId: string; token: string };
let victim: { userId: string; token: string };
let bystander: { userId: string; token: string };
let evilOrg: string;
let evilProject: string;
let provider: { id: string; loginUrl: string; callbackUrl: string };
let unrelatedProject: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  idp = await startOidcProvider({ accounts: [POSING_AS_VICTIM, ATTACKER_OWN] });
  loopback = await startLoopback();
  browser = await launchBrowser();

  attacker = await server.createUser('mallory@attacker.example', 'Mallory');
  victim = await server.createUser(VICTIM_EMAIL, 'Vic Victim');
  bystander = await server.createUser('bea@bystander.example', 'Bea Bystander');
  unrelatedProject = await createProject(api, bystander.token, 'Unrelated');

  // The attacker's organization, with a project the victim is invited to and joins.
  evilOrg = await createOrganization(api, attacker.token, 'Evil Inc');
  const project = await api('POST', `${V}/projects`, {
    token: attacker.token,
    body: { displayName: 'Bait', organizationId: evilOrg },
  });
  expect(project.status, project.text).toBe(201);
  evilProject = project.body.id;
  await invite(attacker.token, evilProject, VICTIM_EMAIL);
  await accept(victim.token, evilProject);

  // The attacker's provider, registered at the attacker's identity provider.
  const created = await api('POST', `${V}/organizations/${evilOrg}/providers`, {
    token: attacker.token,
    body: { type: 'oidc', title: 'Evil SSO', config: { issuer: idp.issuer, clientId: 'evil', clientSecret: 'evil-secret' } },
  });
  expect(created.status, created.text).toBe(201);
  provider = created.body;
  idp.registerClient({ clientId: 'evil', clientSecret: 'evil-secret', redirectUris: [provider.callbackUrl] });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await loopback?.close();
  await idp?.close();
  await server?.close();
});

/** An invitation to a project, sent through the API and read from the outbox as its recipient would. */
async function invite(token: string, projectId: string, email: string): Promise<void> {
  const res = await api('POST', `${V}/access/project/${projectId}/invites`, { token, body: { email, role: 'viewer' } });
  expect(res.status, res.text).toBe(201);
}

async function accept(token: string, projectId: string): Promise<void> {
  const email = (await api('GET', `${V}/users/me`, { token })).body.email;
  const inviteToken = await outboxInviteToken(server.config.identity.mail.outboxDir, email, projectId);
  const res = await api('POST', `${V}/access/project/${projectId}/invites/token/${inviteToken}/accept`, { token });
  expect(res.status, res.text).toBe(200);
}

/** A login through the attacker's provider, in `context`: where the browser ended. */
async function ssoLogin(context: BrowserContext, account: TestAccount | null): Promise<URL> {
  const page = await context.newPage();
  return loginAtProvider(page, cliLoginUrl(provider.loginUrl, loopback), account, { loopback, serverUrl: server.url });
}

async function tokenFrom(callback: URL): Promise<string> {
  expect(callback.href.startsWith(`${loopback.url}/callback?`), callback.href).toBe(true);
  const res = await api('GET', `/v1/auth/fetch?sid=${encodeURIComponent(callback.searchParams.get('sid') ?? '')}`);
  expect(res.status, res.text).toBe(200);
  return res.body.token;
}

async function errorCodeOf(context: BrowserContext): Promise<string | null> {
  const page = context.pages().at(-1);
  return page ? page.locator('#code').textContent() : null;
}

async function activity(token: string, query: string) {
  const res = await api('GET', `${V}/activity?${query}&limit=100`, { token });
  expect(res.status, res.text).toBe(200);
  return res.body.data as Array<{
    action: string;
    userId: string | null;
    organizationId: string | null;
    metadata: { after: unknown };
  }>;
}

describe('without the operator', () => {
  it('an organization’s provider starts no login: 403 sso_not_approved, and the server fetches nothing (no open redirect)', async () => {
    const discoveries = idp.calls.get('/.well-known/openid-configuration') ?? 0;
    const res = await api('GET', `/v1/auth/login/${provider.id}?origin=${encodeURIComponent(`${loopback.url}/callback`)}`);
    expectErrorEnvelope(res, 403, 'sso_not_approved');
    expect(res.headers.get('location')).toBeNull();
    expect(idp.calls.get('/.well-known/openid-configuration') ?? 0).toBe(discoveries);
    // A browser gets a page that says so, and stays on this server.
    const page = await browser.newPage();
    await page.goto(cliLoginUrl(provider.loginUrl, loopback));
    expect(new URL(page.url()).origin).toBe(server.url);
    expect(await page.locator('#code').textContent()).toBe('sso_not_approved');
    await page.close();
  });
});

describe('the takeover, replayed after the operator approved the victim’s domain for the attacker', () => {
  let firstToken: string;

  it('the first SSO login opens the victim’s account: it belongs only to the attacker’s organization', async () => {
    await approveSsoDomain(server, evilOrg, 'victim-corp.example');
    const context = await browser.newContext();
    try {
      firstToken = await tokenFrom(await ssoLogin(context, POSING_AS_VICTIM));
    } finally {
      await context.close();
    }
    expect((await api('GET', `${V}/users/me`, { token: firstToken })).body.id).toBe(victim.userId);
  }, 60_000);

  it('the victim joins an unrelated project: the organization’s SSO token stops at once, and the attacker reads nothing', async () => {
    await invite(bystander.token, unrelatedProject, VICTIM_EMAIL);
    await accept(victim.token, unrelatedProject);
    const members = await api('GET', `${V}/access/project/${unrelatedProject}/users`, { token: firstToken });
    expectErrorEnvelope(members, 401, 'token_revoked');
    // The victim's own token (a password login, not the organization's SSO) keeps working there.
    expect((await api('GET', `${V}/access/project/${unrelatedProject}/users`, { token: victim.token })).status).toBe(200);
    // The victim sees why: the revocation is in their activity, and the organization's administrators see it too.
    const mine = await activity(victim.token, `userId=${victim.userId}&action=sso.tokens.revoke`);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      organizationId: evilOrg,
      metadata: { after: { joined: { type: 'project', id: unrelatedProject } } },
    });
    expect(await activity(attacker.token, `organizationId=${evilOrg}&action=sso.tokens.revoke`)).toHaveLength(1);
  });

  it('the organization’s next SSO login is refused: 403 sso_account_conflict, audited for the victim and the organization', async () => {
    const context = await browser.newContext();
    try {
      const ended = await ssoLogin(context, POSING_AS_VICTIM);
      expect(ended.pathname).toBe(`/v1/auth/callback/oidc/${provider.id}`);
      expect(await errorCodeOf(context)).toBe('sso_account_conflict');
    } finally {
      await context.close();
    }
    const refusals = await activity(victim.token, `userId=${victim.userId}&action=sso.login.refuse`);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      organizationId: evilOrg,
      metadata: { after: { providerId: provider.id, code: 'sso_account_conflict', emailDomain: 'victim-corp.example' } },
    });
    expect(await activity(attacker.token, `organizationId=${evilOrg}&action=sso.login.refuse`)).toHaveLength(1);
    // No token was issued for the victim by the organization's provider.
    const issued = await server.running.store.db
      .selectFrom('tokens')
      .select(['id', 'revoked_at'])
      .where('principal_id', '=', victim.userId)
      .where('organization_id', '=', evilOrg)
      .execute();
    expect(issued).toHaveLength(1);
    expect(issued[0]?.revoked_at).not.toBeNull();
  }, 60_000);

  it('an address outside the approved domains is refused even for an account that belongs to nothing: 403 sso_domain_not_approved', async () => {
    const context = await browser.newContext();
    try {
      await ssoLogin(context, ATTACKER_OWN);
      expect(await errorCodeOf(context)).toBe('sso_domain_not_approved');
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe('the check runs again when the token is issued, and when a project leaves the organization', () => {
  it('an account that joins something outside between the login and /auth/fetch gets no token', async () => {
    const late = await server.createUser('late@victim-corp.example', 'Lou Late');
    await invite(attacker.token, evilProject, 'late@victim-corp.example');
    await accept(late.token, evilProject);
    idp.addAccount({
      login: 'late',
      password: 'late-password',
      claims: { email: 'late@victim-corp.example', email_verified: true, name: 'Lou Late' },
    });
    const context = await browser.newContext();
    let callback: URL;
    try {
      callback = await ssoLogin(context, { login: 'late', password: 'late-password', claims: {} });
    } finally {
      await context.close();
    }
    expect(callback.href.startsWith(`${loopback.url}/callback?`), callback.href).toBe(true);
    await createProject(api, late.token, 'Lou’s own');
    const res = await api('GET', `/v1/auth/fetch?sid=${encodeURIComponent(callback.searchParams.get('sid') ?? '')}`);
    expectErrorEnvelope(res, 403, 'sso_account_conflict');
  }, 60_000);

  it('moving a project out of the organization ends its members’ tokens from the organization’s SSO', async () => {
    const member = await server.createUser('moe@victim-corp.example', 'Moe Member');
    const moving = await api('POST', `${V}/projects`, {
      token: attacker.token,
      body: { displayName: 'Leaving', organizationId: evilOrg },
    });
    expect(moving.status, moving.text).toBe(201);
    await invite(attacker.token, moving.body.id, 'moe@victim-corp.example');
    await accept(member.token, moving.body.id);
    idp.addAccount({
      login: 'moe',
      password: 'moe-password',
      claims: { email: 'moe@victim-corp.example', email_verified: true, name: 'Moe Member' },
    });
    const context = await browser.newContext();
    let ssoToken: string;
    try {
      ssoToken = await tokenFrom(await ssoLogin(context, { login: 'moe', password: 'moe-password', claims: {} }));
    } finally {
      await context.close();
    }
    expect((await api('GET', `${V}/access/project/${moving.body.id}/users`, { token: ssoToken })).status).toBe(200);
    const moved = await api('PATCH', `${V}/projects/${moving.body.id}`, {
      token: attacker.token,
      body: { organizationId: null },
    });
    expect(moved.status, moved.text).toBe(200);
    expectErrorEnvelope(
      await api('GET', `${V}/access/project/${moving.body.id}/users`, { token: ssoToken }),
      401,
      'token_revoked',
    );
    expect((await api('GET', `${V}/access/project/${moving.body.id}/users`, { token: member.token })).status).toBe(200);
  }, 60_000);
});

describe('the operator’s approvals', () => {
  it('GET /organizations/{id}/domains shows them to the organization’s administrators', async () => {
    const res = await api('GET', `${V}/organizations/${evilOrg}/domains`, { token: attacker.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([{ domain: 'victim-corp.example', organizationId: evilOrg, addedAt: expect.any(String) }]);
    expectErrorEnvelope(await api('GET', `${V}/organizations/${evilOrg}/domains`, { token: victim.token }), 404, 'not_found');
  });

  it('gatehouse orgs domains add | list | remove: the operator’s commands, on the database', async () => {
    const org = await createOrganization(api, bystander.token, 'Bystander SSO');
    const env = cleanEnv({ GATEHOUSE_DATABASE_URL: server.databaseUrl, GATEHOUSE_SECRET: server.secret });
    const added = await runCli(['orgs', 'domains', 'add', org, 'Bystander.EXAMPLE'], env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe(`Approved bystander.example for the single sign-on of organization ${org}.\n`);
    expect((await runCli(['orgs', 'domains', 'add', org, 'bystander.example'], env)).stdout).toContain('already approved');
    const listed = await runCli(['orgs', 'domains', 'list', org, '--json'], env);
    expect(JSON.parse(listed.stdout)).toEqual([
      { domain: 'bystander.example', organizationId: org, addedAt: expect.any(String) },
    ]);
    const taken = await runCli(['orgs', 'domains', 'add', org, 'victim-corp.example'], env);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('domain_taken');
    const bad = await runCli(['orgs', 'domains', 'add', org, 'not a domain'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid_input');
    const removed = await runCli(['orgs', 'domains', 'remove', org, 'bystander.example'], env);
    expect(removed.stdout).toBe(`Removed bystander.example from the single sign-on of organization ${org}.\n`);
    const empty = await runCli(['orgs', 'domains', 'list', org], env);
    expect(empty.stdout).toContain('No approved domains');
    const actions = (await activity(bystander.token, `organizationId=${org}`)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['organization.domain.approve', 'organization.domain.remove']));
    expect((await runCli(['orgs', 'domains', 'list', 'onosuchorg'], env)).stderr).toContain('Organization not found: onosuchorg');
  });

  it('a domain is approved for one organization only', async () => {
    const other = await createOrganization(api, bystander.token, 'Bystanders');
    await expect(approveSsoDomain(server, other, 'Victim-Corp.example.')).rejects.toMatchObject({
      status: 409,
      reason: { code: 'domain_taken' },
    });
    await expect(approveSsoDomain(server, other, '*.example')).rejects.toMatchObject({ status: 400 });
    await expect(approveSsoDomain(server, other, '10.0.0.1')).rejects.toMatchObject({ status: 400 });
  });
});
