/**
 * Signing in with the login flow every Gatehouse client uses: the browser goes to
 * `/v1/auth/login/{provider}?origin=<this console>/auth/callback`, the provider (the e-mail and
 * password form, an OpenID Connect or SAML identity provider) sends it back with a single-use
 * `sid`, and `/v1/auth/fetch?sid=…` turns that into the session cookie. The token in that answer is
 * dropped: the console only ever holds the HttpOnly cookie and its CSRF value.
 */
import { Box, Button, Callout, Card, Container, Flex, Heading, Separator, Spinner, Text, TextField } from '@radix-ui/themes';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Navigate, Link as RouterLink, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api, request } from '../api/client';
import { useMe } from '../api/queries';
import type { LoginProvider, OrganizationLoginProvider } from '../api/types';
import { ErrorCallout } from '../components/errors';
import { useTitle } from '../components/page';
import type { SessionEnded } from '../components/shell';
import { DEFAULT_NEXT, NEXT_STORAGE_KEY, safeNext } from '../lib/next';

const LOGIN_LABEL = 'Gatehouse console';

/** Where a provider's login starts on this origin, with the console's callback as the origin to come back to. */
export function loginUrl(providerUrl: string, consoleOrigin: string): string {
  const start = new URL(providerUrl, consoleOrigin);
  const url = new URL(`${start.pathname}`, consoleOrigin);
  url.searchParams.set('origin', `${consoleOrigin}/console/auth/callback`);
  url.searchParams.set('type', 'token');
  url.searchParams.set('label', LOGIN_LABEL);
  return url.toString();
}

function startLogin(providerUrl: string, next: string) {
  try {
    sessionStorage.setItem(NEXT_STORAGE_KEY, next);
  } catch {
    // without storage the console opens the projects page afterwards
  }
  window.location.assign(loginUrl(providerUrl, window.location.origin));
}

function SsoLogin({ next }: { next: string }) {
  const id = useId();
  const [slug, setSlug] = useState('');
  const lookup = useMutation({
    mutationFn: (value: string) =>
      api.get<OrganizationLoginProvider[]>(`/auth/organizations/by-slug/${encodeURIComponent(value)}/providers`),
    onSuccess: (providers) => {
      const enabled = providers.filter((p) => !p.disabled);
      if (enabled.length === 1 && enabled[0]) startLogin(enabled[0].loginUrl, next);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = slug.trim().toLowerCase();
    if (value) lookup.mutate(value);
  };
  const enabled = lookup.data?.filter((p) => !p.disabled) ?? [];
  return (
    <form onSubmit={submit} aria-label="Log in with SSO">
      <Flex direction="column" gap="2">
        <Text as="label" htmlFor={id} size="2" weight="medium">
          Organization slug
        </Text>
        <Flex gap="2" wrap="wrap">
          <Box flexGrow="1">
            <TextField.Root
              id={id}
              value={slug}
              onChange={(e) => setSlug(e.target.value)}
              placeholder="acme"
              autoComplete="organization"
              autoCapitalize="none"
              spellCheck={false}
            />
          </Box>
          <Button type="submit" variant="soft" loading={lookup.isPending}>
            Log in with SSO
          </Button>
        </Flex>
        {lookup.isError && <ErrorCallout error={lookup.error} />}
        {lookup.isSuccess && enabled.length === 0 && (
          <Callout.Root highContrast color="amber" role="alert">
            <Callout.Text>This organization has no single sign-on provider that is switched on.</Callout.Text>
          </Callout.Root>
        )}
        {enabled.length > 1 && (
          <Flex direction="column" gap="2">
            {enabled.map((provider) => (
              <Button key={provider.id} variant="outline" onClick={() => startLogin(provider.loginUrl, next)}>
                Log in with {provider.title}
              </Button>
            ))}
          </Flex>
        )}
      </Flex>
    </form>
  );
}

export function SignInPage() {
  useTitle('Sign in');
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const ended = (useLocation().state as { ended?: SessionEnded } | null)?.ended;
  const me = useMe();
  const providers = useQuery({
    queryKey: ['login-providers'],
    queryFn: () => api.get<{ providers: LoginProvider[] }>('/auth/providers'),
  });
  if (me.data) return <Navigate to={next} replace />;
  return (
    <Container size="1" px="4" py="9">
      <main>
        <Card size="3">
          <Flex direction="column" gap="4">
            <Box>
              <Heading as="h1" size="6">
                Sign in to Gatehouse
              </Heading>
              <Text as="p" color="gray" size="2" mt="1">
                Manage projects, members, API tokens and who may do what.
              </Text>
            </Box>
            {ended && (
              <Callout.Root highContrast color="amber" role="alert">
                <Callout.Text>
                  <Flex direction="column" gap="1" asChild>
                    <span>
                      <Text weight="bold">Your session has ended: {ended.message}</Text>
                      {ended.hint && <Text>{ended.hint}</Text>}
                      <Text size="1">Sign in again to go back to where you were.</Text>
                    </span>
                  </Flex>
                </Callout.Text>
              </Callout.Root>
            )}
            {params.get('signedOut') && (
              <Callout.Root highContrast color="green" role="status">
                <Callout.Text>You have logged out. Your session has ended on the server.</Callout.Text>
              </Callout.Root>
            )}
            {providers.isPending && (
              <Flex gap="2" align="center" role="status">
                <Spinner />
                <Text color="gray">Loading the ways to sign in…</Text>
              </Flex>
            )}
            {providers.isError && <ErrorCallout error={providers.error} title="The login providers could not be loaded" />}
            {providers.data && (
              <Flex direction="column" gap="2">
                {providers.data.providers.map((provider) => (
                  <Button key={provider.name} size="3" onClick={() => startLogin(provider.url, next)}>
                    Log in with {provider.title}
                  </Button>
                ))}
              </Flex>
            )}
            <Separator size="4" />
            <SsoLogin next={next} />
          </Flex>
        </Card>
      </main>
    </Container>
  );
}

export function CallbackPage() {
  useTitle('Signing in');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const started = useRef(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const sid = new URLSearchParams(window.location.search).get('sid');
    // The sid leaves the address bar (and the history) at once.
    window.history.replaceState(null, '', '/console/auth/callback');
    let next = DEFAULT_NEXT;
    try {
      next = safeNext(sessionStorage.getItem(NEXT_STORAGE_KEY));
      sessionStorage.removeItem(NEXT_STORAGE_KEY);
    } catch {
      // no storage: the default page
    }
    if (!sid) {
      setError(new Error('This address has no login session in it. Start the login again.'));
      return;
    }
    request<unknown>('GET', '/v1/auth/fetch', { query: { sid }, quiet401: true })
      .then(async () => {
        await queryClient.invalidateQueries({ queryKey: ['me'] });
        navigate(next, { replace: true });
      })
      .catch(setError);
  }, [navigate, queryClient]);

  return (
    <Container size="1" px="4" py="9">
      <main>
        <Card size="3">
          {error ? (
            <Flex direction="column" gap="3" align="start">
              <Heading as="h1" size="5">
                Signing in failed
              </Heading>
              <ErrorCallout error={error} />
              <Button asChild>
                <RouterLink to="/sign-in">Sign in again</RouterLink>
              </Button>
            </Flex>
          ) : (
            <Flex gap="2" align="center" role="status">
              <Spinner />
              <Heading as="h1" size="3" weight="regular">
                Signing you in…
              </Heading>
            </Flex>
          )}
        </Card>
      </main>
    </Container>
  );
}
