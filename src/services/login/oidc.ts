/**
 * OpenID Connect (openid-client): a global provider from configuration, and organizations' own.
 *
 *   GET /auth/login/{name}               → discovery (cached), a login flow holding the PKCE verifier
 *                                           and the nonce, and a redirect to the authorization endpoint
 *                                           with `state` = the flow id
 *   GET /auth/callback/oidc/{name}?code… → the flow is used up, the code exchanged (PKCE, client
 *                                           authentication), the ID token checked (issuer, audience,
 *                                           signature, nonce), the person found or created, and the
 *                                           browser sent back to the login's origin with a sid
 *
 * The e-mail address comes from the `email` claim (or the provider's `emailClaim`), from the ID
 * token or else the userinfo endpoint, and is refused when the provider marks it unverified.
 *
 * Who an identity is: the global provider is the operator's choice and is trusted like the
 * password form, so its first login links the existing account with the same e-mail address. An
 * organization's provider is configured by that organization's administrators, who must not be
 * able to log in as anybody by asserting their address: it starts logins only for organizations
 * the operator approved, and at every login the address must be in an approved domain and the
 * account must belong to that organization alone (services/login/sso-accounts.ts).
 */
import type * as OpenIdClient from 'openid-client';
import { Problem } from '../../model/errors.js';
import { SecretBoxError } from '../../model/secret-box.js';
import { findIdentityProvider } from '../../store/identity.js';
import { findOrganization } from '../../store/organizations.js';
import type { IdentityProviderRow, LoginFlowRow } from '../../store/schema.js';
import { type Actor, type Deps, systemActor } from '../context.js';
import { normalizeEmail } from '../validation.js';
import type { LoginService } from './flow.js';
import { OutboundRefused, outboundPolicyOf } from './outbound.js';
import { accountForIdentity, checkSsoLogin, ensureSsoApproved } from './sso-accounts.js';
import {
  DEFAULT_EMAIL_CLAIM,
  DEFAULT_NAME_CLAIM,
  DEFAULT_OIDC_SCOPES,
  type OidcSettings,
  PROVIDER_ID_PATTERN,
  readOidcConfig,
} from './sso-config.js';
import type { LoginRequest, LoginStart } from './types.js';

/**
 * openid-client, loaded by the first OIDC login: every use goes through `configuration()` first,
 * which loads it. Servers that never log anyone in with OIDC never load it.
 */
let client: typeof OpenIdClient;

/** How long a discovered configuration (metadata, and the JWKS it caches) is reused. */
export const DISCOVERY_TTL_MS = 5 * 60_000;
/** Seconds to wait for the identity provider (discovery, token, userinfo requests). */
const HTTP_TIMEOUT_SECONDS = 10;
const MAX_CACHED = 500;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const PROVIDER_ID = new RegExp(PROVIDER_ID_PATTERN);

/**
 * A refused callback: the page shows `message` and the hint; `detail` (which check failed, what
 * the provider said) goes to the log only.
 */
export class OidcRejection extends Problem {
  constructor(
    status: number,
    message: string,
    reason: { code: string; hint: string; [key: string]: unknown },
    readonly detail?: string,
  ) {
    super(status, message, reason);
  }
}

/** The identity provider's answer, as the callback receives it (validated by the route). */
export type CallbackQuery = Record<string, string | undefined>;

interface Resolved {
  /** The name in URLs: the global provider's configured name, or the organization provider's id. */
  name: string;
  row: IdentityProviderRow | null;
  title: string;
  settings: OidcSettings;
  /** Changes whenever the settings may have. */
  cacheKey: string;
}

export function providerNotFound(name: string): OidcRejection {
  return new OidcRejection(404, `Login provider not found: ${name.slice(0, 80)}`, {
    code: 'provider_not_found',
    hint: 'List the providers with GET /auth/providers, or an organization’s with GET /auth/organizations/by-slug/{slug}/providers.',
  });
}

function unavailable(title: string, detail: string): OidcRejection {
  return new OidcRejection(
    502,
    `${title} cannot be reached`,
    {
      code: 'provider_unavailable',
      hint: 'Try again in a moment. If it keeps failing, the provider’s issuer URL or network path is wrong: ask whoever configured it to check the server log.',
    },
    detail,
  );
}

/** A request to the provider the outbound policy refused (services/login/outbound.ts). */
export function addressRefused(title: string, detail: string): OidcRejection {
  return new OidcRejection(
    502,
    `${title} is at an address this server does not connect to`,
    {
      code: 'provider_address_refused',
      hint: 'Identity providers must be reached over https at a public address. Ask the organization’s administrators to check the provider; the server’s operator can allow a private host in GATEHOUSE_IDP_ALLOWED_HOSTS.',
    },
    detail,
  );
}

/** The OutboundRefused behind an error, however deep openid-client wrapped it. */
function outboundRefusal(error: unknown): OutboundRefused | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof OutboundRefused) return e;
  }
  return null;
}

function invalidAnswer(title: string, detail: string): OidcRejection {
  return new OidcRejection(
    502,
    `The answer of ${title} could not be verified`,
    {
      code: 'oidc_response_invalid',
      hint: 'Start the login again. If it keeps failing, ask whoever configured the provider to check its client id and secret; the server log says which check failed.',
    },
    detail,
  );
}

function describe(error: unknown): string {
  if (error instanceof client.ResponseBodyError) {
    return `${error.message}: ${error.error}${error.error_description ? ` (${error.error_description.slice(0, 300)})` : ''}`;
  }
  if (error instanceof client.AuthorizationResponseError) return `${error.message}: ${error.error}`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `; ${error.cause.message}` : '';
    return `${error.name}: ${error.message.slice(0, 500)}${cause.slice(0, 300)}`;
  }
  return String(error).slice(0, 300);
}

function isLoopback(issuer: string): boolean {
  try {
    const url = new URL(issuer);
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

function text(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, max);
}

export class OidcLogin {
  private readonly configurations = new Map<string, { expires: number; config: Promise<OpenIdClient.Configuration> }>();

  constructor(
    readonly deps: Deps,
    readonly login: LoginService,
  ) {}

  /** Where the provider sends the browser back; registered at the provider as the redirect URI. */
  callbackUrl(name: string): string {
    return `${this.deps.baseUrl()}/v1/auth/callback/oidc/${name}`;
  }

  /** `GET /auth/login/{name}` for the global provider, or an organization's (`row`). */
  async start(row: IdentityProviderRow | null, request: LoginRequest): Promise<LoginStart> {
    // A bad origin is refused before anything is asked of the provider.
    this.login.checkOrigin(request.origin, request.requestOrigin);
    const provider = this.resolveRow(row);
    if (row) await ensureSsoApproved(this.deps.db, row.organization_id);
    const config = await this.configuration(provider);
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = await this.login.startFlow({
      provider: provider.name,
      origin: request.origin,
      type: request.type,
      label: request.label,
      requestOrigin: request.requestOrigin,
      data: { codeVerifier, nonce },
    });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.callbackUrl(provider.name),
      scope: provider.settings.scopes.join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { redirect: url.href };
  }

  /**
   * `GET /auth/callback/oidc/{name}`: the provider's answer. Returns where to send the browser;
   * throws an OidcRejection (shown as an error page) for anything else.
   */
  async callback(name: string, query: CallbackQuery, actor: Actor = systemActor()): Promise<string> {
    const provider = await this.resolveName(name);
    const state = query.state;
    if (!state) {
      throw new OidcRejection(400, 'This login has expired or was already used', {
        code: 'login_expired',
        hint: 'Start the login again.',
      });
    }
    let flow: LoginFlowRow;
    try {
      flow = await this.login.takeFlow(state, provider.name);
    } catch (error) {
      if (error instanceof Problem) {
        throw new OidcRejection(error.status, error.message, { code: error.reason.code, hint: 'Start the login again.' });
      }
      throw error;
    }
    if (query.error !== undefined) {
      const description = query.error_description ? `: ${query.error_description.slice(0, 300)}` : '';
      throw new OidcRejection(
        400,
        `${provider.title} did not log you in (${query.error.slice(0, 100)}${description})`,
        {
          code: 'provider_refused',
          providerError: query.error.slice(0, 100),
          hint:
            query.error === 'access_denied'
              ? 'The login was cancelled or refused at the identity provider. Start it again to retry.'
              : 'Start the login again. If it keeps failing, ask whoever configured the provider to check the server log.',
        },
        `provider error ${query.error.slice(0, 100)}${description}`,
      );
    }
    const data = JSON.parse(flow.data) as { codeVerifier?: string; nonce?: string };
    if (!data.codeVerifier || !data.nonce) throw invalidAnswer(provider.title, 'login flow without PKCE verifier or nonce');

    const config = await this.configuration(provider);
    const currentUrl = new URL(this.callbackUrl(provider.name));
    for (const [key, value] of Object.entries(query)) if (value !== undefined) currentUrl.searchParams.set(key, value);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: data.codeVerifier,
        expectedState: state,
        expectedNonce: data.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      const refusal = outboundRefusal(error);
      if (refusal) throw addressRefused(provider.title, `code exchange refused: ${refusal.message}`);
      throw invalidAnswer(provider.title, `code exchange or ID token check failed: ${describe(error)}`);
    }
    const claims = tokens.claims();
    if (!claims) throw invalidAnswer(provider.title, 'no ID token');
    const subject = claims.sub;

    // The e-mail address, and whether it is verified, from the same source: the ID token, or else userinfo.
    const emailClaim = provider.settings.emailClaim;
    let source: Record<string, unknown> = claims;
    if (typeof claims[emailClaim] !== 'string' && config.serverMetadata().userinfo_endpoint) {
      try {
        source = { ...(await client.fetchUserInfo(config, tokens.access_token, subject)) };
      } catch (error) {
        const refusal = outboundRefusal(error);
        if (refusal) throw addressRefused(provider.title, `userinfo request refused: ${refusal.message}`);
        throw invalidAnswer(provider.title, `userinfo request failed: ${describe(error)}`);
      }
    }
    const profile: Record<string, unknown> = { ...source, ...claims };
    const emailText = text(source[emailClaim], 320);
    if (!emailText) {
      throw new OidcRejection(
        400,
        `${provider.title} did not share your e-mail address`,
        {
          code: 'email_missing',
          hint: `Allow the login to share your e-mail address when the identity provider asks. If it never asks, whoever configured the provider must release the "${emailClaim}" claim (scope email).`,
        },
        `no string "${emailClaim}" claim in the ID token or userinfo`,
      );
    }
    const verified = source.email_verified;
    if (verified !== undefined && verified !== true && verified !== 'true') {
      throw new OidcRejection(
        400,
        `${provider.title} has not verified your e-mail address`,
        {
          code: 'email_unverified',
          hint: 'Verify your e-mail address at the identity provider, then log in again.',
        },
        'email_verified is not true',
      );
    }
    let email: string;
    try {
      email = normalizeEmail(emailText);
    } catch {
      throw new OidcRejection(
        400,
        `${provider.title} sent an e-mail address Gatehouse cannot use`,
        { code: 'email_missing', hint: 'Ask whoever configured the provider which claim holds the e-mail address (emailClaim).' },
        `"${emailClaim}" claim is not an e-mail address`,
      );
    }

    const identityProviderId = provider.row ? provider.row.id : `oidc:${provider.settings.issuer}`;
    if (provider.row) {
      // An organization's provider, at every login: see services/login/sso-accounts.ts.
      await checkSsoLogin(
        this.deps.db,
        {
          organizationId: provider.row.organization_id,
          providerId: identityProviderId,
          email,
          user: await accountForIdentity(this.deps.db, identityProviderId, subject, email),
          actor,
          now: this.deps.now(),
        },
        (status, message, reason, detail) => new OidcRejection(status, message, reason, detail),
      );
    }
    const givenName = text(profile.given_name, 200);
    const familyName = text(profile.family_name, 200);
    const user = await this.login.userForIdentity({
      providerId: identityProviderId,
      subject,
      email,
      displayName:
        text(profile[provider.settings.nameClaim], 200) ?? ([givenName, familyName].filter(Boolean).join(' ') || undefined),
      givenName,
      familyName,
      imageUrl: (() => {
        const picture = text(profile.picture, 2000);
        return picture && /^https:\/\//.test(picture) ? picture : undefined;
      })(),
      provider: provider.name,
    });
    if (user.disabled_at !== null) {
      throw new OidcRejection(403, 'This account is disabled', {
        code: 'account_disabled',
        hint: 'Ask an operator to enable it.',
      });
    }

    let lifetimeDays = this.deps.identity.personalTokenLifetimeDays;
    if (provider.row) {
      const org = await findOrganization(this.deps.db, provider.row.organization_id);
      lifetimeDays = org?.sso_token_lifetime_days ?? this.deps.identity.ssoTokenLifetimeDays;
    }
    return this.login.finish({
      flow,
      userId: user.id,
      source: `oidc:${provider.name}`,
      organizationId: provider.row?.organization_id ?? null,
      lifetimeDays,
    });
  }

  /** A provider by its name in the callback URL: the global one, or an enabled organization OIDC provider. */
  private async resolveName(name: string): Promise<Resolved> {
    const global = this.deps.identity.oidc;
    if (global?.name === name) return this.resolveRow(null);
    const row = PROVIDER_ID.test(name) ? await findIdentityProvider(this.deps.db, name) : undefined;
    if (row?.kind !== 'oidc' || row.disabled !== 0) throw providerNotFound(name);
    return this.resolveRow(row);
  }

  private resolveRow(row: IdentityProviderRow | null): Resolved {
    if (!row) {
      const global = this.deps.identity.oidc;
      if (!global) throw providerNotFound('oidc');
      return {
        name: global.name,
        row: null,
        title: global.title,
        settings: {
          issuer: global.issuer,
          clientId: global.clientId,
          clientSecret: global.clientSecret,
          scopes: DEFAULT_OIDC_SCOPES,
          emailClaim: DEFAULT_EMAIL_CLAIM,
          nameClaim: DEFAULT_NAME_CLAIM,
        },
        cacheKey: `global\0${global.name}\0${global.issuer}\0${global.clientId}`,
      };
    }
    let settings: OidcSettings;
    try {
      settings = readOidcConfig(row, this.deps.keys);
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      throw new OidcRejection(
        500,
        `The client secret of ${row.title} cannot be read`,
        {
          code: 'provider_secret_unreadable',
          hint: `The secret was stored under a server key that is no longer configured. An administrator of the organization must set it again: PUT /organizations/${row.organization_id}/providers/${row.id} with config.clientSecret.`,
        },
        error.message,
      );
    }
    return { name: row.id, row, title: row.title, settings, cacheKey: `${row.id}\0${row.updated_at}` };
  }

  /**
   * The provider's discovered configuration, reused for a few minutes. Plain http is allowed only
   * for an issuer on this machine (development, tests); openid-client refuses it otherwise.
   */
  private async configuration(provider: Resolved): Promise<OpenIdClient.Configuration> {
    const now = Date.now();
    client ??= await import('openid-client');
    const cached = this.configurations.get(provider.cacheKey);
    if (cached && cached.expires > now) return cached.config;
    const { issuer, clientId, clientSecret } = provider.settings;
    // An organization's provider is reached only through the outbound policy (https, public
    // addresses, checked at every connection: services/login/outbound.ts); the operator's global
    // provider is the operator's own choice.
    const outbound = provider.row ? outboundPolicyOf(this.deps.identity) : null;
    const config = client
      .discovery(
        new URL(issuer),
        clientId,
        clientSecret ? { client_secret: clientSecret } : undefined,
        clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(),
        {
          timeout: HTTP_TIMEOUT_SECONDS,
          ...(isLoopback(issuer) ? { execute: [client.allowInsecureRequests] } : {}),
          ...(outbound ? { [client.customFetch]: outbound.fetch as OpenIdClient.CustomFetch } : {}),
        },
      )
      .then((discovered) => {
        // Where browsers will be sent: the policy's scheme and host rules apply there too.
        const authorize = discovered.serverMetadata().authorization_endpoint;
        if (outbound && authorize) outbound.checkUrl(new URL(authorize));
        return discovered;
      });
    if (this.configurations.size >= MAX_CACHED) {
      for (const [key, entry] of this.configurations) if (entry.expires <= now) this.configurations.delete(key);
      if (this.configurations.size >= MAX_CACHED) this.configurations.clear();
    }
    this.configurations.set(provider.cacheKey, { expires: now + DISCOVERY_TTL_MS, config });
    try {
      return await config;
    } catch (error) {
      this.configurations.delete(provider.cacheKey);
      const refusal = outboundRefusal(error);
      if (refusal) throw addressRefused(provider.title, `discovery of ${issuer} refused: ${refusal.message}`);
      throw unavailable(provider.title, `discovery of ${issuer} failed: ${describe(error)}`);
    }
  }
}
