/**
 * The activity log (Sanity's Activity API): the audit log, filtered, limited to what the caller may
 * audit (see services/activity.ts for the rule). `GET /activity` pages newest first; the CSV export
 * takes the same filters.
 */
import { Type } from 'typebox';
import { ACTIVITY_DEFAULT_LIMIT, ACTIVITY_EXPORT_MAX, ACTIVITY_MAX_LIMIT } from '../../services/activity.js';
import { defineRoute, principalOf } from '../route.js';
import { Id, Nullable, Timestamp } from '../schemas.js';

const Repeatable = (item: ReturnType<typeof Type.String>, description: string) =>
  Type.Optional(Type.Array(item, { maxItems: 50, description }));

const ActorId = Type.String({ pattern: '^(?:null|[A-Za-z0-9][A-Za-z0-9_-]{0,63})$', maxLength: 64 });
const Action = Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,99}$', maxLength: 100 });

const filterProperties = {
  actorId: Repeatable(
    ActorId,
    'Events done by this principal (user or robot id); `null` matches events with no actor (the system).',
  ),
  userId: Repeatable(Id('User id'), 'Events whose target is this user.'),
  projectId: Repeatable(Id('Project id'), 'Events of this project.'),
  organizationId: Repeatable(Id('Organization id'), 'Events of this organization.'),
  action: Repeatable(Action, 'Events of this action (e.g. `robot.create`).'),
  startTime: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'RFC 3339; inclusive.' })),
  endTime: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'RFC 3339; exclusive.' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'Events to skip.' })),
  nextCursor: Type.Optional(Type.String({ maxLength: 200, description: 'The `nextCursor` of the previous page.' })),
};

export const ActivityEvent = Type.Object({
  id: Type.String(),
  action: Type.String(),
  actorId: Nullable(Type.String()),
  actorType: Type.String({ description: '`user`, `robot` or `system`.' }),
  actorTokenId: Nullable(Type.String({ description: 'The id of the token the actor used (never the token).' })),
  timestamp: Timestamp,
  projectId: Nullable(Type.String()),
  organizationId: Nullable(Type.String()),
  userId: Nullable(Type.String({ description: 'The target, when it is a user.' })),
  target: Nullable(Type.Object({ type: Type.String(), id: Type.String() })),
  metadata: Type.Object({
    before: Type.Unknown(),
    after: Type.Unknown(),
    ip: Nullable(Type.String()),
    userAgent: Nullable(Type.String()),
    requestId: Nullable(Type.String()),
  }),
  sequence: Type.Integer({ description: 'Position in the hash chain.' }),
  previousHash: Type.String(),
  hash: Type.String({ description: 'SHA-256 of the event and the previous hash (docs/audit.md).' }),
});

const policy = {
  accepts: ['user', 'robot'],
  note: 'events of projects and organizations where the caller holds sanity.{project|organization}.activity.read (administrators and auditors), and the caller’s own',
} as const;

export const ActivityPage = Type.Object({
  data: Type.Array(ActivityEvent),
  nextCursor: Nullable(Type.String({ description: 'Pass as `nextCursor` for the next page; null on the last page.' })),
});

export const activityRoutes = [
  defineRoute({
    method: 'GET',
    path: '/activity',
    summary: 'The activity (audit) log, newest first',
    description:
      'Filters combine with AND; a repeated filter matches any of its values. Only events you may audit are returned: those of projects and organizations where you hold `sanity.{project|organization}.activity.read` (the `administrator` and `auditor` roles), and those you did or that were done to you.',
    tags: ['Activity'],
    policy,
    query: Type.Object(
      {
        ...filterProperties,
        limit: Type.Optional(
          Type.Integer({ minimum: 1, maximum: ACTIVITY_MAX_LIMIT, description: `Default ${ACTIVITY_DEFAULT_LIMIT}.` }),
        ),
      },
      { additionalProperties: false },
    ),
    response: ActivityPage,
    handler: (ctx) => ctx.services.activity.list(principalOf(ctx), ctx.query),
  }),
  defineRoute({
    method: 'GET',
    path: '/activity/export/csv',
    summary: 'The activity log as CSV, with the same filters',
    description: `A header row, then one event per row, newest first (at most ${ACTIVITY_EXPORT_MAX}). Cells follow RFC 4180; a cell starting with = + - or @ is prefixed with a single quote.`,
    tags: ['Activity'],
    policy,
    query: Type.Object(
      {
        ...filterProperties,
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: ACTIVITY_EXPORT_MAX })),
      },
      { additionalProperties: false },
    ),
    response: Type.String({ description: 'text/csv' }),
    handler: async (ctx) => {
      const csv = await ctx.services.activity.exportCsv(principalOf(ctx), ctx.query);
      return ctx.reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="activity.csv"')
        .header('cache-control', 'no-store')
        .send(csv);
    },
  }),
];
