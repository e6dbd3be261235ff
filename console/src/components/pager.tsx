/** Cursor paging for the API's lists: "Previous page" / "Next page" and where you are. */
import { Button, Flex, Text } from '@radix-ui/themes';
import { useState } from 'react';
import { type CursorStack, FIRST_PAGE, nextPage, pageNumber, previousPage } from '../lib/cursor-stack';

export function useCursor() {
  const [stack, setStack] = useState<CursorStack>(FIRST_PAGE);
  return {
    cursor: stack.current,
    stack,
    next: (cursor: string) => setStack((s) => nextPage(s, cursor)),
    previous: () => setStack((s) => previousPage(s)),
    reset: () => setStack(FIRST_PAGE),
  };
}

export function Pager({
  cursor,
  nextCursor,
  total,
  shown,
  noun,
}: {
  cursor: ReturnType<typeof useCursor>;
  nextCursor: string | null | undefined;
  /** All items of the list, when the API says. */
  total?: number | undefined;
  shown: number;
  /** What the list holds: singular and plural ("token", "tokens"). */
  noun: readonly [string, string];
}) {
  const [one, many] = noun;
  const page = pageNumber(cursor.stack);
  if (page === 1 && !nextCursor) {
    return total !== undefined && total > 0 ? (
      <Text size="2" color="gray">
        {total} {total === 1 ? one : many}
      </Text>
    ) : null;
  }
  return (
    <Flex align="center" gap="3" wrap="wrap" asChild>
      <nav aria-label={`Pages of ${many}`}>
        <Button variant="soft" onClick={cursor.previous} disabled={page === 1}>
          Previous page
        </Button>
        <Text size="2" color="gray" aria-live="polite">
          Page {page}
          {total !== undefined ? `, ${shown} of ${total} ${total === 1 ? one : many}` : ''}
        </Text>
        <Button variant="soft" onClick={() => nextCursor && cursor.next(nextCursor)} disabled={!nextCursor}>
          Next page
        </Button>
      </nav>
    </Flex>
  );
}
