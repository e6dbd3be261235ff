/** Loading, empty and error states, the same on every list. */
import { Box, Button, Card, Flex, Spinner, Text } from '@radix-ui/themes';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorCallout } from './errors';

export function Loading({ label }: { label: string }) {
  return (
    <Flex align="center" gap="2" py="4" role="status" aria-live="polite">
      <Spinner />
      <Text color="gray">Loading {label}…</Text>
    </Flex>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Card variant="surface">
      <Box py="3">
        <Text color="gray">{children}</Text>
      </Box>
    </Card>
  );
}

/**
 * A query's three other states, then `children(data)` once it has data. `isEmpty` decides when to
 * show `empty` instead.
 */
export function QueryView<T>({
  query,
  label,
  empty,
  isEmpty,
  children,
}: {
  query: UseQueryResult<T>;
  label: string;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading label={label} />;
  if (query.isError) {
    return (
      <Flex direction="column" gap="2" align="start">
        <ErrorCallout error={query.error} title={`Could not load ${label}`} />
        <Button variant="soft" onClick={() => query.refetch()}>
          Try again
        </Button>
      </Flex>
    );
  }
  if (empty !== undefined && isEmpty?.(query.data)) return <Empty>{empty}</Empty>;
  return <>{children(query.data)}</>;
}
