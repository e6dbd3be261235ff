#!/usr/bin/env node
/**
 * Runs `npm run build` only when something it builds is out of date, so `npm start` starts at once
 * on a current `dist/` and still never runs yesterday's code.
 *
 * `npm run build` produces one or more targets. Each target below names the files it is built from
 * and the directory it writes; every compiler here rewrites all of its outputs on every build, so
 * the newest file in a target's output is the time of its last build. A target is stale when its
 * output is missing or empty, or when any of its inputs (or of the shared inputs: the package
 * manifest, the lockfile) is newer than that. Any stale target runs the whole `npm run build`.
 * A target whose inputs do not exist in this checkout is ignored.
 *
 * A new build step (say a bundler for a web console) joins by adding its target here.
 *
 * Usage: node scripts/build-if-stale.mjs [--check]   (--check: only report, exit 1 when stale)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Inputs of every target: a new dependency or build script may change any output. */
const SHARED_INPUTS = ['package.json', 'package-lock.json'];

const TARGETS = [
  {
    name: 'server and CLI (tsc)',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json'],
    output: 'dist',
    // Other targets' outputs nested inside this one are theirs to judge.
    exclude: ['dist/console'],
  },
  {
    name: 'web console',
    inputs: ['console'],
    output: 'dist/console',
    exclude: [],
  },
];

/** Never inputs: installed packages and build outputs that live among the sources. */
const IGNORED_DIRECTORIES = new Set(['node_modules', 'dist', '.vite', '.cache', 'coverage']);

/**
 * The newest modification time under `path` (a file or a directory), and the file that has it.
 * `skip` holds directory names not to enter (for inputs) and `excluded` whole paths.
 */
function newest(path, { skip = new Set(), excluded = new Set() } = {}) {
  let best = { time: -1, file: null };
  const visit = (current) => {
    if (excluded.has(current)) return;
    let stat;
    try {
      stat = statSync(current);
    } catch {
      return; // vanished or unreadable: not an input
    }
    if (stat.isDirectory()) {
      for (const entry of readdirSync(current)) if (!skip.has(entry)) visit(join(current, entry));
    } else if (stat.isFile() && stat.mtimeMs > best.time) {
      best = { time: stat.mtimeMs, file: current };
    }
  };
  visit(path);
  return best;
}

export function staleTargets() {
  const input = (path) => newest(join(ROOT, path), { skip: IGNORED_DIRECTORIES });
  const shared = SHARED_INPUTS.map(input);
  const stale = [];
  for (const target of TARGETS) {
    const own = target.inputs.filter((input) => existsSync(join(ROOT, input)));
    if (own.length === 0) continue;
    const output = newest(join(ROOT, target.output), { excluded: new Set(target.exclude.map((path) => join(ROOT, path))) });
    if (output.file === null) {
      stale.push({ target: target.name, reason: `${target.output}/ has not been built` });
      continue;
    }
    const latest = [...shared, ...own.map(input)].reduce((a, b) => (b.time > a.time ? b : a));
    if (latest.time > output.time) {
      stale.push({
        target: target.name,
        reason: `${relative(ROOT, latest.file).split(sep).join('/')} changed since the last build`,
      });
    }
  }
  return stale;
}

// Run as a script (not imported): compared by real path, so a symlinked checkout works too.
const isMain = process.argv[1] !== undefined && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1]);
if (isMain) {
  const stale = staleTargets();
  if (process.argv.includes('--check')) {
    for (const { target, reason } of stale) console.log(`stale: ${target}: ${reason}`);
    if (stale.length === 0) console.log('up to date');
    process.exitCode = stale.length === 0 ? 0 : 1;
  } else if (stale.length === 0) {
    console.error('dist/ is up to date: not rebuilding (`npm run build` forces a build)');
  } else {
    const { target, reason } = stale[0];
    console.error(`building: ${target}: ${reason}`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = spawnSync(npm, ['run', 'build', '--silent'], {
      cwd: ROOT,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    process.exitCode = result.status ?? 1;
  }
}
