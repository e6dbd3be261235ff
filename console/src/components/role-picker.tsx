/** Choosing one or more roles: the server's roles for this kind of member, with their descriptions. */
import { CheckboxGroup, Flex, Text } from '@radix-ui/themes';
import { useId } from 'react';
import type { Role } from '../api/types';

export function RolePicker({
  roles,
  value,
  onChange,
  label = 'Roles',
  error,
}: {
  roles: readonly Role[];
  value: readonly string[];
  onChange: (value: string[]) => void;
  label?: string;
  error?: string | null;
}) {
  const id = useId();
  return (
    <Flex
      direction="column"
      gap="2"
      role="group"
      aria-labelledby={`${id}-label`}
      aria-describedby={error ? `${id}-error` : undefined}
    >
      <Text as="div" size="2" weight="medium" id={`${id}-label`}>
        {label}
      </Text>
      <CheckboxGroup.Root value={[...value]} onValueChange={onChange} name={`${id}-roles`}>
        {roles.map((role) => (
          <CheckboxGroup.Item key={role.name} value={role.name} aria-describedby={`${id}-${role.name}`}>
            <Flex direction="column">
              <Text size="2">
                {role.title}
                {role.isCustom ? ' (custom)' : ''}
              </Text>
              {role.description && (
                <Text id={`${id}-${role.name}`} size="1" color="gray">
                  {role.description}
                </Text>
              )}
            </Flex>
          </CheckboxGroup.Item>
        ))}
      </CheckboxGroup.Root>
      {error && (
        <Text id={`${id}-error`} size="1" color="red">
          {error}
        </Text>
      )}
    </Flex>
  );
}
