/**
 * V8's compile cache for the server's code: on Node ≥ 22.1 (`module.enableCompileCache`), the
 * bytecode of the modules `gatehouse serve` loads is written to `<data dir>/compile-cache` when the
 * server stops, and read back at the next start instead of compiling about 2 MB of JavaScript again
 * (docs/benchmarks.md, "Cold start"). Node checks each entry against the module's source and
 * version, so an upgrade or a rebuild only costs one uncached start.
 *
 * The cache lives in the data directory, which only the server's user may read or write: bytecode
 * that someone else could write would be code they could run as that user. No data directory yet
 * (a PostgreSQL node given its secret in the environment): no cache. Node 20 has no such API: it
 * compiles every time. `NODE_DISABLE_COMPILE_CACHE=1` turns the cache off, as for any Node program.
 */
import { existsSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';

type EnableCompileCache = (directory: string) => { status: number; message?: string; directory?: string };

/** Turns the cache on for the modules loaded from now on; the directory it uses, or null. */
export function enableCompileCache(dataDir: string): string | null {
  const enable = (module as unknown as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (typeof enable !== 'function' || !existsSync(dataDir)) return null;
  try {
    return enable(join(dataDir, 'compile-cache')).directory ?? null;
  } catch {
    // A cache that cannot be written (a read-only data directory) only means compiling as usual.
    return null;
  }
}
