/**
 * The wire types the console reads and sends, derived from the server's own TypeBox schemas
 * (`src/http/schemas.ts` and the route files). Type-only imports: nothing of the server reaches
 * the bundle, and a schema change that the console does not follow fails `npm run typecheck`.
 */
import type { Static } from 'typebox';
import type * as Invites from '../../../src/http/routes/access/invites.js';
import type * as Permissions from '../../../src/http/routes/access/permissions.js';
import type * as Requests from '../../../src/http/routes/access/requests.js';
import type * as Robots from '../../../src/http/routes/access/robots.js';
import type * as Roles from '../../../src/http/routes/access/roles.js';
import type * as Users from '../../../src/http/routes/access/users.js';
import type * as Activity from '../../../src/http/routes/activity.js';
import type * as Auth from '../../../src/http/routes/auth.js';
import type * as AuthOidc from '../../../src/http/routes/auth-oidc.js';
import type * as AuthPassword from '../../../src/http/routes/auth-password.js';
import type * as AuthTokens from '../../../src/http/routes/auth-tokens.js';
import type * as Cors from '../../../src/http/routes/cors.js';
import type * as Explain from '../../../src/http/routes/explain.js';
import type * as Policies from '../../../src/http/routes/organization-policies.js';
import type * as Projects from '../../../src/http/routes/projects.js';
import type * as Sso from '../../../src/http/routes/sso-providers.js';
import type * as S from '../../../src/http/schemas.js';

/** A list page: `{data, nextCursor, totalCount}`. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
  totalCount: number;
}

export type ErrorBody = Static<typeof S.ErrorBody>;
export type CurrentUser = Static<typeof S.CurrentUser>;
export type Project = Static<typeof S.Project>;
export type Organization = Static<typeof S.Organization>;
export type AccessUser = Static<typeof S.AccessUser>;
export type Robot = Static<typeof S.Robot>;
export type RobotWithToken = Static<typeof S.RobotWithToken>;
export type Role = Static<typeof S.Role>;
export type Permission = Static<typeof S.Permission>;
export type SanityUser = Static<typeof S.SanityUser>;

export type Explanation = Static<typeof Explain.Explanation>;
export type LoginProvider = Static<typeof Auth.LoginProvider>;
export type OrganizationLoginProvider = Static<typeof AuthOidc.OrganizationProvider>;
export type PersonalToken = Static<typeof AuthTokens.PersonalToken>;
export type ChangePasswordBody = Static<typeof AuthPassword.ChangePasswordBody>;
export type CorsOrigin = Static<typeof Cors.CorsOrigin>;
export type CorsExplanation = Static<typeof Cors.CorsExplanation>;
export type CreateCorsOriginBody = Static<typeof Cors.CreateCorsOriginBody>;
export type Invite = Static<typeof Invites.Invite>;
export type CreateInviteBody = Static<typeof Invites.CreateInviteBody>;
export type AccessRequest = Static<typeof Requests.AccessRequestWithRequester>;
export type AcceptRequestBody = Static<typeof Requests.AcceptRequestBody>;
export type CreateRobotBody = Static<typeof Robots.CreateRobotBody>;
export type RotateRobotBody = Static<typeof Robots.RotateRobotBody>;
export type RobotPolicy = Static<typeof Robots.RobotPolicy>;
export type CreateRoleBody = Static<typeof Roles.CreateRoleBody>;
export type UpdateRoleBody = Static<typeof Roles.UpdateRoleBody>;
export type CreatePermissionBody = Static<typeof Permissions.CreatePermissionBody>;
export type SetUserRolesBody = Static<typeof Users.SetUserRolesBody>;
export type ActivityEvent = Static<typeof Activity.ActivityEvent>;
export type ActivityPage = Static<typeof Activity.ActivityPage>;
export type OrganizationPolicies = Static<typeof Policies.OrganizationPolicies>;
export type UpdateOrganizationPoliciesBody = Static<typeof Policies.UpdateOrganizationPoliciesBody>;
export type CreateProjectBody = Static<typeof Projects.CreateProjectBody>;
export type SsoProvider = Static<typeof Sso.SsoProvider>;
export type SsoProviderInput = Static<typeof Sso.ProviderInput>;

/** A resource of the Access API, as the paths name it. */
export interface ResourceRef {
  type: 'project' | 'organization';
  id: string;
}
