/** Project → Members: people (with invitations) and robots, told apart. */
import { Badge, Flex, Link, Table, Text } from '@radix-ui/themes';
import { useQuery } from '@tanstack/react-query';
import { Link as RouterLink } from 'react-router';
import { accessPath, api } from '../../api/client';
import { useAllRoles } from '../../api/queries';
import type { Page, Robot } from '../../api/types';
import { DataTable } from '../../components/data-table';
import { MembersManager, RoleBadges } from '../../components/members';
import { Section, useTitle } from '../../components/page';
import { Pager, useCursor } from '../../components/pager';
import { QueryView } from '../../components/states';
import { useProjectContext } from './layout';

function Robots({ projectId }: { projectId: string }) {
  const resource = { type: 'project', id: projectId } as const;
  const cursor = useCursor();
  const roles = useAllRoles(resource);
  const robots = useQuery({
    queryKey: ['robots', 'project', projectId, false, cursor.cursor],
    queryFn: () => api.get<Page<Robot>>(`${accessPath(resource)}/robots`, { limit: 20, nextCursor: cursor.cursor }),
  });
  return (
    <Section
      title="Robots"
      description={
        <>
          API tokens are members too. Add, rotate and delete them under{' '}
          <Link asChild>
            <RouterLink to={`/projects/${projectId}/api/tokens`}>API → Tokens</RouterLink>
          </Link>
          .
        </>
      }
    >
      <QueryView query={robots} label="robots" empty="No robots." isEmpty={(page) => page.data.length === 0}>
        {(page) => (
          <Flex direction="column" gap="3">
            <DataTable label="Robots">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Roles</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {page.data.map((robot) => (
                  <Table.Row key={robot.id}>
                    <Table.RowHeaderCell>
                      <Flex gap="2" align="center" wrap="wrap">
                        <Text weight="medium" className="gh-break">
                          {robot.label}
                        </Text>
                        <Badge highContrast color="amber" variant="outline">
                          Robot
                        </Badge>
                      </Flex>
                    </Table.RowHeaderCell>
                    <Table.Cell>
                      <RoleBadges names={robot.memberships[0]?.roleNames ?? []} roles={roles.data} />
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </DataTable>
            <Pager
              cursor={cursor}
              nextCursor={page.nextCursor}
              total={page.totalCount}
              shown={page.data.length}
              noun={['robot', 'robots']}
            />
          </Flex>
        )}
      </QueryView>
    </Section>
  );
}

export function MembersPage() {
  const { project } = useProjectContext();
  useTitle('Members', project.displayName);
  return (
    <>
      <MembersManager resource={{ type: 'project', id: project.id }} />
      <Robots projectId={project.id} />
    </>
  );
}
