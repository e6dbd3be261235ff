/** Organization → Projects: the organization's projects, and creating one inside it. */
import { Flex, Link, Table, Text, TextField } from '@radix-ui/themes';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router';
import { api } from '../../api/client';
import { useProjects } from '../../api/queries';
import type { CreateProjectBody, Project } from '../../api/types';
import { FormDialog } from '../../components/dialogs';
import { GatedButton, useDecision } from '../../components/gate';
import { Section, useTitle } from '../../components/page';
import { ListTable } from '../../components/paged-table';
import { Time } from '../../components/time';
import { useOrganizationContext } from './layout';

export function OrganizationProjectsPage() {
  const { organization } = useOrganizationContext();
  useTitle('Projects', organization.name);
  const id = useId();
  const projects = useProjects(organization.id);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const canCreate = useDecision('POST', '/projects');
  const create = useMutation({
    mutationFn: (body: CreateProjectBody) => api.post<Project>('/projects', body),
    onSuccess: async (project) => {
      await queryClient.invalidateQueries({ queryKey: ['projects'] });
      setOpen(false);
      navigate(`/projects/${project.id}`);
    },
  });
  return (
    <Section
      title="Projects"
      description="Projects in this organization. Creating one here needs the organization's permission to attach projects."
      actions={
        <GatedButton decision={canCreate} onClick={() => setOpen(true)}>
          Create project
        </GatedButton>
      }
    >
      <FormDialog
        open={open}
        onOpenChange={(next) => {
          if (!next) {
            setName('');
            create.reset();
          }
          setOpen(next);
        }}
        title="Create project"
        description={`The project belongs to ${organization.name}; you become its administrator.`}
        submitLabel="Create project"
        pending={create.isPending}
        error={create.error}
        submitDisabled={name.trim() === ''}
        onSubmit={() => create.mutate({ displayName: name.trim(), organizationId: organization.id })}
      >
        <Flex direction="column" gap="1">
          <Text as="label" htmlFor={id} size="2" weight="medium">
            Project name
          </Text>
          <TextField.Root id={id} value={name} onChange={(e) => setName(e.target.value)} maxLength={80} />
        </Flex>
      </FormDialog>
      <ListTable
        query={projects}
        items={(list) => list}
        what="projects"
        label="Projects of the organization"
        empty="You see no project in this organization."
        columns={['Project', 'Id', 'Created']}
        row={(project) => (
          <Table.Row key={project.id}>
            <Table.RowHeaderCell>
              <Link asChild>
                <RouterLink to={`/projects/${project.id}`}>{project.displayName}</RouterLink>
              </Link>
            </Table.RowHeaderCell>
            <Table.Cell>{project.id}</Table.Cell>
            <Table.Cell>
              <Time value={project.createdAt} />
            </Table.Cell>
          </Table.Row>
        )}
      />
    </Section>
  );
}
