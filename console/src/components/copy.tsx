/** Copying values (tokens, service-provider URLs) to the clipboard, with a confirmation people and screen readers get. */
import { Box, Button, Flex, TextField } from '@radix-ui/themes';
import { useEffect, useId, useState } from 'react';

export function CopyButton({ value, name, describedBy }: { value: string; name?: string; describedBy?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 4000);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <Flex align="center" gap="2">
      <Button type="button" variant="soft" onClick={copy} aria-label={name} aria-describedby={describedBy}>
        Copy
      </Button>
      <span role="status" aria-live="polite" className="rt-Text rt-r-size-1">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copying failed: select the text and copy it yourself' : ''}
      </span>
    </Flex>
  );
}

/** A read-only value with a label and a copy button. */
export function CopyField({ label, value, secret = false }: { label: string; value: string; secret?: boolean }) {
  const id = useId();
  return (
    <Flex direction="column" gap="1">
      <label htmlFor={id} className="rt-Text rt-r-size-2 rt-r-weight-medium">
        {label}
      </label>
      <Flex gap="2" align="center" wrap="wrap">
        <Box flexGrow="1" minWidth="14rem">
          <TextField.Root
            id={id}
            value={value}
            readOnly
            className={secret ? 'gh-secret' : undefined}
            onFocus={(event) => event.currentTarget.select()}
          />
        </Box>
        {/* The secret's button is just "Copy"; others name what they copy. */}
        <CopyButton value={value} {...(secret ? {} : { name: `Copy ${label}` })} />
      </Flex>
    </Flex>
  );
}
