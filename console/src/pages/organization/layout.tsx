/** An organization's pages: Members, Projects, Robots, Roles, Policies, SSO providers. */
import { Badge, Box, Code, Flex, Heading, Link, Text } from '@radix-ui/themes';
import { Outlet, Link as RouterLink, useOutletContext, useParams } from 'react-router';
import { useOrganization } from '../../api/queries';
import type { Organization } from '../../api/types';
import { ErrorCallout } from '../../components/errors';
import { Loading } from '../../components/states';
import { TabLinks } from '../../components/tabs';

const TABS = [
  { to: 'members', label: 'Members' },
  { to: 'projects', label: 'Projects' },
  { to: 'robots', label: 'Robots' },
  { to: 'roles', label: 'Roles' },
  { to: 'policies', label: 'Policies' },
  { to: 'sso', label: 'SSO providers' },
] as const;

export interface OrganizationContext {
  organization: Organization;
}

export function useOrganizationContext(): OrganizationContext {
  return useOutletContext<OrganizationContext>();
}

export function OrganizationLayout() {
  const { organizationId = '' } = useParams();
  const organization = useOrganization(organizationId);
  if (organization.isPending) return <Loading label="the organization" />;
  if (organization.isError) {
    return (
      <Flex direction="column" gap="3" align="start">
        <Heading as="h1">Organization {organizationId}</Heading>
        <ErrorCallout error={organization.error} />
        <Link asChild>
          <RouterLink to="/projects">Back to your projects</RouterLink>
        </Link>
      </Flex>
    );
  }
  const org = organization.data;
  return (
    <>
      <Box mb="4">
        <Text size="2" color="gray">
          <Link asChild>
            <RouterLink to="/projects">Projects</RouterLink>
          </Link>
        </Text>
        <Flex align="center" gap="3" wrap="wrap" mt="1">
          <Heading as="h1" size="7" className="gh-break">
            {org.name}
          </Heading>
          <Badge highContrast color="gray" variant="soft">
            Organization <Code variant="ghost">{org.id}</Code>
          </Badge>
          {org.slug && (
            <Badge highContrast color="gray" variant="outline">
              slug {org.slug}
            </Badge>
          )}
        </Flex>
      </Box>
      <TabLinks base={`/organizations/${encodeURIComponent(org.id)}`} tabs={TABS} label="Organization" />
      <Outlet context={{ organization: org } satisfies OrganizationContext} />
    </>
  );
}
