/**
 * Paging by cursor: the API gives the next page's cursor only, so going back means remembering the
 * cursors of the pages seen. `undefined` is the first page.
 */
export interface CursorStack {
  /** Cursors of the pages before the current one, oldest first. */
  readonly previous: readonly (string | undefined)[];
  readonly current: string | undefined;
}

export const FIRST_PAGE: CursorStack = { previous: [], current: undefined };

export function nextPage(stack: CursorStack, nextCursor: string): CursorStack {
  return { previous: [...stack.previous, stack.current], current: nextCursor };
}

export function previousPage(stack: CursorStack): CursorStack {
  if (stack.previous.length === 0) return stack;
  return { previous: stack.previous.slice(0, -1), current: stack.previous[stack.previous.length - 1] };
}

/** 1-based number of the current page. */
export function pageNumber(stack: CursorStack): number {
  return stack.previous.length + 1;
}
