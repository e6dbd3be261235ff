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

const EXTERNAL = ['better-sqlite3', '@node-rs/argon2', 'pg', 'pg-native', 'nodemailer', 'openid-client', 'prom-client'];

/** `__dirname` in @fastify/swagger-ui's routes: its installed `lib/` folder, found at run time. */
const swaggerUiStaticFolder = {
  name: 'swagger-ui-static-folder',
  setup(esbuild) {
    esbuild.onLoad({ filter: /@fastify[\\/]swagger-ui[\\/]lib[\\/]routes\.js$/ }, ({ path }) => ({
      contents: readFileSync(path, 'utf8').replaceAll(
        '__dirname',
        "require('node:path').join(require('node:path').dirname(require.resolve('@fastify/swagger-ui/package.json')), 'lib')",
      ),
      loader: 'js',
    }));
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
  plugins: [swaggerUiStaticFolder],
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
