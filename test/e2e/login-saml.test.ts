/**
 * SAML 2.0 login through an organization's provider, against a real SAML identity provider
 * (samlify, test/support/saml-idp.ts) that trusts Gatehouse's metadata as served.
 *
 * In real headless Chromium: the CLI-style login URL → the IdP's login page (a person in group
 * `engineering`) → the IdP posts its signed answer to the ACS → back on the loopback callback with
 * `?sid=` → the token has the organization's SSO lifetime, belongs to that person, and the group
 * mapping made them an editor of the project. Over HTTP: the answers that must be refused (unsigned,
 * only the response signed, signed with another key, tampered with, another audience, recipient,
 * issuer or request, expired, unknown or missing RelayState, replayed), repeat logins, the NameID as
 * the identity, existing accounts outside the organization (never taken over by an assertion), role
 * additions that never remove, and disabled providers. The browser runs under both databases.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, haveChromium, newWatchedPage, withBrowser } from '../support/browser.js';
import { addMember, approveSsoDomain, createOrganization, expectErrorEnvelope, V } from '../support/fixtures.js';
import { type SamlIdp, type SamlRequestInfo, type SamlUser, selfSignedCertificate, startSamlIdp } from '../support/saml-idp.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const DAY = 86_400_000;
const ORG_SSO_DAYS = 3;

let server: TestServer;
let api: Api;
let idp: SamlIdp;
let callback: { url: string; hits: string[]; close(): Promise<void> };
let admin: { userId: string; token: string };
let organizationId: string;
let projectId: string;
let outsideProjectId: string;
let providerId: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  idp = await startSamlIdp();
  callback = await startCallbackServer();
  admin = await server.createUser('saml-admin@example.com', 'Sam Admin');
  organizationId = await createOrganization(api, admin.token, 'Acme');
  // The operator vouches for the organization's provider over acme.example addresses.
  await approveSsoDomain(server, organizationId, 'acme.example');
  projectId = await createProjectIn(organizationId, 'Acme web');
  // Mapped while in the organization, then moved out: its rule must be skipped from then on.
  outsideProjectId = await createProjectIn(organizationId, 'Leaving soon');
  const policies = await api('PATCH', `${V}/organizations/${organizationId}/policies`, {
    token: admin.token,
    body: { ssoTokenLifetimeDays: ORG_SSO_DAYS },
  });
  expect(policies.status, policies.text).toBe(200);
  providerId = await createSamlProvider({
    roleMappings: [
      { group: 'engineering', projectId, roleNames: ['editor'] },
      { group: 'contractors', projectId: outsideProjectId, roleNames: ['viewer'] },
    ],
  });
  const moved = await api('PATCH', `${V}/projects/${outsideProjectId}`, { token: admin.token, body: { organizationId: null } });
  expect(moved.status, moved.text).toBe(200);
  // The administrator hands Gatehouse's metadata to the identity provider.
  const metadata = await api('GET', `/v1/auth/saml/metadata/${providerId}`);
  expect(metadata.status, metadata.text).toBe(200);
  idp.trust(metadata.text);
}, 60_000);

afterAll(async () => {
  await callback?.close();
  await idp?.close();
  await server?.close();
});

async function createProjectIn(organization: string, displayName: string): Promise<string> {
  const res = await api('POST', `${V}/projects`, { token: admin.token, body: { displayName, organizationId: organization } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** A SAML provider of the organization, configured through the API as its administrator would. */
async function createSamlProvider(
  extra: { roleMappings?: Array<{ group: string; projectId: string; roleNames: string[] }>; emailAttribute?: string } = {},
  { disabled = false } = {},
): Promise<string> {
  const res = await api('POST', `${V}/organizations/${organizationId}/providers`, {
    token: admin.token,
    body: {
      type: 'saml',
      title: 'Acme SAML',
      disabled,
      config: {
        entryPoint: idp.ssoUrl,
        idpIssuer: idp.entityId,
        idpCert: idp.certificatePem,
        roleMappings: extra.roleMappings ?? [],
        ...(extra.emailAttribute ? { emailAttribute: extra.emailAttribute } : {}),
      },
    },
  });
  expect(res.status, res.text).toBe(201);
  expect(res.body).toMatchObject({
    type: 'saml',
    loginUrl: `${server.url}/v1/auth/login/${res.body.id}`,
    callbackUrl: `${server.url}/v1/auth/saml/acs/${res.body.id}`,
  });
  return res.body.id;
}

function loginPath(provider = providerId): string {
  const origin = `${callback.url}/callback`;
  return `/v1/auth/login/${provider}?origin=${encodeURIComponent(origin)}&type=token&label=${encodeURIComponent('laptop / Linux')}`;
}

/** Starts a login as the CLI would: Gatehouse's redirect to the IdP, and the AuthnRequest in it. */
async function startLogin(provider = providerId): Promise<SamlRequestInfo & { location: string }> {
  const res = await api('GET', loginPath(provider));
  expect(res.status, res.text).toBe(302);
  const location = res.headers.get('location') ?? '';
  expect(location.startsWith(`${idp.ssoUrl}?`), location).toBe(true);
  return { ...idp.parseRedirect(location), location };
}

async function postAcs(
  samlResponse: string,
  relayState: string | undefined,
  provider = providerId,
  headers: Record<string, string> = {},
): Promise<{ status: number; location: string | null; text: string; contentType: string | null }> {
  const form = new URLSearchParams({ SAMLResponse: samlResponse });
  if (relayState !== undefined) form.set('RelayState', relayState);
  const res = await fetch(`${server.url}/v1/auth/saml/acs/${provider}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  return {
    status: res.status,
    location: res.headers.get('location'),
    text: await res.text(),
    contentType: res.headers.get('content-type'),
  };
}

/** The sid on the callback URL, turned into the personal token. */
async function fetchToken(callbackUrl: string): Promise<{ token: string; label: string; expiresAt: string }> {
  const url = new URL(callbackUrl);
  expect(`${url.origin}${url.pathname}`).toBe(`${callback.url}/callback`);
  const sid = url.searchParams.get('sid') ?? '';
  expect(sid.length).toBeGreaterThanOrEqual(20);
  const fetched = await api('GET', `/v1/auth/fetch?sid=${sid}`);
  expect(fetched.status, fetched.text).toBe(200);
  return fetched.body;
}

/**
 * A whole login over HTTP, through the IdP's own pages (what the browser does, without one): the
 * callback URL the browser would land on.
 */
async function loginOverHttpToCallback(user: SamlUser): Promise<string> {
  const { location } = await startLogin();
  const page = await (await fetch(location)).text();
  const pending = /name="pending" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const form = new URLSearchParams({ pending, email: user.email, name: user.name ?? '', groups: (user.groups ?? []).join(',') });
  const answer = await (
    await fetch(`${idp.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    })
  ).text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(answer)?.[1] ?? '';
  expect(/action="([^"]+)"/.exec(answer)?.[1]).toBe(`${server.url}/v1/auth/saml/acs/${providerId}`);
  const res = await postAcs(field('SAMLResponse'), field('RelayState'));
  expect(res.status, res.text).toBe(303);
  return res.location ?? '';
}

async function loginOverHttp(user: SamlUser): Promise<{ token: string; label: string; expiresAt: string }> {
  return fetchToken(await loginOverHttpToCallback(user));
}

async function me(token: string) {
  const res = await api('GET', '/v1/users/me', { token });
  expect(res.status, res.text).toBe(200);
  return res.body as { id: string; email: string; name: string; provider: string };
}

async function projectRoles(userId: string, project = projectId): Promise<string[] | null> {
  const res = await api('GET', `${V}/access/project/${project}/users/${userId}`, { token: admin.token });
  if (res.status === 404) return null;
  expect(res.status, res.text).toBe(200);
  const membership = (res.body.memberships as Array<{ resourceId: string; roleNames: string[] }>).find(
    (m) => m.resourceId === project,
  );
  return membership ? [...membership.roleNames].sort() : null;
}

async function usersWithEmail(email: string): Promise<number> {
  const rows = await server.running.store.db.selectFrom('users').select('id').where('email', '=', email).execute();
  return rows.length;
}

async function roleEvents(userId: string) {
  return server.running.store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', 'sso.roles.apply')
    .where('target_id', '=', userId)
    .execute();
}

function expectAround(iso: string, expected: number): void {
  expect(Math.abs(Date.parse(iso) - expected), `${iso} vs ${new Date(expected).toISOString()}`).toBeLessThan(60_000);
}

function expectRefusedPage(res: { status: number; text: string; contentType: string | null }, code: string, status = 400): void {
  expect(res.status, res.text).toBe(status);
  expect(res.contentType).toMatch(/^text\/html/);
  expect(res.text).toContain('Login failed');
  expect(res.text).toContain(`<code id="code">${code}</code>`);
}

describe('SAML service provider metadata', () => {
  it('names the entity id, the assertion consumer service, and that assertions must be signed', async () => {
    const res = await api('GET', `/v1/auth/saml/metadata/${providerId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    expect(res.text).toContain(`entityID="${server.url}/v1/auth/saml/metadata/${providerId}"`);
    expect(res.text).toContain(`Location="${server.url}/v1/auth/saml/acs/${providerId}"`);
    expect(res.text).toContain('WantAssertionsSigned="true"');
    expect(res.text).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    // The same document every time.
    expect((await api('GET', `/v1/auth/saml/metadata/${providerId}`)).text).toBe(res.text);
    expect(idp.acsOf(`${server.url}/v1/auth/saml/metadata/${providerId}`)).toBe(`${server.url}/v1/auth/saml/acs/${providerId}`);
  });

  it('is a 404 for a provider that does not exist', async () => {
    expectErrorEnvelope(await api('GET', '/v1/auth/saml/metadata/saml-doesnotexist0'), 404, 'provider_not_found');
  });
});

describe('a SAML login in Chromium', () => {
  const email = 'erin.engineer@acme.example';

  it('lands on the loopback callback with a sid; the token has the organization’s SSO lifetime and the group’s project role', async () => {
    let callbackUrl: string;
    if (haveChromium) {
      callbackUrl = await withBrowser(async (browser) => {
        const { page, problems } = await newWatchedPage(browser);
        try {
          await page.goto(`${server.url}${loginPath()}`);
          // The identity provider's login page: log in as a person in group "engineering".
          await page.waitForURL((url) => url.href.startsWith(`${idp.ssoUrl}?`));
          await page.fill('input[name="email"]', email);
          await page.fill('input[name="name"]', 'Erin Engineer');
          await page.fill('input[name="groups"]', 'engineering, staff');
          await page.click('button[type="submit"]');
          // The IdP posts its answer to the ACS, which sends the browser back to the CLI's callback.
          await page.waitForURL((url) => url.href.startsWith(`${callback.url}/callback?`), { timeout: 15_000 });
          expect(await page.textContent('body')).toContain('Logged in');
          expect(problems).toEqual([]);
          return page.url();
        } catch (error) {
          await page.screenshot({ path: '/tmp/gatehouse-saml-failure.png', fullPage: true }).catch(() => {});
          throw error;
        }
      });
    } else {
      console.warn(`${CHROMIUM} is missing: the SAML login was driven over HTTP only`);
      callbackUrl = await loginOverHttpToCallback({ email, name: 'Erin Engineer', groups: ['engineering', 'staff'] });
      callback.hits.push(callbackUrl);
    }
    expect(callback.hits.at(-1)).toBe(callbackUrl);
    const { url: fetchUrl } = Object.fromEntries(new URL(callbackUrl).searchParams) as { url: string };
    expect(fetchUrl.startsWith(`${server.url}/v1/auth/fetch?sid=`)).toBe(true);

    const login = await fetchToken(callbackUrl);
    expect(login.label).toBe('laptop / Linux');
    expectAround(login.expiresAt, Date.now() + ORG_SSO_DAYS * DAY);

    const user = await me(login.token);
    expect(user).toMatchObject({ email, name: 'Erin Engineer', provider: providerId });
    expect(await projectRoles(user.id)).toEqual(['editor']);
    const events = await roleEvents(user.id);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.after ?? '{}')).toMatchObject({
      providerId,
      organizationId,
      changes: [{ projectId, joined: true, addedRoles: ['editor'] }],
    });
    // The token works as a bearer token like any other personal token.
    expect((await api('GET', `${V}/projects/${projectId}`, { token: login.token })).status).toBe(200);
    // Nothing secret reached the log: not the token, not the assertion.
    expect(server.logs()).not.toContain(login.token);
    expect(server.logs()).not.toContain(Buffer.from('<samlp:Response').toString('base64').slice(0, 16));
  }, 90_000);

  it('a second login is the same person, with nothing to change, and the server’s default SSO lifetime once the organization has none', async () => {
    const policies = await api('PATCH', `${V}/organizations/${organizationId}/policies`, {
      token: admin.token,
      body: { ssoTokenLifetimeDays: null },
    });
    expect(policies.status, policies.text).toBe(200);
    try {
      const login = await loginOverHttp({ email, name: 'Erin Engineer', groups: ['engineering'] });
      const user = await me(login.token);
      expect(user.email).toBe(email);
      expect(await usersWithEmail(email)).toBe(1);
      expectAround(login.expiresAt, Date.now() + server.config.identity.ssoTokenLifetimeDays * DAY);
      expect(server.config.identity.ssoTokenLifetimeDays).toBe(7);
      expect(await projectRoles(user.id)).toEqual(['editor']);
      expect(await roleEvents(user.id)).toHaveLength(1); // no change, no event
    } finally {
      await api('PATCH', `${V}/organizations/${organizationId}/policies`, {
        token: admin.token,
        body: { ssoTokenLifetimeDays: ORG_SSO_DAYS },
      });
    }
  });
});

describe('the person an assertion names', () => {
  it('with emailAttribute, the NameID is the identity and the e-mail address comes from the attribute', async () => {
    const opaque = await createSamlProvider({ emailAttribute: 'email' });
    idp.trust((await api('GET', `/v1/auth/saml/metadata/${opaque}`)).text);
    const login = async (email: string) => {
      const request = await startLogin(opaque);
      const res = await postAcs(
        await idp.response({ request, user: { email, nameId: 'employee-1001' } }),
        request.relayState,
        opaque,
      );
      expect(res.status, res.text).toBe(303);
      return me((await fetchToken(res.location ?? '')).token);
    };
    const first = await login('olga@acme.example');
    expect(first).toMatchObject({ email: 'olga@acme.example', name: 'olga', provider: opaque });
    // The address changed at the identity provider: still the same person (the link is the NameID).
    const second = await login('olga.renamed@acme.example');
    expect(second.id).toBe(first.id);
    expect(await usersWithEmail('olga.renamed@acme.example')).toBe(0);
  });
});

describe('existing accounts', () => {
  it('an address outside the approved domains is never logged in: 403 sso_domain_not_approved', async () => {
    const victim = await server.createUser('victor.victim@elsewhere.example', 'Victor Victim');
    const request = await startLogin();
    const answer = await idp.response({ request, user: { email: 'victor.victim@elsewhere.example', groups: ['engineering'] } });
    expectRefusedPage(await postAcs(answer, request.relayState), 'sso_domain_not_approved', 403);
    expect(await projectRoles(victim.userId)).toBeNull();
    // Not even once the account belongs to the organization: the operator vouched for acme.example only.
    await addMember(server, { type: 'project', id: projectId }, victim.userId, ['viewer']);
    expectRefusedPage(await postAcs(answer, request.relayState), 'sso_domain_not_approved', 403);
    const links = await server.running.store.db
      .selectFrom('identities')
      .selectAll()
      .where('user_id', '=', victim.userId)
      .execute();
    expect(links).toEqual([]);
  });

  it('an account that belongs to something outside the organization is not taken over: 403 sso_account_conflict', async () => {
    const victim = await server.createUser('valerie.victim@acme.example', 'Valerie Victim');
    // A member of a project that left the organization: outside it.
    await addMember(server, { type: 'project', id: outsideProjectId }, victim.userId, ['viewer']);
    const request = await startLogin();
    const answer = await idp.response({ request, user: { email: 'valerie.victim@acme.example', groups: ['engineering'] } });
    expectRefusedPage(await postAcs(answer, request.relayState), 'sso_account_conflict', 403);
    expect(await projectRoles(victim.userId)).toBeNull();
    expect(server.logs()).toContain(`user ${victim.userId} belongs to 1 resource(s) outside organization ${organizationId}`);

    // Once the account belongs to nothing outside the organization, the organization's SSO logs in to it.
    const removed = await api('DELETE', `${V}/access/project/${outsideProjectId}/users/${victim.userId}`, {
      token: admin.token,
    });
    expect(removed.status, removed.text).toBe(204);
    const res = await postAcs(answer, request.relayState);
    expect(res.status, res.text).toBe(303);
    expect((await me((await fetchToken(res.location ?? '')).token)).id).toBe(victim.userId);
    expect(await projectRoles(victim.userId)).toEqual(['editor']);
  });
});

describe('group → role mapping', () => {
  it('adds the mapped role to an existing member and never takes roles away', async () => {
    const existing = await server.createUser('vera.viewer@acme.example', 'Vera Viewer');
    await addMember(server, { type: 'project', id: projectId }, existing.userId, ['viewer']);

    const first = await loginOverHttp({ email: 'vera.viewer@acme.example', groups: ['engineering'] });
    const user = await me(first.token);
    expect(user.id).toBe(existing.userId); // linked by e-mail address, not a new account
    expect(await projectRoles(user.id)).toEqual(['editor', 'viewer']);
    const events = await roleEvents(user.id);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.after ?? '{}').changes).toEqual([{ projectId, joined: false, addedRoles: ['editor'] }]);

    // Out of the group at the IdP: the login still works and keeps both roles.
    await loginOverHttp({ email: 'vera.viewer@acme.example', groups: [] });
    expect(await projectRoles(user.id)).toEqual(['editor', 'viewer']);
    expect(await roleEvents(user.id)).toHaveLength(1);
  });

  it('skips a rule whose project has left the organization, and says so in the log', async () => {
    const login = await loginOverHttp({ email: 'cora.contractor@acme.example', groups: ['contractors'] });
    const user = await me(login.token);
    expect(await projectRoles(user.id, outsideProjectId)).toBeNull();
    expect(await projectRoles(user.id)).toBeNull();
    expect(await roleEvents(user.id)).toHaveLength(0);
    expect(server.logs()).toContain('SAML role mapping rule skipped');
    expect(server.logs()).toContain(outsideProjectId);
  });

  it('a person in no mapped group gets an account and a token, and no membership', async () => {
    const login = await loginOverHttp({ email: 'nora.nogroup@acme.example', groups: ['marketing'] });
    const user = await me(login.token);
    expect(user.provider).toBe(providerId);
    expect(await projectRoles(user.id)).toBeNull();
  });
});

describe('answers that must be refused', () => {
  const mallory = 'mallory@acme.example';

  /** A refused answer leaves no account behind and the flow still open for the real answer. */
  async function expectRefused(
    build: (request: SamlRequestInfo) => Promise<string>,
    code = 'saml_response_invalid',
  ): Promise<void> {
    const request = await startLogin();
    const answer = await build(request);
    const res = await postAcs(answer, request.relayState);
    expectRefusedPage(res, code);
    expect(server.logs()).not.toContain(answer.slice(0, 60)); // the answer names a person: never logged
    expect(res.location).toBeNull();
    expect(res.text).not.toContain('signature'); // the reason is in the log, not on the page
    expect(await usersWithEmail(mallory)).toBe(0);
    // The real answer to the same request still works.
    const good = await postAcs(await idp.response({ request, user: { email: 'rita.retry@acme.example' } }), request.relayState);
    expect(good.status, good.text).toBe(303);
    await fetchToken(good.location ?? '');
  }

  it('an unsigned response', async () => {
    await expectRefused((request) => idp.response({ request, user: { email: mallory }, sign: 'none' }));
    expect(server.logs()).toContain('SAML login refused');
  });

  it('a signed response around an unsigned assertion', async () => {
    await expectRefused((request) => idp.response({ request, user: { email: mallory }, sign: 'response' }));
  });

  it('an assertion signed with another key', async () => {
    const impostor = selfSignedCertificate('Impostor IdP');
    await expectRefused((request) => idp.response({ request, user: { email: mallory }, signingKey: impostor }));
  });

  it('an assertion changed after it was signed', async () => {
    await expectRefused((request) =>
      idp.response({
        request,
        user: { email: 'tom.trusted@acme.example', groups: ['staff'] },
        tamper: (xml) => xml.replaceAll('tom.trusted@acme.example', mallory),
      }),
    );
    await expectRefused((request) =>
      idp.response({
        request,
        user: { email: mallory, groups: ['staff'] },
        sign: 'both',
        tamper: (xml) => xml.replace('>staff<', '>engineering<'),
      }),
    );
  });

  it('an assertion for another audience, recipient, issuer or request', async () => {
    await expectRefused((request) => idp.response({ request, user: { email: mallory }, audience: 'https://other.example/sp' }));
    await expectRefused((request) => idp.response({ request, user: { email: mallory }, recipient: 'https://other.example/acs' }));
    await expectRefused((request) => idp.response({ request, user: { email: mallory }, issuer: 'https://other.example/idp' }));
    await expectRefused((request) => idp.response({ request, user: { email: mallory }, inResponseTo: '_someotherrequest' }));
  });

  it('an expired assertion', async () => {
    const past = Date.now() - 10 * 60_000;
    await expectRefused((request) =>
      idp.response({ request, user: { email: mallory }, notBefore: new Date(past - 5 * 60_000), notOnOrAfter: new Date(past) }),
    );
  });

  it('an assertion not valid yet', async () => {
    const future = Date.now() + 10 * 60_000;
    await expectRefused((request) =>
      idp.response({
        request,
        user: { email: mallory },
        notBefore: new Date(future),
        notOnOrAfter: new Date(future + 5 * 60_000),
      }),
    );
  });

  it('an unknown RelayState, a missing one (IdP-initiated), and a replayed answer', async () => {
    const request = await startLogin();
    const answer = await idp.response({ request, user: { email: 'rhea.replay@acme.example' } });
    expectRefusedPage(await postAcs(answer, 'not-a-flow-of-this-provider'), 'login_expired');
    expectRefusedPage(await postAcs(answer, undefined), 'saml_unsolicited_response');
    // An old session cookie in the browser does not stand in the way of logging in again.
    const first = await postAcs(answer, request.relayState, providerId, { cookie: 'gatehouse_session=gth_user_stale' });
    expect(first.status, first.text).toBe(303);
    expectRefusedPage(await postAcs(answer, request.relayState), 'login_expired');
    // The sid works once too.
    await fetchToken(first.location ?? '');
    const again = await api('GET', `/v1/auth/fetch?sid=${new URL(first.location ?? '').searchParams.get('sid')}`);
    expect(again.status).toBe(401);
  });

  it('an answer for one provider posted to another', async () => {
    const other = await createSamlProvider();
    const request = await startLogin();
    expectRefusedPage(
      await postAcs(await idp.response({ request, user: { email: mallory } }), request.relayState, other),
      'login_expired',
    );
  });

  it('an answer without an e-mail address', async () => {
    const request = await startLogin();
    const res = await postAcs(await idp.response({ request, user: { email: '', nameId: 'opaque-id-42' } }), request.relayState);
    expectRefusedPage(res, 'saml_email_missing');
  });

  it('a body that is not a form', async () => {
    const res = await api('POST', `/v1/auth/saml/acs/${providerId}`, { body: { SAMLResponse: 'x', RelayState: 'y' } });
    expectErrorEnvelope(res, 415, 'unsupported_media_type');
  });
});

describe('a disabled provider', () => {
  it('starts no login (404) and accepts no answer', async () => {
    const disabled = await createSamlProvider({}, { disabled: true });
    expectErrorEnvelope(await api('GET', loginPath(disabled)), 404, 'provider_not_found');
    const request = await startLogin();
    const res = await postAcs(
      await idp.response({ request, user: { email: 'dora.disabled@acme.example' } }),
      request.relayState,
      disabled,
    );
    expectRefusedPage(res, 'provider_not_found', 404);
    expect(await usersWithEmail('dora.disabled@acme.example')).toBe(0);
    // Its metadata is still served (nothing secret; lets an IdP be set up before switching it on).
    expect((await api('GET', `/v1/auth/saml/metadata/${disabled}`)).status).toBe(200);
  });
});

/** The loopback listener a CLI runs during `login`: records where the browser landed. */
async function startCallbackServer(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  let base = '';
  const listener: Server = createServer((req, res) => {
    if (req.url?.startsWith('/callback')) hits.push(`${base}${req.url}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>ok</title><p>Logged in</p>');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  return { url: base, hits, close: () => new Promise<void>((resolve) => listener.close(() => resolve())) };
}
