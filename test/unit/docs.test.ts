/**
 * The reference pages in docs/reference/ are generated from the route table, the built-in roles
 * and the permission catalog. This test renders them again in memory and compares them with the
 * committed files, so a route, role or permission cannot change without its documentation.
 */
import { describe, expect, it } from 'vitest';
import { displayPath, generateDocs, readCommitted } from '../../scripts/gen-docs.js';
import { routes } from '../../src/http/routes/index.js';
import { builtInRoles } from '../../src/model/roles.js';

const pages = generateDocs();

describe('generated reference docs', () => {
  for (const [path, expected] of Object.entries(pages)) {
    it(`${path} matches the code`, () => {
      const committed = readCommitted(path);
      expect(committed, `${path} is missing: run \`npm run docs\` and commit the result`).not.toBeNull();
      // Compared as text so the failure shows the lines that drifted.
      expect(committed, `${path} is out of date: run \`npm run docs\` and commit the result`).toBe(expected);
    });
  }

  it('the API reference documents every route in the table', () => {
    const api = pages['docs/reference/api.md'] ?? '';
    for (const route of routes) expect(api).toContain(`### ${route.method} ${displayPath(route)}\n`);
    expect(api).toContain('/openapi.json');
    expect(api).toContain('/docs');
  });

  it('the roles reference lists every built-in role', () => {
    const roles = pages['docs/reference/roles.md'] ?? '';
    for (const type of ['project', 'organization'] as const) {
      for (const role of builtInRoles(type)) expect(roles).toContain(`| \`${role.name}\` |`);
    }
  });
});

describe('the errors page', () => {
  it('documents every reason.code the source can produce', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const files = (readdirSync('src', { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const codes = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(join('src', file), 'utf8').matchAll(/\bcode: '([a-z_]+)'/g)) codes.add(match[1] as string);
    }
    const page = readFileSync('docs/errors.md', 'utf8');
    expect(codes.size).toBeGreaterThan(30);
    expect([...codes].filter((code) => !page.includes(`\`${code}\``)).sort()).toEqual([]);
  });
});
