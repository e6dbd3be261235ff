/**
 * E-mail and password: argon2id, sign-up open or closed, NIST 800-63B rules, no enumeration.
 *
 *   GET  /auth/login/sanity?origin=…     start(): a flow, and the login form
 *   POST /auth/login/sanity              login(): the flow's sid, and the redirect to its origin
 *   GET  /auth/signup/sanity?flow=…      signupPage(): the sign-up form (sign-up open only)
 *   POST /auth/signup/sanity             signup(): a new user, logged in like login()
 *   PUT  /users/me/password              changePassword()
 *
 * Passwords are hashed with argon2id (services/login/password-hash.ts).
 *
 * No enumeration: an unknown e-mail, a wrong password, an account without a password and a
 * disabled account all get the same answer (401 `invalid_credentials`, the same page), and each of
 * them costs one argon2 verification: unknown addresses and accounts without a password verify
 * against a dummy hash made with the same parameters, so the time taken does not tell them apart.
 *
 * The pages are described here as data (`LoginPage`); src/http/pages/login.ts writes them.
 */
import { randomBytes } from 'node:crypto';
import { Problem } from '../../model/errors.js';
import { newId } from '../../model/ids.js';
import { checkPassword, PASSWORD_MIN_LENGTH } from '../../model/passwords.js';
import type { UserPrincipal } from '../../model/principals.js';
import { isUniqueViolation } from '../../store/db.js';
import { deleteLoginFlow } from '../../store/identity.js';
import type { LoginFlowRow } from '../../store/schema.js';
import { findToken } from '../../store/tokens.js';
import { findLoginByEmail, findUser, findUserByEmail, insertUser, setPasswordHash } from '../../store/users.js';
import { audit } from '../audit.js';
import { type Actor, type Deps, inTransaction, iso } from '../context.js';
import { rateLimitsOf } from '../rate-limits.js';
import { nonEmpty, normalizeEmail } from '../validation.js';
import { type LoginService, loginExpired } from './flow.js';
import { hashPassword, loadCommonPasswords, verifyPassword } from './password-hash.js';
import type { LoginFlowView, LoginPage, LoginPageAnswer, LoginRequest, LoginStart } from './types.js';

const PROVIDER = 'sanity';
/** The `source` of tokens from these logins. */
export const PASSWORD_SOURCE = 'password';

export interface LoginForm {
  flow: string;
  email: string;
  password: string;
}

export interface SignupForm extends LoginForm {
  name: string;
}

export function invalidCredentials(): Problem {
  return new Problem(401, 'Invalid e-mail or password', {
    code: 'invalid_credentials',
    hint: 'Check the e-mail address and the password. Accounts that log in through a single sign-on provider have no password here: use that provider.',
  });
}

export function signupClosed(): Problem {
  return new Problem(403, 'Sign-up is closed on this server', {
    code: 'signup_closed',
    hint: 'Ask an operator to create your account (gatehouse admin create-user), or log in with an existing one. Operators open sign-up with GATEHOUSE_SIGNUP=open.',
  });
}

/**
 * The answer to a sign-up whose address already has an account. A sign-up that succeeds logs the
 * person in, so a taken address can never look like a success from the outside; without e-mail
 * verification some answer must differ. The least revealing honest one: a generic "check your
 * details or log in" that does not say the address is taken in so many words, given only after the
 * password rules passed (they do not depend on the address), after the same argon2 hashing a new
 * account costs, and counted as a failed login for the address and the client (services/rate-limits.ts),
 * so probing addresses through sign-up is throttled like guessing passwords.
 */
export function signupUnavailable(): Problem {
  return new Problem(409, 'An account cannot be created with these details', {
    code: 'signup_unavailable',
    hint: 'Check your details, or log in if you already have an account.',
  });
}

export function weakPassword(field: string, rejection: { rule: string; message: string }): Problem {
  return new Problem(400, rejection.message, {
    code: 'weak_password',
    field,
    rule: rejection.rule,
    hint: `Use at least ${PASSWORD_MIN_LENGTH} characters; long passphrases of unrelated words are welcome, and there are no rules about digits or symbols.`,
  });
}

/** How recent the login must be that sets a first password. */
export const FIRST_PASSWORD_WINDOW_MS = 15 * 60_000;

export class PasswordLogin {
  private dummy: Promise<string> | undefined;

  constructor(
    readonly deps: Deps,
    readonly login: LoginService,
  ) {}

  /** `GET /auth/login/sanity`: the login form. */
  async start(request: LoginRequest): Promise<LoginStart> {
    const flow = await this.login.startFlow({
      provider: PROVIDER,
      origin: request.origin,
      type: request.type,
      label: request.label,
      requestOrigin: request.requestOrigin,
    });
    // The dummy hash is ready before the form comes back (so an unknown address costs no more).
    this.dummyHash().catch(() => {});
    const row = { id: flow, origin: request.origin, label: request.label, type: request.type };
    return { page: this.loginForm(row, {}), status: 200, formTargets: formTargetsOf(row) };
  }

  /**
   * `POST /auth/login/sanity`: the URL to send the browser to (the flow's origin with `?sid=…`).
   * Throws 400 `login_expired` for an unknown or expired flow, 401 `invalid_credentials` for every
   * kind of wrong login.
   */
  async submitLogin(actor: Actor, form: LoginForm): Promise<string> {
    await this.login.peekFlow(form.flow, PROVIDER);
    const email = form.email.trim().toLowerCase();
    const attempt = await rateLimitsOf(this.deps).beginLogin(email, actor.ip);
    const user = await findLoginByEmail(this.deps.db, email);
    // Always one verification, against the dummy hash when there is nothing real to verify.
    const verified = await verifyPassword(user?.password_hash ?? (await this.dummyHash()), form.password);
    if (!verified || !user || user.password_hash === null || user.disabled_at !== null) {
      await attempt.failed();
      throw invalidCredentials();
    }
    await attempt.succeeded();
    const flow = await this.login.takeFlow(form.flow, PROVIDER);
    return this.login.finish({
      flow,
      userId: user.id,
      source: PASSWORD_SOURCE,
      organizationId: null,
      lifetimeDays: this.deps.identity.personalTokenLifetimeDays,
    });
  }

  /** `GET /auth/signup/sanity?flow=…`: the sign-up form, when sign-up is open. */
  async signupPage(flowId: string): Promise<LoginPageAnswer> {
    this.ensureSignupOpen();
    const flow = await this.login.peekFlow(flowId, PROVIDER);
    return { page: signupForm(flow, {}), status: 200, formTargets: formTargetsOf(flow) };
  }

  /**
   * `POST /auth/signup/sanity`: a new account with a password, logged in at once (the URL to send
   * the browser to). The flow is used up in the transaction that creates the user, so a refused
   * sign-up leaves neither a user nor a used-up flow behind.
   */
  async submitSignup(actor: Actor, form: SignupForm): Promise<string> {
    this.ensureSignupOpen();
    const flow = await this.login.peekFlow(form.flow, PROVIDER);
    const name = nonEmpty(form.name, 'name', 200);
    const email = normalizeEmail(form.email);
    const rejection = checkPassword(form.password, { email, common: await loadCommonPasswords() });
    if (rejection) throw weakPassword('password', rejection);
    // Counted like a login: probing addresses through sign-up is limited like guessing passwords.
    const attempt = await rateLimitsOf(this.deps).beginLogin(email, actor.ip);
    // Hashed before looking at the address: a taken address costs the same argon2 time.
    const passwordHash = await hashPassword(form.password);
    const now = this.deps.now();
    let userId: string | null;
    try {
      userId = await inTransaction(this.deps, async (trx) => {
        if (await findUserByEmail(trx, email)) return null;
        const id = newId.user();
        await insertUser(trx, {
          id,
          email,
          display_name: name,
          given_name: null,
          family_name: null,
          image_url: null,
          provider: PROVIDER,
          created_at: iso(now),
          updated_at: iso(now),
          disabled_at: null,
          password_hash: passwordHash,
        });
        await audit(trx, actor, now, {
          action: 'user.signup',
          target: { type: 'user', id },
          after: { email, displayName: name, provider: PROVIDER },
        });
        if (!(await deleteLoginFlow(trx, flow.id))) throw loginExpired();
        return id;
      });
    } catch (error) {
      // The same address signed up at the same moment by another request.
      if (!isUniqueViolation(error)) {
        await attempt.abandoned();
        throw error;
      }
      userId = null;
    }
    if (userId === null) {
      await attempt.failed();
      throw signupUnavailable();
    }
    await attempt.succeeded();
    return this.login.finish({
      flow,
      userId,
      source: PASSWORD_SOURCE,
      organizationId: null,
      lifetimeDays: this.deps.identity.personalTokenLifetimeDays,
    });
  }

  /**
   * `PUT /users/me/password`: sets or changes the caller's password. The current password is
   * required when one is set; a first password needs a token issued in the last 15 minutes.
   * Personal tokens already issued stay valid.
   */
  async changePassword(
    actor: Actor & { principal: UserPrincipal },
    input: { currentPassword?: string | undefined; newPassword: string },
  ): Promise<void> {
    const user = await findUser(this.deps.db, actor.principal.id);
    const login = user ? await findLoginByEmail(this.deps.db, user.email) : undefined;
    if (!user || !login) throw new Problem(401, 'Not authenticated', { code: 'invalid_token', hint: 'Log in again.' });
    const current = login.password_hash;
    if (current !== null && input.currentPassword === undefined) {
      throw new Problem(400, 'currentPassword is required to change a password', {
        code: 'current_password_required',
        field: 'currentPassword',
        hint: 'Send your current password as currentPassword. If you forgot it, ask an operator to reset it.',
      });
    }
    if (current === null) {
      // A first password adds a way in that outlives every token. Only a recent login (or a token an
      // operator just issued) may add it, so a stolen, older token cannot turn itself into a password.
      const token = await findToken(this.deps.db, actor.principal.tokenId);
      const age = token ? this.deps.now().getTime() - Date.parse(token.created_at) : Number.POSITIVE_INFINITY;
      if (age > FIRST_PASSWORD_WINDOW_MS) {
        throw new Problem(403, 'Setting a first password needs a recent login', {
          code: 'reauthentication_required',
          hint: `Log in again (e.g. \`gatehouse login\`) and set the password within ${FIRST_PASSWORD_WINDOW_MS / 60_000} minutes, with the new token.`,
        });
      }
    }
    const rejection = checkPassword(input.newPassword, { email: user.email, common: await loadCommonPasswords() });
    if (rejection) throw weakPassword('newPassword', rejection);
    // Checking the current password is a login: a stolen token must not guess it without limit.
    const attempt = current !== null ? await rateLimitsOf(this.deps).beginLogin(user.email, actor.ip) : null;
    if (current !== null && !(await verifyPassword(current, input.currentPassword ?? ''))) {
      await attempt?.failed();
      throw new Problem(403, 'The current password is wrong', {
        code: 'invalid_current_password',
        field: 'currentPassword',
        hint: 'Send the password you log in with now as currentPassword.',
      });
    }
    await attempt?.succeeded();
    const passwordHash = await hashPassword(input.newPassword);
    const now = this.deps.now();
    await inTransaction(this.deps, async (trx) => {
      await setPasswordHash(trx, user.id, passwordHash, iso(now));
      await audit(trx, actor, now, {
        action: current === null ? 'user.password.set' : 'user.password.change',
        target: { type: 'user', id: user.id },
      });
    });
  }

  // --- Pages ---------------------------------------------------------------------------------

  /** The page for a failed `POST /auth/login/sanity`: the form again with the message, or an error page. */
  async loginFailurePage(form: LoginForm, problem: Problem): Promise<LoginPageAnswer> {
    const flow = problem.reason.code === 'invalid_credentials' ? await this.liveFlow(form.flow) : undefined;
    if (!flow) return this.errorPage(problem);
    return {
      page: this.loginForm(flow, { email: form.email, problem }),
      status: problem.status,
      formTargets: formTargetsOf(flow),
    };
  }

  /** The page for a failed `POST /auth/signup/sanity`: the form again with the message, or an error page. */
  async signupFailurePage(form: SignupForm, problem: Problem): Promise<LoginPageAnswer> {
    const retry = ['weak_password', 'invalid_input', 'signup_unavailable'].includes(problem.reason.code);
    const flow = retry ? await this.liveFlow(form.flow) : undefined;
    if (!flow) return this.errorPage(problem);
    return {
      page: signupForm(flow, { name: form.name, email: form.email, problem }),
      status: problem.status,
      formTargets: formTargetsOf(flow),
    };
  }

  /** Any other failure of these pages, for a browser: the message, the hint and the code. */
  errorPage(problem: Problem): LoginPageAnswer {
    return { page: { kind: 'login-error', problem }, status: problem.status, formTargets: [] };
  }

  private loginForm(flow: LoginFlowView, values: { email?: string; problem?: Problem }): LoginPage {
    return { kind: 'login-form', flow: viewOf(flow), signupOpen: this.deps.identity.signup === 'open', ...values };
  }

  // --- Helpers -------------------------------------------------------------------------------

  private ensureSignupOpen(): void {
    if (this.deps.identity.signup !== 'open') throw signupClosed();
  }

  /** The flow if it is still usable, for showing its form again; undefined when it is not. */
  private async liveFlow(id: string): Promise<LoginFlowRow | undefined> {
    try {
      return await this.login.peekFlow(id, PROVIDER);
    } catch (error) {
      if (error instanceof Problem) return undefined;
      throw error;
    }
  }

  /** A hash of a random password with the parameters real hashes have, made once. */
  private dummyHash(): Promise<string> {
    this.dummy ??= hashPassword(randomBytes(32).toString('base64url')).catch((error: unknown) => {
      this.dummy = undefined;
      throw error;
    });
    return this.dummy;
  }
}

/** The login's origin, which the form's redirect ends at (CSP `form-action`). */
function formTargetsOf(flow: Pick<LoginFlowRow, 'origin'>): string[] {
  try {
    return [new URL(flow.origin).origin];
  } catch {
    return [];
  }
}

/** A flow as its pages show it. */
function viewOf(flow: LoginFlowView): LoginFlowView {
  return { id: flow.id, origin: flow.origin, label: flow.label, type: flow.type };
}

function signupForm(flow: LoginFlowView, values: { name?: string; email?: string; problem?: Problem }): LoginPage {
  return { kind: 'signup-form', flow: viewOf(flow), ...values };
}
