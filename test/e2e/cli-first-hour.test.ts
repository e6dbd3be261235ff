/**
 * The CLI's answers to the mistakes a newcomer makes in the first hour: each one says what is
 * wrong and what to type instead, in terms of the CLI (flags, commands), not of HTTP.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../support/cli.js';
import { createProject } from '../support/fixtures.js';
import { apiClient, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let home: string;
let owner: { userId: string; token: string };
let projectId: string;

function gatehouse(args: string[], extra: Record<string, string | undefined> = {}) {
  return runCli(
    args,
    cleanEnv({
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'xdg'),
      GATEHOUSE_API_HOST: server.url,
      GATEHOUSE_AUTH_TOKEN: owner.token,
      ...extra,
    }),
  );
}

beforeAll(async () => {
  server = await startTestServer();
  home = mkdtempSync(join(tmpdir(), 'gatehouse-first-hour-'));
  owner = await server.createUser('first-hour@example.com', 'Fay First');
  projectId = await createProject(apiClient(server.url), owner.token, 'First hour');
});

afterAll(async () => {
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('first-hour mistakes', { timeout: 60_000 }, () => {
  it('check with a misspelt permission: exit 2, "not a permission", the closest one suggested', async () => {
    const run = await gatehouse(['check', 'sanity.project.memebrs.read', '--project', projectId]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('"sanity.project.memebrs.read" is not a permission; did you mean sanity.project.members.read?');

    const roleSyntax = await gatehouse(['check', 'sanity-project-members:read', 'sanity.project.read', '--project', projectId]);
    expect(roleSyntax.code).toBe(2);
    expect(roleSyntax.stderr).toContain('did you mean sanity.project.members.read?');

    const wrongType = await gatehouse(['check', 'sanity.organization.update', '--project', projectId]);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toContain('a permission of organizations, not of projects: check it with --organization <id>');

    const fine = await gatehouse(['check', 'sanity.project.members.read', '--project', projectId]);
    expect(fine.code, fine.stderr).toBe(0);
  });

  it('roles get with a typo names the CLI command and the closest role, with no {placeholders}', async () => {
    const run = await gatehouse(['roles', 'get', 'viewr', '--project', projectId]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Role not found: viewr');
    expect(run.stderr).toContain(`hint: did you mean viewer? \`gatehouse roles list --project ${projectId}\``);
    expect(run.stderr).not.toMatch(/[{}]/);
  });

  it('--api-host mistakes are named precisely, before anything is sent', async () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1:3333', 'needs a scheme, got "127.0.0.1:3333"; write it as http://127.0.0.1:3333'],
      [`${server.url}/v2025-01-09`, `without an API version (/v2025-01-09), got "${server.url}/v2025-01-09"; use ${server.url} `],
      [`${server.url}/docs`, `without /docs, got "${server.url}/docs"; use ${server.url}`],
      ['postgres://gatehouse@db/gatehouse', 'that is a database URL'],
      ['ftp://example.com', 'must be an http:// or https:// address'],
      [`${server.url}/?x=1`, 'must not have a query or fragment'],
    ];
    for (const [value, message] of cases) {
      const run = await gatehouse(['projects', 'list', '--api-host', value]);
      expect(run.code, value).toBe(2);
      expect(run.stderr, value).toContain(message);
    }
    const fromEnv = await gatehouse(['projects', 'list'], { GATEHOUSE_API_HOST: 'localhost:3333' });
    expect(fromEnv.stderr).toContain('GATEHOUSE_API_HOST needs a scheme');
    // A path prefix (a proxy mount) is still an address.
    const mounted = await gatehouse(['projects', 'list', '--api-host', `${server.url}/gatehouse`]);
    expect(mounted.stderr).not.toContain('--api-host');
  });

  it('serve on a busy port names --port and GATEHOUSE_PORT', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const run = await gatehouse(['serve', '--port', String(port), '--data-dir', join(home, 'busy')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(run.stderr).toContain('--port <port> or GATEHOUSE_PORT=<port>');
    } finally {
      busy.close();
    }
  });

  it('serve on a database it cannot reach says so, and exits instead of listening', async () => {
    // A port that was free a moment ago: nothing answers there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const dbPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    // The app is built while the schema is checked (server.ts): a failed check must still end the process.
    const run = await gatehouse(
      [
        'serve',
        '--port',
        '0',
        '--data-dir',
        join(home, 'unreachable'),
        '--database-url',
        `postgres://gatehouse@127.0.0.1:${dbPort}/gatehouse`,
      ],
      // PostgreSQL needs the secret every node shares.
      { GATEHOUSE_SECRET: randomBytes(32).toString('base64') },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot start the server: cannot migrate the database:');
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).not.toContain('listening');
  });

  it('admin --help says none of its commands needs the server stopped; their flags are only the database ones', async () => {
    const admin = await gatehouse(['admin', '--help']);
    expect(admin.code).toBe(0);
    expect(admin.stdout).toContain('None of them\nneeds the server stopped');
    for (const command of ['create-user', 'revoke-tokens', 'disable-user', 'enable-user']) {
      const help = await gatehouse(['admin', command, '--help']);
      expect(help.stdout, command).toContain('--data-dir');
      expect(help.stdout, command).toContain('--database-url');
      for (const serverFlag of ['--port', '--host', '--public-url', '--log-level', '--trust-proxy']) {
        expect(help.stdout, `${command} ${serverFlag}`).not.toContain(serverFlag);
      }
    }
    const serve = await gatehouse(['serve', '--help']);
    expect(serve.stdout).toContain('--port');
  });

  it('audit list prints a "More:" command that continues the same listing, filters and all', async () => {
    for (let i = 0; i < 3; i++) {
      const robot = await gatehouse(['tokens', 'add', `robot ${i}`, '--project', projectId, '--role', 'viewer', '--json']);
      expect(robot.code, robot.stderr).toBe(0);
    }
    const first = await gatehouse(['audit', 'list', '--project', projectId, '--action', 'robot.create', '--limit', '2']);
    expect(first.code, first.stderr).toBe(0);
    const more = /^More: gatehouse (.+)$/m.exec(first.stdout)?.[1];
    expect(more).toMatch(new RegExp(`^audit list --project ${projectId} --action robot\\.create --limit 2 --cursor \\S+$`));
    const second = await gatehouse((more as string).split(' '));
    expect(second.code, second.stderr).toBe(0);
    const rows = second.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('robot.create');
    expect(second.stdout).not.toContain('More:');
  });

  it('cors add of an origin already allowed with the same settings succeeds and says nothing changed', async () => {
    const run = await gatehouse(['cors', 'add', 'http://localhost:3333', '--credentials', '--project', projectId]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`http://localhost:3333 was already allowed on project ${projectId}`);
    expect(run.stdout).toContain('nothing changed');
    const other = await gatehouse(['cors', 'add', 'http://localhost:3333', '--project', projectId]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('cors_origin_exists');
  });
});
