/**
 * The console's pages. Each page is its own chunk, loaded when first visited, so the first page
 * loads only what it shows.
 */
import { Button, Container, Flex, Heading, Text } from '@radix-ui/themes';
import { createBrowserRouter, isRouteErrorResponse, Navigate, Link as RouterLink, useRouteError } from 'react-router';
import { ErrorCallout } from './components/errors';
import { FullPageLoading, SignedIn } from './components/shell';

export function NotFound() {
  return (
    <Flex direction="column" gap="3" align="start">
      <Heading as="h1">Page not found</Heading>
      <Text color="gray">There is no console page at this address.</Text>
      <Button asChild variant="soft">
        <RouterLink to="/projects">Go to your projects</RouterLink>
      </Button>
    </Flex>
  );
}

function RouteError() {
  const error = useRouteError();
  return (
    <Container size="2" p="5">
      <Flex direction="column" gap="3" align="start">
        <Heading as="h1">Something went wrong</Heading>
        {isRouteErrorResponse(error) ? (
          <Text>
            {error.status} {error.statusText}
          </Text>
        ) : (
          <ErrorCallout error={error} title="The page failed" />
        )}
        <Button onClick={() => window.location.reload()}>Reload the page</Button>
      </Flex>
    </Container>
  );
}

export const router = createBrowserRouter(
  [
    { path: '/sign-in', lazy: async () => ({ Component: (await import('./pages/sign-in')).SignInPage }) },
    { path: '/auth/callback', lazy: async () => ({ Component: (await import('./pages/sign-in')).CallbackPage }) },
    {
      element: <SignedIn />,
      errorElement: <RouteError />,
      HydrateFallback: FullPageLoading,
      children: [
        { index: true, element: <Navigate to="/projects" replace /> },
        { path: 'projects', lazy: async () => ({ Component: (await import('./pages/projects')).ProjectsPage }) },
        {
          path: 'projects/:projectId',
          lazy: async () => ({ Component: (await import('./pages/project/layout')).ProjectLayout }),
          children: [
            { index: true, element: <Navigate to="members" replace /> },
            { path: 'members', lazy: async () => ({ Component: (await import('./pages/project/members')).MembersPage }) },
            { path: 'requests', lazy: async () => ({ Component: (await import('./pages/project/requests')).RequestsPage }) },
            { path: 'api', element: <Navigate to="tokens" replace /> },
            { path: 'api/tokens', lazy: async () => ({ Component: (await import('./pages/project/tokens')).TokensPage }) },
            { path: 'api/cors', lazy: async () => ({ Component: (await import('./pages/project/cors')).CorsPage }) },
            { path: 'roles', lazy: async () => ({ Component: (await import('./pages/roles')).ProjectRolesPage }) },
            { path: 'activity', lazy: async () => ({ Component: (await import('./pages/project/activity')).ActivityPage }) },
          ],
        },
        {
          path: 'organizations/:organizationId',
          lazy: async () => ({ Component: (await import('./pages/organization/layout')).OrganizationLayout }),
          children: [
            { index: true, element: <Navigate to="members" replace /> },
            {
              path: 'members',
              lazy: async () => ({ Component: (await import('./pages/organization/members')).OrganizationMembersPage }),
            },
            {
              path: 'projects',
              lazy: async () => ({ Component: (await import('./pages/organization/projects')).OrganizationProjectsPage }),
            },
            {
              path: 'robots',
              lazy: async () => ({ Component: (await import('./pages/organization/robots')).OrganizationRobotsPage }),
            },
            { path: 'roles', lazy: async () => ({ Component: (await import('./pages/roles')).OrganizationRolesPage }) },
            {
              path: 'policies',
              lazy: async () => ({ Component: (await import('./pages/organization/policies')).PoliciesPage }),
            },
            { path: 'sso', lazy: async () => ({ Component: (await import('./pages/organization/sso')).SsoPage }) },
          ],
        },
        { path: 'account', lazy: async () => ({ Component: (await import('./pages/account')).AccountPage }) },
        { path: '*', element: <NotFound /> },
      ],
    },
  ],
  { basename: '/console' },
);
