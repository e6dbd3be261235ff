/**
 * The console's lists as tables: loading, error and empty states, a header row and one row per
 * item. `PagedTable` is for the API's cursor-paged lists ("Previous page" / "Next page");
 * `ListTable` for the ones it returns whole.
 */
import { Button, Flex, Table } from '@radix-ui/themes';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { Page } from '../api/types';
import { DataTable } from './data-table';
import { type Decision, GatedButton } from './gate';
import { Pager, type useCursor } from './pager';
import { QueryView } from './states';

interface TableProps<T> {
  /** The table's name. */
  label: string;
  empty: ReactNode;
  columns: readonly string[];
  row: (item: T) => ReactNode;
}

function Rows<T>({ label, columns, row, items }: Omit<TableProps<T>, 'empty'> & { items: readonly T[] }) {
  return (
    <DataTable label={label}>
      <Table.Header>
        <Table.Row>
          {columns.map((column) => (
            <Table.ColumnHeaderCell key={column}>{column}</Table.ColumnHeaderCell>
          ))}
        </Table.Row>
      </Table.Header>
      <Table.Body>{items.map(row)}</Table.Body>
    </DataTable>
  );
}

export function PagedTable<T>({
  query,
  cursor,
  noun,
  what,
  ...table
}: TableProps<T> & {
  query: UseQueryResult<Page<T>>;
  cursor: ReturnType<typeof useCursor>;
  /** What the list holds: singular and plural. */
  noun: readonly [string, string];
  /** How loading and failing name the list ("Loading API tokens…"); default: the plural noun. */
  what?: string;
}) {
  return (
    <QueryView query={query} label={what ?? noun[1]} empty={table.empty} isEmpty={(page) => page.data.length === 0}>
      {(page) => (
        <Flex direction="column" gap="3">
          <Rows {...table} items={page.data} />
          <Pager cursor={cursor} nextCursor={page.nextCursor} total={page.totalCount} shown={page.data.length} noun={noun} />
        </Flex>
      )}
    </QueryView>
  );
}

export function ListTable<D, T>({
  query,
  what,
  items,
  ...table
}: TableProps<T> & {
  query: UseQueryResult<D>;
  /** How loading and failing name the list. */
  what: string;
  /** The items of the answer (the answer itself, or some of it). */
  items: (data: D) => readonly T[];
}) {
  return (
    <QueryView query={query} label={what} empty={table.empty} isEmpty={(data) => items(data).length === 0}>
      {(data) => <Rows {...table} items={items(data)} />}
    </QueryView>
  );
}

/** An action on one row: small, and refused with the server's reason like every action. */
export function RowAction({
  decision,
  danger = false,
  label,
  onClick,
  children,
}: {
  /** The server's decision; without one the action is always allowed (a read). */
  decision?: Decision;
  danger?: boolean;
  /** The accessible name: the visible text and what it acts on ("Delete CI deploys"). */
  label: string;
  onClick: () => void;
  children: ReactNode;
}) {
  const color = danger ? 'red' : undefined;
  return decision ? (
    <GatedButton size="1" variant="soft" color={color} decision={decision} onClick={onClick} aria-label={label}>
      {children}
    </GatedButton>
  ) : (
    <Button size="1" variant="soft" color={color} onClick={onClick} aria-label={label}>
      {children}
    </Button>
  );
}
