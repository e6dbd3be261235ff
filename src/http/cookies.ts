/**
 * The browser session's cookies (docs/identity.md, "Browser sessions"): their names, the CSRF
 * header, and the `Set-Cookie` values that open and end a session. What goes in them (the personal
 * token, its CSRF value, how long it lives) comes from `SessionService.browserSession`
 * (src/services/login/sessions.ts); reading them on a request is src/http/auth.ts.
 */
import type { BrowserSession } from '../services/login/sessions.js';

/** The cookie that carries a personal token for a browser (the console). */
export const SESSION_COOKIE = 'gatehouse_session';
/** Sanity's name for the same cookie, accepted on requests (never set). */
export const SANITY_SESSION_COOKIE = 'sanitySession';
/** The cookie a page's script reads to send the CSRF header; not HttpOnly. */
export const CSRF_COOKIE = 'gatehouse_csrf';
/** The header a cookie-authenticated write must carry. */
export const CSRF_HEADER = 'x-csrf-token';

/** The attributes of every cookie of ours: `Secure` when the server's public URL is https. */
function attributes(maxAge: number, baseUrl: string): string {
  const secure = baseUrl.startsWith('https:') ? '; Secure' : '';
  return `Max-Age=${maxAge}; Path=/; SameSite=Lax${secure}`;
}

/**
 * The `Set-Cookie` values that make a freshly issued personal token a browser session: the token
 * (HttpOnly) and its CSRF value (readable by the console's script), both for the token's lifetime.
 */
export function sessionCookies(session: BrowserSession, baseUrl: string): string[] {
  return [
    `${SESSION_COOKIE}=${session.token}; ${attributes(session.maxAgeSeconds, baseUrl)}; HttpOnly`,
    `${CSRF_COOKIE}=${session.csrf}; ${attributes(session.maxAgeSeconds, baseUrl)}`,
  ];
}

/** The `Set-Cookie` values that end a browser session (logout). */
export function clearedCookies(baseUrl: string): string[] {
  return [
    `${SESSION_COOKIE}=; ${attributes(0, baseUrl)}; HttpOnly`,
    `${SANITY_SESSION_COOKIE}=; ${attributes(0, baseUrl)}; HttpOnly`,
    `${CSRF_COOKIE}=; ${attributes(0, baseUrl)}`,
  ];
}
