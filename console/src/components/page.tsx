/** The heading of a page or section, with its actions. */
import { Box, Flex, Heading, Text } from '@radix-ui/themes';
import { type ReactNode, useEffect } from 'react';

/** Sets the window title: "<title> · Gatehouse". */
export function useTitle(...parts: (string | undefined)[]) {
  const title = [...parts.filter(Boolean), 'Gatehouse'].join(' · ');
  useEffect(() => {
    document.title = title;
  }, [title]);
}

export function PageHeader({
  title,
  description,
  actions,
  level = 1,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  level?: 1 | 2;
}) {
  return (
    <Flex justify="between" align={{ initial: 'start', sm: 'end' }} gap="3" wrap="wrap" mb="4">
      <Box>
        <Heading as={level === 1 ? 'h1' : 'h2'} size={level === 1 ? '7' : '5'}>
          {title}
        </Heading>
        {description && (
          <Text as="p" color="gray" mt="1">
            {description}
          </Text>
        )}
      </Box>
      {actions && (
        <Flex gap="2" wrap="wrap">
          {actions}
        </Flex>
      )}
    </Flex>
  );
}

export function Section({
  title,
  description,
  actions,
  children,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Box asChild mb="6">
      <section aria-label={title}>
        <PageHeader level={2} title={title} description={description} actions={actions} />
        {children}
      </section>
    </Box>
  );
}
