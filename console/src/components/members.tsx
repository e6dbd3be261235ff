/**
 * The people of a project or organization: their roles, "Invite members" (an e-mail address and one
 * or more roles), pending invitations with "Revoke", changing a member's roles and removing a
 * member. The last-administrator and no-escalation rules are the server's: its refusal is shown
 * with its own explanation.
 */
import { Badge, Flex, Table, Text, TextField } from '@radix-ui/themes';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { accessPath, api } from '../api/client';
import { roleTitle, useAllRoles, useChange, useMe } from '../api/queries';
import type { AccessUser, CreateInviteBody, Invite, Page, ResourceRef, Role } from '../api/types';
import { ConfirmItemDialog, FormDialog, useItemDialog } from './dialogs';
import { fieldError } from './errors';
import { GatedButton, useDecision } from './gate';
import { Section } from './page';
import { PagedTable, RowAction } from './paged-table';
import { useCursor } from './pager';
import { RolePicker } from './role-picker';
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
  const revoke = useChange(
    (invite: Invite) => api.delete(`${accessPath(resource)}/invites/${invite.id}`),
    [['invites', resource.type, resource.id]],
    revoking.close,
  );
  return (
    <Section title="Pending invitations">
      <ConfirmItemDialog
        dialog={revoking}
        mutation={revoke}
        title="Revoke invitation"
        description={(invite) => `The link sent to ${invite.email} stops working.`}
        confirmLabel="Revoke invitation"
      />
      <PagedTable
        query={invites}
        cursor={cursor}
        label="Pending invitations"
        noun={['invitation', 'invitations']}
        empty="No pending invitations."
        columns={['E-mail', 'Roles', 'Expires', 'Actions']}
        row={(invite) => (
          <Table.Row key={invite.id}>
            <Table.RowHeaderCell className="gh-break">{invite.email}</Table.RowHeaderCell>
            <Table.Cell>
              <RoleBadges names={invite.roleNames} roles={roles.data} />
            </Table.Cell>
            <Table.Cell>
              <Time value={invite.expiresAt} />
            </Table.Cell>
            <Table.Cell>
              <RowAction
                decision={canRevoke}
                danger
                onClick={() => revoking.open(invite)}
                label={`Revoke the invitation of ${invite.email}`}
              >
                Revoke
              </RowAction>
            </Table.Cell>
          </Table.Row>
        )}
      />
    </Section>
  );
}

export function MembersManager({ resource, title = 'People' }: { resource: ResourceRef; title?: string }) {
  const me = useMe();
  const cursor = useCursor();
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
  const remove = useChange(
    (member: AccessUser) => api.delete(`${base}/users/${member.sanityUserId}`),
    [['members', resource.type, resource.id]],
    removing.close,
  );
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
        <ConfirmItemDialog
          dialog={removing}
          mutation={remove}
          title="Remove member"
          description={(member) => `${member.profile.displayName} (${member.profile.email}) loses every role here, at once.`}
          confirmLabel="Remove member"
        />
        <PagedTable
          query={members}
          cursor={cursor}
          label={title}
          noun={['person', 'people']}
          empty="Nobody is a member yet."
          columns={['Name', 'Roles', 'Member since', 'Actions']}
          row={(member) => {
            const membership = member.memberships[0];
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
                      {member.sanityUserId === me.data?.id && (
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
                    <RowAction
                      decision={canChange}
                      onClick={() => changing.open(member)}
                      label={`Change roles of ${member.profile.displayName}`}
                    >
                      Change roles
                    </RowAction>
                    <RowAction
                      decision={canRemove}
                      danger
                      onClick={() => removing.open(member)}
                      label={`Remove ${member.profile.displayName}`}
                    >
                      Remove
                    </RowAction>
                  </Flex>
                </Table.Cell>
              </Table.Row>
            );
          }}
        />
      </Section>
      <Invitations resource={resource} />
    </>
  );
}
