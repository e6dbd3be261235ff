/** E-mail and password: argon2id, sign-up open or closed, NIST 800-63B rules, no enumeration. */
import type { Deps } from '../context.js';
import type { LoginService } from '../login.js';
import type { LoginRequest, LoginStart } from './types.js';

export class PasswordLogin {
  constructor(
    readonly deps: Deps,
    readonly login: LoginService,
  ) {}

  /** `GET /auth/login/sanity`: the login form. */
  async start(_request: LoginRequest): Promise<LoginStart> {
    throw new Error('not implemented yet');
  }
}
