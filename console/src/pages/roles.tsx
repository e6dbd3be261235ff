/**
 * Roles of a project or organization: built-in roles read-only with their permissions; custom
 * roles created and edited in a permission × action matrix; custom permissions.
 */
import { Badge, Button, Checkbox, Code, Dialog, Flex, Select, Table, Text, TextArea, TextField } from '@radix-ui/themes';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useParams } from 'react-router';
import { accessPath, api } from '../api/client';
import { useChange } from '../api/queries';
import type { CreatePermissionBody, CreateRoleBody, Page, Permission, ResourceRef, Role } from '../api/types';
import { DataTable } from '../components/data-table';
import { ConfirmItemDialog, FormDialog, useItemDialog, useReturnFocus } from '../components/dialogs';
import { ErrorCallout, fieldError } from '../components/errors';
import { GatedButton, useDecision } from '../components/gate';
import { Section, useTitle } from '../components/page';
import { ListTable, PagedTable, RowAction } from '../components/paged-table';
import { useCursor } from '../components/pager';
import { Loading } from '../components/states';
import { cellKey, cellsOf, entriesOf, matrixColumns, toggled } from '../lib/matrix';
import { useProjectContext } from './project/layout';

const PAGE_SIZE = 20;

function useAllPermissions(resource: ResourceRef) {
  return useQuery({
    queryKey: ['permissions', resource.type, resource.id, 'all'],
    queryFn: async () => {
      const all: Permission[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.get<Page<Permission>>(`${accessPath(resource)}/permissions`, { limit: 500, nextCursor: cursor });
        all.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    },
  });
}

/** The grid: one row per permission, one column per action; read-only shows ✓ marks. */
function PermissionMatrix({
  permissions,
  cells,
  onChange,
  label,
}: {
  permissions: readonly Permission[];
  cells: ReadonlySet<string>;
  onChange?: (cells: Set<string>) => void;
  label: string;
}) {
  const columns = matrixColumns(permissions);
  return (
    <DataTable label={label} size="1" className="gh-matrix">
      <Table.Header>
        <Table.Row>
          <Table.ColumnHeaderCell>Permission</Table.ColumnHeaderCell>
          {columns.map((action) => (
            <Table.ColumnHeaderCell key={action}>{action}</Table.ColumnHeaderCell>
          ))}
        </Table.Row>
      </Table.Header>
      <Table.Body>
        {permissions.map((permission) => (
          <Table.Row key={permission.name}>
            <Table.RowHeaderCell>
              <Flex direction="column">
                <Text size="2">{permission.title}</Text>
                <Text size="1" color="gray">
                  {permission.type}
                  {permission.isCustom ? ' · custom' : ''}
                </Text>
              </Flex>
            </Table.RowHeaderCell>
            {columns.map((action) => {
              const key = cellKey(permission.name, action);
              if (!permission.actions.includes(action)) return <Table.Cell key={action} />;
              const on = cells.has(key);
              return (
                <Table.Cell key={action}>
                  {onChange ? (
                    <Checkbox
                      checked={on}
                      onCheckedChange={(value) => onChange(toggled(cells, key, value === true))}
                      aria-label={`${permission.title}: ${action}`}
                    />
                  ) : on ? (
                    <Text aria-label={`${permission.title}: ${action}`} role="img">
                      ✓
                    </Text>
                  ) : null}
                </Table.Cell>
              );
            })}
          </Table.Row>
        ))}
      </Table.Body>
    </DataTable>
  );
}

function ViewRoleDialog({ resource, role, onClose }: { resource: ResourceRef; role: Role | null; onClose: () => void }) {
  const permissions = useAllPermissions(resource);
  const granted = permissions.data?.filter((p) => role?.permissions.some((e) => e.name === p.name)) ?? [];
  const returnFocus = useReturnFocus(role !== null);
  return (
    <Dialog.Root open={role !== null} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Content maxWidth="60rem" onCloseAutoFocus={returnFocus}>
        <Dialog.Title>{role?.title}</Dialog.Title>
        <Dialog.Description size="2" mb="3">
          {role?.description || role?.name} {role && !role.isCustom ? '(built-in: read-only)' : ''}
        </Dialog.Description>
        {permissions.isPending && <Loading label="permissions" />}
        {permissions.isError && <ErrorCallout error={permissions.error} />}
        {role && permissions.data && (
          <PermissionMatrix permissions={granted} cells={cellsOf(role.permissions)} label={`Permissions of ${role.title}`} />
        )}
        <Flex justify="end" mt="4">
          <Dialog.Close>
            <Button variant="soft">Close</Button>
          </Dialog.Close>
        </Flex>
      </Dialog.Content>
    </Dialog.Root>
  );
}

/** Create (role null) or edit a custom role. */
function RoleDialog({
  resource,
  open,
  editing: role,
  onClose,
}: {
  resource: ResourceRef;
  open: boolean;
  /** The custom role to edit; null to create one. */
  editing: Role | null;
  onClose: () => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const permissions = useAllPermissions(resource);
  const [name, setName] = useState(role?.name ?? '');
  const [title, setTitle] = useState(role?.title ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [users, setUsers] = useState(role?.appliesToUsers ?? true);
  const [robots, setRobots] = useState(role?.appliesToRobots ?? false);
  const [cells, setCells] = useState<Set<string>>(() => cellsOf(role?.permissions ?? []));
  const save = useMutation({
    mutationFn: (body: CreateRoleBody) =>
      role
        ? api.put<Role>(`${accessPath(resource)}/roles/${role.name}`, body)
        : api.post<Role>(`${accessPath(resource)}/roles`, body),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['roles', resource.type, resource.id] });
      onClose();
    },
  });
  const nameError = fieldError(save.error, 'name');
  const titleError = fieldError(save.error, 'title');
  const submit = () => {
    const entries = entriesOf(cells, permissions.data ?? [], role?.permissions ?? []);
    save.mutate({
      name: role ? role.name : name.trim(),
      title: title.trim(),
      description: description.trim(),
      appliesToUsers: users,
      appliesToRobots: robots,
      // Params come back as the server stored them, which is what it accepts.
      permissions: entries as CreateRoleBody['permissions'],
    });
  };
  return (
    <FormDialog
      open={open}
      onOpenChange={(next) => !next && onClose()}
      title={role ? `Edit role ${role.title}` : 'Create role'}
      description="Choose what the role grants: each row is a permission of this resource, each column an action. You can only grant what you hold yourself."
      submitLabel={role ? 'Save role' : 'Create role'}
      pending={save.isPending}
      error={nameError || titleError ? null : save.error}
      submitDisabled={cells.size === 0 || title.trim() === '' || (!role && name.trim() === '')}
      maxWidth="64rem"
      onSubmit={submit}
    >
      <Flex gap="3" wrap="wrap">
        <Flex direction="column" gap="1" flexGrow="1" minWidth="12rem">
          <Text as="label" htmlFor={`${id}-name`} size="2" weight="medium">
            Name
          </Text>
          <TextField.Root
            id={`${id}-name`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            disabled={role !== null}
            placeholder="release-manager"
            autoCapitalize="none"
            spellCheck={false}
            aria-describedby={`${id}-name-help`}
            aria-invalid={nameError ? true : undefined}
          />
          <Text id={`${id}-name-help`} size="1" color={nameError ? 'red' : 'gray'}>
            {nameError ?? 'Lowercase letters, digits, - and _; it cannot change later.'}
          </Text>
        </Flex>
        <Flex direction="column" gap="1" flexGrow="1" minWidth="12rem">
          <Text as="label" htmlFor={`${id}-title`} size="2" weight="medium">
            Title
          </Text>
          <TextField.Root
            id={`${id}-title`}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            placeholder="Release manager"
            aria-invalid={titleError ? true : undefined}
            aria-describedby={titleError ? `${id}-title-error` : undefined}
          />
          {titleError && (
            <Text id={`${id}-title-error`} size="1" color="red">
              {titleError}
            </Text>
          )}
        </Flex>
      </Flex>
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={`${id}-description`} size="2" weight="medium">
          Description
        </Text>
        <TextArea id={`${id}-description`} value={description} onChange={(e) => setDescription(e.target.value)} rows={2} />
      </Flex>
      <Flex gap="4" wrap="wrap" role="group" aria-label="Applies to">
        <Text as="label" size="2">
          <Flex gap="2">
            <Checkbox checked={users} onCheckedChange={(v) => setUsers(v === true)} />
            People can hold it
          </Flex>
        </Text>
        <Text as="label" size="2">
          <Flex gap="2">
            <Checkbox checked={robots} onCheckedChange={(v) => setRobots(v === true)} />
            API tokens can hold it
          </Flex>
        </Text>
      </Flex>
      {permissions.isPending && <Loading label="permissions" />}
      {permissions.isError && <ErrorCallout error={permissions.error} />}
      {permissions.data && (
        <PermissionMatrix permissions={permissions.data} cells={cells} onChange={setCells} label="Permissions" />
      )}
    </FormDialog>
  );
}

function CreatePermissionDialog({
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
  const permissions = useAllPermissions(resource);
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const [type, setType] = useState('');
  const [filter, setFilter] = useState('');
  const create = useMutation({
    mutationFn: (body: CreatePermissionBody) => api.post<Permission>(`${accessPath(resource)}/permissions`, body),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['permissions', resource.type, resource.id] });
      close(false);
    },
  });
  const close = (next: boolean) => {
    if (!next) {
      setName('');
      setTitle('');
      setType('');
      setFilter('');
      create.reset();
    }
    onOpenChange(next);
  };
  // The types a custom permission may have are the types of the predefined ones.
  const types = [...new Set((permissions.data ?? []).filter((p) => !p.isCustom).map((p) => p.type))];
  const filterError = fieldError(create.error, 'config.filter') ?? fieldError(create.error, 'config');
  return (
    <FormDialog
      open={open}
      onOpenChange={close}
      title="Create permission"
      description="A permission of this resource that custom roles can grant, e.g. documents matching a filter."
      submitLabel="Create permission"
      pending={create.isPending}
      error={filterError ? null : create.error}
      submitDisabled={name.trim() === '' || title.trim() === '' || type === ''}
      onSubmit={() =>
        create.mutate({
          name: name.trim(),
          title: title.trim(),
          type,
          ...(filter.trim() ? { config: { filter: filter.trim() } } : {}),
        })
      }
    >
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={`${id}-pname`} size="2" weight="medium">
          Name
        </Text>
        <TextField.Root id={`${id}-pname`} value={name} onChange={(e) => setName(e.target.value)} placeholder="published-posts" />
      </Flex>
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={`${id}-ptitle`} size="2" weight="medium">
          Title
        </Text>
        <TextField.Root
          id={`${id}-ptitle`}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          placeholder="Published posts"
        />
      </Flex>
      <Flex direction="column" gap="1">
        <Text as="div" size="2" weight="medium" id={`${id}-ptype`}>
          Type
        </Text>
        <Select.Root value={type} onValueChange={setType}>
          <Select.Trigger placeholder="Choose a type" aria-labelledby={`${id}-ptype`} />
          <Select.Content position="popper">
            {types.map((t) => (
              <Select.Item key={t} value={t}>
                {t}
              </Select.Item>
            ))}
          </Select.Content>
        </Select.Root>
      </Flex>
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={`${id}-pfilter`} size="2" weight="medium">
          Filter
        </Text>
        <TextArea
          id={`${id}-pfilter`}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder='_type == "post"'
          rows={2}
          aria-describedby={`${id}-pfilter-help`}
          aria-invalid={filterError ? true : undefined}
        />
        <Text id={`${id}-pfilter-help`} size="1" color={filterError ? 'red' : 'gray'}>
          {filterError ?? 'A GROQ filter, for document filter permissions. Stored, not evaluated by Gatehouse.'}
        </Text>
      </Flex>
    </FormDialog>
  );
}

function CustomPermissions({ resource }: { resource: ResourceRef }) {
  const _queryClient = useQueryClient();
  const permissions = useAllPermissions(resource);
  const [creating, setCreating] = useState(false);
  const deleting = useItemDialog<Permission>();
  const base = accessPath(resource);
  const custom = permissions.data?.filter((p) => p.isCustom) ?? [];
  const canCreate = useDecision('POST', `${base}/permissions`);
  const canDelete = useDecision('DELETE', custom[0] ? `${base}/permissions/${custom[0].name}` : null);
  const remove = useChange(
    (permission: Permission) => api.delete(`${base}/permissions/${permission.name}`),
    [['permissions', resource.type, resource.id]],
    deleting.close,
  );
  return (
    <Section
      title="Custom permissions"
      description="Permissions of your own that custom roles can grant next to the predefined ones."
      actions={
        <GatedButton decision={canCreate} variant="soft" onClick={() => setCreating(true)}>
          Create permission
        </GatedButton>
      }
    >
      <CreatePermissionDialog resource={resource} open={creating} onOpenChange={setCreating} />
      <ConfirmItemDialog
        dialog={deleting}
        mutation={remove}
        title="Delete permission"
        description={(item) => `${item.title} (${item.name}) can no longer be granted.`}
        confirmLabel="Delete permission"
      />
      <ListTable
        query={permissions}
        what="permissions"
        label="Custom permissions"
        empty="No custom permissions yet."
        columns={['Permission', 'Type', 'Filter', 'Actions']}
        items={(all) => all.filter((p) => p.isCustom)}
        row={(permission) => (
          <Table.Row key={permission.name}>
            <Table.RowHeaderCell>
              <Flex direction="column">
                <Text weight="medium">{permission.title}</Text>
                <Text size="1" color="gray">
                  {permission.name}
                </Text>
              </Flex>
            </Table.RowHeaderCell>
            <Table.Cell>
              <Code variant="ghost">{permission.type}</Code>
            </Table.Cell>
            <Table.Cell>
              <Code variant="ghost" className="gh-break">
                {typeof permission.config?.filter === 'string' ? permission.config.filter : '—'}
              </Code>
            </Table.Cell>
            <Table.Cell>
              <RowAction
                decision={canDelete}
                danger
                onClick={() => deleting.open(permission)}
                label={`Delete ${permission.title}`}
              >
                Delete
              </RowAction>
            </Table.Cell>
          </Table.Row>
        )}
      />
    </Section>
  );
}

export function RolesManager({ resource }: { resource: ResourceRef }) {
  const cursor = useCursor();
  const _queryClient = useQueryClient();
  const roles = useQuery({
    queryKey: ['roles', resource.type, resource.id, 'page', cursor.cursor],
    queryFn: () => api.get<Page<Role>>(`${accessPath(resource)}/roles`, { limit: PAGE_SIZE, nextCursor: cursor.cursor }),
    placeholderData: keepPreviousData,
  });
  const [creating, setCreating] = useState(false);
  const viewing = useItemDialog<Role>();
  const editing = useItemDialog<Role>();
  const deleting = useItemDialog<Role>();
  const base = accessPath(resource);
  const sample = roles.data?.data.find((r) => r.isCustom)?.name;
  const canCreate = useDecision('POST', `${base}/roles`);
  const canEdit = useDecision('PUT', sample ? `${base}/roles/${sample}` : null);
  const canDelete = useDecision('DELETE', sample ? `${base}/roles/${sample}` : null);
  const remove = useChange(
    (role: Role) => api.delete(`${base}/roles/${role.name}`),
    [['roles', resource.type, resource.id]],
    deleting.close,
  );
  return (
    <>
      <Section
        title="Roles"
        description="Built-in roles are the same everywhere and read-only. Custom roles bundle the permissions you choose."
        actions={
          <GatedButton decision={canCreate} onClick={() => setCreating(true)}>
            Create role
          </GatedButton>
        }
      >
        {creating && <RoleDialog resource={resource} open editing={null} onClose={() => setCreating(false)} />}
        {editing.item && (
          <RoleDialog key={editing.item.name} resource={resource} open editing={editing.item} onClose={editing.close} />
        )}
        <ViewRoleDialog resource={resource} role={viewing.item} onClose={viewing.close} />
        <ConfirmItemDialog
          dialog={deleting}
          mutation={remove}
          title="Delete role"
          description={(item) => `${item.title} can be deleted only while nobody holds it.`}
          confirmLabel="Delete role"
        />
        <PagedTable
          query={roles}
          cursor={cursor}
          label="Roles"
          noun={['role', 'roles']}
          empty="No roles."
          columns={['Role', 'Kind', 'Held by', 'Permissions', 'Actions']}
          row={(role) => (
            <Table.Row key={`${role.resourceId}/${role.name}`}>
              <Table.RowHeaderCell>
                <Flex direction="column">
                  <Text weight="medium">{role.title}</Text>
                  <Text size="1" color="gray" className="gh-break">
                    {role.name}
                    {role.description ? ` · ${role.description}` : ''}
                  </Text>
                </Flex>
              </Table.RowHeaderCell>
              <Table.Cell>
                <Badge highContrast color={role.isCustom ? 'indigo' : 'gray'}>
                  {role.isCustom ? 'Custom' : 'Built-in'}
                </Badge>
              </Table.Cell>
              <Table.Cell>
                {[role.appliesToUsers ? 'People' : null, role.appliesToRobots ? 'API tokens' : null].filter(Boolean).join(', ')}
              </Table.Cell>
              <Table.Cell>{role.permissions.length}</Table.Cell>
              <Table.Cell>
                <Flex gap="2" wrap="wrap">
                  <Button size="1" variant="soft" onClick={() => viewing.open(role)} aria-label={`View ${role.title}`}>
                    View
                  </Button>
                  {role.isCustom && (
                    <>
                      <RowAction decision={canEdit} onClick={() => editing.open(role)} label={`Edit ${role.title}`}>
                        Edit
                      </RowAction>
                      <RowAction decision={canDelete} danger onClick={() => deleting.open(role)} label={`Delete ${role.title}`}>
                        Delete
                      </RowAction>
                    </>
                  )}
                </Flex>
              </Table.Cell>
            </Table.Row>
          )}
        />
      </Section>
      <CustomPermissions resource={resource} />
    </>
  );
}

export function ProjectRolesPage() {
  const { project } = useProjectContext();
  useTitle('Roles', project.displayName);
  return <RolesManager resource={{ type: 'project', id: project.id }} />;
}

export function OrganizationRolesPage() {
  const { organizationId = '' } = useParams();
  useTitle('Roles', 'Organization');
  return <RolesManager resource={{ type: 'organization', id: organizationId }} />;
}
