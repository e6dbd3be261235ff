/**
 * The wire types the CLI reads, derived from the server's own TypeBox schemas (`src/http/schemas.ts`
 * and the route files), as `console/src/api/types.ts` does for the console. Type-only imports:
 * nothing of the server reaches the CLI's build, and a schema change that the CLI does not follow
 * fails `npm run typecheck`. Commands import these from here (`biome.json` keeps
 * `src/cli/commands/` away from `src/http/routes/`).
 */
import type { Static } from 'typebox';
import type * as Invites from '../http/routes/access/invites.js';
import type * as Requests from '../http/routes/access/requests.js';
import type * as Robots from '../http/routes/access/robots.js';
import type * as Activity from '../http/routes/activity.js';
import type * as Auth from '../http/routes/auth.js';
import type * as AuthOidc from '../http/routes/auth-oidc.js';
import type * as AuthTokens from '../http/routes/auth-tokens.js';
import type * as Cors from '../http/routes/cors.js';
import type * as Explain from '../http/routes/explain.js';
import type * as Policies from '../http/routes/organization-policies.js';
import type * as S from '../http/schemas.js';

export type CurrentUser = Static<typeof S.CurrentUser>;
/** `GET /users/me` as the CLI reads it: the caller's fields, none of them for an anonymous caller (`{}`). */
export type Me = Partial<Extract<CurrentUser, { id: string }>>;
export type Project = Static<typeof S.Project>;
export type ProjectMember = Static<typeof S.ProjectMember>;
export type Organization = Static<typeof S.Organization>;
export type AccessUser = Static<typeof S.AccessUser>;
export type Membership = Static<typeof S.Membership>;
export type Robot = Static<typeof S.Robot>;
export type RobotWithToken = Static<typeof S.RobotWithToken>;
export type Role = Static<typeof S.Role>;
export type RolePermission = Static<typeof S.RolePermission>;
export type Permission = Static<typeof S.Permission>;

export type ActivityEvent = Static<typeof Activity.ActivityEvent>;
export type ActivityPage = Static<typeof Activity.ActivityPage>;
export type LoginProvider = Static<typeof Auth.LoginProvider>;
export type OrganizationLoginProvider = Static<typeof AuthOidc.OrganizationProvider>;
export type PersonalToken = Static<typeof AuthTokens.PersonalToken>;
export type CorsOrigin = Static<typeof Cors.CorsOrigin>;
export type CorsExplanation = Static<typeof Cors.CorsExplanation>;
export type Explanation = Static<typeof Explain.Explanation>;
export type Invite = Static<typeof Invites.Invite>;
export type InviteWithResource = Static<typeof Invites.InviteWithResource>;
export type AccessRequest = Static<typeof Requests.AccessRequest>;
export type AccessRequestWithRequester = Static<typeof Requests.AccessRequestWithRequester>;
export type RobotUsage = Static<typeof Robots.RobotUsage>;
export type OrganizationPolicies = Static<typeof Policies.OrganizationPolicies>;
