/**
 * The invitation pages a browser gets at the link of an invitation e-mail (`GET /invites/{token}`,
 * src/http/routes/access/invites.ts): what the invitation is and how to accept it, or why it is not
 * available. A plain document page; the escaper is the one of src/http/pages/layout.ts.
 */
import { escapeHtml } from './layout.js';

/** The page for an invitation that cannot be shown: the message, the hint and the code. */
export function inviteErrorPage(problem: { message?: string; reason?: { code?: string; hint?: string } }): string {
  return page(
    'Invitation not available',
    `<p>${escapeHtml(problem.message ?? '')}</p><p>${escapeHtml(problem.reason?.hint ?? '')}</p><p><code>${escapeHtml(problem.reason?.code ?? '')}</code></p>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Gatehouse</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function invitePage(
  invite: {
    email: string;
    resourceType: string;
    resourceId: string;
    resourceDisplayName: string;
    roleTitle: string;
    expiresAt: string;
  },
  token: string,
  baseUrl: string,
): string {
  const accept = `${baseUrl}/v2025-01-09/access/${invite.resourceType}/${invite.resourceId}/invites/token/${token}/accept`;
  return page(
    `Invitation to ${invite.resourceDisplayName}`,
    `<p>${escapeHtml(invite.email)} is invited to join ${escapeHtml(invite.resourceType)} <strong>${escapeHtml(invite.resourceDisplayName)}</strong> (${escapeHtml(invite.resourceId)}) as <strong>${escapeHtml(invite.roleTitle)}</strong>.</p>
<p>The invitation works once, until ${escapeHtml(invite.expiresAt)}, and only for the account of ${escapeHtml(invite.email)}.</p>
<h2>Accept it</h2>
<p>Log in as ${escapeHtml(invite.email)}, then either run:</p>
<pre>gatehouse invites accept ${escapeHtml(token)}</pre>
<p>or send, with your personal token:</p>
<pre>curl -X POST -H "authorization: Bearer $TOKEN" ${escapeHtml(accept)}</pre>`,
  );
}
