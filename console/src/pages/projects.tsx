/** Projects: the signed-in person's projects and organizations, and "Create project". */
import { Badge, Box, Card, Flex, Grid, Heading, Link, Select, Text, TextField } from '@radix-ui/themes';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router';
import { api } from '../api/client';
import { useOrganizations, useProjects } from '../api/queries';
import type { CreateProjectBody, Project } from '../api/types';
import { FormDialog } from '../components/dialogs';
import { fieldError } from '../components/errors';
import { GatedButton, useDecision } from '../components/gate';
import { PageHeader, Section, useTitle } from '../components/page';
import { QueryView } from '../components/states';
import { Time } from '../components/time';

const NO_ORGANIZATION = 'none';

function CreateProjectDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const nameId = useId();
  const organizations = useOrganizations();
  const [name, setName] = useState('');
  const [organizationId, setOrganizationId] = useState(NO_ORGANIZATION);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: (body: CreateProjectBody) => api.post<Project>('/projects', body),
    onSuccess: async (project) => {
      await queryClient.invalidateQueries({ queryKey: ['projects'] });
      onOpenChange(false);
      navigate(`/projects/${project.id}`);
    },
  });
  const nameError = fieldError(create.error, 'displayName');
  return (
    <FormDialog
      open={open}
      onOpenChange={(next) => {
        if (!next) create.reset();
        onOpenChange(next);
      }}
      title="Create project"
      description="You become the project's administrator."
      submitLabel="Create project"
      pending={create.isPending}
      error={nameError ? null : create.error}
      onSubmit={() =>
        create.mutate({
          displayName: name.trim(),
          ...(organizationId !== NO_ORGANIZATION ? { organizationId } : {}),
        })
      }
    >
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={nameId} size="2" weight="medium">
          Project name
        </Text>
        <TextField.Root
          id={nameId}
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={80}
          required
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? `${nameId}-error` : undefined}
        />
        {nameError && (
          <Text id={`${nameId}-error`} color="red" size="2">
            {nameError}
          </Text>
        )}
      </Flex>
      <Flex direction="column" gap="1">
        <Text as="div" size="2" weight="medium" id={`${nameId}-org`}>
          Organization
        </Text>
        <Select.Root value={organizationId} onValueChange={setOrganizationId}>
          <Select.Trigger aria-labelledby={`${nameId}-org`} />
          <Select.Content>
            <Select.Item value={NO_ORGANIZATION}>No organization</Select.Item>
            {organizations.data?.map((org) => (
              <Select.Item key={org.id} value={org.id}>
                {org.name}
              </Select.Item>
            ))}
          </Select.Content>
        </Select.Root>
      </Flex>
    </FormDialog>
  );
}

function ProjectCard({ project, organizationName }: { project: Project; organizationName: string | undefined }) {
  return (
    <Card asChild>
      <RouterLink to={`/projects/${project.id}`} aria-label={project.displayName}>
        <Flex direction="column" gap="1">
          <Text weight="bold" className="gh-break">
            {project.displayName}
          </Text>
          <Text size="1" color="gray">
            {project.id}
          </Text>
          <Flex gap="2" align="center" wrap="wrap" mt="1">
            {organizationName && (
              <Badge highContrast color="gray">
                {organizationName}
              </Badge>
            )}
            <Text size="1" color="gray">
              Created <Time value={project.createdAt} />
            </Text>
          </Flex>
        </Flex>
      </RouterLink>
    </Card>
  );
}

export function ProjectsPage() {
  useTitle('Projects');
  const projects = useProjects();
  const organizations = useOrganizations();
  const [creating, setCreating] = useState(false);
  const canCreate = useDecision('POST', '/projects');
  const orgName = (id: string | null) => (id ? organizations.data?.find((o) => o.id === id)?.name : undefined);
  return (
    <>
      <PageHeader
        title="Projects"
        description="The projects and organizations you belong to."
        actions={
          <GatedButton decision={canCreate} onClick={() => setCreating(true)}>
            Create project
          </GatedButton>
        }
      />
      <CreateProjectDialog open={creating} onOpenChange={setCreating} />
      <Section title="Your projects">
        <QueryView
          query={projects}
          label="projects"
          empty="You are not a member of any project yet. Create one, or ask an administrator to invite you."
          isEmpty={(data) => data.length === 0}
        >
          {(data) => (
            <Grid columns={{ initial: '1', sm: '2', md: '3' }} gap="3" asChild>
              <ul aria-label="Projects" className="rt-reset">
                {data.map((project) => (
                  <li key={project.id}>
                    <ProjectCard project={project} organizationName={orgName(project.organizationId)} />
                  </li>
                ))}
              </ul>
            </Grid>
          )}
        </QueryView>
      </Section>
      <Section title="Your organizations">
        <QueryView
          query={organizations}
          label="organizations"
          empty="You are not a member of any organization."
          isEmpty={(data) => data.length === 0}
        >
          {(data) => (
            <Grid columns={{ initial: '1', sm: '2', md: '3' }} gap="3" asChild>
              <ul aria-label="Organizations" className="rt-reset">
                {data.map((org) => (
                  <li key={org.id}>
                    <Card asChild>
                      <RouterLink to={`/organizations/${org.id}`} aria-label={org.name}>
                        <Box>
                          <Heading as="h3" size="3" className="gh-break">
                            {org.name}
                          </Heading>
                          <Text size="1" color="gray">
                            {org.slug ? `${org.slug} · ` : ''}
                            {org.id}
                          </Text>
                        </Box>
                      </RouterLink>
                    </Card>
                  </li>
                ))}
              </ul>
            </Grid>
          )}
        </QueryView>
      </Section>
      <Text size="1" color="gray">
        Prefer the command line? The same actions are in the <Link href="/docs">API reference</Link>.
      </Text>
    </>
  );
}
