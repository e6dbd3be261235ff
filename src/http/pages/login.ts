/**
 * The login pages (docs/identity.md, "The login flow"): the e-mail and password form, the sign-up
 * form, and the page a browser gets when a login step fails. The services say which page and with
 * what (`LoginPage` in src/services/login/types.ts); this module writes the HTML.
 */
import type { Problem } from '../../model/errors.js';
import { escapeHtml } from '../../model/html.js';
import { PASSWORD_MIN_LENGTH } from '../../model/passwords.js';
import type { LoginFlowView, LoginPage } from '../../services/login/types.js';
import { layout } from './layout.js';

/** The HTML of a login page. `baseUrl` is the server's public URL (its path prefixes form actions and links). */
export function renderLoginPage(page: LoginPage, baseUrl: string): string {
  switch (page.kind) {
    case 'login-form':
      return loginFormPage(page.flow, pathPrefixOf(baseUrl), page.signupOpen, page);
    case 'signup-form':
      return signupFormPage(page.flow, pathPrefixOf(baseUrl), page);
    case 'login-error':
      return loginErrorPage(page.problem);
  }
}

/** The page a browser gets when a login step fails: the message, what to do, and the code. */
export function loginErrorPage(problem: Problem): string {
  const hint = typeof problem.reason.hint === 'string' ? problem.reason.hint : 'Start the login again.';
  return layout(
    'Login failed',
    `<h1>Login failed</h1>
<p id="message">${escapeHtml(problem.message)}</p>
<p id="hint" class="hint">${escapeHtml(hint)}</p>
<p class="code">Error code: <code id="code">${escapeHtml(problem.reason.code)}</code></p>`,
  );
}

function loginFormPage(
  flow: LoginFlowView,
  prefix: string,
  signupOpen: boolean,
  values: { email?: string | undefined; problem?: Problem | undefined },
): string {
  const signup = signupOpen
    ? `<p class="alt">No account yet? <a href="${escapeHtml(`${prefix}/v1/auth/signup/sanity?flow=${encodeURIComponent(flow.id)}`)}">Sign up</a></p>`
    : '';
  return layout(
    'Log in',
    `<h1>Log in</h1>
${destination(flow)}
${errorBox(values.problem)}
<form method="post" action="${escapeHtml(`${prefix}/v1/auth/login/sanity`)}">
<input type="hidden" name="flow" value="${escapeHtml(flow.id)}">
<label for="email">E-mail</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${escapeHtml(values.email ?? '')}"${values.email ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${values.email ? ' autofocus' : ''}>
<button type="submit">Log in</button>
</form>
${signup}`,
  );
}

function signupFormPage(
  flow: LoginFlowView,
  prefix: string,
  values: { name?: string | undefined; email?: string | undefined; problem?: Problem | undefined },
): string {
  const login = new URLSearchParams({ origin: flow.origin, type: flow.type, label: flow.label });
  return layout(
    'Sign up',
    `<h1>Create an account</h1>
${destination(flow)}
${errorBox(values.problem)}
<form method="post" action="${escapeHtml(`${prefix}/v1/auth/signup/sanity`)}">
<input type="hidden" name="flow" value="${escapeHtml(flow.id)}">
<label for="name">Name</label>
<input id="name" name="name" type="text" autocomplete="name" required maxlength="200" value="${escapeHtml(values.name ?? '')}" autofocus>
<label for="email">E-mail</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="320" value="${escapeHtml(values.email ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${PASSWORD_MIN_LENGTH}" maxlength="1024" aria-describedby="password-rules">
<p class="hint" id="password-rules">At least ${PASSWORD_MIN_LENGTH} characters. Long passphrases are welcome; common passwords are refused.</p>
<button type="submit">Sign up</button>
</form>
<p class="alt">Already have an account? <a href="${escapeHtml(`${prefix}/v1/auth/login/sanity?${login}`)}">Log in</a></p>`,
  );
}

/** The path the server is mounted under (deployments behind a path prefix), for form actions and links. */
function pathPrefixOf(baseUrl: string): string {
  return new URL(baseUrl).pathname.replace(/\/+$/, '');
}

/** Who receives the login: shown so a person can tell a login meant for them from a lure. */
function destination(flow: Pick<LoginFlowView, 'origin' | 'label'>): string {
  let where = flow.origin;
  try {
    where = new URL(flow.origin).host;
  } catch {
    // shown as given
  }
  return `<p class="for">Continue to <strong>${escapeHtml(where)}</strong> with a personal token named “${escapeHtml(flow.label)}”.</p>`;
}

function errorBox(problem: Problem | undefined): string {
  if (!problem) return '';
  const hint = typeof problem.reason.hint === 'string' ? `<p class="hint">${escapeHtml(problem.reason.hint)}</p>` : '';
  return `<div class="error" role="alert"><p class="message">${escapeHtml(problem.message)}</p>${hint}</div>`;
}
