/** Output helpers: JSON for scripts, aligned plain-text tables for people. No colours, no prompts. */
import type { CliContext } from './context.js';
import { CliError, EXIT_FAILURE } from './errors.js';

/**
 * Exit code 1 with nothing more printed: for commands whose printed answer is itself the failure
 * (`explain` when denied, `check` when a permission is missing). `main.ts` prints no error line.
 */
export function silentFailure(): CliError {
  return new CliError('', EXIT_FAILURE);
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(ctx: CliContext, lines: string[]): void {
  ctx.stdout(lines.map((line) => `${line}\n`).join(''));
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

/** A table whose columns are as wide as their widest cell; the last column is not padded. */
export function formatTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => clean(column.value(row))));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].map((l) => `${l}\n`).join('');
}

export function printTable<T>(ctx: CliContext, rows: T[], columns: Column<T>[], empty: string): void {
  if (rows.length === 0) {
    ctx.stdout(`${empty}\n`);
    return;
  }
  ctx.stdout(formatTable(rows, columns));
}

/** Key/value lines with aligned values, for single objects. */
export function formatFields(fields: Array<[string, string]>): string {
  const width = Math.max(...fields.map(([key]) => key.length)) + 1;
  return fields.map(([key, value]) => `${`${key}:`.padEnd(width)} ${clean(value)}\n`).join('');
}

/** A timestamp as people read it in a terminal: `2025-01-09 14:03 UTC`; `-` when absent. */
export function formatTime(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '-';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `…abcd`: how a token is shown once it has been created. */
export function formatHint(hint: unknown): string {
  if (typeof hint !== 'string' || hint === '') return '-';
  return hint.startsWith('…') ? hint : `…${hint}`;
}

/** `yes`/`no` for a flag; `-` when the server did not say. */
export function yesNo(value: unknown): string {
  if (typeof value !== 'boolean') return '-';
  return value ? 'yes' : 'no';
}

export function text(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  return String(value);
}

/** Server-provided text goes to a terminal: strip control characters so it cannot move the cursor. */
function clean(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}
