/** A project's pages: its name and id, and the tabs Members, Access requests, API, Roles, Activity. */
import { Badge, Box, Code, Flex, Heading, Link, Text } from '@radix-ui/themes';
import { Outlet, Link as RouterLink, useOutletContext, useParams } from 'react-router';
import { useOrganizations, useProject } from '../../api/queries';
import type { Project } from '../../api/types';
import { ErrorCallout } from '../../components/errors';
import { Loading } from '../../components/states';
import { TabLinks } from '../../components/tabs';

const TABS = [
  { to: 'members', label: 'Members' },
  { to: 'requests', label: 'Access requests' },
  { to: 'api/tokens', label: 'API', prefix: 'api' },
  { to: 'roles', label: 'Roles' },
  { to: 'activity', label: 'Activity' },
] as const;

export interface ProjectContext {
  project: Project;
}

export function useProjectContext(): ProjectContext {
  return useOutletContext<ProjectContext>();
}

export function ProjectLayout() {
  const { projectId = '' } = useParams();
  const project = useProject(projectId);
  const organizations = useOrganizations();
  if (project.isPending) return <Loading label="the project" />;
  if (project.isError) {
    return (
      <Flex direction="column" gap="3" align="start">
        <Heading as="h1">Project {projectId}</Heading>
        <ErrorCallout error={project.error} />
        <Link asChild>
          <RouterLink to="/projects">Back to your projects</RouterLink>
        </Link>
      </Flex>
    );
  }
  const base = `/projects/${encodeURIComponent(project.data.id)}`;
  // The organization's name, when the signed-in person belongs to it (else it is not linked).
  const organization = organizations.data?.find((o) => o.id === project.data.organizationId);
  return (
    <>
      <Box mb="4">
        <Text size="2" color="gray">
          <Link asChild>
            <RouterLink to="/projects">Projects</RouterLink>
          </Link>
          {organization && (
            <>
              {' / '}
              <Link asChild>
                <RouterLink to={`/organizations/${organization.id}`}>{organization.name}</RouterLink>
              </Link>
            </>
          )}
        </Text>
        <Flex align="center" gap="3" wrap="wrap" mt="1">
          <Heading as="h1" size="7" className="gh-break">
            {project.data.displayName}
          </Heading>
          <Badge highContrast color="gray" variant="soft">
            Project <Code variant="ghost">{project.data.id}</Code>
          </Badge>
        </Flex>
      </Box>
      <TabLinks base={base} tabs={TABS} label="Project" />
      <Outlet context={{ project: project.data } satisfies ProjectContext} />
    </>
  );
}
