/**
 * Files the server reads from its own package (the built console, the common-password list, the
 * manifest), found from the package's root. This module sits one level below the root in every
 * form the code runs in (`src/paths.ts` under tsx and the tests, `dist/paths.js` after `tsc`, and
 * `dist/gatehouse.js`, the single-file build `bin/gatehouse.js` starts), so `../` is the root in all
 * three. Anything that bundles this module must keep its output one level below the root too
 * (scripts/bundle.mjs).
 */
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../', import.meta.url);

/** The absolute path of `relative` (forward slashes) inside the package. */
export function packagePath(relative: string): string {
  return fileURLToPath(new URL(relative, ROOT));
}
