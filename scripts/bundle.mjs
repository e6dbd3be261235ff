#!/usr/bin/env node
/**
 * Bundles the compiled CLI and server (`dist/cli/main.js` and everything it imports) into one file,
 * `dist/gatehouse.js`, which `bin/gatehouse.js` starts. Node loads one module instead of about a
 * thousand, which is most of a cold start (docs/benchmarks.md, "Cold start").
 *
 * Left out of the bundle, and loaded from node_modules as usual:
 * - native addons (better-sqlite3, @node-rs/argon2) and the optional pg-native;
 * - packages the code already loads only on first use (pg, nodemailer, openid-client, prom-client),
 *   so that a node that never needs them never reads them.
 *
 * Modules the code imports on first use (the server for `gatehouse serve`, metrics) become chunks
 * of their own (`dist/gatehouse-*.js`), so an API-client command never parses the server and a
 * node without metrics never loads prom-client. @fastify/swagger-ui serves its static assets from
 * its own folder: the one `__dirname` it reads is pointed at the installed package.
 *
 * The output stays one level below the package root, as src/paths.ts requires.
 * Usage: node scripts/bundle.mjs (run by `npm run build`, after `tsc`).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const EXTERNAL = [
  'better-sqlite3',
  '@node-rs/argon2',
  'pg',
  'pg-native',
  'nodemailer',
  'openid-client',
  'prom-client',
  // Fastify requires these only when it is asked to: its default schema compilers (Gatehouse sets
  // its own, http/app.ts) and `inject`. Bundled, they were a fifth of the code every start parsed.
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'light-my-request',
  // Required at the top of modules that need them only on rare paths: made lazy below.
  'glob',
  'yaml',
];

/**
 * Edits to dependencies' sources as they are bundled, each a `from` that must be there and its `to`:
 * - (`lazy`) `require` calls at the top of a module turned into calls on first use, for modules
 *   that are external above: @fastify/static needs glob only with `wildcard: false` (never set
 *   here), and @fastify/swagger and @fastify/swagger-ui need yaml only to serve the document as YAML;
 * - `__dirname` in @fastify/swagger-ui's routes, where it serves its static assets from: its
 *   installed `lib/` folder, found at run time.
 */
const EDITS = [
  {
    file: /@fastify[\\/]static[\\/]index\.js$/,
    lazy: 'glob',
    from: "const { glob } = require('glob')",
    to: "const glob = (...args) => require('glob').glob(...args)",
  },
  {
    file: /@fastify[\\/]swagger(-ui)?[\\/]lib[\\/].*\.js$/,
    lazy: 'yaml',
    from: "const yaml = require('yaml')",
    to: "const yaml = { parse: (...args) => require('yaml').parse(...args), stringify: (...args) => require('yaml').stringify(...args) }",
  },
  {
    file: /@fastify[\\/]swagger-ui[\\/]lib[\\/]routes\.js$/,
    from: '__dirname',
    to: "require('node:path').join(require('node:path').dirname(require.resolve('@fastify/swagger-ui/package.json')), 'lib')",
  },
];

/**
 * Applies every edit whose file matches. A lazy-require edit is skipped where the file does not
 * require its module at all; a file that requires it in another form, or misses any other edit,
 * fails the build (a dependency changed: update the edits above).
 */
const editDependencies = {
  name: 'edit-dependencies',
  setup(esbuild) {
    const files = new RegExp(EDITS.map((edit) => edit.file.source).join('|'));
    esbuild.onLoad({ filter: files }, ({ path }) => {
      let source = readFileSync(path, 'utf8');
      for (const { file, lazy, from, to } of EDITS) {
        if (!file.test(path) || (lazy && !source.includes(`require('${lazy}')`))) continue;
        if (!source.includes(from)) {
          throw new Error(`${path}: expected \`${from}\` (a dependency changed; update scripts/bundle.mjs)`);
        }
        source = source.replaceAll(from, to);
      }
      return { contents: source, loader: 'js' };
    });
  },
};

// Chunks of an earlier build would otherwise pile up.
for (const file of readdirSync('dist')) if (/^gatehouse[-.].*js(\.map)?$/.test(file)) rmSync(`dist/${file}`);

await build({
  entryPoints: { gatehouse: 'dist/cli/main.js' },
  outdir: 'dist',
  chunkNames: 'gatehouse-[hash]',
  splitting: true,
  bundle: true,
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [editDependencies],
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  sourcemap: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies call require(): give the ES module one.
  banner: {
    js: "import { createRequire as gatehouseCreateRequire } from 'node:module';\nconst require = gatehouseCreateRequire(import.meta.url);",
  },
});
