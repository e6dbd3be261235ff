/** Running the built `gatehouse` binary as a user would, for end-to-end CLI tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'gatehouse.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: `process.env` without what the test runner sets for itself
 * (`GATEHOUSE_*`, `NODE_OPTIONS`, `XDG_CONFIG_HOME`), plus `extra` (an undefined value removes a
 * variable).
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('GATEHOUSE_') && key !== 'NODE_OPTIONS' && key !== 'XDG_CONFIG_HOME') env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts the CLI; its output is collected as it arrives (for commands that wait, like `login`). */
export function spawnCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; result: Promise<CliRun>; output: () => CliRun } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env });
  const run: CliRun = { code: null, stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    run.stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    run.stderr += chunk;
  });
  const result = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      run.code = code;
      resolve(run);
    });
  });
  return { child, result, output: () => run };
}

/** Runs the CLI to the end with `input` on standard input. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliRun> {
  const { child, result } = spawnCli(args, env);
  child.stdin?.end(input);
  return result;
}

/**
 * Starts `gatehouse serve` with `args` and resolves with its URL once it says it is listening (the
 * server's stderr is read for that line, then ignored); rejects if it exits first or takes 30 s.
 */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${err}`)), 30_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(err);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before listening: ${err}`));
    });
  });
  return { child, url };
}
