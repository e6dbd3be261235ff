/**
 * The request log cannot grow the server without limit (src/server.ts#boundedStdout). As found,
 * memory under load rose by hundreds of megabytes and stayed: pino's default destination buffers
 * every line in memory while stdout is slower than the server. Here a child process floods a log
 * whose reader does not read: the buffer stops at 16 MiB, the rest is dropped, and once the reader
 * catches up one line says how many were lost.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

const CHILD = `
const { createLogger } = await import(${JSON.stringify(join(ROOT, 'src', 'server.ts'))});
const log = createLogger('info');
const line = 'x'.repeat(1000);
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < 60000; i++) log.info({ i, line }, 'flood');
process.stderr.write(JSON.stringify({ grewMiB: (process.memoryUsage().heapUsed - before) / 1048576 }) + '\\n');
setTimeout(() => process.exit(0), 3000);
`;

describe('the log buffer', () => {
  it('60 MB of log lines into a stalled reader: at most 16 MiB kept, the rest dropped and reported', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // Nobody reads stdout until the child has written everything.
    child.stdout.pause();
    await new Promise<void>((resolve) => {
      const wait = () => (stderr.includes('grewMiB') ? resolve() : setTimeout(wait, 20));
      wait();
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stdout.resume();
    await new Promise((resolve) => child.on('exit', resolve));
    const { grewMiB } = JSON.parse(stderr.slice(stderr.indexOf('{')).split('\n')[0] as string);
    // Unbounded, the heap would have held the whole 60 MB of lines.
    expect(grewMiB).toBeLessThan(40);
    const dropped = /"msg":"(\d+) log lines were dropped: the log destination was slower than the server"/.exec(stdout);
    expect(dropped, stdout.slice(-500)).not.toBeNull();
    const kept = stdout.split('\n').filter((l) => l.includes('"msg":"flood"')).length;
    expect(kept + Number(dropped?.[1])).toBe(60000);
  }, 60_000);
});
