/** SAML 2.0 (@node-saml/node-saml), per organization: signed assertions, group → role mapping. */

import type { IdentityProviderRow } from '../../store/schema.js';
import type { Deps } from '../context.js';
import type { LoginService } from '../login.js';
import type { LoginRequest, LoginStart } from './types.js';

export class SamlLogin {
  constructor(
    readonly deps: Deps,
    readonly login: LoginService,
  ) {}

  /** `GET /auth/login/{providerId}` for an organization's SAML provider: the AuthnRequest redirect. */
  async start(_row: IdentityProviderRow, _request: LoginRequest): Promise<LoginStart> {
    throw new Error('not implemented yet');
  }
}
