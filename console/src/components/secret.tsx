/** A new secret, shown exactly once: a read-only "Token" field, "Copy", the warning, and "Done". */
import { Button, Callout, Flex, Text } from '@radix-ui/themes';
import { CopyField } from './copy';

export function SecretOnce({ token, name, onDone }: { token: string; name: string; onDone: () => void }) {
  return (
    <Flex direction="column" gap="3">
      <Text as="p" size="2">
        This is the secret of <strong className="gh-break">{name}</strong>. Send it as <code>Authorization: Bearer …</code>.
      </Text>
      <CopyField label="Token" value={token} secret />
      <Callout.Root highContrast color="amber" role="note">
        <Callout.Text>
          Copy it now and store it somewhere safe: this token will not be shown again. If it is lost, rotate the token to get a
          new one.
        </Callout.Text>
      </Callout.Root>
      <Flex justify="end">
        <Button onClick={onDone}>Done</Button>
      </Flex>
    </Flex>
  );
}
