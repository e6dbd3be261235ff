/**
 * The invitation pages a browser gets at the link of an invitation e-mail (`GET /invites/{token}`,
 * src/http/routes/access/invites.ts): what the invitation is and how to accept it, or why it is not
 * available, in the one layout of src/http/pages/layout.ts.
 */
import { escapeHtml } from '../../model/html.js';
import { layout } from './layout.js';

/** The page for an invitation that cannot be shown: the message, the hint and the code. */
export function inviteErrorPage(problem: { message?: string; reason?: { code?: string; hint?: string } }): string {
  return page(
    'Invitation not available',
    `<p>${escapeHtml(problem.message ?? '')}</p><p>${escapeHtml(problem.reason?.hint ?? '')}</p><p><code>${escapeHtml(problem.reason?.code ?? '')}</code></p>`,
  );
}

function page(title: string, body: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n${body}`);
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
