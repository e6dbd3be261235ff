/**
 * `POST /tokens/leaked`: report a Gatehouse secret that was found where it should not be; it is
 * revoked, and the answer never says whether it existed (services/leaks.ts).
 */
import { Type } from 'typebox';
import { LEAK_REPORT_WINDOW_SECONDS, LEAK_REPORTS_PER_WINDOW } from '../../services/leaks.js';
import { defineRoute } from '../route.js';

export const leakRoutes = [
  defineRoute({
    method: 'POST',
    path: '/tokens/leaked',
    summary: 'Report a leaked token: it is revoked, and the answer is the same whether or not it existed',
    description: `For secret scanners and for anybody who finds a Gatehouse secret in the open: a personal token (\`gth_user_…\`), a robot token (\`gth_robot_…\`) or an invitation link's token (\`gth_invite_…\`). A token that still works is revoked at once (its next use is 401 \`token_revoked\`; an invitation is revoked), and its owner and the resource's administrators see a \`token.leaked\` (or \`invite.leaked\`) event in the activity log. The answer is always 200 \`{"received": true}\`, whatever was sent (RFC 7009): the endpoint cannot be used to learn whether a token exists. At most ${LEAK_REPORTS_PER_WINDOW} reports per client address per ${LEAK_REPORT_WINDOW_SECONDS} seconds (429 beyond).`,
    tags: ['Auth'],
    policy: {
      accepts: ['anonymous', 'user', 'robot'],
      note: 'whoever finds a token may report it; holding the token is all the report needs',
    },
    body: Type.Object(
      {
        token: Type.String({ minLength: 1, maxLength: 1000, description: 'The secret that was found' }),
        url: Type.Optional(
          Type.String({ maxLength: 2000, description: 'Where it was found (recorded in the audit event, for its owner)' }),
        ),
      },
      { additionalProperties: false },
    ),
    response: Type.Object({ received: Type.Literal(true) }),
    handler: (ctx) => ctx.services.leaks.report(ctx.actor, ctx.body.token, ctx.body.url),
  }),
];
