/**
 * Project → Activity: the audit events, newest first, filtered by actor, action and time (filters
 * in the address), paged, and "Export CSV" with the same filters.
 */
import { Badge, Box, Button, Code, Flex, Grid, Link, Table, Text, TextField } from '@radix-ui/themes';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { API, api, queryString } from '../../api/client';
import type { ActivityEvent, ActivityPage as ActivityPageBody, SanityUser } from '../../api/types';
import { DataTable } from '../../components/data-table';
import { Section, useTitle } from '../../components/page';
import { Pager, useCursor } from '../../components/pager';
import { QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { type ActivityFilters, activityQuery, filtersFromSearch, searchFromFilters } from '../../lib/activity-filters';
import { useProjectContext } from './layout';

const PAGE_SIZE = 25;

/** Display names of the users among the actors, as far as the signed-in person may see them. */
function useUserNames(ids: readonly string[]) {
  const users = [...new Set(ids.filter((id) => id.startsWith('g')))].sort().slice(0, 100);
  const query = useQuery({
    queryKey: ['user-names', users],
    queryFn: async () => {
      const found = await api.get<SanityUser | SanityUser[]>(`/users/${users.join(',')}`);
      return new Map((Array.isArray(found) ? found : [found]).map((u) => [u.id, u.displayName]));
    },
    enabled: users.length > 0,
    staleTime: 300_000,
  });
  return query.data ?? new Map<string, string>();
}

function FilterForm({ filters, onApply }: { filters: ActivityFilters; onApply: (filters: ActivityFilters) => void }) {
  const id = useId();
  const [draft, setDraft] = useState(filters);
  // The applied filters changed (applied, cleared, the address went back or forward): show them.
  useEffect(() => setDraft(filters), [filters]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const field = (key: keyof ActivityFilters, label: string, props: Record<string, string> = {}) => (
    <Flex direction="column" gap="1">
      <Text as="label" htmlFor={`${id}-${key}`} size="2" weight="medium">
        {label}
      </Text>
      <TextField.Root
        id={`${id}-${key}`}
        value={draft[key]}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
        {...props}
      />
    </Flex>
  );
  return (
    <form onSubmit={submit} aria-label="Filter activity">
      <Grid columns={{ initial: '1', sm: '2', md: '4' }} gap="3" mb="3">
        {field('actor', 'Actor', { placeholder: 'User or robot id' })}
        {field('action', 'Action', { placeholder: 'robot.create' })}
        {field('from', 'From', { type: 'datetime-local' })}
        {field('to', 'To', { type: 'datetime-local' })}
      </Grid>
      <Flex gap="2" mb="4" wrap="wrap">
        <Button type="submit">Apply filters</Button>
        <Button type="button" variant="soft" color="gray" onClick={() => onApply({ actor: '', action: '', from: '', to: '' })}>
          Clear filters
        </Button>
      </Flex>
    </form>
  );
}

function Target({ event }: { event: ActivityEvent }) {
  if (!event.target) return <Text color="gray">—</Text>;
  return (
    <Text size="2">
      {event.target.type} <Code variant="ghost">{event.target.id}</Code>
    </Text>
  );
}

export function ActivityPage() {
  const { project } = useProjectContext();
  useTitle('Activity', project.displayName);
  const [search, setSearch] = useSearchParams();
  // One object per address, not per render: the form resets what is being typed to the applied
  // filters whenever this object changes, and the page re-renders as its data arrives.
  const searchText = search.toString();
  const filters = useMemo(() => filtersFromSearch(new URLSearchParams(searchText)), [searchText]);
  const cursor = useCursor();
  const query = activityQuery(project.id, filters);
  const events = useQuery({
    queryKey: ['activity', project.id, filters, cursor.cursor],
    queryFn: () => api.get<ActivityPageBody>('/activity', { ...query, limit: PAGE_SIZE, nextCursor: cursor.cursor }),
    placeholderData: keepPreviousData,
  });
  const names = useUserNames(events.data?.data.map((e) => e.actorId ?? '') ?? []);
  const apply = (next: ActivityFilters) => {
    cursor.reset();
    setSearch(searchFromFilters(next));
  };
  const csv = `${API}/activity/export/csv${queryString(query)}`;
  return (
    <Section
      title="Activity"
      description="Every change to this project, newest first. Each event is chained to the one before it, so the log cannot be edited unnoticed."
      actions={
        <Button asChild variant="soft">
          <a href={csv} download="activity.csv">
            Export CSV
          </a>
        </Button>
      }
    >
      <FilterForm filters={filters} onApply={apply} />
      <QueryView
        query={events}
        label="activity"
        empty={search.toString() ? 'No events match these filters.' : 'Nothing has happened in this project yet.'}
        isEmpty={(page) => page.data.length === 0}
      >
        {(page) => (
          <Flex direction="column" gap="3">
            <DataTable label="Activity">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Time</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Action</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Actor</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Target</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Details</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {page.data.map((event) => (
                  <Table.Row key={event.id}>
                    <Table.Cell>
                      <Time value={event.timestamp} />
                    </Table.Cell>
                    <Table.RowHeaderCell>
                      <Link asChild size="2">
                        <button type="button" className="rt-reset" onClick={() => apply({ ...filters, action: event.action })}>
                          {event.action}
                        </button>
                      </Link>
                    </Table.RowHeaderCell>
                    <Table.Cell>
                      {event.actorId ? (
                        <Flex direction="column">
                          <Link asChild size="2">
                            <button
                              type="button"
                              className="rt-reset"
                              onClick={() => apply({ ...filters, actor: event.actorId ?? '' })}
                              aria-label={`Show only events by ${names.get(event.actorId) ?? event.actorId}`}
                            >
                              {names.get(event.actorId) ?? event.actorId}
                            </button>
                          </Link>
                          <Text size="1" color="gray">
                            {event.actorType}
                          </Text>
                        </Flex>
                      ) : (
                        <Badge highContrast color="gray">
                          system
                        </Badge>
                      )}
                    </Table.Cell>
                    <Table.Cell>
                      <Target event={event} />
                    </Table.Cell>
                    <Table.Cell>
                      <details>
                        <summary>
                          <Text size="2">Details</Text>
                        </summary>
                        <Box mt="2">
                          <Text as="p" size="1" color="gray">
                            {event.metadata.ip ? `From ${event.metadata.ip}. ` : ''}Event {event.sequence}.
                          </Text>
                          <pre className="rt-Text rt-r-size-1 gh-pre">
                            {JSON.stringify({ before: event.metadata.before, after: event.metadata.after }, null, 2)}
                          </pre>
                        </Box>
                      </details>
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </DataTable>
            <Pager cursor={cursor} nextCursor={page.nextCursor} shown={page.data.length} noun={['event', 'events']} />
          </Flex>
        )}
      </QueryView>
    </Section>
  );
}
