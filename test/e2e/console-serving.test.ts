/**
 * How the server serves the web console, over plain HTTP: the page with a strict
 * Content-Security-Policy and a fresh nonce per response, no inline script; hashed assets cached
 * immutable and sent pre-compressed; the page for any path under /console/ but a 404 for a missing
 * asset; GET / for browsers and for programs; and a clear 503 when the console was never built.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { expectErrorEnvelope } from '../support/fixtures.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
const HTML = { accept: 'text/html,application/xhtml+xml' };

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});

afterAll(async () => {
  await server?.close();
});

/** The CSP directives of a response, by name. */
function directives(header: string | null): Map<string, string> {
  return new Map(
    (header ?? '')
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, ...values] = part.split(/\s+/);
        return [name as string, values.join(' ')];
      }),
  );
}

/** The scripts and style sheets a page loads. */
function assetsOf(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
}

describe('the console page', () => {
  it('is served at /console/ with a strict CSP: scripts from this server only, styles only with this response’s nonce', async () => {
    const res = await api('GET', '/console/', { headers: HTML });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = directives(res.headers.get('content-security-policy'));
    expect(csp.get('default-src')).toBe("'none'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('connect-src')).toBe("'self'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.get('base-uri')).toBe("'none'");
    const nonce = /^'self' 'nonce-([A-Za-z0-9_-]{24})'$/.exec(csp.get('style-src') ?? '')?.[1];
    expect(nonce).toBeDefined();
    // The page hands the nonce over in a meta tag; nothing is left of the build's placeholder.
    expect(res.text).toContain(`<meta property="csp-nonce" nonce="${nonce}">`);
    expect(res.text).not.toContain('GATEHOUSE_CSP_NONCE');
    // No inline script at all: every <script> has a src on this server.
    const scripts = [...res.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/console\/assets\/[^"]+\.js"/);
      expect(body).toBe('');
    }
  });

  it('gets a new nonce on every response', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await api('GET', '/console/projects', { headers: HTML });
      nonces.add(directives(res.headers.get('content-security-policy')).get('style-src') ?? '');
    }
    expect(nonces.size).toBe(3);
  });

  it('is the same page for /console and for any path under /console/, which the app routes', async () => {
    const page = (await api('GET', '/console/', { headers: HTML })).text;
    const strip = (html: string) => html.replace(/nonce="[^"]*"/g, '');
    for (const path of ['/console', '/console/projects/p1/api/tokens', '/console/no/such/page?x=1']) {
      const res = await api('GET', path, { headers: HTML });
      expect(res.status, path).toBe(200);
      expect(strip(res.text), path).toBe(strip(page));
    }
  });
});

describe('the console’s assets', () => {
  it('are cached immutable for a year and sent compressed to browsers that accept it', async () => {
    const page = (await api('GET', '/console/', { headers: HTML })).text;
    const assets = assetsOf(page);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const plain = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.status, asset).toBe(200);
      expect(plain.headers.get('cache-control'), asset).toBe('public, max-age=31536000, immutable');
      expect(plain.headers.get('content-type'), asset).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
      const plainBytes = (await plain.arrayBuffer()).byteLength;
      for (const encoding of ['br', 'gzip']) {
        const compressed = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': encoding } });
        expect(compressed.headers.get('content-encoding'), `${asset} ${encoding}`).toBe(encoding);
        expect(Number(compressed.headers.get('content-length')), `${asset} ${encoding}`).toBeLessThan(plainBytes);
        expect(compressed.headers.get('vary'), asset).toMatch(/accept-encoding/i);
        await compressed.arrayBuffer();
      }
    }
  });

  it('a missing asset is a 404 envelope, never the page', async () => {
    const res = await api('GET', '/console/assets/index-00000000.js', { headers: HTML });
    expectErrorEnvelope(res, 404, 'route_not_found');
    const traversal = await api('GET', '/console/assets/..%2f..%2fpackage.json');
    expect(traversal.status).toBeGreaterThanOrEqual(400);
    expect(traversal.text).not.toContain('"devDependencies"');
  });
});

describe('GET /', () => {
  it('sends a browser to the console', async () => {
    const res = await api('GET', '/', { headers: HTML });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/console/');
  });

  it('tells a program where the console, the API reference and the OpenAPI document are', async () => {
    const res = await api('GET', '/', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name: 'Gatehouse',
      console: '/console/',
      docs: '/docs',
      openapi: '/openapi.json',
      health: '/health',
    });
    for (const path of [res.body.docs, res.body.openapi, res.body.health]) {
      expect((await api('GET', path)).status, path).toBeLessThan(400);
    }
  });
});

describe('a server whose console was not built', () => {
  it('answers console pages with 503 console_not_built and serves the API as usual', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gatehouse-no-console-'));
    const app = await buildApp({ services: server.running.services, publicUrl: null, consoleDir: empty });
    try {
      const page = await app.inject({ method: 'GET', url: '/console/projects', headers: HTML });
      expect(page.statusCode).toBe(503);
      const body = page.json();
      expect(body.reason.code).toBe('console_not_built');
      expect(body.reason.hint).toContain('npm run build');
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/', headers: HTML })).headers.location).toBe('/console/');
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
