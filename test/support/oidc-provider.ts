/**
 * A real OpenID Connect provider for tests: the `oidc-provider` package (the certified OpenID
 * provider library) on 127.0.0.1 with a random port, with
 *
 * - accounts you can log in as (login name and password checked), each with its claims;
 * - clients registered at any time (`registerClient`), so a test can first create a provider in
 *   Gatehouse, learn its callback URL, and then register it here;
 * - its own small login and consent pages (with "Cancel", which answers `access_denied`),
 *   plain HTML forms a browser test fills in;
 * - PKCE required, `client_secret_basic` for confidential clients, RS256 ID tokens.
 *
 * Claims asked for with scopes (`email`, `profile`) come from the userinfo endpoint, as the spec
 * has it, unless `claimsInIdToken` puts them in the ID token too.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error oidc-provider ships no type declarations
import Provider from 'oidc-provider';

export interface TestAccount {
  /** The login name typed on the login page; also the subject (`sub`). */
  login: string;
  password: string;
  claims: {
    email?: string;
    email_verified?: boolean;
    name?: string;
    given_name?: string;
    family_name?: string;
  };
}

export interface TestClient {
  clientId: string;
  /** Null: a public client (PKCE only, no client authentication). */
  clientSecret: string | null;
  redirectUris: string[];
}

export interface TestOidcProvider {
  issuer: string;
  registerClient(client: TestClient): void;
  addAccount(account: TestAccount): void;
  /** How many times each endpoint was called, by path (`/token`, `/me`, …). */
  calls: Map<string, number>;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider has no types.
type Any = any;

/** oidc-provider's storage interface, in memory; `Client` reads the clients registered by tests. */
function adapterFactory(clients: Map<string, Record<string, unknown>>) {
  const store = new Map<string, { payload: Record<string, unknown>; expires: number | null }>();
  const uids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const grants = new Map<string, string[]>();
  return class MemoryAdapter {
    constructor(readonly model: string) {}
    key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      const key = this.key(id);
      store.set(key, { payload, expires: expiresIn ? Date.now() + expiresIn * 1000 : null });
      if (typeof payload.uid === 'string') uids.set(payload.uid, id);
      if (typeof payload.userCode === 'string') userCodes.set(payload.userCode, id);
      if (typeof payload.grantId === 'string') grants.set(payload.grantId, [...(grants.get(payload.grantId) ?? []), key]);
    }
    async find(id: string) {
      if (this.model === 'Client') return clients.get(id);
      const entry = store.get(this.key(id));
      if (!entry || (entry.expires !== null && entry.expires <= Date.now())) return undefined;
      return entry.payload;
    }
    async findByUid(uid: string) {
      const id = uids.get(uid);
      return id === undefined ? undefined : this.find(id);
    }
    async findByUserCode(code: string) {
      const id = userCodes.get(code);
      return id === undefined ? undefined : this.find(id);
    }
    async consume(id: string) {
      const entry = store.get(this.key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const key of grants.get(grantId) ?? []) store.delete(key);
      grants.delete(grantId);
    }
  };
}

export async function startOidcProvider(
  options: { accounts?: TestAccount[]; clients?: TestClient[]; claimsInIdToken?: boolean } = {},
): Promise<TestOidcProvider> {
  const accounts = new Map<string, TestAccount>();
  for (const account of options.accounts ?? []) accounts.set(account.login, account);
  const clients = new Map<string, Record<string, unknown>>();
  const calls = new Map<string, number>();
  const registerClient = (client: TestClient) => {
    clients.set(client.clientId, {
      client_id: client.clientId,
      ...(client.clientSecret
        ? { client_secret: client.clientSecret, token_endpoint_auth_method: 'client_secret_basic' }
        : { token_endpoint_auth_method: 'none' }),
      redirect_uris: client.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
  };
  for (const client of options.clients ?? []) registerClient(client);

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    calls.set(path, (calls.get(path) ?? 0) + 1);
    // Browsers ask every site for its icon; there is none, and a 404 would read as a page problem.
    if (path === '/favicon.ico') res.writeHead(204).end();
    else if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

  const provider: Any = new Provider(issuer, {
    adapter: adapterFactory(clients),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    conformIdTokenClaims: !options.claimsInIdToken,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, id: string) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
    },
    renderError: async (ctx: Any, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = page('Error', `<pre id="error">${escapeHtml(JSON.stringify(out))}</pre>`);
    },
  });
  const callback = provider.callback();

  handler = (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?$/.exec(url.pathname);
    if (!match) return callback(req, res);
    interaction(provider, accounts, req, res, match[2] ?? null).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${error.message}`);
    });
  };

  return {
    issuer,
    registerClient,
    addAccount: (account) => accounts.set(account.login, account),
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function interaction(
  provider: Any,
  accounts: Map<string, TestAccount>,
  req: IncomingMessage,
  res: ServerResponse,
  action: string | null,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  const base = `/interaction/${uid}`;
  const cancel = cancelForm(base);

  if (req.method === 'GET' && action === null) {
    if (prompt.name === 'login') return send(res, loginPage(base, params.client_id, null));
    return send(
      res,
      page(
        'Authorize',
        `<p>${escapeHtml(params.client_id)} asks for: <span id="scopes">${escapeHtml(params.scope ?? '')}</span></p>
<form method="post" action="${base}/confirm"><button id="allow" type="submit">Allow</button></form>${cancel}`,
      ),
    );
  }
  if (req.method !== 'POST') return send(res, page('Error', 'method not allowed'), 405);
  const form = new URLSearchParams(await readBody(req));

  if (action === 'abort') {
    return provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
  }
  if (action === 'login') {
    const account = accounts.get(form.get('login') ?? '');
    if (!account || account.password !== form.get('password')) {
      return send(res, loginPage(base, params.client_id, 'Wrong login or password'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: account.login } }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm' && prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    if (prompt.details.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes as Record<string, string[]>)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  return send(res, page('Error', 'unexpected interaction'), 400);
}

function loginPage(base: string, clientId: string, error: string | null): string {
  return page(
    'Sign in',
    `<p>Sign in to continue to ${escapeHtml(clientId)}</p>
${error ? `<p id="login-error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${base}/login">
<input id="login" name="login" placeholder="login" autofocus>
<input id="password" name="password" type="password" placeholder="password">
<button id="sign-in" type="submit">Sign in</button>
</form>
${cancelForm(base)}`,
  );
}

function cancelForm(base: string): string {
  return `<form method="post" action="${base}/abort"><button id="cancel" type="submit">Cancel</button></form>`;
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function send(res: ServerResponse, html: string, status = 200): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
}

function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      data += chunk;
      if (data.length > 64 * 1024) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
