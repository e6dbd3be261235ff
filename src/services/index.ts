/** All use cases, wired to one set of dependencies. */
import { AuthService } from './auth.js';
import type { Deps } from './context.js';
import { MemberService } from './members.js';
import { OrganizationService } from './organizations.js';
import { ProjectService } from './projects.js';
import { RobotService } from './robots.js';
import { RoleService } from './roles.js';
import { UserService } from './users.js';

export interface Services {
  deps: Deps;
  auth: AuthService;
  projects: ProjectService;
  organizations: OrganizationService;
  robots: RobotService;
  members: MemberService;
  roles: RoleService;
  users: UserService;
}

export function createServices(deps: Deps): Services {
  return {
    deps,
    auth: new AuthService(deps),
    projects: new ProjectService(deps),
    organizations: new OrganizationService(deps),
    robots: new RobotService(deps),
    members: new MemberService(deps),
    roles: new RoleService(),
    users: new UserService(deps),
  };
}

export type { Actor, Deps } from './context.js';
