/** Who is calling. Established once per request from the bearer token. */
import type { ResourceType } from './permissions.js';

export const PRINCIPAL_KINDS = ['anonymous', 'user', 'robot'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export interface UserPrincipal {
  kind: 'user';
  id: string;
  tokenId: string;
  email: string;
  displayName: string;
}

export interface RobotPrincipal {
  kind: 'robot';
  id: string;
  tokenId: string;
  label: string;
  /** The resource the robot belongs to: it can never be a member of anything else. */
  resourceType: ResourceType;
  resourceId: string;
}

export type Principal = UserPrincipal | RobotPrincipal;

export function principalKind(principal: Principal | null): PrincipalKind {
  return principal ? principal.kind : 'anonymous';
}
