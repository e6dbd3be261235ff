/**
 * Organization → Members: the organization's people with their organization roles (invite, change,
 * remove), and everybody's roles in every project of the organization.
 */
import { Flex, Link, Table, Text } from '@radix-ui/themes';
import { useQuery } from '@tanstack/react-query';
import { Link as RouterLink } from 'react-router';
import { api } from '../../api/client';
import type { Project, SanityUser } from '../../api/types';
import { DataTable } from '../../components/data-table';
import { MembersManager } from '../../components/members';
import { Section, useTitle } from '../../components/page';
import { QueryView } from '../../components/states';
import { useOrganizationContext } from './layout';

/** Who holds which roles in which project: the projects' own member lists, with names where visible. */
function ProjectRoles({ organizationId }: { organizationId: string }) {
  const projects = useQuery({
    queryKey: ['projects', organizationId, 'members'],
    queryFn: () => api.get<Project[]>('/projects', { organizationId, includeMembers: true }),
  });
  const people = [...new Set(projects.data?.flatMap((p) => (p.members ?? []).filter((m) => !m.isRobot).map((m) => m.id)) ?? [])];
  const names = useQuery({
    queryKey: ['user-names', [...people].sort()],
    queryFn: async () => {
      const out = new Map<string, SanityUser>();
      for (let i = 0; i < people.length; i += 100) {
        const batch = people.slice(i, i + 100);
        const found = await api.get<SanityUser | SanityUser[]>(`/users/${batch.join(',')}`);
        for (const user of Array.isArray(found) ? found : [found]) out.set(user.id, user);
      }
      return out;
    },
    enabled: people.length > 0,
  });
  return (
    <Section title="Roles in projects" description="Everybody who holds a role in a project of this organization.">
      <QueryView
        query={projects}
        label="project members"
        empty="No project in this organization has members yet."
        isEmpty={() => people.length === 0}
      >
        {(list) => (
          <DataTable label="Roles in projects">
            <Table.Header>
              <Table.Row>
                <Table.ColumnHeaderCell>Person</Table.ColumnHeaderCell>
                {list.map((project) => (
                  <Table.ColumnHeaderCell key={project.id}>
                    <Link asChild>
                      <RouterLink to={`/projects/${project.id}/members`}>{project.displayName}</RouterLink>
                    </Link>
                  </Table.ColumnHeaderCell>
                ))}
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {people.map((id) => (
                <Table.Row key={id}>
                  <Table.RowHeaderCell>
                    <Flex direction="column">
                      <Text weight="medium">{names.data?.get(id)?.displayName ?? id}</Text>
                      <Text size="1" color="gray">
                        {id}
                      </Text>
                    </Flex>
                  </Table.RowHeaderCell>
                  {list.map((project) => {
                    const member = project.members?.find((m) => m.id === id);
                    return (
                      <Table.Cell key={project.id}>
                        {member ? member.roles.map((r) => r.title).join(', ') : <Text color="gray">—</Text>}
                      </Table.Cell>
                    );
                  })}
                </Table.Row>
              ))}
            </Table.Body>
          </DataTable>
        )}
      </QueryView>
    </Section>
  );
}

export function OrganizationMembersPage() {
  const { organization } = useOrganizationContext();
  useTitle('Members', organization.name);
  return (
    <>
      <MembersManager resource={{ type: 'organization', id: organization.id }} title="Organization members" />
      <ProjectRoles organizationId={organization.id} />
    </>
  );
}
