/** Project → API → Tokens. */
import { ApiNav } from '../../components/api-nav';
import { Section, useTitle } from '../../components/page';
import { RobotsManager } from '../../components/robots';
import { useProjectContext } from './layout';

export function TokensPage() {
  const { project } = useProjectContext();
  useTitle('API tokens', project.displayName);
  return (
    <>
      <ApiNav projectId={project.id} />
      <Section title="API tokens">
        <RobotsManager resource={{ type: 'project', id: project.id }} />
      </Section>
    </>
  );
}
