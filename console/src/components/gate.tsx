/**
 * "Why can't I?": every action button asks the server whether the signed-in person may take it,
 * with `GET /access/explain` (the same decision the call itself would get, without making it). A
 * refused action stays focusable but disabled, and says why — the server's message and fix — on
 * hover and focus (a tooltip) and to screen readers (its accessible description). No rule about
 * roles or permissions is written in the browser.
 *
 * The route table's policy depends on the method, the route and the resource, never on which row
 * of a list an action is for; a list therefore asks once, with the path of any of its rows.
 */
import { Button, type ButtonProps, Tooltip, VisuallyHidden } from '@radix-ui/themes';
import { useQuery } from '@tanstack/react-query';
import { forwardRef, type MouseEvent, useId } from 'react';
import { API, api } from '../api/client';
import type { Explanation } from '../api/types';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Decision {
  /** null while the server has not answered yet. */
  allowed: boolean | null;
  /** Why not, in the server's words: the denial's message and its fix. */
  reason: string | null;
}

/** The text a refused action shows: the server's message, then what to do about it. */
export function reasonOf(explanation: Pick<Explanation, 'allowed' | 'message' | 'fix'>): string | null {
  if (explanation.allowed) return null;
  return explanation.fix ? `${explanation.message}. ${explanation.fix}` : explanation.message;
}

/** The server's decision on `method path` (path under the API version, e.g. `/projects`) for the signed-in person. */
export function useDecision(method: Method, path: string | null): Decision {
  const query = useQuery({
    queryKey: ['explain', method, path],
    queryFn: () => api.get<Explanation>('/access/explain', { method, path: `${API}${path}` }),
    enabled: path !== null,
    staleTime: 60_000,
  });
  if (query.data) return { allowed: query.data.allowed, reason: reasonOf(query.data) };
  if (query.isError)
    return { allowed: false, reason: 'Could not ask the server whether you may do this. Reload the page to try again.' };
  return { allowed: null, reason: null };
}

export interface GatedButtonProps extends ButtonProps {
  decision: Decision;
}

/**
 * A button that works only when the server allows its action. Refused (or not yet decided), it is
 * `aria-disabled` rather than `disabled`, so it can still be focused and tell why.
 */
export const GatedButton = forwardRef<HTMLButtonElement, GatedButtonProps>(function GatedButton(
  { decision, onClick, children, ...props },
  ref,
) {
  const reasonId = useId();
  const blocked = decision.allowed !== true || props.disabled === true;
  const why =
    decision.allowed === false ? decision.reason : decision.allowed === null ? 'Checking whether you may do this…' : null;
  const guard = (event: MouseEvent<HTMLButtonElement>) => {
    if (blocked) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    onClick?.(event);
  };
  const button = (
    <Button
      {...props}
      ref={ref}
      onClick={guard}
      aria-disabled={blocked || undefined}
      data-disabled={blocked || undefined}
      aria-describedby={why ? reasonId : props['aria-describedby']}
      disabled={undefined}
    >
      {children}
    </Button>
  );
  if (!why) return button;
  return (
    <>
      <Tooltip content={why}>{button}</Tooltip>
      <VisuallyHidden id={reasonId}>{why}</VisuallyHidden>
    </>
  );
});
