/** Organization → Robots: the organization's own API tokens, and those of its projects. */
import { useProjects } from '../../api/queries';
import { Section, useTitle } from '../../components/page';
import { RobotsManager } from '../../components/robots';
import { useOrganizationContext } from './layout';

export function OrganizationRobotsPage() {
  const { organization } = useOrganizationContext();
  useTitle('Robots', organization.name);
  const projects = useProjects(organization.id);
  const names = new Map((projects.data ?? []).map((p) => [p.id, p.displayName]));
  return (
    <Section title="Robots" description="API tokens of the organization, and of its projects (managed on each project's page).">
      <RobotsManager resource={{ type: 'organization', id: organization.id }} includeChildren projectNames={names} />
    </Section>
  );
}
