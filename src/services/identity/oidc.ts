/** OpenID Connect (openid-client): a global provider from configuration, and organizations' own. */

import type { IdentityProviderRow } from '../../store/schema.js';
import type { Deps } from '../context.js';
import type { LoginService } from '../login.js';
import type { LoginRequest, LoginStart } from './types.js';

export class OidcLogin {
  constructor(
    readonly deps: Deps,
    readonly login: LoginService,
  ) {}

  /** `GET /auth/login/{name}` for the global provider, or an organization's (`row`). */
  async start(_row: IdentityProviderRow | null, _request: LoginRequest): Promise<LoginStart> {
    throw new Error('not implemented yet');
  }
}
