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
 * `require` calls at the top of a dependency turned into calls on first use, for modules that are
 * external above: @fastify/static needs glob only with `wildcard: false` (never set here), and
 * @fastify/swagger needs yaml only to serve the document as YAML.
 */
const LAZY_REQUIRES = [
  {
    file: /@fastify[\\/]static[\\/]index\.js$/,
    module: 'glob',
    from: "const { glob } = require('glob')",
    to: "const glob = (...args) => require('glob').glob(...args)",
  },
  {
    file: /@fastify[\\/]swagger[\\/]lib[\\/].*\.js$/,
    module: 'yaml',
    from: "const yaml = require('yaml')",
    to: "const yaml = { parse: (...args) => require('yaml').parse(...args), stringify: (...args) => require('yaml').stringify(...args) }",
  },
];

const lazyRequires = {
  name: 'lazy-requires',
  setup(esbuild) {
    for (const { file, module, from, to } of LAZY_REQUIRES) {
      esbuild.onLoad({ filter: file }, ({ path }) => {
        const source = readFileSync(path, 'utf8');
        // A file that does not require the module is left alone; one that does, in another form, fails the build.
        if (!source.includes(`require('${module}')`)) return undefined;
        if (!source.includes(from))
          throw new Error(`${path}: expected \`${from}\` (a dependency changed; update scripts/bundle.mjs)`);
        return { contents: source.replace(from, to), loader: 'js' };
      });
    }
  },
};

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
  plugins: [swaggerUiStaticFolder, lazyRequires],
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
