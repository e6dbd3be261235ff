/**
 * The people of a project or organization: their roles, "Invite members" (an e-mail address and one
 * or more roles), pending invitations with "Revoke", changing a member's roles and removing a
 * member. The last-administrator and no-escalation rules are the server's: its refusal is shown
 * with its own explanation.
 */
import { Badge, Box, Flex, Table, Text, TextField } from '@radix-ui/themes';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { accessPath, api } from '../api/client';
import { roleTitle, useAllRoles, useMe } from '../api/queries';
import type { AccessUser, CreateInviteBody, Invite, Page, ResourceRef, Role } from '../api/types';
import { DataTable } from './data-table';
import { ConfirmDialog, FormDialog, useItemDialog } from './dialogs';
import { fieldError } from './errors';
import { GatedButton, useDecision } from './gate';
import { Section } from './page';
import { Pager, useCursor } from './pager';
import { RolePicker } from './role-picker';
import { QueryView } from './states';
import { Time } from './time';

const PAGE_SIZE = 20;

export function RoleBadges({ names, roles }: { names: readonly string[]; roles: readonly Role[] | undefined }) {
  return (
    <Flex gap="1" wrap="wrap">
      {names.map((name) => (
        <Badge highContrast key={name} variant="soft">
          {roleTitle(roles, name)}
        </Badge>
      ))}
    </Flex>
  );
}

function InviteDialog({
  resource,
  open,
  onOpenChange,
}: {
  resource: ResourceRef;
  open: boolean;
  onOpenChange: (o: boolean) => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const roles = useAllRoles(resource);
  const [email, setEmail] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const invite = useMutation({
    mutationFn: (body: CreateInviteBody) => api.post<Invite>(`${accessPath(resource)}/invites`, body),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['invites', resource.type, resource.id] });
      close(false);
    },
  });
  const close = (next: boolean) => {
    if (!next) {
      setEmail('');
      setChosen([]);
      invite.reset();
    }
    onOpenChange(next);
  };
  const emailError = fieldError(invite.error, 'email');
  const rolesError = fieldError(invite.error, 'roleNames');
  const userRoles = (roles.data ?? []).filter((r) => r.appliesToUsers);
  return (
    <FormDialog
      open={open}
      onOpenChange={close}
      title="Invite members"
      description="We e-mail a link that works once. The invitee gets every role you choose when they accept."
      submitLabel="Send invite"
      pending={invite.isPending}
      error={emailError || rolesError ? null : invite.error}
      submitDisabled={chosen.length === 0 || email.trim() === ''}
      onSubmit={() => invite.mutate({ email: email.trim(), roleNames: chosen })}
    >
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={`${id}-email`} size="2" weight="medium">
          E-mail
        </Text>
        <TextField.Root
          id={`${id}-email`}
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          placeholder="someone@example.com"
          autoComplete="off"
          aria-invalid={emailError ? true : undefined}
          aria-describedby={emailError ? `${id}-email-error` : undefined}
        />
        {emailError && (
          <Text id={`${id}-email-error`} size="1" color="red">
            {emailError}
          </Text>
        )}
      </Flex>
      <RolePicker roles={userRoles} value={chosen} onChange={setChosen} error={rolesError} />
    </FormDialog>
  );
}

function ChangeRolesDialog({
  resource,
  member,
  onClose,
}: {
  resource: ResourceRef;
  member: AccessUser | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const roles = useAllRoles(resource);
  const current = member?.memberships[0]?.roleNames ?? [];
  const [chosen, setChosen] = useState<string[] | null>(null);
  const value = chosen ?? current;
  const save = useMutation({
    mutationFn: (target: AccessUser) =>
      api.put<AccessUser>(`${accessPath(resource)}/users/${target.sanityUserId}/roles`, { roleNames: value }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['members', resource.type, resource.id] });
      close();
    },
  });
  const close = () => {
    setChosen(null);
    save.reset();
    onClose();
  };
  // Roles that apply to people, and any the member holds already (so they can be taken away).
  const pickable = (roles.data ?? []).filter((r) => r.appliesToUsers || current.includes(r.name));
  return (
    <FormDialog
      open={member !== null}
      onOpenChange={(open) => !open && close()}
      title="Change roles"
      description={member ? `The roles of ${member.profile.displayName} (${member.profile.email}).` : undefined}
      submitLabel="Save roles"
      pending={save.isPending}
      error={save.error}
      onSubmit={() => member && save.mutate(member)}
    >
      <RolePicker roles={pickable} value={value} onChange={setChosen} />
    </FormDialog>
  );
}

function Invitations({ resource }: { resource: ResourceRef }) {
  const cursor = useCursor();
  const queryClient = useQueryClient();
  const roles = useAllRoles(resource);
  const invites = useQuery({
    queryKey: ['invites', resource.type, resource.id, cursor.cursor],
    queryFn: () =>
      api.get<Page<Invite>>(`${accessPath(resource)}/invites`, {
        status: ['pending'],
        limit: PAGE_SIZE,
        nextCursor: cursor.cursor,
      }),
    placeholderData: keepPreviousData,
  });
  const revoking = useItemDialog<Invite>();
  const sample = invites.data?.data[0]?.id;
  const canRevoke = useDecision('DELETE', sample ? `${accessPath(resource)}/invites/${sample}` : null);
  const revoke = useMutation({
    mutationFn: (invite: Invite) => api.delete(`${accessPath(resource)}/invites/${invite.id}`),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['invites', resource.type, resource.id] });
      revoking.close();
    },
  });
  return (
    <Section title="Pending invitations">
      <ConfirmDialog
        open={revoking.isOpen}
        onOpenChange={(open) => {
          if (!open) {
            revoke.reset();
            revoking.close();
          }
        }}
        title="Revoke invitation"
        description={revoking.item ? `The link sent to ${revoking.item.email} stops working.` : ''}
        confirmLabel="Revoke invitation"
        pending={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking.item && revoke.mutate(revoking.item)}
      />
      <QueryView query={invites} label="invitations" empty="No pending invitations." isEmpty={(page) => page.data.length === 0}>
        {(page) => (
          <Flex direction="column" gap="3">
            <DataTable label="Pending invitations">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>E-mail</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Roles</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Expires</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Actions</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {page.data.map((invite) => (
                  <Table.Row key={invite.id}>
                    <Table.RowHeaderCell className="gh-break">{invite.email}</Table.RowHeaderCell>
                    <Table.Cell>
                      <RoleBadges names={invite.roleNames} roles={roles.data} />
                    </Table.Cell>
                    <Table.Cell>
                      <Time value={invite.expiresAt} />
                    </Table.Cell>
                    <Table.Cell>
                      <GatedButton
                        size="1"
                        variant="soft"
                        color="red"
                        decision={canRevoke}
                        onClick={() => revoking.open(invite)}
                        aria-label={`Revoke the invitation of ${invite.email}`}
                      >
                        Revoke
                      </GatedButton>
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </DataTable>
            <Pager
              cursor={cursor}
              nextCursor={page.nextCursor}
              total={page.totalCount}
              shown={page.data.length}
              noun={['invitation', 'invitations']}
            />
          </Flex>
        )}
      </QueryView>
    </Section>
  );
}

export function MembersManager({ resource, title = 'People' }: { resource: ResourceRef; title?: string }) {
  const me = useMe();
  const cursor = useCursor();
  const queryClient = useQueryClient();
  const roles = useAllRoles(resource);
  const members = useQuery({
    queryKey: ['members', resource.type, resource.id, cursor.cursor],
    queryFn: () => api.get<Page<AccessUser>>(`${accessPath(resource)}/users`, { limit: PAGE_SIZE, nextCursor: cursor.cursor }),
    placeholderData: keepPreviousData,
  });
  const [inviting, setInviting] = useState(false);
  const changing = useItemDialog<AccessUser>();
  const removing = useItemDialog<AccessUser>();
  const base = accessPath(resource);
  const sample = members.data?.data[0]?.sanityUserId;
  const canInvite = useDecision('POST', `${base}/invites`);
  const canChange = useDecision('PUT', sample ? `${base}/users/${sample}/roles` : null);
  const canRemove = useDecision('DELETE', sample ? `${base}/users/${sample}` : null);
  const remove = useMutation({
    mutationFn: (member: AccessUser) => api.delete(`${base}/users/${member.sanityUserId}`),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['members', resource.type, resource.id] });
      removing.close();
    },
  });
  return (
    <>
      <Section
        title={title}
        actions={
          <GatedButton decision={canInvite} onClick={() => setInviting(true)}>
            Invite members
          </GatedButton>
        }
      >
        <InviteDialog resource={resource} open={inviting} onOpenChange={setInviting} />
        <ChangeRolesDialog resource={resource} member={changing.item} onClose={changing.close} />
        <ConfirmDialog
          open={removing.isOpen}
          onOpenChange={(open) => {
            if (!open) {
              remove.reset();
              removing.close();
            }
          }}
          title="Remove member"
          description={
            removing.item
              ? `${removing.item.profile.displayName} (${removing.item.profile.email}) loses every role here, at once.`
              : ''
          }
          confirmLabel="Remove member"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() => removing.item && remove.mutate(removing.item)}
        />
        <QueryView query={members} label="members" empty="Nobody is a member yet." isEmpty={(page) => page.data.length === 0}>
          {(page) => (
            <Flex direction="column" gap="3">
              <DataTable label={title}>
                <Table.Header>
                  <Table.Row>
                    <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Roles</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Member since</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Actions</Table.ColumnHeaderCell>
                  </Table.Row>
                </Table.Header>
                <Table.Body>
                  {page.data.map((member) => {
                    const membership = member.memberships[0];
                    const you = member.sanityUserId === me.data?.id;
                    return (
                      <Table.Row key={member.sanityUserId}>
                        <Table.RowHeaderCell>
                          <Flex direction="column">
                            <Flex gap="2" align="center" wrap="wrap">
                              <Text weight="medium" className="gh-break">
                                {member.profile.displayName}
                              </Text>
                              <Badge highContrast color="green" variant="outline">
                                Person
                              </Badge>
                              {you && (
                                <Badge highContrast variant="outline">
                                  You
                                </Badge>
                              )}
                            </Flex>
                            <Text size="1" color="gray" className="gh-break">
                              {member.profile.email}
                            </Text>
                          </Flex>
                        </Table.RowHeaderCell>
                        <Table.Cell>
                          <RoleBadges names={membership?.roleNames ?? []} roles={roles.data} />
                        </Table.Cell>
                        <Table.Cell>
                          <Time value={membership?.addedAt} />
                        </Table.Cell>
                        <Table.Cell>
                          <Flex gap="2" wrap="wrap">
                            <GatedButton
                              size="1"
                              variant="soft"
                              decision={canChange}
                              onClick={() => changing.open(member)}
                              aria-label={`Change roles of ${member.profile.displayName}`}
                            >
                              Change roles
                            </GatedButton>
                            <GatedButton
                              size="1"
                              variant="soft"
                              color="red"
                              decision={canRemove}
                              onClick={() => removing.open(member)}
                              aria-label={`Remove ${member.profile.displayName}`}
                            >
                              Remove
                            </GatedButton>
                          </Flex>
                        </Table.Cell>
                      </Table.Row>
                    );
                  })}
                </Table.Body>
              </DataTable>
              <Box>
                <Pager
                  cursor={cursor}
                  nextCursor={page.nextCursor}
                  total={page.totalCount}
                  shown={page.data.length}
                  noun={['person', 'people']}
                />
              </Box>
            </Flex>
          )}
        </QueryView>
      </Section>
      <Invitations resource={resource} />
    </>
  );
}
