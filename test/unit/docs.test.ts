/**
 * The reference pages in docs/reference/ are generated from the route table, the built-in roles
 * and the permission catalog. This test renders them again in memory and compares them with the
 * committed files, so a route, role or permission cannot change without its documentation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayPath, generateDocs, readCommitted } from '../../scripts/gen-docs.js';
import { routes } from '../../src/http/routes/index.js';
import { builtInRoles } from '../../src/model/roles.js';
import { errorCodesIn } from '../support/error-codes.js';

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
  it('documents every reason.code the source can produce', () => {
    const files = (readdirSync('src', { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const codes = errorCodesIn(files.map((file) => readFileSync(join('src', file), 'utf8')));
    const page = readFileSync('docs/errors.md', 'utf8');
    expect(codes.size).toBeGreaterThan(30);
    // Codes passed as arguments are found too (services/auth.ts builds its 401s this way).
    expect(codes).toContain('token_rotated');
    expect([...codes].filter((code) => !page.includes(`\`${code}\``)).sort()).toEqual([]);
  });
});

describe('the error-code scanner', () => {
  it('finds codes in code: properties, plain, conditional and defaulted', () => {
    const source = `
      throw new Problem(404, 'x', { code: 'not_found', hint: 'y' });
      const p = { code: rotated ? 'token_rotated' : "token_revoked" };
      const q = { code: refusal?.code ?? 'principal_not_accepted', other: 'not_a_code' };
      interface R { code: string; hint: string }
      const r = { code: error.reason.code };
      const quote = /['"]/g; const half = total / 2;
      const s = { code: 'after_a_regexp' };
    `;
    expect([...errorCodesIn([source])].sort()).toEqual([
      'after_a_regexp',
      'not_found',
      'principal_not_accepted',
      'token_revoked',
      'token_rotated',
    ]);
  });

  it('finds codes passed to a function whose parameter at that position is named code', () => {
    const library = `
      export function sessionNotFound(code: string, detail: string): Problem { return new Problem(401, detail, { code }); }
      export async function later<T>(status: number, code?: string) {}
    `;
    const user = `
      const refuse = async (status: number, message: string, code: string, hint: string) => {};
      return sessionNotFound('token_revoked', \`revoked at \${when}, (really)\`);
      return sessionNotFound(
        expired ? 'token_expired' : 'token_unknown',
        'not_this_one',
      );
      await later(404, 'late_code');
      await refuse(403, 'a_message', 'sso_refused', 'a_hint');
      sessionNotFoundish('not_a_code', 'x');
      // sessionNotFound('commented_out', 'x')
      const html = \`<p>Error code: <code lang="en">x</code></p>\`;
    `;
    // Another file's local function of the same name means something else.
    const other = `const refuse = async (problem: Problem) => {}; refuse(tooMany('message', 'account'));`;
    const codes = errorCodesIn([library, user, other]);
    for (const code of ['token_revoked', 'token_expired', 'token_unknown', 'late_code', 'sso_refused']) {
      expect(codes, code).toContain(code);
    }
    for (const code of ['not_this_one', 'a_message', 'a_hint', 'not_a_code', 'commented_out', 'en', 'account']) {
      expect(codes, code).not.toContain(code);
    }
  });
});
