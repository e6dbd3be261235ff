/** The one cookie the console reads: the CSRF value `/auth/fetch` set next to the HttpOnly session. */
export const CSRF_COOKIE = 'gatehouse_csrf';

/** The value of a cookie in a `document.cookie` string, or null. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const pair = part.trim();
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq) === name) return pair.slice(eq + 1) || null;
  }
  return null;
}
