/**
 * The authorization matrix, generated from the route table: every declared route × every kind of
 * caller (anonymous, a user who administers the project and organization, a user who belongs to
 * neither, a robot of the project with each robot-applicable project role, a robot of the
 * organization with each robot-applicable organization role, and a robot of another project).
 *
 * The expected outcome of each cell is computed here, independently of the server, from the
 * route's declared policy and the grants of the caller's built-in roles as the golden table in
 * test/support/golden-roles.ts writes them (not the production role table, so a wrong grant there
 * fails a cell). A new route joins the
 * matrix by being declared; if it needs a body or destroys something, this file refuses to run
 * until it is told how to call it harmlessly (SAMPLE_BODIES in test/support/fixtures.ts,
 * THROWAWAY_TARGETS below). An allowed call gets the route's declared status, unless the route is
 * listed in DATA_OUTCOMES with the reason; login routes whose success uses up a single-use value (a
 * login flow, a sid, a signed SAML answer) get a fresh, real one per cell (FRESH_INPUTS).
 *
 * Every cell also counts the audit events its call wrote (in the store, around the call alone): a
 * successful POST, PUT, PATCH or DELETE writes exactly one, a GET, a denial or a failure none, unless
 * AUDIT_EXCEPTIONS says otherwise with the reason. After the last cell the hash chain must verify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../src/http/route.js';
import { routes } from '../../src/http/routes/index.js';
import type { ResourceSource } from '../../src/model/policy.js';
import { verifyAuditLog } from '../../src/services/audit.js';
import {
  addMember,
  approveSsoDomain,
  createOrganization,
  createProject,
  createRobot,
  encodeBody,
  expectErrorEnvelope,
  fillPath,
  issuePersonalToken,
  NO_SUCH_INVITE_TOKEN,
  projectContextHeaders,
  type ResourceKind,
  type RobotFixture,
  requiredQuery,
  routeKey,
  SAMPLE_BODIES,
  SAMPLE_ORIGIN,
  SAMPLE_PASSWORD,
  SAMPLE_QUERIES,
  type SampleContext,
  takesProjectFromContext,
  V,
  withSampleQuery,
} from '../support/fixtures.js';
import { goldenGrants, goldenRoles } from '../support/golden-roles.js';
import { type SamlIdp, type SamlRequestInfo, startSamlIdp } from '../support/saml-idp.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

type Kind = 'anonymous' | 'user' | 'robot';
type Roles = Record<ResourceKind, readonly string[]>;

interface PrincipalSpec {
  name: string;
  kind: Kind;
  /** Roles held on the fixture project and the fixture organization: built-in, or CUSTOM_ROLE. */
  roles: Roles;
}

/**
 * A custom role the fixture owner defines on both fixture resources: it may read and remove
 * members and robots, and nothing else. Holding `members.delete` lets its holder through the
 * policy of the removal routes; the removal rules (services/invariants.ts#checkRemovable) must
 * then still refuse targets whose roles hold more than it does.
 */
const CUSTOM_ROLE = 'matrix-remover';
const CUSTOM_ROLE_ACTIONS = [
  ['members', 'read'],
  ['members', 'delete'],
  ['tokens', 'read'],
  ['tokens', 'delete'],
] as const;

/** The `<type>.<action>` grants of the roles a principal holds on a resource type. */
function grantsHeld(type: ResourceKind, roles: readonly string[]): ReadonlySet<string> {
  const builtIn = roles.filter((r) => r !== CUSTOM_ROLE);
  if (builtIn.length === roles.length) return goldenGrants(type, roles);
  return new Set([
    ...goldenGrants(type, builtIn),
    ...CUSTOM_ROLE_ACTIONS.map(([what, action]) => `sanity.${type}.${what}.${action}`),
  ]);
}

const NONE: Roles = { project: [], organization: [] };
const ROBOT_PROJECT_ROLES = goldenRoles('project')
  .filter((r) => r.appliesToRobots)
  .map((r) => r.name);
const ROBOT_ORGANIZATION_ROLES = goldenRoles('organization')
  .filter((r) => r.appliesToRobots)
  .map((r) => r.name);

const PRINCIPALS: readonly PrincipalSpec[] = [
  { name: 'anonymous', kind: 'anonymous', roles: NONE },
  { name: 'user member', kind: 'user', roles: { project: ['administrator'], organization: ['administrator'] } },
  { name: 'user non-member', kind: 'user', roles: NONE },
  { name: 'user with a custom role', kind: 'user', roles: { project: [CUSTOM_ROLE], organization: [CUSTOM_ROLE] } },
  ...ROBOT_PROJECT_ROLES.map((role) => ({
    name: `project robot (${role})`,
    kind: 'robot' as const,
    roles: { project: [role], organization: [] },
  })),
  ...ROBOT_ORGANIZATION_ROLES.map((role) => ({
    name: `organization robot (${role})`,
    kind: 'robot' as const,
    roles: { project: [], organization: [role] },
  })),
  { name: 'robot of another project', kind: 'robot', roles: NONE },
];

// --- How to call each route harmlessly -------------------------------------------------------

interface CallContext extends SampleContext {
  projectId: string;
  organizationId: string;
}

interface Target {
  /** Path parameters naming the disposable object. */
  params: Record<string, string>;
  /** Whether the object still exists, asked as the fixture owner. */
  exists: () => Promise<boolean>;
  /** The token user cells call with, when the object is the caller's own sessions (a throwaway user's). */
  userToken?: string;
}

/**
 * Routes that destroy what they name get a fresh disposable object per cell, so an allowed delete
 * never removes a fixture another cell relies on. Every DELETE route needs an entry.
 */
const THROWAWAY_TARGETS: Record<string, (ctx: CallContext) => Promise<Target>> = {
  'DELETE /access/:resourceType/:resourceId/users/:userId': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const user = await server.createUser();
    await addMember(server, r, user.userId, [r.type === 'project' ? 'viewer' : 'member']);
    const path = `${V}/access/${r.type}/${r.id}/users/${user.userId}`;
    return { params: { userId: user.userId }, exists: async () => (await ownerGet(path)) === 200 };
  },
  'DELETE /access/:resourceType/:resourceId/robots/:robotId': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const robot = await createRobot(api, member.token, r, [r.type === 'project' ? 'viewer' : 'member'], 'disposable');
    const path = `${V}/access/${r.type}/${r.id}/robots/${robot.id}`;
    return { params: { robotId: robot.id }, exists: async () => (await ownerGet(path)) === 200 };
  },
  // For a rotation, "exists" means "the robot's token is unchanged".
  'POST /access/:resourceType/:resourceId/robots/:robotId/rotate': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const robot = await createRobot(api, member.token, r, [r.type === 'project' ? 'viewer' : 'member'], 'to rotate');
    const path = `${V}/access/${r.type}/${r.id}/robots/${robot.id}`;
    return {
      params: { robotId: robot.id },
      exists: async () => (await api('GET', path, { token: member.token })).body.tokenId === robot.tokenId,
    };
  },
  // Signing out everywhere ends every session of the caller: user cells call as a throwaway user,
  // whose token must still work unless the call was allowed.
  'DELETE /auth/tokens': async () => {
    const user = await server.createUser();
    return {
      params: {},
      userToken: user.token,
      exists: async () => (await api('GET', `${V}/auth/id`, { token: user.token })).status === 200,
    };
  },
  'DELETE /access/:resourceType/:resourceId/roles/:roleName': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const roleName = await createCustomRole(r, 'disposable');
    const path = `${V}/access/${r.type}/${r.id}/roles/${roleName}`;
    return { params: { roleName }, exists: async () => (await ownerGet(path)) === 200 };
  },
  'DELETE /access/:resourceType/:resourceId/permissions/:permissionName': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const permissionName = await createCustomPermission(r, 'disposable');
    const path = `${V}/access/${r.type}/${r.id}/permissions/${permissionName}`;
    return { params: { permissionName }, exists: async () => (await ownerGet(path)) === 200 };
  },
  // For role changes, "exists" means "the member's roles are unchanged".
  'DELETE /access/:resourceType/:resourceId/users/:userId/roles/:roleName': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const [kept, removed] = r.type === 'project' ? ['viewer', 'editor'] : ['member', 'administrator'];
    const userId = await throwawayMember(r, [kept, removed]);
    return { params: { userId, roleName: removed }, exists: async () => (await rolesOf(r, userId)).includes(removed) };
  },
  'PUT /access/:resourceType/:resourceId/users/:userId/roles/:roleName': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const [held, added] = r.type === 'project' ? ['viewer', 'editor'] : ['member', 'administrator'];
    const userId = await throwawayMember(r, [held]);
    return { params: { userId, roleName: added }, exists: async () => !(await rolesOf(r, userId)).includes(added) };
  },
  'PUT /access/:resourceType/:resourceId/users/:userId/roles': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const userId = await throwawayMember(r, [r.type === 'project' ? 'viewer' : 'member']);
    return { params: { userId }, exists: async () => !(await rolesOf(r, userId)).includes('administrator') };
  },
  // Another personal token of the fixture member: revoking it ends no cell's credentials.
  'DELETE /auth/tokens/:tokenId': async () => {
    const { row } = await issuePersonalToken(server, member.userId, 'matrix throwaway');
    return {
      params: { tokenId: row.id },
      exists: async () =>
        (await api('GET', `${V}/auth/tokens?limit=500`, { token: member.token })).body.data.some(
          (t: { id: string }) => t.id === row.id,
        ),
    };
  },
  'DELETE /organizations/:organizationId/providers/:providerId': async ({ organizationId }) => {
    const providerId = await createProvider(organizationId, 'disposable');
    const path = `${V}/organizations/${organizationId}/providers/${providerId}`;
    return { params: { providerId }, exists: async () => (await ownerGet(path)) === 200 };
  },
  // A pending invitation made just before; "exists" means "still pending" (a revoked one stays listed as revoked).
  'DELETE /access/:resourceType/:resourceId/invites/:inviteId': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const inviteId = await createInvite(r);
    return { params: { inviteId }, exists: async () => (await inviteStatus(r, inviteId)) === 'pending' };
  },
  'DELETE /projects/:projectId/cors/:originId': async ({ projectId }) => {
    const originId = await createCorsOrigin(projectId);
    return { params: { originId }, exists: async () => (await corsOriginIds(projectId)).includes(originId) };
  },
  // The alias acts on the project in context (the fixture project, see projectContextHeaders).
  'DELETE /cors/:originId': async ({ projectId }) => {
    const originId = await createCorsOrigin(projectId);
    return { params: { originId }, exists: async () => (await corsOriginIds(projectId)).includes(originId) };
  },
  // A pending access request made just before by a new user; "exists" means "still pending".
  'PUT /access/:resourceType/:resourceId/requests/:requestId/accept': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const requestId = await createAccessRequest(r);
    return { params: { requestId }, exists: async () => (await requestStatus(r, requestId)) === 'pending' };
  },
  'PUT /access/:resourceType/:resourceId/requests/:requestId/decline': async ({ resource }) => {
    const r = resource as { type: ResourceKind; id: string };
    const requestId = await createAccessRequest(r);
    return { params: { requestId }, exists: async () => (await requestStatus(r, requestId)) === 'pending' };
  },
  'DELETE /projects/:projectId/tokens/:tokenId': async ({ projectId }) => {
    const robot = await createRobot(api, member.token, { type: 'project', id: projectId }, ['viewer'], 'disposable');
    const path = `${V}/access/project/${projectId}/robots/${robot.id}`;
    return { params: { tokenId: robot.tokenId }, exists: async () => (await ownerGet(path)) === 200 };
  },
};

/**
 * Path parameters that depend on the route rather than on their name. Routes that change what they
 * name act on a standing custom role or permission, never a built-in; login routes name the
 * standing identity provider of the kind they serve.
 */
const STANDING_PARAMS: Record<string, (ctx: CallContext) => Record<string, string>> = {
  'PUT /access/:resourceType/:resourceId/roles/:roleName': ({ resource }) => ({
    roleName: standingRole.get(resource?.type as ResourceKind) as string,
  }),
  'PUT /access/:resourceType/:resourceId/permissions/:permissionName': ({ resource }) => ({
    permissionName: standingPermission.get(resource?.type as ResourceKind) as string,
  }),
  // The SAML provider: its login starts with the declared redirect (to the identity provider) and
  // needs no network, where an OIDC provider would first fetch its issuer's discovery document.
  'GET /auth/login/:provider': () => ({ provider: standingSamlProvider }),
  'GET /auth/callback/oidc/:provider': () => ({ provider: standingProvider }),
  'GET /auth/saml/metadata/:providerId': () => ({ providerId: standingSamlProvider }),
  'POST /auth/saml/acs/:providerId': () => ({ providerId: standingSamlProvider }),
};

/**
 * Routes whose allowed call needs a live single-use value get a fresh one per cell, made through the
 * API as a browser or the CLI would: a login flow (the form's `flow`), the sid a login ends with, an
 * identity provider's signed answer. SAMPLE_BODIES and SAMPLE_QUERIES give these routes values of
 * the right shape that name nothing; these replace them (body fields one by one, the query whole).
 */
const FRESH_INPUTS: Record<string, () => Promise<{ body?: Record<string, unknown>; query?: string }>> = {
  'GET /auth/fetch': async () => ({ query: `sid=${await passwordLoginSid()}` }),
  'GET /auth/signup/sanity': async () => ({ query: `flow=${await startPasswordLogin()}` }),
  'POST /auth/login/sanity': async () => ({
    body: { flow: await startPasswordLogin(), email: PASSWORD_USER_EMAIL, password: SAMPLE_PASSWORD },
  }),
  // The sample's e-mail address is new on every call: each cell signs up a new account.
  'POST /auth/signup/sanity': async () => ({ body: { flow: await startPasswordLogin() } }),
  'POST /auth/saml/acs/:providerId': async () => {
    const request = await startSamlLogin();
    const SAMLResponse = await idp.response({ request, user: { email: SAML_USER_EMAIL, name: 'Sal Saml' } });
    return { body: { SAMLResponse, RelayState: request.relayState } };
  },
};

const PASSWORD_USER_EMAIL = 'password-user@matrix.example';
const SAML_USER_EMAIL = 'saml-user@matrix.example';
const LOGIN_QUERY = `origin=${encodeURIComponent(SAMPLE_ORIGIN)}&type=token&label=matrix`;

/** A password login in progress: its flow id, from the login page's form. */
async function startPasswordLogin(): Promise<string> {
  const res = await api('GET', `/v1/auth/login/sanity?${LOGIN_QUERY}`);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  const flow = /name="flow" value="([^"]+)"/.exec(res.text)?.[1];
  expect(flow, 'the login form names its flow').toBeDefined();
  return flow as string;
}

/** A finished password login: the single-use sid its redirect carries to the origin. */
async function passwordLoginSid(): Promise<string> {
  const form = { flow: await startPasswordLogin(), email: PASSWORD_USER_EMAIL, password: SAMPLE_PASSWORD };
  const res = await api('POST', '/v1/auth/login/sanity', encodeBody({ bodyType: 'form' }, form));
  expect(res.status, res.text.slice(0, 300)).toBe(303);
  const sid = new URL(res.headers.get('location') ?? '').searchParams.get('sid');
  expect(sid, 'the redirect carries a sid').toBeTruthy();
  return sid as string;
}

/** A SAML login started at the standing SAML provider: the AuthnRequest its redirect carries. */
async function startSamlLogin(): Promise<SamlRequestInfo> {
  const res = await api('GET', `/v1/auth/login/${standingSamlProvider}?${LOGIN_QUERY}`);
  expect(res.status, res.text.slice(0, 300)).toBe(302);
  return idp.parseRedirect(res.headers.get('location') ?? '');
}

async function createCustomRole(r: { type: ResourceKind; id: string }, prefix: string): Promise<string> {
  const name = `${prefix}-${++customCount}`;
  const res = await api('POST', `${V}/access/${r.type}/${r.id}/roles`, {
    token: member.token,
    body: {
      name,
      title: `${prefix} role`,
      appliesToUsers: true,
      appliesToRobots: true,
      permissions: [{ name: r.type === 'project' ? 'sanity-project' : 'sanity-organization', action: 'read' }],
    },
  });
  expect(res.status, res.text).toBe(201);
  return name;
}

/** An OIDC identity provider of the organization (never used to log in). */
async function createProvider(organization: string, title: string): Promise<string> {
  const res = await api('POST', `${V}/organizations/${organization}/providers`, {
    token: member.token,
    body: { type: 'oidc', title, config: { issuer: 'https://login.example.com', clientId: 'matrix' } },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** A SAML identity provider of the organization, trusted by the test's identity provider (as an administrator sets one up). */
async function createSamlProvider(organization: string): Promise<string> {
  const res = await api('POST', `${V}/organizations/${organization}/providers`, {
    token: member.token,
    body: {
      type: 'saml',
      title: 'Matrix SAML',
      config: { entryPoint: idp.ssoUrl, idpIssuer: idp.entityId, idpCert: idp.certificatePem },
    },
  });
  expect(res.status, res.text).toBe(201);
  const metadata = await api('GET', `/v1/auth/saml/metadata/${res.body.id}`);
  expect(metadata.status, metadata.text).toBe(200);
  idp.trust(metadata.text);
  return res.body.id;
}

async function createCustomPermission(r: { type: ResourceKind; id: string }, prefix: string): Promise<string> {
  const name = `${prefix}-permission-${++customCount}`;
  const res = await api('POST', `${V}/access/${r.type}/${r.id}/permissions`, {
    token: member.token,
    body: { name, type: r.type === 'project' ? 'sanity.project' : 'sanity.organization', title: `${prefix} permission` },
  });
  expect(res.status, res.text).toBe(201);
  return name;
}

/** A pending invitation of the resource, sent by the fixture member to a new address. */
async function createInvite(r: { type: ResourceKind; id: string }): Promise<string> {
  const res = await api('POST', `${V}/access/${r.type}/${r.id}/invites`, {
    token: member.token,
    body: { email: `disposable-${++customCount}@matrix.example`, role: r.type === 'project' ? 'viewer' : 'member' },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

async function inviteStatus(r: { type: ResourceKind; id: string }, inviteId: string): Promise<string | undefined> {
  const res = await api('GET', `${V}/access/${r.type}/${r.id}/invites?status=pending&status=revoked&status=accepted&limit=500`, {
    token: member.token,
  });
  expect(res.status, res.text).toBe(200);
  expect(res.body.nextCursor, 'all invitations fit in one page').toBeNull();
  return res.body.data.find((i: { id: string }) => i.id === inviteId)?.status;
}

/** An allowed CORS origin of the project, made by the fixture member: its numeric id, as path text. */
async function createCorsOrigin(project: string): Promise<string> {
  const res = await api('POST', `${V}/projects/${project}/cors`, {
    token: member.token,
    body: { origin: `https://disposable-${++customCount}.matrix.example`, allowCredentials: false },
  });
  expect(res.status, res.text).toBe(201);
  return String(res.body.id);
}

async function corsOriginIds(project: string): Promise<string[]> {
  const res = await api('GET', `${V}/projects/${project}/cors`, { token: member.token });
  expect(res.status, res.text).toBe(200);
  return res.body.map((o: { id: number }) => String(o.id));
}

/** A pending access request to the resource, by a new user (so no limit or pending request is in the way). */
async function createAccessRequest(r: { type: ResourceKind; id: string }): Promise<string> {
  const asker = await server.createUser();
  const res = await api('POST', `${V}/access/${r.type}/${r.id}/requests`, {
    token: asker.token,
    body: { type: 'access', note: 'disposable' },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

async function requestStatus(r: { type: ResourceKind; id: string }, requestId: string): Promise<string | undefined> {
  const res = await api('GET', `${V}/access/${r.type}/${r.id}/requests`, { token: member.token });
  expect(res.status, res.text).toBe(200);
  return res.body.find((q: { id: string }) => q.id === requestId)?.status;
}

async function throwawayMember(r: { type: ResourceKind; id: string }, roleNames: string[]): Promise<string> {
  const user = await server.createUser();
  await addMember(server, r, user.userId, roleNames);
  return user.userId;
}

async function rolesOf(r: { type: ResourceKind; id: string }, userId: string): Promise<string[]> {
  const res = await api('GET', `${V}/access/${r.type}/${r.id}/users/${userId}`, { token: member.token });
  expect(res.status, res.text).toBe(200);
  return res.body.memberships[0].roleNames;
}

/**
 * Outcomes decided by data rather than policy, for callers the policy lets through. Listed here so
 * nothing else about an allowed call may fail quietly. Every other allowed cell must get the route's
 * declared status (`route.status`, 200 by default), with a `Location` when that is a redirect.
 */
const DATA_OUTCOMES: Record<string, (p: PrincipalSpec) => Expected | undefined> = {
  // Only people who share a project or organization with you are visible (`/users/{id}`).
  'GET /users/:userIds': (p) =>
    p.roles.project.length > 0 || p.roles.organization.length > 0
      ? undefined
      : { denied: false, status: 404, code: 'not_found', message: `User not found: ${member.userId}` },
  // Only your own personal tokens can be revoked; anybody else's is "not found".
  'DELETE /auth/tokens/:tokenId': (p) =>
    p.name === 'user member' ? undefined : { denied: false, status: 404, code: 'not_found' },
  // The declared 302 needs an authorization code that only a real login at an OpenID Connect
  // provider yields, through its login and consent pages (test/e2e/login-oidc.test.ts drives one in
  // Chromium). Called without an answer, every caller the policy lets through reaches the handler,
  // which always answers with an HTML error page (the browser the identity provider sent back):
  // 400 login_expired, since no `state` names a login in progress.
  'GET /auth/callback/oidc/:provider': () => ({ denied: false, status: 400, code: 'login_expired', page: 'html' }),
  // Invite tokens: the cells use NO_SUCH_INVITE_TOKEN (well formed, wrong checksum; a real token
  // exists only in the e-mail, see test/e2e/invites.test.ts). Holding the token is the
  // authorization, so everybody the policy lets through learns only that it names no invitation.
  'GET /access/:resourceType/:resourceId/invites/token/:inviteToken': () => NO_SUCH_INVITE,
  'POST /access/:resourceType/:resourceId/invites/token/:inviteToken/accept': () => NO_SUCH_INVITE,
  'GET /invites/:inviteToken': () => NO_SUCH_INVITE,
};

/**
 * The removal routes let the custom role through their policy (it holds `members.delete` and
 * `tokens.delete`), but the disposable target holds `viewer` (or `member`), whose permissions the
 * custom role lacks: taking them away is refused as giving them would be.
 */
const REMOVAL_BY_CUSTOM_ROLE = (p: PrincipalSpec): Expected | undefined =>
  p.name === 'user with a custom role' ? { denied: false, status: 403, code: 'privilege_escalation' } : undefined;
for (const key of [
  'DELETE /access/:resourceType/:resourceId/users/:userId',
  'DELETE /access/:resourceType/:resourceId/robots/:robotId',
  'DELETE /projects/:projectId/tokens/:tokenId',
]) {
  DATA_OUTCOMES[key] = REMOVAL_BY_CUSTOM_ROLE;
}

/** The answer to an invite token that names no invitation. */
const NO_SUCH_INVITE: Expected = { denied: false, status: 404, code: 'invite_not_found' };

/**
 * Audit events a call writes, where the generic rule (a successful POST, PUT, PATCH or DELETE: one;
 * anything else: none) does not hold, with the reason. Given the response status.
 */
const AUDIT_EXCEPTIONS: Record<string, (status: number, p: PrincipalSpec) => number | readonly number[]> = {
  // A login is a change (a personal token is issued, `user.login`), made by a GET that a browser follows.
  'GET /auth/fetch': (status) => (status < 400 ? 1 : 0),
  // The form post and the SAML answer only end in a single-use sid: the login's change (the token)
  // is made, and audited, when the sid is exchanged at GET /auth/fetch.
  'POST /auth/login/sanity': () => 0,
  // Except that the first SAML answer for an identity creates its account (`user.create`): 1 for
  // the first successful cell, 0 after. (A group mapping that changes the user's roles would also
  // write `sso.roles.apply`; the standing provider maps none.)
  'POST /auth/saml/acs/:providerId': (status) => (status < 400 ? [0, 1] : 0),
  // The sample names no token: nothing is revoked, so nothing is recorded (the answer is the same).
  'POST /tokens/leaked': () => 0,
  // Without a token there is no session to end: a no-op, nothing to record.
  'POST /auth/logout': (status, p) => (status < 400 && p.kind !== 'anonymous' ? 1 : 0),
};

/** Routes that end the caller's own session: users call them with a throwaway token of their own. */
const ENDS_CALLERS_SESSION = new Set(['POST /auth/logout']);

// --- The expected outcome, from the declaration alone ------------------------------------------

type Expected =
  | { denied: true; status: number; code: string; message: string; permission?: string; rolesHeld?: readonly string[] }
  | {
      denied: false;
      status: number;
      code?: string;
      message?: string;
      /** An HTML page (naming `code`) instead of the JSON envelope: routes that answer browsers. */
      page?: 'html';
    };

function resourceTypeOf(source: ResourceSource, pathType: ResourceKind | undefined): ResourceKind {
  return source === 'path' ? (pathType as ResourceKind) : source;
}

function expectedOutcome(route: AnyRoute, pathType: ResourceKind | undefined, p: PrincipalSpec): Expected {
  const { accepts, resource: source, permission: template } = route.policy;
  if (!accepts.includes(p.kind)) {
    if (p.kind === 'anonymous') return { denied: true, status: 401, code: 'missing_token', message: 'Not authenticated' };
    const message = p.kind === 'robot' ? 'Robots are not allowed' : 'Users are not allowed';
    const code = route.policy.refusal?.[p.kind]?.code ?? 'principal_not_accepted';
    return { denied: true, status: 403, code, message };
  }
  if (source) {
    const type = resourceTypeOf(source, pathType);
    const id = type === 'project' ? projectId : organizationId;
    const roles = p.roles[type];
    if (roles.length === 0) {
      const message = `${type === 'project' ? 'Project' : 'Organization'} not found: ${id}`;
      return { denied: true, status: 404, code: 'not_found', message };
    }
    const permission = template?.replace('{resourceType}', type);
    if (permission && !grantsHeld(type, roles).has(permission)) {
      return {
        denied: true,
        status: 403,
        code: 'missing_permission',
        message: `Missing permission ${permission} on ${type} ${id}`,
        permission,
        rolesHeld: roles,
      };
    }
  }
  return DATA_OUTCOMES[routeKey(route)]?.(p) ?? { denied: false, status: route.status ?? 200 };
}

// --- Fixtures ------------------------------------------------------------------------------------

let server: TestServer;
let api: Api;
let member: { userId: string; token: string };
let projectId: string;
let organizationId: string;
const tokens = new Map<string, string | undefined>();
const userIds = new Map<string, string>();
/** A robot of each fixture resource that no cell deletes, for `:robotId` / `:tokenId`. */
const standingRobot = new Map<ResourceKind, RobotFixture>();
const standingRole = new Map<ResourceKind, string>();
const standingPermission = new Map<ResourceKind, string>();
/** An identity provider of the fixture organization that no cell deletes, for `:providerId`. */
let standingProvider: string;
/** A SAML provider of the fixture organization, for the SAML endpoints and for starting a login. */
let standingSamlProvider: string;
/** The SAML identity provider behind it, started by this file. */
let idp: SamlIdp;
const ORGANIZATION_SLUG = 'matrix-org';
let customCount = 0;
const covered = new Set<string>();
/** How many cells ended each way (`allowed`, or the denial's reason code). */
const outcomes = new Map<string, number>();
let cells = 0;
let explainedCells = 0;

async function countAuditEvents(): Promise<number> {
  const row = await server.running.store.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function ownerGet(path: string): Promise<number> {
  return (await api('GET', path, { token: member.token })).status;
}

beforeAll(async () => {
  // Sign-up open, so that the sign-up routes can be let through to a new account.
  server = await startTestServer({ identity: { signup: 'open' } });
  api = apiClient(server.url);
  idp = await startSamlIdp();
  member = await server.createUser('member@example.com', 'Mia Member');
  const stranger = await server.createUser('stranger@example.com', 'Sam Stranger');
  projectId = await createProject(api, member.token, 'Matrix');
  organizationId = await createOrganization(api, member.token, 'Matrix org');
  const otherProjectId = await createProject(api, stranger.token, 'Other tenant');

  tokens.set('anonymous', undefined);
  tokens.set('user member', member.token);
  tokens.set('user non-member', stranger.token);
  userIds.set('user member', member.userId);
  userIds.set('user non-member', stranger.userId);
  const customHolder = await server.createUser('custom-role@example.com', 'Cass Custom');
  for (const [type, id] of [
    ['project', projectId],
    ['organization', organizationId],
  ] as const) {
    const created = await api('POST', `${V}/access/${type}/${id}/roles`, {
      token: member.token,
      body: {
        name: CUSTOM_ROLE,
        title: 'Matrix remover',
        appliesToUsers: true,
        appliesToRobots: true,
        permissions: CUSTOM_ROLE_ACTIONS.map(([what, action]) => ({ name: `sanity-${type}-${what}`, action })),
      },
    });
    expect(created.status, created.text).toBe(201);
    await addMember(server, { type, id }, customHolder.userId, [CUSTOM_ROLE]);
  }
  tokens.set('user with a custom role', customHolder.token);
  userIds.set('user with a custom role', customHolder.userId);
  for (const role of ROBOT_PROJECT_ROLES) {
    const robot = await createRobot(api, member.token, { type: 'project', id: projectId }, [role]);
    tokens.set(`project robot (${role})`, robot.token);
  }
  for (const role of ROBOT_ORGANIZATION_ROLES) {
    const robot = await createRobot(api, member.token, { type: 'organization', id: organizationId }, [role]);
    tokens.set(`organization robot (${role})`, robot.token);
  }
  const other = await createRobot(api, stranger.token, { type: 'project', id: otherProjectId }, ['administrator']);
  tokens.set('robot of another project', other.token);
  standingRobot.set('project', await createRobot(api, member.token, { type: 'project', id: projectId }, ['viewer'], 'standing'));
  standingRobot.set(
    'organization',
    await createRobot(api, member.token, { type: 'organization', id: organizationId }, ['member'], 'standing'),
  );
  for (const [type, id] of [
    ['project', projectId],
    ['organization', organizationId],
  ] as const) {
    standingRole.set(type, await createCustomRole({ type, id }, 'standing'));
    standingPermission.set(type, await createCustomPermission({ type, id }, 'standing'));
  }
  // The operator vouches for the organization's providers over matrix.example addresses.
  await approveSsoDomain(server, organizationId, 'matrix.example');
  standingProvider = await createProvider(organizationId, 'standing');
  standingSamlProvider = await createSamlProvider(organizationId);
  // Somebody who logs in with a password, for the login routes' fresh inputs.
  const passwordUser = await server.createUser(PASSWORD_USER_EMAIL, 'Pat Password');
  const password = await api('PUT', `${V}/users/me/password`, {
    token: passwordUser.token,
    body: { newPassword: SAMPLE_PASSWORD },
  });
  expect(password.status, password.text).toBe(204);
  const slugged = await api('PATCH', `${V}/organizations/${organizationId}`, {
    token: member.token,
    body: { slug: ORGANIZATION_SLUG },
  });
  expect(slugged.status, slugged.text).toBe(200);
});

afterAll(async () => {
  await idp?.close();
  await server?.close();
});

// --- The table is complete and declares a policy everywhere --------------------------------------

describe('the route table', () => {
  it('every route declares which principal kinds it accepts', () => {
    for (const route of routes) {
      const accepts = route.policy?.accepts as readonly string[] | undefined;
      expect(Array.isArray(accepts) && accepts.length > 0, `${routeKey(route)} declares no policy.accepts`).toBe(true);
      for (const kind of accepts ?? []) expect(['anonymous', 'user', 'robot'], routeKey(route)).toContain(kind);
    }
  });

  it('a route’s resource can be read from its path, and a permission always has a resource', () => {
    const needs: Record<ResourceSource, string[]> = {
      path: [':resourceType', ':resourceId'],
      project: [':projectId'],
      organization: [':organizationId'],
    };
    for (const route of routes) {
      const { resource, permission } = route.policy;
      if (permission) expect(resource, `${routeKey(route)} requires ${permission} on no resource`).toBeDefined();
      // The `/cors` aliases act on the project in context (host or X-Sanity-Project-ID): the cells send it.
      if (resource === 'project' && takesProjectFromContext(route)) continue;
      if (resource) for (const part of needs[resource]) expect(route.path, routeKey(route)).toContain(part);
    }
  });

  it('the routes that take their project from the context are the /cors aliases and the CORS check', () => {
    expect(routes.filter((r) => takesProjectFromContext(r)).map(routeKey)).toEqual([
      'GET /cors',
      'POST /cors',
      'DELETE /cors/:originId',
      'GET /check/cors',
    ]);
  });

  it('every route with a body has a sample body, and every sample names a real route', () => {
    const withBody = routes.filter((r) => r.body !== undefined).map(routeKey);
    expect(
      withBody.filter((key) => !SAMPLE_BODIES[key]),
      'routes with a body but no entry in SAMPLE_BODIES',
    ).toEqual([]);
    const keys = new Set(routes.map(routeKey));
    expect(
      Object.keys(SAMPLE_BODIES).filter((key) => !keys.has(key)),
      'stale SAMPLE_BODIES entries',
    ).toEqual([]);
  });

  it('every route with a required query parameter has a sample query, and every sample names a real route', () => {
    const needing = routes.filter((r) => requiredQuery(r).length > 0).map(routeKey);
    expect(needing.filter((key) => !SAMPLE_QUERIES[key])).toEqual([]);
    const keys = new Set(routes.map(routeKey));
    expect(Object.keys(SAMPLE_QUERIES).filter((key) => !keys.has(key))).toEqual([]);
  });

  it('every entry of the per-route tables names a real route', () => {
    const keys = new Set(routes.map(routeKey));
    for (const [name, table] of Object.entries({
      THROWAWAY_TARGETS,
      STANDING_PARAMS,
      FRESH_INPUTS,
      DATA_OUTCOMES,
      AUDIT_EXCEPTIONS,
    })) {
      expect(
        Object.keys(table).filter((key) => !keys.has(key)),
        `stale ${name} entries`,
      ).toEqual([]);
    }
    expect([...ENDS_CALLERS_SESSION].filter((key) => !keys.has(key))).toEqual([]);
  });

  it('every DELETE route has a disposable target', () => {
    const deletes = routes.filter((r) => r.method === 'DELETE').map(routeKey);
    expect(
      deletes.filter((key) => !THROWAWAY_TARGETS[key]),
      'DELETE routes with no entry in THROWAWAY_TARGETS',
    ).toEqual([]);
  });

  it('the matrix has a robot for each robot-applicable built-in project role', () => {
    expect(ROBOT_PROJECT_ROLES).toEqual(
      expect.arrayContaining(['administrator', 'developer', 'editor', 'viewer', 'deploy-studio']),
    );
    expect(ROBOT_PROJECT_ROLES).not.toContain('contributor');
  });
});

// --- The matrix ------------------------------------------------------------------------------------

function paramValue(name: string, ctx: CallContext, target: Record<string, string>): string | undefined {
  if (target[name] !== undefined) return target[name];
  const type = ctx.resource?.type ?? 'project';
  switch (name) {
    case 'resourceType':
      return ctx.resource?.type;
    case 'resourceId':
      return ctx.resource?.id;
    case 'projectId':
      return ctx.projectId;
    case 'organizationId':
      return ctx.organizationId;
    case 'userId':
    case 'userIds':
      return member.userId;
    case 'robotId':
      return standingRobot.get(type)?.id;
    case 'tokenId':
      return standingRobot.get(type)?.tokenId;
    case 'roleName':
      return type === 'organization' ? 'member' : 'viewer';
    case 'permissionName':
      return type === 'organization' ? 'sanity-organization' : 'sanity-project';
    case 'providerId':
      return standingProvider;
    case 'slug':
      return ORGANIZATION_SLUG;
    case 'inviteToken':
      return NO_SUCH_INVITE_TOKEN;
    default:
      return undefined;
  }
}

function concretePath(route: AnyRoute, ctx: CallContext, target: Record<string, string>): string {
  const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
  return fillPath(route, Object.fromEntries(names.map((name) => [name, paramValue(name, ctx, target)])));
}

for (const route of routes) {
  const pathTypes: (ResourceKind | undefined)[] = route.path.includes(':resourceType')
    ? ['project', 'organization']
    : [undefined];
  for (const pathType of pathTypes) {
    describe(`${route.method} ${route.path}${pathType ? ` [${pathType}]` : ''}`, () => {
      for (const principal of PRINCIPALS) {
        it(principal.name, async () => {
          covered.add(routeKey(route));
          cells++;
          const ctx: CallContext = {
            resource: pathType
              ? { type: pathType, id: pathType === 'project' ? projectId : organizationId }
              : route.policy.resource === 'project'
                ? { type: 'project', id: projectId }
                : route.policy.resource === 'organization'
                  ? { type: 'organization', id: organizationId }
                  : undefined,
            projectId,
            organizationId,
          };
          const throwaway = THROWAWAY_TARGETS[routeKey(route)];
          const target = throwaway ? await throwaway(ctx) : undefined;
          const sample = SAMPLE_BODIES[routeKey(route)];
          if (route.body !== undefined && !sample) throw new Error(`matrix: ${routeKey(route)} has a body but no sample`);
          const standing = STANDING_PARAMS[routeKey(route)]?.(ctx);
          const fresh = await FRESH_INPUTS[routeKey(route)]?.();
          const filled = concretePath(route, ctx, { ...standing, ...target?.params });
          const path = fresh?.query !== undefined ? `${filled}?${fresh.query}` : withSampleQuery(route, filled, ctx);
          const expected = expectedOutcome(route, pathType, principal);
          const outcome = expected.denied ? expected.code : 'allowed';
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);

          const userId = ENDS_CALLERS_SESSION.has(routeKey(route)) ? userIds.get(principal.name) : undefined;
          const callToken =
            target?.userToken !== undefined && principal.kind === 'user'
              ? target.userToken
              : userId
                ? (await issuePersonalToken(server, userId, 'matrix throwaway')).token
                : tokens.get(principal.name);
          // Counted around the call alone: the setup above (targets, fresh inputs) makes changes of its own.
          const eventsBefore = await countAuditEvents();
          const encoded = sample ? encodeBody(route, { ...sample(ctx), ...fresh?.body }) : undefined;
          // Routes that act on the project in context get the fixture project in X-Sanity-Project-ID.
          const res = await api(route.method, path, {
            token: callToken,
            ...encoded,
            headers: { ...encoded?.headers, ...projectContextHeaders(route, projectId) },
          });
          const eventsWritten = (await countAuditEvents()) - eventsBefore;
          const where = `${principal.name} → ${route.method} ${path}: ${res.status} ${res.text.slice(0, 300)}`;

          // Every change writes exactly one audit event; a read, a denial or a failure writes none.
          const succeeded = res.status < 400;
          const expectedEvents =
            AUDIT_EXCEPTIONS[routeKey(route)]?.(res.status, principal) ?? (succeeded && route.method !== 'GET' ? 1 : 0);
          expect([expectedEvents].flat(), `audit events written by ${where}`).toContain(eventsWritten);

          if (expected.denied) {
            expectErrorEnvelope(res, expected.status, expected.code);
            expect(res.body.message, where).toBe(expected.message);
            if (expected.status === 401) expect(res.headers.get('www-authenticate'), where).toMatch(/^Bearer /);
            if (expected.code === 'principal_not_accepted') {
              expect(res.body.reason.accepts, where).toEqual(route.policy.accepts.filter((k) => k !== 'anonymous'));
              expect(res.body.reason.principalKind, where).toBe(principal.kind);
            }
            if (expected.code === 'missing_permission') {
              expect(res.body.reason.permission, where).toBe(expected.permission);
              expect([...res.body.reason.rolesHeld].sort(), where).toEqual([...(expected.rolesHeld ?? [])].sort());
            }
          } else if (expected.page === 'html') {
            // Let through by the policy; the handler answers a browser with a page (see DATA_OUTCOMES).
            expect(res.status, where).toBe(expected.status);
            expect(res.headers.get('content-type'), where).toBe('text/html; charset=utf-8');
            if (expected.code) expect(res.text, where).toContain(`>${expected.code}<`);
          } else if (expected.status >= 400) {
            // Let through by the policy, refused by the data (see DATA_OUTCOMES).
            expectErrorEnvelope(res, expected.status, expected.code);
            if (expected.message) expect(res.body.message, where).toBe(expected.message);
          } else {
            expect(res.status, where).toBe(expected.status);
            // A redirect says where to (login flows), and is never cached.
            if (expected.status >= 300 && expected.status < 400) {
              expect(res.headers.get('location'), where).toMatch(/^https?:\/\//);
              expect(res.headers.get('cache-control'), where).toBe('no-store');
            }
          }

          // A denial (by policy or by data) changes nothing; an allowed delete removes exactly its disposable target.
          if (target) {
            expect(await target.exists(), `${where} (target still exists?)`).toBe(expected.denied || expected.status >= 400);
          }

          // `explain`, asked with the same credentials (and the same project in context), predicts the decision the call got.
          const context = takesProjectFromContext(route) ? `&projectId=${projectId}` : '';
          const explained = await api(
            'GET',
            `${V}/access/explain?method=${route.method}&path=${encodeURIComponent(path)}${context}`,
            { token: tokens.get(principal.name) },
          );
          expect(explained.status, `explain ${where}: ${explained.text.slice(0, 300)}`).toBe(200);
          if (expected.denied) {
            expect(explained.body, `explain ${where}`).toMatchObject({
              allowed: false,
              status: res.status,
              message: res.body.message,
              reason: { code: res.body.reason.code },
              fix: res.body.reason.hint ?? null,
            });
          } else {
            expect(explained.body.allowed, `explain ${where}: ${explained.text.slice(0, 300)}`).toBe(true);
            expect(explained.body.status, `explain ${where}`).toBe(route.status ?? 200);
          }
          explainedCells++;
        });
      }
    });
  }
}

// --- Beyond the generated cells ----------------------------------------------------------------------

describe('organizations', () => {
  it('the user who created the organization administers it', async () => {
    const res = await api('GET', `${V}/access/organization/${organizationId}/users`, { token: member.token });
    expect(res.status, res.text).toBe(200);
    const me = res.body.data.find((u: { sanityUserId: string }) => u.sanityUserId === member.userId);
    expect(me).toMatchObject({
      sanityUserId: member.userId,
      memberships: [{ resourceType: 'organization', resourceId: organizationId, roleNames: ['administrator'] }],
    });
  });

  it('a project robot cannot see the organization’s users: 404, as if it did not exist', async () => {
    const admin = tokens.get('project robot (administrator)');
    for (const spelling of ['organization', 'organizations']) {
      const res = await api('GET', `${V}/access/${spelling}/${organizationId}/users`, { token: admin });
      expectErrorEnvelope(res, 404, 'not_found');
      expect(res.body.message).toBe(`Organization not found: ${organizationId}`);
    }
    const missing = await api('GET', `${V}/access/organization/onosuchorg/users`, { token: admin });
    expectErrorEnvelope(missing, 404, 'not_found');
    expect(missing.body.reason.hint).toBe(
      (await api('GET', `${V}/access/organization/${organizationId}/users`, { token: admin })).body.reason.hint,
    );
  });
});

describe('the project in context', () => {
  it('without it, a route that takes its project from the context is a 404, and explain without projectId agrees', async () => {
    for (const route of routes.filter((r) => r.policy.resource === 'project' && takesProjectFromContext(r))) {
      const sample = SAMPLE_BODIES[routeKey(route)];
      const originId = route.path.includes(':originId') ? await createCorsOrigin(projectId) : undefined;
      const path = fillPath(route, { originId });
      const res = await api(route.method, path, {
        token: member.token,
        ...(sample ? encodeBody(route, sample({ resource: { type: 'project', id: projectId } })) : {}),
      });
      expectErrorEnvelope(res, 404, 'not_found', `${route.method} ${path} with no project in context`);
      const explained = await api('GET', `${V}/access/explain?method=${route.method}&path=${encodeURIComponent(path)}`, {
        token: member.token,
      });
      expect(explained.status, explained.text).toBe(200);
      expect(explained.body, `explain ${route.method} ${path}`).toMatchObject({
        allowed: false,
        status: 404,
        message: res.body.message,
        reason: { code: 'not_found' },
        resource: null,
      });
      if (originId) expect(await corsOriginIds(projectId)).toContain(originId);
    }
  });

  it('explain’s projectId does not override a project named in the path', async () => {
    const path = `${V}/projects/${projectId}/cors`;
    const res = await api('GET', `${V}/access/explain?method=GET&path=${encodeURIComponent(path)}&projectId=pnosuchproject`, {
      token: member.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ allowed: true, resource: { type: 'project', id: projectId } });
  });
});

describe('coverage', () => {
  it('every route in the table was exercised by at least one cell', () => {
    const missing = routes.map(routeKey).filter((key) => !covered.has(key));
    expect(missing).toEqual([]);
    expect(cells).toBeGreaterThanOrEqual(routes.length * PRINCIPALS.length);
    expect(explainedCells, 'cells whose outcome explain predicted').toBe(cells);
    // Every rule of the decision bit somewhere, so the matrix is not vacuously green.
    for (const outcome of ['allowed', 'missing_token', 'principal_not_accepted', 'not_found', 'missing_permission']) {
      expect(outcomes.get(outcome) ?? 0, outcome).toBeGreaterThan(0);
    }
    console.info(`authorization matrix: ${cells} cells`, Object.fromEntries(outcomes));
  });

  it('the audit log’s hash chain is intact after every cell', async () => {
    const verification = await verifyAuditLog(server.running.store.db);
    expect(verification.break).toBeNull();
    expect(verification.unchained).toBe(0);
    expect(verification.verified).toBe(await countAuditEvents());
    expect(verification.verified).toBeGreaterThan(0);
  });
});
