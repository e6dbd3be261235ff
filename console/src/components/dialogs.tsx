/**
 * Dialogs: a form in a dialog, and confirmations. The UI kit's dialogs trap focus, close on Esc and
 * give focus back to the button that opened them.
 */
import { AlertDialog, Button, Dialog, Flex, Text, TextField } from '@radix-ui/themes';
import type { UseMutationResult } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ErrorCallout } from './errors';

/**
 * Gives focus back to whatever had it when the dialog opened (the button that opened it), or to the
 * page's main region when that is gone (a deleted row). The kit does this only for its own trigger
 * buttons; the console's dialogs open from buttons that first ask the server.
 */
export function useReturnFocus(open: boolean): (event: Event) => void {
  const opener = useRef<HTMLElement | null>(null);
  useEffect(() => {
    if (open && document.activeElement instanceof HTMLElement && document.activeElement !== document.body) {
      opener.current = document.activeElement;
    }
  }, [open]);
  return (event: Event) => {
    event.preventDefault();
    const target = opener.current?.isConnected ? opener.current : document.getElementById('main');
    target?.focus();
    opener.current = null;
  };
}

export function FormDialog({
  open,
  onOpenChange,
  title,
  description,
  submitLabel,
  onSubmit,
  pending,
  error,
  children,
  submitDisabled = false,
  maxWidth = '32rem',
  result,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  submitLabel: string;
  onSubmit: () => void;
  pending: boolean;
  /** The last failure, shown above the buttons (fields the server named show it next to them). */
  error?: unknown;
  children: ReactNode;
  submitDisabled?: boolean;
  maxWidth?: string;
  /** Shown instead of the form once it has done its work (a new secret), in the same dialog. */
  result?: { title: string; description: ReactNode; body: ReactNode } | null;
}) {
  const returnFocus = useReturnFocus(open);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!pending && !submitDisabled) onSubmit();
  };
  if (result) {
    return (
      <Dialog.Root open={open} onOpenChange={onOpenChange}>
        <Dialog.Content maxWidth="36rem" onCloseAutoFocus={returnFocus}>
          <Dialog.Title>{result.title}</Dialog.Title>
          <Dialog.Description size="2" mb="3">
            {result.description}
          </Dialog.Description>
          {result.body}
        </Dialog.Content>
      </Dialog.Root>
    );
  }
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Content
        maxWidth={maxWidth}
        onCloseAutoFocus={returnFocus}
        {...(description ? {} : { 'aria-describedby': undefined })}
      >
        <Dialog.Title>{title}</Dialog.Title>
        {description && (
          <Dialog.Description size="2" mb="4">
            {description}
          </Dialog.Description>
        )}
        <form onSubmit={submit} noValidate>
          <Flex direction="column" gap="3">
            {children}
            {error ? <ErrorCallout error={error} /> : null}
          </Flex>
          <Flex gap="3" mt="4" justify="end" wrap="wrap">
            <Dialog.Close>
              <Button type="button" variant="soft" color="gray">
                Cancel
              </Button>
            </Dialog.Close>
            <Button type="submit" loading={pending} disabled={submitDisabled}>
              {submitLabel}
            </Button>
          </Flex>
        </form>
      </Dialog.Content>
    </Dialog.Root>
  );
}

/** A yes/no question before something that cannot be undone. */
export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  description,
  confirmLabel,
  onConfirm,
  pending,
  error,
  confirmText,
  children,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  pending: boolean;
  error?: unknown;
  /** When set, the person must type this text before confirming (deleting a token by its name). */
  confirmText?: string;
  children?: ReactNode;
}) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const returnFocus = useReturnFocus(open);
  const mustType = confirmText !== undefined;
  const ready = !mustType || typed === confirmText;
  const change = (next: boolean) => {
    if (!next) setTyped('');
    onOpenChange(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (ready && !pending) onConfirm();
  };
  return (
    <AlertDialog.Root open={open} onOpenChange={change}>
      <AlertDialog.Content maxWidth="30rem" onCloseAutoFocus={returnFocus}>
        <AlertDialog.Title>{title}</AlertDialog.Title>
        <AlertDialog.Description size="2">{description}</AlertDialog.Description>
        <form onSubmit={submit}>
          <Flex direction="column" gap="3" mt="3">
            {children}
            {mustType && (
              <Flex direction="column" gap="1">
                <Text as="label" size="2" weight="medium" htmlFor={inputId}>
                  Type <strong className="gh-break">{confirmText}</strong> to confirm
                </Text>
                <TextField.Root id={inputId} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
              </Flex>
            )}
            {error ? <ErrorCallout error={error} /> : null}
          </Flex>
          <Flex gap="3" mt="4" justify="end" wrap="wrap">
            <AlertDialog.Cancel>
              <Button type="button" variant="soft" color="gray">
                Cancel
              </Button>
            </AlertDialog.Cancel>
            <Button type="submit" color="red" variant="soft" loading={pending} disabled={!ready}>
              {confirmLabel}
            </Button>
          </Flex>
        </form>
      </AlertDialog.Content>
    </AlertDialog.Root>
  );
}

/** Open state for a dialog about one item of a list: `open(item)`, `close()`. */
export function useItemDialog<T>() {
  const [item, setItem] = useState<T | null>(null);
  return {
    item,
    isOpen: item !== null,
    open: (value: T) => setItem(value),
    close: () => setItem(null),
    onOpenChange: (open: boolean) => {
      if (!open) setItem(null);
    },
  };
}

/**
 * The confirmation before an action on one item of a list (remove, revoke, decline): open while
 * `dialog` holds an item, runs `mutation` on it, and forgets the mutation's error when closed.
 */
export function ConfirmItemDialog<T>({
  dialog,
  mutation,
  title,
  description,
  confirmLabel,
  confirmText,
}: {
  dialog: ReturnType<typeof useItemDialog<T>>;
  mutation: UseMutationResult<unknown, Error, T>;
  title: string;
  description: (item: T) => ReactNode;
  confirmLabel: string;
  /** The text to type before confirming, from the item (a token's name). */
  confirmText?: (item: T) => string;
}) {
  const item = dialog.item;
  return (
    <ConfirmDialog
      open={item !== null}
      onOpenChange={(open) => {
        if (!open) {
          mutation.reset();
          dialog.close();
        }
      }}
      title={title}
      description={item === null ? '' : description(item)}
      confirmLabel={confirmLabel}
      {...(confirmText && item !== null ? { confirmText: confirmText(item) } : {})}
      pending={mutation.isPending}
      error={mutation.error}
      onConfirm={() => item !== null && mutation.mutate(item)}
    />
  );
}
