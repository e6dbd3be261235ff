/**
 * Project → API → CORS origins: the list with a credentials badge, "Add CORS origin" (the server's
 * message next to the field when it refuses the origin, and its reason when a wildcard asks for
 * credentials), and "Test an origin" with the server's explanation.
 */
import { Badge, Box, Button, Callout, Card, Checkbox, Code, Flex, Table, Text, TextField } from '@radix-ui/themes';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../../api/client';
import { useChange } from '../../api/queries';
import type { CorsExplanation, CorsOrigin, CreateCorsOriginBody } from '../../api/types';
import { ApiNav } from '../../components/api-nav';
import { ConfirmItemDialog, FormDialog, useItemDialog } from '../../components/dialogs';
import { ErrorCallout, fieldError } from '../../components/errors';
import { GatedButton, useDecision } from '../../components/gate';
import { Section, useTitle } from '../../components/page';
import { ListTable, RowAction } from '../../components/paged-table';
import { Time } from '../../components/time';
import { useProjectContext } from './layout';

function AddOriginDialog({
  projectId,
  open,
  onOpenChange,
}: {
  projectId: string;
  open: boolean;
  onOpenChange: (o: boolean) => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const [origin, setOrigin] = useState('');
  const [credentials, setCredentials] = useState(false);
  const add = useMutation({
    mutationFn: (body: CreateCorsOriginBody) => api.post<CorsOrigin>(`/projects/${projectId}/cors`, body),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['cors', projectId] });
      close(false);
    },
  });
  const close = (next: boolean) => {
    if (!next) {
      setOrigin('');
      setCredentials(false);
      add.reset();
    }
    onOpenChange(next);
  };
  const originError = fieldError(add.error, 'origin') ?? fieldError(add.error, 'allowCredentials');
  return (
    <FormDialog
      open={open}
      onOpenChange={close}
      title="Add CORS origin"
      description="Pages from this origin may call the project's API from a browser."
      submitLabel="Save"
      pending={add.isPending}
      error={originError ? null : add.error}
      onSubmit={() => add.mutate({ origin: origin.trim(), allowCredentials: credentials })}
    >
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={`${id}-origin`} size="2" weight="medium">
          Origin
        </Text>
        <TextField.Root
          id={`${id}-origin`}
          value={origin}
          onChange={(e) => setOrigin(e.target.value)}
          placeholder="https://studio.example.com"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          aria-invalid={originError ? true : undefined}
          aria-describedby={`${id}-origin-help`}
        />
        <Text id={`${id}-origin-help`} size="1" color={originError ? 'red' : 'gray'} role={originError ? 'alert' : undefined}>
          {originError ?? 'protocol://host[:port]; * may stand for part of the host or for the port.'}
        </Text>
      </Flex>
      <Text as="label" size="2">
        <Flex gap="2" align="start">
          <Checkbox
            checked={credentials}
            onCheckedChange={(v) => setCredentials(v === true)}
            aria-describedby={`${id}-cred-help`}
          />
          <Flex direction="column">
            <span>Allow credentials</span>
            <Text id={`${id}-cred-help`} size="1" color="gray">
              Pages may send a token or cookies. Needed if this origin hosts a studio or a console; otherwise leave it off.
            </Text>
          </Flex>
        </Flex>
      </Text>
    </FormDialog>
  );
}

function TestOrigin({ projectId }: { projectId: string }) {
  const id = useId();
  const [origin, setOrigin] = useState('');
  const explain = useMutation({
    mutationFn: (value: string) => api.get<CorsExplanation>(`/projects/${projectId}/cors/explain`, { origin: value }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (origin.trim()) explain.mutate(origin.trim());
  };
  const result = explain.data;
  return (
    <Card>
      <form onSubmit={submit} aria-label="Test an origin">
        <Flex direction="column" gap="2">
          <Text as="label" htmlFor={id} size="2" weight="medium">
            Origin to test
          </Text>
          <Flex gap="2" wrap="wrap">
            <Box flexGrow="1" minWidth="14rem">
              <TextField.Root
                id={id}
                value={origin}
                onChange={(e) => setOrigin(e.target.value)}
                placeholder="https://app.example.com"
                autoCapitalize="none"
                spellCheck={false}
              />
            </Box>
            <Button type="submit" variant="soft" loading={explain.isPending}>
              Test an origin
            </Button>
          </Flex>
          {explain.isError && <ErrorCallout error={explain.error} />}
          {result && (
            <Box role="status" aria-live="polite">
              <Callout.Root highContrast color={result.allowed ? 'green' : 'amber'} mt="2">
                <Callout.Text>
                  <Flex direction="column" gap="1" asChild>
                    <span>
                      <Text weight="bold">
                        {result.allowed ? 'Allowed' : 'Not allowed'}
                        {result.allowed ? (result.withCredentials ? ', with credentials' : ', without credentials') : ''}
                      </Text>
                      <Text className="gh-break">{result.summary}</Text>
                    </span>
                  </Flex>
                </Callout.Text>
              </Callout.Root>
              {result.entries.length > 0 && (
                <Box asChild mt="2">
                  <ul className="rt-reset">
                    {result.entries.map((entry) => (
                      <li key={entry.id}>
                        <Text size="2">
                          <Code variant="ghost">{entry.origin}</Code> {entry.matches ? 'matches' : 'does not match'}:{' '}
                          {entry.reason}
                        </Text>
                      </li>
                    ))}
                  </ul>
                </Box>
              )}
            </Box>
          )}
        </Flex>
      </form>
    </Card>
  );
}

export function CorsPage() {
  const { project } = useProjectContext();
  useTitle('CORS origins', project.displayName);
  const _queryClient = useQueryClient();
  const origins = useQuery({
    queryKey: ['cors', project.id],
    queryFn: () => api.get<CorsOrigin[]>(`/projects/${project.id}/cors`),
  });
  const [adding, setAdding] = useState(false);
  const deleting = useItemDialog<CorsOrigin>();
  const canAdd = useDecision('POST', `/projects/${project.id}/cors`);
  const sample = origins.data?.[0]?.id;
  const canDelete = useDecision('DELETE', sample !== undefined ? `/projects/${project.id}/cors/${sample}` : null);
  const remove = useChange(
    (entry: CorsOrigin) => api.delete(`/projects/${project.id}/cors/${entry.id}`),
    [['cors', project.id]],
    deleting.close,
  );
  return (
    <>
      <ApiNav projectId={project.id} />
      <Section
        title="CORS origins"
        description="Web pages from these origins may call this project's API from a browser. Any other origin is refused."
        actions={
          <GatedButton decision={canAdd} onClick={() => setAdding(true)}>
            Add CORS origin
          </GatedButton>
        }
      >
        <AddOriginDialog projectId={project.id} open={adding} onOpenChange={setAdding} />
        <ConfirmItemDialog
          dialog={deleting}
          mutation={remove}
          title="Remove CORS origin"
          description={(item) => `Pages from ${item.origin} will no longer be able to call this project.`}
          confirmLabel="Remove origin"
        />
        <ListTable
          query={origins}
          items={(list) => list}
          what="CORS origins"
          label="CORS origins"
          empty="No origin is allowed yet: browsers may not call this project's API from any page."
          columns={['Origin', 'Credentials', 'Added', 'Actions']}
          row={(entry) => (
            <Table.Row key={entry.id}>
              <Table.RowHeaderCell>
                <Code variant="ghost" className="gh-break">
                  {entry.origin}
                </Code>
              </Table.RowHeaderCell>
              <Table.Cell>
                {entry.allowCredentials ? (
                  <Badge highContrast color="amber">
                    Credentials allowed
                  </Badge>
                ) : (
                  <Badge highContrast color="gray">
                    No credentials
                  </Badge>
                )}
              </Table.Cell>
              <Table.Cell>
                <Time value={entry.createdAt} />
              </Table.Cell>
              <Table.Cell>
                <RowAction decision={canDelete} danger onClick={() => deleting.open(entry)} label={`Remove ${entry.origin}`}>
                  Remove
                </RowAction>
              </Table.Cell>
            </Table.Row>
          )}
        />
      </Section>
      <Section title="Test an origin" description="Ask the server whether a page from an origin may call this project, and why.">
        <TestOrigin projectId={project.id} />
      </Section>
    </>
  );
}
