/**
 * Where to go after signing in. Only a path inside the console is accepted, so a crafted link
 * cannot send someone elsewhere once they have signed in.
 */
export const NEXT_STORAGE_KEY = 'gatehouse.next';
export const DEFAULT_NEXT = '/projects';

/** A console path (`/projects/p1/members?x=1`), or the default for anything else. */
export function safeNext(value: string | null | undefined): string {
  if (!value?.startsWith('/') || value.startsWith('//') || value.includes('\\')) return DEFAULT_NEXT;
  if (value.startsWith('/sign-in') || value.startsWith('/auth/')) return DEFAULT_NEXT;
  try {
    const url = new URL(value, 'http://console.invalid');
    if (url.origin !== 'http://console.invalid') return DEFAULT_NEXT;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return DEFAULT_NEXT;
  }
}
