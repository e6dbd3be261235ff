/**
 * Which module answers `GET /auth/login/{provider}`: `sanity` (e-mail and password), the global
 * OpenID Connect provider's configured name, or an organization provider's id (`oidc-…`, `saml-…`).
 */
import { problems } from '../../model/errors.js';
import { findIdentityProvider } from '../../store/identity.js';
import type { Deps } from '../context.js';
import type { LoginService } from './flow.js';
import { OidcLogin } from './oidc.js';
import { PasswordLogin } from './password.js';
import { SamlLogin } from './saml.js';
import type { LoginRequest, LoginStart, ProviderSummary } from './types.js';

/** The name of the e-mail and password provider, as Sanity calls it. */
export const PASSWORD_PROVIDER = 'sanity';

export class IdentityService {
  readonly password: PasswordLogin;
  readonly oidc: OidcLogin;
  readonly saml: SamlLogin;

  constructor(
    private readonly deps: Deps,
    login: LoginService,
  ) {
    this.password = new PasswordLogin(deps, login);
    this.oidc = new OidcLogin(deps, login);
    this.saml = new SamlLogin(deps, login);
  }

  /** `GET /auth/providers`: e-mail and password, and the global OpenID Connect provider if configured. */
  providers(): { providers: ProviderSummary[] } {
    const url = (name: string) => `${this.deps.baseUrl()}/v1/auth/login/${name}`;
    const providers: ProviderSummary[] = [{ name: PASSWORD_PROVIDER, title: 'E-mail / password', url: url(PASSWORD_PROVIDER) }];
    const oidc = this.deps.identity.oidc;
    if (oidc) providers.push({ name: oidc.name, title: oidc.title, url: url(oidc.name) });
    return { providers };
  }

  async start(provider: string, request: LoginRequest): Promise<LoginStart> {
    if (provider === PASSWORD_PROVIDER) return this.password.start(request);
    if (this.deps.identity.oidc?.name === provider) return this.oidc.start(null, request);
    const row = /^(oidc|saml)-/.test(provider) ? await findIdentityProvider(this.deps.db, provider) : undefined;
    if (row && row.disabled === 0) return row.kind === 'oidc' ? this.oidc.start(row, request) : this.saml.start(row, request);
    throw problems.notFound(`Login provider not found: ${provider}`, {
      code: 'provider_not_found',
      hint: 'List the providers with GET /auth/providers, or an organization’s with GET /auth/organizations/by-slug/{slug}/providers.',
    });
  }
}
