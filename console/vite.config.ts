/**
 * Builds the web console into `dist/console/`, which the server serves at `/console/`
 * (src/http/console.ts). `npm run build:console` runs it; `npm run build` (and so `npm ci`,
 * `npm start` and `npm test`) includes it.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/console/', import.meta.url));

/** Must match NONCE_PLACEHOLDER in src/http/console.ts: the server puts each response's nonce there. */
const NONCE_PLACEHOLDER = 'GATEHOUSE_CSP_NONCE';

/**
 * React, the router and TanStack Query in chunks of their own: they change less often than the
 * console, so browsers keep them cached across releases. The UI kit is left to the bundler, which
 * keeps the parts only some pages use (select menus, dialogs) out of the first page.
 */
function vendorChunk(id: string): string | undefined {
  const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(id)?.[1];
  if (!name) return undefined;
  if (['react', 'react-dom', 'scheduler'].includes(name)) return 'react';
  if (['react-router', 'cookie', 'set-cookie-parser'].includes(name)) return 'router';
  if (name.startsWith('@tanstack/')) return 'query';
  return undefined;
}

/**
 * Writes `.br` and `.gz` next to every script and style sheet, so the server sends them
 * compressed without compressing on each request (`@fastify/static`'s `preCompressed`).
 */
function precompress(): Plugin {
  return {
    name: 'gatehouse-precompress',
    apply: 'build',
    closeBundle() {
      const assets = join(outDir, 'assets');
      for (const name of readdirSync(assets)) {
        if (!/\.(js|css|svg|json)$/.test(name)) continue;
        const file = join(assets, name);
        if (statSync(file).size < 1024) continue;
        const bytes = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

export default defineConfig({
  root,
  base: '/console/',
  plugins: [react(), precompress()],
  html: { cspNonce: NONCE_PLACEHOLDER },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    // Vite's preload polyfill is for browsers without <link rel="modulepreload">; the console's don't need it.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rollupOptions: { output: { manualChunks: vendorChunk } },
  },
});
