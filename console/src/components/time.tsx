import { Text } from '@radix-ui/themes';
import { formatTime } from '../lib/format';

/** A point in time, in the reader's locale, machine-readable in `dateTime`. */
export function Time({ value, empty = 'Never' }: { value: string | null | undefined; empty?: string }) {
  if (!value) return <Text color="gray">{empty}</Text>;
  return (
    <time dateTime={value} title={value} className="gh-nowrap">
      {formatTime(value)}
    </time>
  );
}
