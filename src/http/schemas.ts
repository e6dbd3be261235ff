/**
 * TypeBox schemas shared by routes: they validate requests, document the API (OpenAPI) and, in
 * tests, check every response against what the document promises.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { ID_PATTERN } from '../model/ids.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../model/pagination.js';

export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Id = (description: string) => Type.String({ pattern: ID_PATTERN, maxLength: 64, description });

export const ResourceTypeParam = StringEnum(['project', 'projects', 'organization', 'organizations'], {
  description: 'Kind of resource; singular and plural spellings are equivalent.',
});

export const ResourceParams = Type.Object({
  resourceType: ResourceTypeParam,
  resourceId: Id('Project or organization id'),
});
export type ResourceParams = Static<typeof ResourceParams>;

export const PageQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Page size, 1–${MAX_LIMIT} (default ${DEFAULT_LIMIT}).` }),
  ),
  nextCursor: Type.Optional(Type.String({ maxLength: 200, description: 'The `nextCursor` of the previous page.' })),
});

/** `includeMembers`, whose default differs between the Projects and Organizations APIs. */
export function includeMembersQuery(defaultValue: boolean) {
  return Type.Object({
    includeMembers: Type.Optional(Type.Boolean({ description: `Include members (default ${defaultValue}).` })),
    includeFeatures: Type.Optional(Type.Boolean({ description: 'Accepted for compatibility; features are always listed.' })),
  });
}

export const Timestamp = Type.String({ format: 'date-time' });

export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    errorCode: Type.Optional(Type.String()),
    reason: Type.Object(
      { code: Type.String(), hint: Type.Optional(Type.String()) },
      { additionalProperties: true, description: 'Why the request failed, for programs: `code` plus details.' },
    ),
  },
  { description: 'Error envelope: `statusCode`, `error`, `message` as the official clients read them, plus `reason`.' },
);

export const Membership = Type.Object({
  resourceType: Type.String(),
  resourceId: Type.String(),
  roleNames: Type.Array(Type.String()),
  addedAt: Timestamp,
  lastSeenAt: Nullable(Timestamp),
  resourceUserId: Nullable(Type.String()),
});

export const Profile = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  email: Type.String(),
  givenName: Nullable(Type.String()),
  familyName: Nullable(Type.String()),
  middleName: Nullable(Type.String()),
  imageUrl: Nullable(Type.String()),
  provider: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const AccessUser = Type.Object({ sanityUserId: Type.String(), profile: Profile, memberships: Type.Array(Membership) });

export const Robot = Type.Object({
  id: Type.String(),
  label: Type.String(),
  createdAt: Timestamp,
  expiresAt: Nullable(Timestamp),
  tokenId: Nullable(Type.String({ description: 'Id of the robot’s live token (the legacy token id).' })),
  tokenHint: Nullable(Type.String({ description: 'Last four characters of the token, to tell tokens apart.' })),
  lastUsedAt: Nullable(Timestamp),
  lastUsedIp: Nullable(Type.String({ description: 'The client address of that last use (see GATEHOUSE_TRUST_PROXY).' })),
  memberships: Type.Array(Membership),
  managedBy: Type.Null(),
});

export const RobotWithToken = Type.Intersect([
  Robot,
  Type.Object({ token: Type.String({ description: 'The secret. Returned once, here; store it now.' }) }),
]);

export const RolePermission = Type.Object({
  name: Type.String({ description: 'A permission of the resource: predefined, or custom (see `/permissions`).' }),
  action: Type.String({ description: 'One of the actions of the permission’s type.' }),
  params: Type.Record(Type.String(), Type.Unknown(), { description: 'e.g. `{"mode": "publish"}`; `{}` when none.' }),
});

export const Role = Type.Object({
  name: Type.String(),
  title: Type.String(),
  description: Type.String(),
  isCustom: Type.Boolean(),
  appliesToUsers: Type.Boolean(),
  appliesToRobots: Type.Boolean(),
  resourceType: Type.String(),
  resourceId: Type.String(),
  permissions: Type.Array(RolePermission),
});

export const Permission = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'The permission type; a role granting action `a` of it grants `<type>.<a>`.' }),
  title: Type.String(),
  description: Type.String(),
  config: Nullable(
    Type.Record(Type.String(), Type.Unknown(), { description: '`filter` (GROQ) and/or `dataset`; stored, never evaluated.' }),
  ),
  isCustom: Type.Boolean({ description: 'False for the predefined permissions, which are read-only.' }),
  actions: Type.Array(Type.String(), { description: 'The actions a role may grant this permission with.' }),
  resourceType: Type.String(),
  resourceId: Type.String(),
});

export const RoleSummary = Type.Object({ name: Type.String(), title: Type.String(), description: Type.String() });

export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    nextCursor: Nullable(Type.String({ description: 'Pass as `nextCursor` for the next page; null on the last page.' })),
    totalCount: Type.Integer(),
  });
}

export const ProjectMember = Type.Object({
  id: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  isCurrentUser: Type.Boolean(),
  isRobot: Type.Boolean(),
  roles: Type.Array(RoleSummary),
});

export const Project = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  studioHost: Nullable(Type.String()),
  organizationId: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  isBlocked: Type.Boolean(),
  isDisabled: Type.Boolean(),
  isDisabledByUser: Type.Boolean(),
  activityFeedEnabled: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  members: Type.Optional(Type.Array(ProjectMember)),
  memberCount: Type.Optional(
    Type.Integer({
      description:
        'Only when `members` was cut at 1,000: how many members the project has. Page through all of them with GET /access/project/{projectId}/users (people) and /access/project/{projectId}/robots (robots).',
    }),
  ),
  features: Type.Array(Type.String()),
});

export const OrganizationMember = Type.Object({
  sanityUserId: Type.String(),
  isCurrentUser: Type.Boolean(),
  user: Type.Object({
    id: Type.String(),
    displayName: Type.String(),
    familyName: Nullable(Type.String()),
    givenName: Nullable(Type.String()),
    middleName: Nullable(Type.String()),
    imageUrl: Nullable(Type.String()),
    email: Type.String(),
    loginProvider: Type.String(),
  }),
  roles: Type.Array(RoleSummary),
});

export const Organization = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Nullable(Type.String()),
  createdAt: Timestamp,
  createdByUserId: Type.String(),
  updatedAt: Timestamp,
  deletedAt: Type.Null(),
  defaultRoleName: Type.String(),
  requestAccessStatus: Type.String(),
  members: Type.Optional(Type.Array(OrganizationMember)),
  memberCount: Type.Optional(
    Type.Integer({
      description:
        'Only when `members` was cut at 1,000: how many people are members. Page through all of them with GET /access/organization/{organizationId}/users.',
    }),
  ),
  features: Type.Array(Type.String()),
});

export const CurrentUser = Type.Union(
  [
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      email: Type.String(),
      profileImage: Nullable(Type.String()),
      provider: Type.String({ description: '`sanity-token` for robots.' }),
      role: Type.String({ description: 'Deprecated: the first project role, in a project context.' }),
      roles: Type.Array(RoleSummary),
    }),
    Type.Object({}, { description: 'Anonymous caller.' }),
  ],
  { description: 'The caller, or `{}` without credentials.' },
);

export const SanityUser = Type.Object({
  id: Type.String(),
  projectId: Nullable(Type.String()),
  displayName: Type.String(),
  familyName: Nullable(Type.String()),
  givenName: Nullable(Type.String()),
  middleName: Nullable(Type.String()),
  imageUrl: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  isCurrentUser: Type.Boolean(),
  isRobot: Type.Boolean({ description: 'A robot: `displayName` is its label; it has no names or image.' }),
});

export const Empty = Type.Null({ description: 'No content' });
