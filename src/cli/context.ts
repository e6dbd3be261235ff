/**
 * Everything a command touches outside its arguments: environment, streams, clock.
 *
 * Commands receive it instead of reaching for `process` so that the whole program can be driven
 * in-process (tests, scripts) and so that the one place that knows about real I/O is `main.ts`.
 */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Reads all of standard input; rejects when stdin is an interactive terminal. */
  readStdin: () => Promise<string>;
  stdinIsTTY: boolean;
  now: () => Date;
  /** Registers a handler for SIGINT and SIGTERM (used by `serve`). */
  onSignal: (handler: (signal: NodeJS.Signals) => void) => void;
}

export function processContext(): CliContext {
  return {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString('utf8');
    },
    stdinIsTTY: Boolean(process.stdin.isTTY),
    now: () => new Date(),
    onSignal: (handler) => {
      process.once('SIGINT', handler);
      process.once('SIGTERM', handler);
    },
  };
}
