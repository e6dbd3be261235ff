/**
 * Outbound requests to identity providers cannot be aimed at the server's own network (SSRF), with
 * canary servers on 127.0.0.1 that count every request they get.
 *
 * As found: an organization's OIDC issuer (or SAML entry point) on a loopback or private address
 * was accepted, and an anonymous `GET /v1/auth/login/{provider}` made the server fetch it. Now:
 *
 * - such URLs are refused when a provider is saved (400 `idp_url_not_allowed`): plain http, private
 *   and special addresses in every spelling, names of local hosts, and names that resolve to them;
 * - a provider saved while the operator allowed its host (GATEHOUSE_IDP_ALLOWED_HOSTS) is refused
 *   when used on a node where the host is not allowed (502 `provider_address_refused`), without a
 *   single request reaching it;
 * - the check sits in the DNS lookup of every connection (a name that now resolves to 127.0.0.1 is
 *   refused), and redirects are never followed into private ranges;
 * - the authorization endpoint a discovery document names, where browsers are sent, follows the same
 *   rules.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundPolicy, OutboundRefused } from '../../src/services/login/outbound.js';
import { approveSsoDomain, createOrganization, expectErrorEnvelope, V } from '../support/fixtures.js';
import { selfSignedCertificate } from '../support/saml-idp.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

interface Canary {
  url: string;
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** A server that counts what reaches it and answers with `answer`. */
async function startCanary(
  answer: (url: string, base: string) => { status: number; headers?: Record<string, string>; body?: string } = () => ({
    status: 200,
    body: '{}',
  }),
): Promise<Canary> {
  const canary = { url: '', port: 0, hits: 0, close: async () => {} } as Canary;
  const server: Server = createServer((req, res) => {
    canary.hits++;
    const out = answer(req.url ?? '/', canary.url);
    res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers }).end(out.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  canary.port = (server.address() as AddressInfo).port;
  canary.url = `http://127.0.0.1:${canary.port}`;
  canary.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return canary;
}

let permissive: TestServer;
let strict: TestServer;
let apiPermissive: Api;
let apiStrict: Api;
let canary: Canary;
let owner: { userId: string; token: string };
let organizationId: string;
const ORIGIN = encodeURIComponent('http://127.0.0.1:9/callback');

beforeAll(async () => {
  canary = await startCanary();
  // The first node's operator allows identity providers on this machine (as a developer would)…
  permissive = await startTestServer({ identity: { idpAllowedHosts: ['127.0.0.1', 'localhost'] } });
  // …the second node, on the same database, allows nothing: the production rule.
  strict = await startTestServer({ sameDatabaseAs: permissive, identity: { idpAllowedHosts: [] } });
  apiPermissive = apiClient(permissive.url);
  apiStrict = apiClient(strict.url);
  owner = await permissive.createUser('ssrf-owner@ssrf.example', 'Sid Ssrf');
  organizationId = await createOrganization(apiPermissive, owner.token, 'SSRF org');
  await approveSsoDomain(permissive, organizationId, 'ssrf.example');
}, 60_000);

afterAll(async () => {
  await strict?.close();
  await permissive?.close();
  await canary?.close();
});

function oidc(issuer: string) {
  return { type: 'oidc', title: 'Canary', config: { issuer, clientId: 'canary' } };
}

describe('saving a provider', () => {
  it('refuses plain http, private and special addresses in every spelling, and local names: 400 idp_url_not_allowed', async () => {
    const port = canary.port;
    const refused: Array<[string, string]> = [
      [`http://127.0.0.1:${port}`, 'scheme'],
      [`http://ssrf.example`, 'scheme'],
      [`https://127.0.0.1:${port}`, 'address'],
      [`https://127.1:${port}`, 'address'],
      [`https://0x7f000001:${port}`, 'address'],
      [`https://2130706433:${port}`, 'address'],
      [`https://[::1]:${port}`, 'address'],
      [`https://[::ffff:127.0.0.1]:${port}`, 'address'],
      [`https://[::ffff:7f00:1]:${port}`, 'address'],
      ['https://169.254.169.254/latest/meta-data', 'address'],
      ['https://10.0.0.7', 'address'],
      ['https://172.16.5.4', 'address'],
      ['https://192.168.1.1', 'address'],
      ['https://100.64.0.1', 'address'],
      ['https://0.0.0.0', 'address'],
      ['https://[fd00::1]', 'address'],
      ['https://[fe80::1]', 'address'],
      ['https://[64:ff9b::a9fe:a9fe]', 'address'],
      [`https://localhost:${port}`, 'name'],
      ['https://metadata.google.internal', 'name'],
      ['https://printer.local', 'name'],
    ];
    for (const [issuer, why] of refused) {
      const res = await apiStrict('POST', `${V}/organizations/${organizationId}/providers`, {
        token: owner.token,
        body: oidc(issuer),
      });
      expectErrorEnvelope(res, 400, 'idp_url_not_allowed', issuer);
      expect(res.body.reason, issuer).toMatchObject({ field: 'config.issuer', why });
    }
    const saml = await apiStrict('POST', `${V}/organizations/${organizationId}/providers`, {
      token: owner.token,
      body: {
        type: 'saml',
        title: 'Canary SAML',
        config: { entryPoint: 'https://192.168.7.7/sso', idpIssuer: 'x', idpCert: 'not checked before the URL' },
      },
    });
    expectErrorEnvelope(saml, 400, 'idp_url_not_allowed');
    expect(saml.body.reason.field).toBe('config.entryPoint');
    expect(canary.hits).toBe(0);
    // A public https issuer is fine (this one does not resolve here: it is checked when used).
    const ok = await apiStrict('POST', `${V}/organizations/${organizationId}/providers`, {
      token: owner.token,
      body: oidc('https://login.example.com'),
    });
    expect(ok.status, ok.text).toBe(201);
  });
});

describe('using a provider', () => {
  it('a provider allowed on one node is refused on a node that does not allow its host, and the canary hears nothing', async () => {
    for (const issuer of [canary.url, `https://localhost:${canary.port}`]) {
      const created = await apiPermissive('POST', `${V}/organizations/${organizationId}/providers`, {
        token: owner.token,
        body: oidc(issuer),
      });
      expect(created.status, created.text).toBe(201);
      // Anonymous, the way it was found.
      const res = await apiStrict('GET', `/v1/auth/login/${created.body.id}?origin=${ORIGIN}`);
      expectErrorEnvelope(res, 502, 'provider_address_refused', issuer);
      expect(res.headers.get('location')).toBeNull();
    }
    expect(canary.hits).toBe(0);
    expect(strict.logs()).toContain('"code":"provider_address_refused"');
  });

  it('the authorization endpoint a discovery document names is held to the same rules (no redirect to a private address)', async () => {
    const discovery = await startCanary((url, base) =>
      url.startsWith('/.well-known/openid-configuration')
        ? {
            status: 200,
            body: JSON.stringify({
              issuer: base,
              authorization_endpoint: 'http://10.0.0.1/authorize',
              token_endpoint: `${base}/token`,
              jwks_uri: `${base}/jwks`,
              response_types_supported: ['code'],
              subject_types_supported: ['public'],
              id_token_signing_alg_values_supported: ['RS256'],
            }),
          }
        : { status: 404 },
    );
    try {
      const created = await apiPermissive('POST', `${V}/organizations/${organizationId}/providers`, {
        token: owner.token,
        body: oidc(discovery.url),
      });
      expect(created.status, created.text).toBe(201);
      const res = await apiPermissive('GET', `/v1/auth/login/${created.body.id}?origin=${ORIGIN}`);
      expectErrorEnvelope(res, 502, 'provider_address_refused');
      expect(res.headers.get('location')).toBeNull();
      expect(discovery.hits).toBe(1);
    } finally {
      await discovery.close();
    }
  });

  it('a SAML entry point no longer allowed sends nobody there', async () => {
    const created = await apiPermissive('POST', `${V}/organizations/${organizationId}/providers`, {
      token: owner.token,
      body: {
        type: 'saml',
        title: 'Loopback SAML',
        config: { entryPoint: `${canary.url}/sso`, idpIssuer: 'canary', idpCert: selfSignedCertificate('canary').certificatePem },
      },
    });
    expect(created.status, created.text).toBe(201);
    expect((await apiPermissive('GET', `/v1/auth/login/${created.body.id}?origin=${ORIGIN}`)).status).toBe(302);
    const refused = await apiStrict('GET', `/v1/auth/login/${created.body.id}?origin=${ORIGIN}`);
    expectErrorEnvelope(refused, 502, 'provider_address_refused');
    expect(refused.headers.get('location')).toBeNull();
  });
});

describe('the outbound policy at every connection (services/login/outbound.ts)', () => {
  it('a name that resolves to a private address now is refused before connecting (DNS rebinding)', async () => {
    const rebinding = new OutboundPolicy([], (_host, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]));
    const before = canary.hits;
    await expect(rebinding.fetch(`https://idp.rebind.example:${canary.port}/.well-known/openid-configuration`)).rejects.toThrow(
      /resolves to 127\.0\.0\.1, which is not a public address/,
    );
    // One of several addresses being private is enough.
    const mixed = new OutboundPolicy([], (_host, callback) =>
      callback(null, [
        { address: '93.184.216.34', family: 4 },
        { address: '10.1.1.1', family: 4 },
      ]),
    );
    await expect(mixed.fetch('https://idp.mixed.example/')).rejects.toBeInstanceOf(OutboundRefused);
    expect(canary.hits).toBe(before);
  });

  it('redirects are followed only to allowed addresses, each hop checked', async () => {
    const target = await startCanary();
    const redirector = await startCanary((url) => ({
      status: 302,
      headers: { location: url === '/private' ? `http://localhost:${target.port}/` : `http://127.0.0.1:${target.port}/` },
    }));
    try {
      // The operator allowed 127.0.0.1 only: a redirect to `localhost` (another name) is refused.
      const policy = new OutboundPolicy(['127.0.0.1']);
      await expect(policy.fetch(`${redirector.url}/private`, { redirect: 'follow' })).rejects.toBeInstanceOf(OutboundRefused);
      expect(target.hits).toBe(0);
      const followed = await policy.fetch(`${redirector.url}/allowed`, { redirect: 'follow' });
      expect(followed.status).toBe(200);
      expect(target.hits).toBe(1);
      // openid-client asks for `redirect: 'manual'`: the redirect is returned, never followed.
      const manual = await policy.fetch(`${redirector.url}/private`, { redirect: 'manual' });
      expect(manual.status).toBe(302);
      expect(target.hits).toBe(1);
    } finally {
      await redirector.close();
      await target.close();
    }
  });

  it('an answer larger than 1 MiB is cut off', async () => {
    const big = await startCanary(() => ({ status: 200, body: 'x'.repeat(1024 * 1024 + 10) }));
    try {
      await expect(new OutboundPolicy(['127.0.0.1']).fetch(`${big.url}/`)).rejects.toThrow(/larger than/);
    } finally {
      await big.close();
    }
  });
});
