/** Account: profile, password, personal tokens with "Revoke", and signing out everywhere. */
import { Badge, Button, Card, Code, DataList, Flex, Table, Text, TextField } from '@radix-ui/themes';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../api/client';
import { useChange, useMe } from '../api/queries';
import type { ChangePasswordBody, Page, PersonalToken } from '../api/types';
import { ConfirmDialog, ConfirmItemDialog, useItemDialog } from '../components/dialogs';
import { ErrorCallout, fieldError } from '../components/errors';
import { PageHeader, Section, useTitle } from '../components/page';
import { PagedTable } from '../components/paged-table';
import { useCursor } from '../components/pager';
import { leaveSignedOut } from '../components/shell';
import { Time } from '../components/time';

function Profile() {
  const me = useMe();
  const session = useQuery({ queryKey: ['auth-id'], queryFn: () => api.get<{ id: string; expiry: number | null }>('/auth/id') });
  if (!me.data) return null;
  const expiry = session.data?.expiry ? new Date(session.data.expiry * 1000).toISOString() : null;
  return (
    <Section title="Profile">
      <Card>
        <DataList.Root>
          <DataList.Item>
            <DataList.Label>Name</DataList.Label>
            <DataList.Value>{me.data.name}</DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>E-mail</DataList.Label>
            <DataList.Value className="gh-break">{me.data.email}</DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>User id</DataList.Label>
            <DataList.Value>
              <Code variant="ghost">{me.data.id}</Code>
            </DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>Signed up with</DataList.Label>
            <DataList.Value>{me.data.provider}</DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>This session ends</DataList.Label>
            <DataList.Value>
              <Time value={expiry} empty={session.isPending ? '…' : 'Never'} />
            </DataList.Value>
          </DataList.Item>
        </DataList.Root>
      </Card>
    </Section>
  );
}

function PasswordForm() {
  const id = useId();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useMutation({
    mutationFn: (body: ChangePasswordBody) => api.put('/users/me/password', body),
    onSuccess: () => {
      setCurrent('');
      setNext('');
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate({ ...(current ? { currentPassword: current } : {}), newPassword: next });
  };
  const newError = fieldError(change.error, 'newPassword');
  const currentError = fieldError(change.error, 'currentPassword');
  return (
    <Section
      title="Password"
      description="10 to 128 characters; not a common password and not your e-mail address. Your tokens stay valid."
    >
      <Card>
        <form onSubmit={submit} aria-label="Change password" noValidate>
          <Flex direction="column" gap="3" maxWidth="28rem">
            <Flex direction="column" gap="1">
              <Text as="label" htmlFor={`${id}-current`} size="2" weight="medium">
                Current password
              </Text>
              <TextField.Root
                id={`${id}-current`}
                type="password"
                autoComplete="current-password"
                value={current}
                onChange={(e) => setCurrent(e.target.value)}
                aria-describedby={`${id}-current-help`}
                aria-invalid={currentError ? true : undefined}
              />
              <Text id={`${id}-current-help`} size="1" color={currentError ? 'red' : 'gray'}>
                {currentError ?? 'Leave empty if you have never set one.'}
              </Text>
            </Flex>
            <Flex direction="column" gap="1">
              <Text as="label" htmlFor={`${id}-new`} size="2" weight="medium">
                New password
              </Text>
              <TextField.Root
                id={`${id}-new`}
                type="password"
                autoComplete="new-password"
                value={next}
                onChange={(e) => setNext(e.target.value)}
                aria-invalid={newError ? true : undefined}
                aria-describedby={newError ? `${id}-new-error` : undefined}
              />
              {newError && (
                <Text id={`${id}-new-error`} size="1" color="red">
                  {newError}
                </Text>
              )}
            </Flex>
            {change.isError && !newError && !currentError && <ErrorCallout error={change.error} />}
            {change.isSuccess && (
              <Text role="status" color="green" size="2">
                Password changed.
              </Text>
            )}
            <Flex>
              <Button type="submit" loading={change.isPending} disabled={next === ''}>
                Change password
              </Button>
            </Flex>
          </Flex>
        </form>
      </Card>
    </Section>
  );
}

function PersonalTokens() {
  const cursor = useCursor();
  const _queryClient = useQueryClient();
  const tokens = useQuery({
    queryKey: ['personal-tokens', cursor.cursor],
    queryFn: () => api.get<Page<PersonalToken>>('/auth/tokens', { limit: 20, nextCursor: cursor.cursor }),
    placeholderData: keepPreviousData,
  });
  const revoking = useItemDialog<PersonalToken>();
  const [everywhere, setEverywhere] = useState(false);
  const revoke = useChange(
    (token: PersonalToken) => api.delete(`/auth/tokens/${token.id}`),
    [['personal-tokens']],
    () => {
      // Revoking the token in use ends this session here too.
      if (revoking.item?.current) leaveSignedOut();
      revoking.close();
    },
  );
  const signOutEverywhere = useMutation({
    mutationFn: () => api.delete('/auth/tokens'),
    onSuccess: leaveSignedOut,
  });
  return (
    <Section
      title="Personal tokens"
      description="One per login (and per token an operator created for you). Secrets are never shown again."
      actions={
        <Button color="red" variant="soft" onClick={() => setEverywhere(true)}>
          Sign out everywhere
        </Button>
      }
    >
      <ConfirmItemDialog
        dialog={revoking}
        mutation={revoke}
        title="Revoke personal token"
        description={(token) =>
          token.current
            ? 'This is the session you are using: revoking it signs you out here.'
            : `${token.label} stops working on the next request.`
        }
        confirmLabel="Revoke token"
      />
      <ConfirmDialog
        open={everywhere}
        onOpenChange={(open) => {
          if (!open) signOutEverywhere.reset();
          setEverywhere(open);
        }}
        title="Sign out everywhere"
        description="Every personal token of yours stops working at once: this browser, other browsers, the CLI and your scripts. API tokens (robots) are not affected."
        confirmLabel="Sign out everywhere"
        pending={signOutEverywhere.isPending}
        error={signOutEverywhere.error}
        onConfirm={() => signOutEverywhere.mutate()}
      />
      <PagedTable
        query={tokens}
        cursor={cursor}
        label="Personal tokens"
        noun={['token', 'tokens']}
        what="personal tokens"
        empty="You have no personal token."
        columns={['Token', 'Created', 'Last used', 'Expires', 'Actions']}
        row={(token) => (
          <Table.Row key={token.id}>
            <Table.RowHeaderCell>
              <Flex direction="column">
                <Flex gap="2" align="center" wrap="wrap">
                  <Text weight="medium" className="gh-break">
                    {token.label}
                  </Text>
                  {token.current && (
                    <Badge highContrast color="green">
                      This session
                    </Badge>
                  )}
                </Flex>
                <Text size="1" color="gray">
                  {token.source ?? 'unknown source'} · {token.id}
                </Text>
              </Flex>
            </Table.RowHeaderCell>
            <Table.Cell>
              <Time value={token.createdAt} />
            </Table.Cell>
            <Table.Cell>
              <Time value={token.lastUsedAt} />
            </Table.Cell>
            <Table.Cell>
              <Time value={token.expiresAt} />
            </Table.Cell>
            <Table.Cell>
              <Button
                size="1"
                variant="soft"
                color="red"
                onClick={() => revoking.open(token)}
                aria-label={`Revoke ${token.label}${token.current ? ' (this session)' : ''}`}
              >
                Revoke
              </Button>
            </Table.Cell>
          </Table.Row>
        )}
      />
    </Section>
  );
}

export function AccountPage() {
  useTitle('Account');
  return (
    <>
      <PageHeader title="Account" description="Who you are signed in as, your password and your sessions." />
      <Profile />
      <PasswordForm />
      <PersonalTokens />
    </>
  );
}
