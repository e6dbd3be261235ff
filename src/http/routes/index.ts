/** The route table: every endpoint Gatehouse serves, each declared once with its policy. */
import type { AnyRoute } from '../route.js';
import { accessInviteRoutes } from './access/invites.js';
import { accessPermissionRoutes } from './access/permissions.js';
import { accessRequestRoutes } from './access/requests.js';
import { accessRobotRoutes } from './access/robots.js';
import { accessRoleRoutes } from './access/roles.js';
import { accessUserPermissionRoutes } from './access/user-permissions.js';
import { accessUserRoutes } from './access/users.js';
import { activityRoutes } from './activity.js';
import { authRoutes } from './auth.js';
import { authOidcRoutes } from './auth-oidc.js';
import { authPasswordRoutes } from './auth-password.js';
import { authSamlRoutes } from './auth-saml.js';
import { authTokenRoutes } from './auth-tokens.js';
import { corsRoutesTable } from './cors.js';
import { explainRoutes } from './explain.js';
import { grantRoutes } from './grants.js';
import { healthRoutes } from './health.js';
import { legacyInvitationRoutes } from './invitations.js';
import { leakRoutes } from './leaks.js';
import { openApiRoutes } from './openapi.js';
import { organizationPolicyRoutes } from './organization-policies.js';
import { organizationRoutes } from './organizations.js';
import { projectRoleRoutes } from './project-roles.js';
import { projectRoutes } from './projects.js';
import { ssoProviderRoutes } from './sso-providers.js';
import { legacyTokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';

const table: AnyRoute[] = [
  ...healthRoutes,
  ...openApiRoutes,
  ...accessUserRoutes,
  ...accessRoleRoutes,
  ...accessPermissionRoutes,
  ...accessUserPermissionRoutes,
  ...accessRobotRoutes,
  ...accessRequestRoutes,
  ...grantRoutes,
  ...projectRoutes,
  ...projectRoleRoutes,
  ...legacyTokenRoutes,
  ...organizationRoutes,
  ...organizationPolicyRoutes,
  ...userRoutes,
  ...authRoutes,
  ...authTokenRoutes,
  ...leakRoutes,
  ...authPasswordRoutes,
  ...authSamlRoutes,
  ...authOidcRoutes,
  ...ssoProviderRoutes,
  ...accessInviteRoutes,
  ...legacyInvitationRoutes,
  ...corsRoutesTable,
  ...activityRoutes,
];
// `explain` matches calls against the whole table, itself included.
table.push(...explainRoutes(table));

export const routes: readonly AnyRoute[] = table;
