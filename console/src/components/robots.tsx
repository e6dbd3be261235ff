/**
 * API tokens (robots) of a project or organization: the list with roles, created, last used (time
 * and address) and expiry; "Add API token" with its secret shown once; "Rotate" with a grace period
 * and the new secret shown once; "Delete" after typing the token's name.
 */
import { Badge, Flex, Link, Select, Table, Text, TextField } from '@radix-ui/themes';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { Link as RouterLink } from 'react-router';
import { accessPath, api } from '../api/client';
import { roleTitle, useAllRoles, useChange } from '../api/queries';
import type { CreateRobotBody, Page, ResourceRef, Robot, RobotPolicy, RobotWithToken, Role } from '../api/types';
import { expiryFor } from '../lib/expiry';
import { dayOf } from '../lib/format';
import { ConfirmItemDialog, FormDialog, useItemDialog } from './dialogs';
import { ErrorCallout, fieldError } from './errors';
import { GatedButton, useDecision } from './gate';
import { PagedTable, RowAction } from './paged-table';
import { useCursor } from './pager';
import { SecretOnce } from './secret';
import { Time } from './time';

const PAGE_SIZE = 20;

function usePolicy(resource: ResourceRef) {
  return useQuery({
    queryKey: ['robot-policy', resource.type, resource.id],
    queryFn: () => api.get<RobotPolicy>(`${accessPath(resource)}/robot-policy`),
  });
}

/** What the dialog says about expiry, from the server's policy. */
function policySentence(policy: RobotPolicy | undefined): string {
  if (!policy) return 'Checking the lifetime rules…';
  if (policy.robotTokenMaxLifetimeDays === null || policy.latestExpiresAt === null) {
    return 'Optional. No lifetime limit applies here: leave it empty for a token that does not expire.';
  }
  return `Required: the organization's policy lets tokens live at most ${policy.robotTokenMaxLifetimeDays} days, so no later than ${dayOf(policy.latestExpiresAt)}.`;
}

function RoleSelect({
  roles,
  value,
  onChange,
  error,
}: {
  roles: readonly Role[];
  value: string;
  onChange: (value: string) => void;
  error: string | null;
}) {
  const id = useId();
  const chosen = roles.find((r) => r.name === value);
  return (
    <Flex direction="column" gap="1">
      <Text as="div" size="2" weight="medium" id={`${id}-label`}>
        Role
      </Text>
      <Select.Root value={value} onValueChange={onChange}>
        <Select.Trigger
          placeholder="Choose a role"
          aria-labelledby={`${id}-label`}
          aria-describedby={`${id}-help`}
          aria-invalid={error ? true : undefined}
        />
        <Select.Content position="popper">
          {roles.map((role) => (
            <Select.Item key={role.name} value={role.name}>
              {role.title}
              {role.isCustom ? ' (custom)' : ''}
            </Select.Item>
          ))}
        </Select.Content>
      </Select.Root>
      <Text id={`${id}-help`} size="1" color={error ? 'red' : 'gray'}>
        {error ?? (chosen ? chosen.description || `Role ${chosen.name}` : 'Only roles that apply to API tokens are listed.')}
      </Text>
    </Flex>
  );
}

function AddTokenDialog({
  resource,
  open,
  onOpenChange,
}: {
  resource: ResourceRef;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const roles = useAllRoles(resource);
  const policy = usePolicy(resource);
  const [name, setName] = useState('');
  const [role, setRole] = useState('');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<RobotWithToken | null>(null);
  const create = useMutation({
    mutationFn: (body: CreateRobotBody) => api.post<RobotWithToken>(`${accessPath(resource)}/robots`, body),
    onSuccess: async (robot) => {
      setCreated(robot);
      await queryClient.invalidateQueries({ queryKey: ['robots', resource.type, resource.id] });
    },
  });
  const reset = () => {
    setName('');
    setRole('');
    setExpires('');
    setCreated(null);
    create.reset();
  };
  const close = (next: boolean) => {
    if (!next) reset();
    onOpenChange(next);
  };
  const latest = policy.data?.latestExpiresAt ?? null;
  // With a lifetime limit, a token must expire: start from the latest day the limit allows.
  useEffect(() => {
    if (open && latest && expires === '') setExpires(dayOf(latest));
  }, [open, latest, expires]);
  const robotRoles = (roles.data ?? []).filter((r) => r.appliesToRobots);
  const nameError = fieldError(create.error, 'label');
  const roleError = fieldError(create.error, 'memberships') ?? fieldError(create.error, 'memberships.0.roleNames.0');
  const expiresError = fieldError(create.error, 'expiresAt');
  const shownError = nameError || roleError || expiresError ? null : create.error;

  return (
    <FormDialog
      open={open}
      onOpenChange={close}
      title="Add API token"
      description="A robot with one role, for scripts and services. Its secret is shown once."
      result={
        created && {
          title: 'API token created',
          description: `${created.label} can now call the API with the role ${created.memberships[0]?.roleNames
            .map((n) => roleTitle(roles.data, n))
            .join(', ')}.`,
          body: <SecretOnce token={created.token} name={created.label} onDone={() => close(false)} />,
        }
      }
      submitLabel="Create token"
      pending={create.isPending}
      error={shownError}
      submitDisabled={role === '' || name.trim() === ''}
      onSubmit={() => {
        const expiresAt = expires === '' ? null : expiryFor(expires, latest);
        create.mutate({
          label: name.trim(),
          memberships: [{ resourceType: resource.type, resourceId: resource.id, roleNames: [role] }],
          ...(expiresAt !== null ? { expiresAt } : {}),
        });
      }}
    >
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={`${id}-name`} size="2" weight="medium">
          Name
        </Text>
        <TextField.Root
          id={`${id}-name`}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="CI deploys"
          maxLength={200}
          autoComplete="off"
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? `${id}-name-error` : undefined}
        />
        {nameError && (
          <Text id={`${id}-name-error`} size="1" color="red">
            {nameError}
          </Text>
        )}
      </Flex>
      {roles.isError ? <ErrorCallout error={roles.error} title="The roles could not be loaded" /> : null}
      <RoleSelect roles={robotRoles} value={role} onChange={setRole} error={roleError} />
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={`${id}-expires`} size="2" weight="medium">
          Expires
        </Text>
        <TextField.Root
          id={`${id}-expires`}
          type="date"
          value={expires}
          onChange={(e) => setExpires(e.target.value)}
          min={dayOf(new Date().toISOString())}
          max={latest ? dayOf(latest) : undefined}
          aria-describedby={`${id}-expires-help`}
          aria-invalid={expiresError ? true : undefined}
        />
        <Text id={`${id}-expires-help`} size="1" color={expiresError ? 'red' : 'gray'}>
          {expiresError ?? policySentence(policy.data)}
        </Text>
      </Flex>
    </FormDialog>
  );
}

const GRACE_PERIODS = [
  { seconds: '0', label: 'None: the current token stops now' },
  { seconds: '3600', label: '1 hour' },
  { seconds: '86400', label: '1 day' },
] as const;

function RotateDialog({ resource, robot, onClose }: { resource: ResourceRef; robot: Robot | null; onClose: () => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [grace, setGrace] = useState('0');
  const [rotated, setRotated] = useState<RobotWithToken | null>(null);
  const rotate = useMutation({
    mutationFn: (target: Robot) =>
      api.post<RobotWithToken>(`${accessPath(resource)}/robots/${target.id}/rotate`, { gracePeriodSeconds: Number(grace) }),
    onSuccess: async (result) => {
      setRotated(result);
      await queryClient.invalidateQueries({ queryKey: ['robots', resource.type, resource.id] });
    },
  });
  const close = (open: boolean) => {
    if (open) return;
    setRotated(null);
    setGrace('0');
    rotate.reset();
    onClose();
  };
  return (
    <FormDialog
      open={robot !== null || rotated !== null}
      onOpenChange={close}
      result={
        rotated && {
          title: 'Token rotated',
          description:
            Number(grace) > 0
              ? `The previous token of ${rotated.label} keeps working for ${GRACE_PERIODS.find((g) => g.seconds === grace)?.label}.`
              : `The previous token of ${rotated.label} has stopped working.`,
          body: <SecretOnce token={rotated.token} name={rotated.label} onDone={() => close(false)} />,
        }
      }
      title="Rotate token"
      description={robot ? `Replace the secret of ${robot.label} with a new one. Its name, role and expiry stay.` : undefined}
      submitLabel="Rotate token"
      pending={rotate.isPending}
      error={rotate.error}
      onSubmit={() => robot && rotate.mutate(robot)}
    >
      <Flex direction="column" gap="1">
        <Text as="div" size="2" weight="medium" id={`${id}-grace`}>
          Grace period
        </Text>
        <Select.Root value={grace} onValueChange={setGrace}>
          <Select.Trigger aria-labelledby={`${id}-grace`} aria-describedby={`${id}-grace-help`} />
          <Select.Content position="popper">
            {GRACE_PERIODS.map((g) => (
              <Select.Item key={g.seconds} value={g.seconds}>
                {g.label}
              </Select.Item>
            ))}
          </Select.Content>
        </Select.Root>
        <Text id={`${id}-grace-help`} size="1" color="gray">
          How long the current token keeps working, so deployments can switch to the new one.
        </Text>
      </Flex>
    </FormDialog>
  );
}

function LastUsed({ robot }: { robot: Robot }) {
  if (!robot.lastUsedAt) return <Text color="gray">Never</Text>;
  return (
    <Flex direction="column">
      <Time value={robot.lastUsedAt} />
      {robot.lastUsedIp && (
        <Text size="1" color="gray">
          from {robot.lastUsedIp}
        </Text>
      )}
    </Flex>
  );
}

export function RobotsManager({
  resource,
  includeChildren = false,
  projectNames,
}: {
  resource: ResourceRef;
  /** On an organization: also list its projects' robots (managed on their project's page). */
  includeChildren?: boolean;
  projectNames?: ReadonlyMap<string, string>;
}) {
  const cursor = useCursor();
  const roles = useAllRoles(resource);
  const robots = useQuery({
    queryKey: ['robots', resource.type, resource.id, includeChildren, cursor.cursor],
    queryFn: () =>
      api.get<Page<Robot>>(`${accessPath(resource)}/robots`, { limit: PAGE_SIZE, nextCursor: cursor.cursor, includeChildren }),
    placeholderData: keepPreviousData,
  });
  const [adding, setAdding] = useState(false);
  const rotating = useItemDialog<Robot>();
  const deleting = useItemDialog<Robot>();
  const base = accessPath(resource);
  const own = (robot: Robot) => robot.memberships[0]?.resourceId === resource.id;
  const sample = robots.data?.data.find(own)?.id ?? null;
  const canCreate = useDecision('POST', `${base}/robots`);
  const canRotate = useDecision('POST', sample ? `${base}/robots/${sample}/rotate` : null);
  const canDelete = useDecision('DELETE', sample ? `${base}/robots/${sample}` : null);
  const remove = useChange(
    (robot: Robot) => api.delete(`${base}/robots/${robot.id}`),
    [['robots', resource.type, resource.id]],
    deleting.close,
  );

  return (
    <>
      <Flex justify="between" align="center" gap="3" wrap="wrap" mb="3">
        <Text as="p" color="gray" size="2">
          Robots hold one role and call the API with their token. Secrets are shown once, when a token is created or rotated.
        </Text>
        <GatedButton decision={canCreate} onClick={() => setAdding(true)}>
          Add API token
        </GatedButton>
      </Flex>
      <AddTokenDialog resource={resource} open={adding} onOpenChange={setAdding} />
      <RotateDialog resource={resource} robot={rotating.item} onClose={rotating.close} />
      <ConfirmItemDialog
        dialog={deleting}
        mutation={remove}
        title="Delete API token"
        description={(robot) => `${robot.label} and its token stop working on the next request. This cannot be undone.`}
        confirmLabel="Delete token"
        confirmText={(robot) => robot.label}
      />
      <PagedTable
        query={robots}
        cursor={cursor}
        label="API tokens"
        what="API tokens"
        noun={['token', 'tokens']}
        empty="No API tokens yet. Add one for a script or a service."
        columns={['Name', 'Role', 'Created', 'Last used', 'Expires', 'Actions']}
        row={(robot) => {
          const membership = robot.memberships[0];
          const inProject = membership && membership.resourceId !== resource.id;
          return (
            <Table.Row key={robot.id}>
              <Table.RowHeaderCell>
                <Flex direction="column">
                  <Text weight="medium" className="gh-break">
                    {robot.label}
                  </Text>
                  <Text size="1" color="gray">
                    {robot.tokenHint ? `…${robot.tokenHint}` : 'no live token'}
                  </Text>
                </Flex>
              </Table.RowHeaderCell>
              <Table.Cell>
                <Flex gap="1" wrap="wrap">
                  {membership?.roleNames.map((name) => (
                    <Badge highContrast key={name} variant="soft">
                      {inProject ? name : roleTitle(roles.data, name)}
                    </Badge>
                  ))}
                </Flex>
              </Table.Cell>
              <Table.Cell>
                <Time value={robot.createdAt} />
              </Table.Cell>
              <Table.Cell>
                <LastUsed robot={robot} />
              </Table.Cell>
              <Table.Cell>
                <Time value={robot.expiresAt} empty="Never" />
              </Table.Cell>
              <Table.Cell>
                {inProject ? (
                  <Link asChild size="2">
                    <RouterLink to={`/projects/${membership.resourceId}/api/tokens`}>
                      In {projectNames?.get(membership.resourceId) ?? membership.resourceId}
                    </RouterLink>
                  </Link>
                ) : (
                  <Flex gap="2">
                    <RowAction decision={canRotate} onClick={() => rotating.open(robot)} label={`Rotate ${robot.label}`}>
                      Rotate
                    </RowAction>
                    <RowAction decision={canDelete} danger onClick={() => deleting.open(robot)} label={`Delete ${robot.label}`}>
                      Delete
                    </RowAction>
                  </Flex>
                )}
              </Table.Cell>
            </Table.Row>
          );
        }}
      />
    </>
  );
}
