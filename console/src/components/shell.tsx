/**
 * The signed-in frame of every page: a skip link, the header (navigation, theme, sign-out) and the
 * main region. Signed-out visitors are sent to sign in, and come back to the page afterwards; any
 * 401 on the way (an expired or revoked session) does the same.
 */
import { Box, Button, Container, Flex, IconButton, Link, Spinner, Text } from '@radix-ui/themes';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Navigate, Outlet, Link as RouterLink, useLocation, useNavigate } from 'react-router';
import { api, setUnauthenticatedHandler } from '../api/client';
import { useMe } from '../api/queries';
import { useTheme } from '../app';
import { ErrorCallout } from './errors';

export function FullPageLoading() {
  return (
    <Flex align="center" justify="center" className="gh-full-height" role="status" gap="2">
      <Spinner size="3" />
      <Text color="gray">Loading the console…</Text>
    </Flex>
  );
}

function ThemeButton() {
  const { appearance, toggle } = useTheme();
  const dark = appearance === 'dark';
  return (
    <IconButton variant="ghost" color="gray" aria-label="Dark theme" aria-pressed={dark} onClick={toggle}>
      <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2">
        {dark ? (
          <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" />
        ) : (
          <>
            <circle cx="12" cy="12" r="4" />
            <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
          </>
        )}
      </svg>
    </IconButton>
  );
}

/**
 * After the session ended on the server: a fresh page load of the sign-in page, so nothing the
 * signed-in person saw stays in memory.
 */
export function leaveSignedOut(): void {
  window.location.assign('/console/sign-in?signedOut=1');
}

/** Why the session ended, as the server said it: shown on the sign-in page. */
export interface SessionEnded {
  message: string;
  hint: string | null;
  code: string;
}

function signInPath(location: { pathname: string; search: string; hash: string }): string {
  return `/sign-in?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`;
}

export function SignedIn() {
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const main = useRef<HTMLElement>(null);
  const shownPath = useRef(location.pathname);

  const here = useRef(location);
  here.current = location;

  // Any 401 from the API: the session is over. Sign in again and come back here.
  useEffect(() => {
    setUnauthenticatedHandler((error) => {
      queryClient.clear();
      const ended: SessionEnded = { message: error.message, hint: error.hint ?? null, code: error.reason.code };
      navigate(signInPath(here.current), { replace: true, state: { ended } });
    });
    return () => setUnauthenticatedHandler(null);
  }, [navigate, queryClient]);

  // After a navigation, focus moves to the page's content, as it would on a page load.
  useEffect(() => {
    if (shownPath.current === location.pathname) return;
    shownPath.current = location.pathname;
    main.current?.focus();
  }, [location.pathname]);

  const logout = useMutation({ mutationFn: () => api.post('/auth/logout'), onSuccess: leaveSignedOut });

  if (me.isPending) return <FullPageLoading />;
  if (me.isError) {
    return (
      <Container size="2" p="5">
        <ErrorCallout error={me.error} title="The console could not reach the server" />
      </Container>
    );
  }
  if (me.data === null) return <Navigate to={signInPath(location)} replace />;

  return (
    <>
      <a href="#main" className="gh-skip-link rt-Text">
        Skip to content
      </a>
      <Box asChild className="gh-header">
        <header>
          <Container size="4" px="4" py="3">
            <Flex align="center" justify="between" gap="3" wrap="wrap">
              <Flex align="center" gap="4" asChild>
                <nav aria-label="Main">
                  <Link asChild weight="bold" size="4" highContrast underline="none">
                    <RouterLink to="/projects">Gatehouse</RouterLink>
                  </Link>
                  <Link asChild size="2">
                    <RouterLink to="/projects">Projects</RouterLink>
                  </Link>
                  <Link asChild size="2">
                    <RouterLink to="/account">Account</RouterLink>
                  </Link>
                </nav>
              </Flex>
              <Flex align="center" gap="3">
                <Text size="2" color="gray" className="gh-break">
                  {me.data.name}
                </Text>
                <ThemeButton />
                <Button variant="soft" size="2" onClick={() => logout.mutate()} loading={logout.isPending}>
                  Log out
                </Button>
              </Flex>
            </Flex>
            {logout.isError && <ErrorCallout error={logout.error} title="Logging out failed" />}
          </Container>
        </header>
      </Box>
      <main id="main" tabIndex={-1} ref={main}>
        <Container size="4" px="4" py="5">
          <Outlet />
        </Container>
      </main>
    </>
  );
}
