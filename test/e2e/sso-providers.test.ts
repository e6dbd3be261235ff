/**
 * An organization's identity providers through the API: what is checked when one is written
 * (issuer and entry point URLs, the fields of each type, the certificate, SAML role mappings and
 * who may grant them), that the OIDC client secret is write-only and stored sealed, who may read
 * and write providers, the audit trail, the organization's SSO token lifetime policy, and the
 * public list of an organization's providers by slug.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createOrganization,
  createProject,
  createRobot,
  expectErrorEnvelope,
  type RobotFixture,
  V,
} from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

const CERT = `-----BEGIN CERTIFICATE-----
MIIDFzCCAf+gAwIBAgIUEFeTgjcbI1w9g+YkJyQHivjOWZgwDQYJKoZIhvcNAQEL
BQAwGzEZMBcGA1UEAwwQdGVzdC1pZHAuZXhhbXBsZTAeFw0yNjExMjgwOTIyMDVa
Fw0zNjExMjUwOTIyMDVaMBsxGTAXBgNVBAMMEHRlc3QtaWRwLmV4YW1wbGUwggEi
MA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCoUHPt5oN+vxFIgYcpztzN6a3K
+xXWw2LMIUTlUzlKz63aJVQJou71Sux+FH58ZP0Cof1jOJwQxqI3VaBDz4E6cW8e
U4nP3frlpmTnnk9eD9a9q4gkNhsYXfX35X1/NEaar22D9EHAaU0k2Lqq/7uhGygo
rtEfLuSNgnctjmes8Z5mZINQ6ndh/z2bu/szNp468DDeUfRPAg5N/1rHigp6HHwI
EqbZN2bJjeyW169QysC0hOBD0di8eUqYw6N3OSRq56/YoLqXRxvL8wATdvjvN1rV
3xN/AnHmUcV4pccpM794ttEqMDvDdBw11imPglECiXUnWXUspJruMd0PJHVxAgMB
AAGjUzBRMB0GA1UdDgQWBBSeb5bH4Y7S67ZVK18rjJSiKt5ysTAfBgNVHSMEGDAW
gBSeb5bH4Y7S67ZVK18rjJSiKt5ysTAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3
DQEBCwUAA4IBAQAKPnkoLKJ/UCSwFlKN4/7P2YqSC9E9+X/aOt+xZpa7BZdGDVeH
k0IbjSfR7/vu0HnjKeT8v2UJHFblcy+uiEK79UTZKk+uSF0LCnQNsj9OeKXEHr6r
FCAbZtL1F80lbPJJibsXRsD4ghq/kUijrgGff2Fn9y2LKAcfeCFjEewdnNL/Ba6d
RPXYU3u8sppiZjCtlzNo5moWeTKlIJEjkYNwsqOYID/CdmmvBfQxTdT+X9vHwZJd
l2VVjIxrBG2TF4axVoKYtxj6uWpIdtb/3LYSqfQQIJa84BqSuEc1IINV+6AWJp/x
HJqb4dn8W8cVvJm0WwJ7kqDbO0pip2PR3WLU
-----END CERTIFICATE-----`;

const SECRET = 'very-secret-client-secret-0123456789';

let server: TestServer;
let api: Api;
let owner: { userId: string; token: string };
let organizationId: string;
let projectId: string;
let foreignProjectId: string;
let orgRobot: RobotFixture;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  owner = await server.createUser('sso-owner@example.com', 'Sue Owner');
  organizationId = await createOrganization(api, owner.token, 'SSO org');
  const project = await api('POST', `${V}/projects`, { token: owner.token, body: { displayName: 'In org', organizationId } });
  expect(project.status, project.text).toBe(201);
  projectId = project.body.id;
  foreignProjectId = await createProject(api, owner.token, 'Outside');
  orgRobot = await createRobot(api, owner.token, { type: 'organization', id: organizationId }, ['administrator']);
});

afterAll(async () => {
  await server?.close();
});

const base = () => `${V}/organizations/${organizationId}/providers`;

function oidc(config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    type: 'oidc',
    title: 'Acme OIDC',
    config: { issuer: 'https://login.acme.example/realms/acme', clientId: 'gatehouse', ...config },
    ...extra,
  };
}

function saml(config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    type: 'saml',
    title: 'Acme SAML',
    config: {
      entryPoint: 'https://idp.acme.example/sso/saml',
      idpIssuer: 'https://idp.acme.example/metadata',
      idpCert: CERT,
      ...config,
    },
    ...extra,
  };
}

async function create(body: unknown, token = owner.token) {
  return api('POST', base(), { token, body });
}

describe('OpenID Connect providers', () => {
  it('are created with defaults filled in, named by id, with the URLs to register; the secret is never returned', async () => {
    const res = await create(oidc({ clientSecret: SECRET }));
    expect(res.status, res.text).toBe(201);
    expect(res.text).not.toContain(SECRET);
    const id: string = res.body.id;
    expect(id).toMatch(/^oidc-[a-z0-9]{10,}$/);
    expect(res.body).toEqual({
      id,
      type: 'oidc',
      name: id,
      title: 'Acme OIDC',
      organizationId,
      disabled: false,
      loginUrl: `${server.url}/v1/auth/login/${id}`,
      callbackUrl: `${server.url}/v1/auth/callback/oidc/${id}`,
      entityId: null,
      metadataUrl: null,
      config: {
        issuer: 'https://login.acme.example/realms/acme',
        clientId: 'gatehouse',
        clientSecretSet: true,
        scopes: ['openid', 'email', 'profile'],
        emailClaim: 'email',
        nameClaim: 'name',
      },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const got = await api('GET', `${base()}/${id}`, { token: owner.token });
    expect(got.body).toEqual(res.body);
    const list = await api('GET', base(), { token: owner.token });
    expect(list.body).toContainEqual(res.body);
    expect(list.text).not.toContain(SECRET);

    // Stored sealed (AES-256-GCM under a key derived from the server secret), never in clear.
    const row = await server.running.store.db
      .selectFrom('identity_providers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.config).not.toContain(SECRET);
    expect(JSON.parse(row.config).clientSecretSealed).toMatch(/^gsb1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('PUT replaces everything but the secret: left out it is kept, null removes it; the type cannot change', async () => {
    const { id } = (await create(oidc({ clientSecret: SECRET }))).body;
    const kept = await api('PUT', `${base()}/${id}`, {
      token: owner.token,
      body: oidc(
        { scopes: ['openid', 'email'], emailClaim: 'mail', nameClaim: 'preferred_username' },
        { title: 'Renamed', disabled: true },
      ),
    });
    expect(kept.status, kept.text).toBe(200);
    expect(kept.body).toMatchObject({
      title: 'Renamed',
      disabled: true,
      config: { clientSecretSet: true, scopes: ['openid', 'email'], emailClaim: 'mail', nameClaim: 'preferred_username' },
    });
    const removed = await api('PUT', `${base()}/${id}`, { token: owner.token, body: oidc({ clientSecret: null }) });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body.config.clientSecretSet).toBe(false);
    expect(removed.body.disabled).toBe(false);
    const other = await api('PUT', `${base()}/${id}`, { token: owner.token, body: saml() });
    expectErrorEnvelope(other, 400, 'invalid_input');
    expect(other.body.reason.field).toBe('type');
  });

  it('a sealed secret only opens in its own row: copied to another provider, that login fails without revealing it', async () => {
    const a = (await create(oidc({ clientSecret: SECRET }))).body.id;
    const b = (await create(oidc({ clientSecret: 'another-secret' }))).body.id;
    const db = server.running.store.db;
    const source = await db.selectFrom('identity_providers').select('config').where('id', '=', a).executeTakeFirstOrThrow();
    await db.updateTable('identity_providers').set({ config: source.config }).where('id', '=', b).execute();
    const res = await api('GET', `/v1/auth/login/${b}?origin=${encodeURIComponent('http://127.0.0.1:4321/callback')}`);
    expectErrorEnvelope(res, 500, 'provider_secret_unreadable');
    expect(res.body.reason.hint).toContain(`PUT /organizations/${organizationId}/providers/${b}`);
    expect(res.text).not.toContain(SECRET);
  });

  it('refuses invalid configurations, naming the field', async () => {
    const cases: Array<[unknown, string | undefined]> = [
      [oidc({ issuer: 'not a url' }), 'config.issuer'],
      [oidc({ issuer: 'https://user:pw@login.acme.example' }), 'config.issuer'],
      [oidc({ issuer: 'https://login.acme.example/?a=b' }), 'config.issuer'],
      [oidc({ clientId: undefined }), 'config.clientId'],
      [oidc({ clientId: '   ' }), 'config.clientId'],
      [oidc({ scopes: ['email', 'profile'] }), 'config.scopes'],
      [oidc({ entryPoint: 'https://idp.example/sso' }), 'config.entryPoint'],
      [{ ...oidc(), title: '  ' }, 'title'],
      [saml({ clientId: 'x' }), 'config.clientId'],
      [saml({ idpCert: 'not a certificate' }), 'config.idpCert'],
      [saml({ idpCert: 'QUJD' }), 'config.idpCert'],
      [saml({ entryPoint: 'ftp://idp.example/sso' }), 'config.entryPoint'],
      [saml({ idpIssuer: undefined }), 'config.idpIssuer'],
      // Schema errors, before the service sees the body.
      [{ ...oidc(), extra: 1 }, undefined],
      [oidc({ unknownField: 1 }), undefined],
      [{ ...oidc(), title: 'x'.repeat(101) }, undefined],
      [{ ...oidc(), type: 'ldap' }, undefined],
      [oidc({ scopes: ['openid', 'with space'] }), undefined],
      [saml({ idpCert: 'x'.repeat(20 * 1024 + 1) }), undefined],
      [
        saml({ roleMappings: Array.from({ length: 201 }, () => ({ group: 'g', projectId: 'p', roleNames: ['viewer'] })) }),
        undefined,
      ],
    ];
    // Plain http is an outbound-policy refusal (test/e2e/ssrf.test.ts has the rest of it).
    const http = await create(oidc({ issuer: 'http://login.acme.example' }));
    expectErrorEnvelope(http, 400, 'idp_url_not_allowed');
    expect(http.body.reason).toMatchObject({ field: 'config.issuer', why: 'scheme' });
    for (const [body, field] of cases) {
      const res = await create(body);
      expectErrorEnvelope(res, 400, undefined, JSON.stringify(body).slice(0, 120));
      if (field) {
        expect(res.body.reason, JSON.stringify(body).slice(0, 120)).toMatchObject({ code: 'invalid_input', field });
        expect(typeof res.body.reason.hint).toBe('string');
      }
    }
    // Nothing was written by any of them.
    const events = await server.running.store.db
      .selectFrom('audit_events')
      .select('after')
      .where('action', '=', 'sso.provider.create')
      .execute();
    expect(events.every((e) => !(e.after ?? '').includes('ldap'))).toBe(true);
  });

  it('accepts plain http only for an issuer on this machine', async () => {
    for (const issuer of ['http://localhost:8080/realms/dev', 'http://127.0.0.1:9000']) {
      const res = await create(oidc({ issuer }));
      expect(res.status, res.text).toBe(201);
    }
  });
});

describe('SAML providers', () => {
  it('are created with defaults, the assertion consumer service as callback, and role mappings to the organization’s projects', async () => {
    const res = await create(saml({ roleMappings: [{ group: 'engineering', projectId, roleNames: ['editor', 'editor'] }] }));
    expect(res.status, res.text).toBe(201);
    const id: string = res.body.id;
    expect(id).toMatch(/^saml-[a-z0-9]{10,}$/);
    expect(res.body).toMatchObject({
      type: 'saml',
      name: id,
      loginUrl: `${server.url}/v1/auth/login/${id}`,
      callbackUrl: `${server.url}/v1/auth/saml/acs/${id}`,
      // The service provider's entity id is the URL of its metadata, which names it so.
      entityId: `${server.url}/v1/auth/saml/metadata/${id}`,
      metadataUrl: `${server.url}/v1/auth/saml/metadata/${id}`,
      config: {
        entryPoint: 'https://idp.acme.example/sso/saml',
        idpIssuer: 'https://idp.acme.example/metadata',
        idpCert: CERT,
        groupsAttribute: 'groups',
        emailAttribute: null,
        nameAttribute: 'displayName',
        roleMappings: [{ group: 'engineering', projectId, roleNames: ['editor'] }],
      },
    });
    const metadata = await fetch(res.body.metadataUrl);
    expect(await metadata.text()).toContain(`entityID="${res.body.entityId}"`);
    // The base64 body of the certificate is accepted too.
    const body = CERT.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
    const bare = await create(saml({ idpCert: body, emailAttribute: 'mail' }));
    expect(bare.status, bare.text).toBe(201);
    expect(bare.body.config.emailAttribute).toBe('mail');
  });

  it('role mappings: only projects of the organization, existing roles that apply to people', async () => {
    const foreign = await create(saml({ roleMappings: [{ group: 'g', projectId: foreignProjectId, roleNames: ['viewer'] }] }));
    expectErrorEnvelope(foreign, 400, 'invalid_input');
    expect(foreign.body.reason.field).toBe('config.roleMappings[0].projectId');
    const missing = await create(saml({ roleMappings: [{ group: 'g', projectId: 'nosuchproject', roleNames: ['viewer'] }] }));
    expect(missing.body.reason.field).toBe('config.roleMappings[0].projectId');
    expectErrorEnvelope(
      await create(saml({ roleMappings: [{ group: 'g', projectId, roleNames: ['no-such-role'] }] })),
      404,
      'role_not_found',
    );
    expectErrorEnvelope(
      await create(saml({ roleMappings: [{ group: 'g', projectId, roleNames: ['deploy-studio'] }] })),
      400,
      'role_not_applicable',
    );
  });

  it('role mappings grant roles at every login: writing one needs the right to grant them (no escalation)', async () => {
    // Somebody trusted with SSO settings of the organization, but only a viewer of its project.
    const ssoRole = await api('POST', `${V}/access/organization/${organizationId}/roles`, {
      token: owner.token,
      body: {
        name: 'sso-manager',
        title: 'SSO manager',
        appliesToUsers: true,
        appliesToRobots: false,
        permissions: [
          { name: 'sanity-organization', action: 'read' },
          { name: 'sanity-organization-sso', action: 'read' },
          { name: 'sanity-organization-sso', action: 'update' },
        ],
      },
    });
    expect(ssoRole.status, ssoRole.text).toBe(201);
    const manager = await server.createUser();
    await addMember(server, { type: 'organization', id: organizationId }, manager.userId, ['sso-manager']);
    await addMember(server, { type: 'project', id: projectId }, manager.userId, ['viewer']);

    const escalate = await create(
      saml({ roleMappings: [{ group: 'g', projectId, roleNames: ['administrator'] }] }),
      manager.token,
    );
    expectErrorEnvelope(escalate, 403, 'privilege_escalation');
    const allowed = await create(saml({ roleMappings: [{ group: 'g', projectId, roleNames: ['viewer'] }] }), manager.token);
    expect(allowed.status, allowed.text).toBe(201);

    // A mapping the owner wrote stays editable by the manager as long as it is unchanged.
    const owned = (await create(saml({ roleMappings: [{ group: 'admins', projectId, roleNames: ['administrator'] }] }))).body.id;
    const retitled = await api('PUT', `${base()}/${owned}`, {
      token: manager.token,
      body: saml({ roleMappings: [{ group: 'admins', projectId, roleNames: ['administrator'] }] }, { title: 'Retitled' }),
    });
    expect(retitled.status, retitled.text).toBe(200);
    const widened = await api('PUT', `${base()}/${owned}`, {
      token: manager.token,
      body: saml({ roleMappings: [{ group: 'admins', projectId, roleNames: ['administrator', 'editor'] }] }),
    });
    expectErrorEnvelope(widened, 403, 'privilege_escalation');
  });
});

describe('who may read and write providers', () => {
  let providerId: string;

  beforeAll(async () => {
    providerId = (await create(oidc({ clientSecret: SECRET }))).body.id;
  });

  it('organization robots may read; only people write (403 principal_not_accepted, with the reason)', async () => {
    expect((await api('GET', base(), { token: orgRobot.token })).status).toBe(200);
    expect((await api('GET', `${base()}/${providerId}`, { token: orgRobot.token })).status).toBe(200);
    const write = await create(oidc(), orgRobot.token);
    expectErrorEnvelope(write, 403, 'principal_not_accepted');
    expect(write.body.reason.hint).toContain('only people configure them');
    expectErrorEnvelope(await api('DELETE', `${base()}/${providerId}`, { token: orgRobot.token }), 403, 'principal_not_accepted');
  });

  it('members without the SSO permission get 403 missing_permission; strangers 404; anonymous 401', async () => {
    const member = await server.createUser();
    await addMember(server, { type: 'organization', id: organizationId }, member.userId, ['member']);
    const res = await api('GET', base(), { token: member.token });
    expectErrorEnvelope(res, 403, 'missing_permission');
    expect(res.body.reason.permission).toBe('sanity.organization.sso.read');
    const stranger = await server.createUser();
    expectErrorEnvelope(await api('GET', `${base()}/${providerId}`, { token: stranger.token }), 404, 'not_found');
    expectErrorEnvelope(await api('GET', base()), 401, 'missing_token');
  });

  it('a provider of another organization is not found through this one', async () => {
    const otherOrg = await createOrganization(api, owner.token, 'Other org');
    const res = await api('GET', `${V}/organizations/${otherOrg}/providers/${providerId}`, { token: owner.token });
    expectErrorEnvelope(res, 404, 'not_found');
    expectErrorEnvelope(await api('GET', `${base()}/oidc-doesnotexist00`, { token: owner.token }), 404, 'not_found');
    expectErrorEnvelope(await api('GET', `${base()}/ldap-whatever`, { token: owner.token }), 400);
  });
});

describe('audit, deletion, limits', () => {
  it('create, update and delete each write one audit event, with no secret in it', async () => {
    const { id } = (await create(oidc({ clientSecret: SECRET }))).body;
    await api('PUT', `${base()}/${id}`, { token: owner.token, body: oidc({ clientSecret: `${SECRET}-2` }) });
    const deleted = await api('DELETE', `${base()}/${id}`, { token: owner.token });
    expect(deleted.status, deleted.text).toBe(204);
    expectErrorEnvelope(await api('GET', `${base()}/${id}`, { token: owner.token }), 404, 'not_found');
    const events = await server.running.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('target_id', '=', id)
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.action)).toEqual(['sso.provider.create', 'sso.provider.update', 'sso.provider.delete']);
    for (const event of events) {
      expect(event).toMatchObject({ actor_id: owner.userId, resource_type: 'organization', resource_id: organizationId });
      expect(`${event.before}${event.after}`).not.toContain(SECRET);
    }
    expect(JSON.parse(events[1]?.after ?? '{}')).toMatchObject({ clientSecretChanged: true });
  });

  it('at most 20 providers per organization: 409 provider_limit_reached', async () => {
    const org = await createOrganization(api, owner.token, 'Many providers');
    for (let i = 0; i < 20; i++) {
      const res = await api('POST', `${V}/organizations/${org}/providers`, { token: owner.token, body: oidc() });
      expect(res.status, res.text).toBe(201);
    }
    const res = await api('POST', `${V}/organizations/${org}/providers`, { token: owner.token, body: oidc() });
    expectErrorEnvelope(res, 409, 'provider_limit_reached');
  });
});

describe('the organization’s SSO token lifetime policy', () => {
  it('is null by default, takes 1–365 days or null, and is audited', async () => {
    const org = await createOrganization(api, owner.token, 'Lifetimes');
    const path = `${V}/organizations/${org}/policies`;
    expect((await api('GET', path, { token: owner.token })).body.ssoTokenLifetimeDays).toBeNull();
    for (const bad of [0, 366, 1.5, '7']) {
      expectErrorEnvelope(await api('PATCH', path, { token: owner.token, body: { ssoTokenLifetimeDays: bad } }), 400);
    }
    const set = await api('PATCH', path, { token: owner.token, body: { ssoTokenLifetimeDays: 14 } });
    expect(set.status, set.text).toBe(200);
    expect(set.body.ssoTokenLifetimeDays).toBe(14);
    const cleared = await api('PATCH', path, { token: owner.token, body: { ssoTokenLifetimeDays: null } });
    expect(cleared.body.ssoTokenLifetimeDays).toBeNull();
    const events = await server.running.store.db
      .selectFrom('audit_events')
      .select('after')
      .where('action', '=', 'organization.policies.update')
      .where('resource_id', '=', org)
      .orderBy('id')
      .execute();
    expect(events.map((e) => JSON.parse(e.after ?? '{}').ssoTokenLifetimeDays)).toEqual([14, null]);
  });
});

describe('GET /auth/organizations/by-slug/{slug}/providers', () => {
  it('lists every provider of the organization for anybody, disabled ones marked; 404 for an unknown slug', async () => {
    const org = await createOrganization(api, owner.token, 'Slugged');
    expect((await api('PATCH', `${V}/organizations/${org}`, { token: owner.token, body: { slug: 'slugged' } })).status).toBe(200);
    expect((await api('GET', '/v1/auth/organizations/by-slug/slugged/providers')).body).toEqual([]);
    const a = (await api('POST', `${V}/organizations/${org}/providers`, { token: owner.token, body: oidc() })).body;
    const b = (
      await api('POST', `${V}/organizations/${org}/providers`, { token: owner.token, body: saml({}, { disabled: true }) })
    ).body;
    const res = await api('GET', '/v2021-10-01/auth/organizations/by-slug/slugged/providers');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toHaveLength(2);
    expect(res.body).toContainEqual({
      id: a.id,
      name: a.id,
      title: 'Acme OIDC',
      type: 'oidc',
      organizationId: org,
      loginUrl: a.loginUrl,
      callbackUrl: a.callbackUrl,
      disabled: false,
    });
    expect(res.body).toContainEqual(
      expect.objectContaining({ id: b.id, type: 'saml', disabled: true, callbackUrl: b.callbackUrl }),
    );
    expect(res.text).not.toContain('config');
    expectErrorEnvelope(await api('GET', '/v1/auth/organizations/by-slug/nope/providers'), 404, 'not_found');
    expectErrorEnvelope(await api('GET', '/v1/auth/organizations/by-slug/Not_A_Slug/providers'), 400);
  });

  it('a disabled provider starts no login: 404 provider_not_found', async () => {
    const { id } = (await create(oidc({}, { disabled: true }))).body;
    const res = await api('GET', `/v1/auth/login/${id}?origin=${encodeURIComponent('http://127.0.0.1:4321/callback')}`);
    expectErrorEnvelope(res, 404, 'provider_not_found');
  });
});
