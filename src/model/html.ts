/** The one HTML escaper: for the server's pages (src/http/pages/) and the invitation e-mail (services/invites.ts). */

/** Text as HTML content or an attribute value: `& < > " '` as numeric character references. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
