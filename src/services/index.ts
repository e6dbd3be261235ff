/** All use cases, wired to one set of dependencies. */
import { AccessService } from './access.js';
import { AccessRequestService } from './access-requests.js';
import { ActivityService } from './activity.js';
import { AuthService } from './auth.js';
import { type Bookkeeping, bookkeepingOf } from './bookkeeping.js';
import type { Deps } from './context.js';
import { CorsService } from './cors.js';
import { databaseReachable } from './health.js';
import { InviteService } from './invites.js';
import { LeakService } from './leaks.js';
import { LoginService } from './login/flow.js';
import { IdentityService } from './login/registry.js';
import { SessionService } from './login/sessions.js';
import { SsoProviderService } from './login/sso-providers.js';
import { MailService } from './mail.js';
import { MemberService } from './members.js';
import { OrganizationService } from './organizations.js';
import { PermissionService } from './permissions.js';
import { PolicyService } from './policies.js';
import { ProjectService } from './projects.js';
import { type RateLimitService, rateLimitsOf } from './rate-limits.js';
import { RobotService } from './robots.js';
import { RoleService } from './roles.js';
import { UsageService } from './usage.js';
import { UserService } from './users.js';

export interface Services {
  /** The services' clock (tests move it); routes read the time from here. */
  now(): Date;
  /** This server's public origin and base path (the configured public URL, or where it listens). */
  baseUrl(): string;
  /** Whether the database answers (`GET /health`). */
  databaseReachable(): Promise<boolean>;
  auth: AuthService;
  projects: ProjectService;
  organizations: OrganizationService;
  robots: RobotService;
  members: MemberService;
  roles: RoleService;
  permissions: PermissionService;
  access: AccessService;
  policies: PolicyService;
  login: LoginService;
  identity: IdentityService;
  users: UserService;
  sessions: SessionService;
  /** `lastUsedAt` / `lastSeenAt`, written in the background (services/bookkeeping.ts). */
  bookkeeping: Bookkeeping;
  /** Abuse limits; per node (see services/rate-limits.ts). */
  rateLimits: RateLimitService;
  ssoProviders: SsoProviderService;
  cors: CorsService;
  invites: InviteService;
  /** The mail outbox's sender: started and stopped with the server (server.ts). */
  mail: MailService;
  /** Leaked-token reports (`POST /tokens/leaked`). */
  leaks: LeakService;
  /** Robots' permission usage, counted in memory and written in batches (started and stopped with the server). */
  usage: UsageService;
  activity: ActivityService;
  accessRequests: AccessRequestService;
}

export function createServices(deps: Deps): Services {
  const login = new LoginService(deps);
  const rateLimits = rateLimitsOf(deps);
  const auth = new AuthService(deps, rateLimits);
  const mail = new MailService(deps, deps.identity.mail, deps.mailTiming);
  return {
    login,
    identity: new IdentityService(deps, login),
    now: deps.now,
    baseUrl: deps.baseUrl,
    databaseReachable: () => databaseReachable(deps.db),
    auth,
    projects: new ProjectService(deps, auth),
    organizations: new OrganizationService(deps),
    robots: new RobotService(deps),
    members: new MemberService(deps, auth),
    roles: new RoleService(deps),
    permissions: new PermissionService(deps),
    access: new AccessService(deps),
    policies: new PolicyService(deps),
    users: new UserService(deps, auth),
    sessions: new SessionService(deps),
    rateLimits,
    bookkeeping: bookkeepingOf(deps),
    ssoProviders: new SsoProviderService(deps, auth),
    invites: new InviteService(deps, mail),
    mail,
    usage: new UsageService(deps),
    leaks: new LeakService(deps),
    cors: new CorsService(deps),
    activity: new ActivityService(deps),
    accessRequests: new AccessRequestService(deps, auth),
  };
}

export type { Actor, Deps } from './context.js';
