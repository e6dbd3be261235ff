/** Failures as the server explained them: the message, its `reason.hint` and its code. */
import { Callout, Code, Flex, Text } from '@radix-ui/themes';
import { ApiError } from '../api/client';

/** The parts of an error worth showing. A non-API error (a bug) is shown without inventing a hint. */
export function describeError(error: unknown): { message: string; hint: string | null; code: string | null } {
  if (error instanceof ApiError) return { message: error.message, hint: error.hint ?? null, code: error.reason.code };
  return { message: error instanceof Error ? error.message : String(error), hint: null, code: null };
}

export function ErrorCallout({ error, title }: { error: unknown; title?: string }) {
  const { message, hint, code } = describeError(error);
  return (
    <Callout.Root highContrast color="red" role="alert" variant="surface">
      <Callout.Text>
        <Flex direction="column" gap="1" asChild>
          <span>
            <Text weight="bold">{title ? `${title}: ${message}` : message}</Text>
            {hint && <Text className="gh-break">{hint}</Text>}
            {code && (
              <Text size="1" color="gray">
                Code <Code variant="ghost">{code}</Code>
              </Text>
            )}
          </span>
        </Flex>
      </Callout.Text>
    </Callout.Root>
  );
}

/** The error of one form field, when the server named that field. */
export function fieldError(error: unknown, field: string): string | null {
  if (!(error instanceof ApiError) || error.field !== field) return null;
  return error.hint ? `${error.message}. ${error.hint}` : error.message;
}
