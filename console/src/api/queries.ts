/** Queries shared by several pages, with their cache keys. */
import { type QueryKey, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { accessPath, api } from './client';
import type { CurrentUser, Organization, Page, Project, ResourceRef, Role } from './types';

/** The signed-in person, or null when signed out (`/users/me` answers `{}` without a session). */
export type Me = Extract<CurrentUser, { id: string }>;

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      const me = await api.get<CurrentUser>('/users/me', undefined, { quiet401: true });
      return 'id' in me ? (me as Me) : null;
    },
    staleTime: 60_000,
  });
}

export function useProject(projectId: string) {
  return useQuery({
    queryKey: ['project', projectId],
    queryFn: () => api.get<Project>(`/projects/${encodeURIComponent(projectId)}`, { includeMembers: false }),
  });
}

export function useProjects(organizationId?: string) {
  return useQuery({
    queryKey: ['projects', organizationId ?? null],
    queryFn: () => api.get<Project[]>('/projects', { includeMembers: false, organizationId }),
  });
}

export function useOrganizations() {
  return useQuery({ queryKey: ['organizations'], queryFn: () => api.get<Organization[]>('/organizations') });
}

export function useOrganization(organizationId: string) {
  return useQuery({
    queryKey: ['organization', organizationId],
    queryFn: () => api.get<Organization>(`/organizations/${encodeURIComponent(organizationId)}`),
  });
}

/**
 * Every role of a resource (built-in and custom), following the cursor to the end: role lists are
 * short, and every picker needs all of them. Which roles apply to people and which to robots is
 * the server's `appliesToUsers` / `appliesToRobots`.
 */
export function useAllRoles(resource: ResourceRef) {
  return useQuery({
    queryKey: ['roles', resource.type, resource.id, 'all'],
    queryFn: async () => {
      const roles: Role[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.get<Page<Role>>(`${accessPath(resource)}/roles`, { limit: 500, nextCursor: cursor });
        roles.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return roles;
    },
  });
}

/** A role's title when the list knows it, else its name. */
export function roleTitle(roles: readonly Role[] | undefined, name: string): string {
  return roles?.find((r) => r.name === name)?.title ?? name;
}

/**
 * A change made from a list (delete, revoke, decline…): runs `change`, then refreshes the lists
 * under `refresh` and calls `done` (closing the dialog it came from).
 */
export function useChange<T, R = unknown>(change: (input: T) => Promise<R>, refresh: QueryKey[], done?: (result: R) => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: change,
    onSuccess: async (result) => {
      await Promise.all(refresh.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
      done?.(result);
    },
  });
}
