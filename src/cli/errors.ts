/**
 * How the CLI fails. Every failure ends in exactly one of these, caught once in `main.ts`.
 *
 * Exit codes (documented in docs/cli.md):
 *   0  success
 *   1  the operation failed: the server refused it, could not be reached, or the database did
 *   2  the command line or configuration is wrong; nothing was sent anywhere
 */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure with a ready-to-print message (one line, no stack trace). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    /** Extra lines printed after the message (already indented by the caller if wanted). */
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

/** A bad flag or argument detected before anything was sent. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** The server answered with an error status. `body` is the parsed JSON body when there was one. */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
    details: string[],
  ) {
    super(message, EXIT_FAILURE, details);
  }
}
