/** Project → Members: people (with invitations) and robots, told apart. */
import { Badge, Flex, Link, Table, Text } from '@radix-ui/themes';
import { useQuery } from '@tanstack/react-query';
import { Link as RouterLink } from 'react-router';
import { accessPath, api } from '../../api/client';
import { useAllRoles } from '../../api/queries';
import type { Page, Robot } from '../../api/types';
import { MembersManager, RoleBadges } from '../../components/members';
import { Section, useTitle } from '../../components/page';
import { PagedTable } from '../../components/paged-table';
import { useCursor } from '../../components/pager';
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
      <PagedTable
        query={robots}
        cursor={cursor}
        label="Robots"
        noun={['robot', 'robots']}
        empty="No robots."
        columns={['Name', 'Roles']}
        row={(robot) => (
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
        )}
      />
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
