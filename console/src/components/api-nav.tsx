/** The two parts of a project's API settings: tokens and CORS origins. */
import { TabLinks } from './tabs';

const API_TABS = [
  { to: 'tokens', label: 'Tokens' },
  { to: 'cors', label: 'CORS origins' },
] as const;

export function ApiNav({ projectId }: { projectId: string }) {
  return <TabLinks base={`/projects/${encodeURIComponent(projectId)}/api`} tabs={API_TABS} label="API settings" size="1" />;
}
