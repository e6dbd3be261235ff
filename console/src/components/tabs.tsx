/** The sub-navigation of a project or organization: links that look like tabs. */
import { Box, TabNav } from '@radix-ui/themes';
import { Link as RouterLink, useLocation } from 'react-router';

export interface Tab {
  /** Path relative to the layout (`members`, `api/tokens`). */
  to: string;
  label: string;
  /** Also active for paths under this one (`api` for both API tabs). */
  prefix?: string;
}

export function TabLinks({
  base,
  tabs,
  label,
  size = '2',
}: {
  base: string;
  tabs: readonly Tab[];
  label: string;
  size?: '1' | '2';
}) {
  const { pathname } = useLocation();
  const here = pathname.replace(/\/+$/, '');
  return (
    <Box mb="5" className="gh-scroll-x">
      <TabNav.Root aria-label={label} size={size}>
        {tabs.map((tab) => {
          const target = `${base}/${tab.to}`;
          const active = here === target || (tab.prefix !== undefined && here.startsWith(`${base}/${tab.prefix}/`));
          return (
            <TabNav.Link key={tab.to} asChild active={active}>
              <RouterLink to={target} aria-current={active ? 'page' : undefined}>
                {tab.label}
              </RouterLink>
            </TabNav.Link>
          );
        })}
      </TabNav.Root>
    </Box>
  );
}
