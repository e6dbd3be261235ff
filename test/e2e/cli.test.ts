/**
 * The `gatehouse` CLI, run as users run it: the built binary in a child process, against a real
 * server on this run's database, with its own empty config directory. Each test is one step of a
 * session, so they run in order and share what earlier steps created.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, runCli } from '../support/cli.js';
import { startTestServer } from '../support/server.js';

const API = 'v2025-01-09';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

let server: TestServer;
let home: string;
let configHome: string;

/** The environment of a user's shell: no GATEHOUSE_* leaking in from the test runner. */
function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return cleanEnv({ HOME: home, XDG_CONFIG_HOME: configHome, GATEHOUSE_API_HOST: server.url, NO_COLOR: '1', ...extra });
}

function gatehouse(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}) {
  return runCli(args, baseEnv(options.env ?? {}), options.input ?? '');
}

function api(path: string, token: string | undefined, init: RequestInit = {}) {
  return fetch(`${server.url}/${API}${path}`, {
    ...init,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
  });
}

/** Fails with a clear message instead of testing yesterday's build. */
function assertBuilt(): void {
  const src = join(ROOT, 'src', 'cli');
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const built = join(ROOT, 'dist', relative(join(ROOT, 'src'), path)).replace(/\.ts$/, '.js');
        let builtAt = 0;
        try {
          builtAt = statSync(built).mtimeMs;
        } catch {
          // missing: stale
        }
        if (builtAt < statSync(path).mtimeMs) stale.push(relative(ROOT, path));
      }
    }
  };
  walk(src);
  if (stale.length > 0) throw new Error(`dist/ is older than ${stale.join(', ')}: run \`npm run build\` first`);
}

beforeAll(async () => {
  assertBuilt();
  server = await startTestServer();
  home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-home-'));
  configHome = join(home, 'xdg');
});

afterAll(async () => {
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

// Every step spawns node; on a busy two-core CI machine a start can take a second or more.
describe('gatehouse CLI', { timeout: 60_000 }, () => {
  let userToken: string;
  let userId: string;
  let projectId: string;
  let robotId: string;
  let robotToken: string;

  it('lists every command in --help', async () => {
    const run = await gatehouse(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['serve', 'migrate', 'admin', 'projects', 'robots', 'users', 'roles', 'debug', 'login', 'logout']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    // The robots commands also answer to `tokens`, the name Sanity's CLI gives them.
    expect(run.stdout).toMatch(/^ {2}robots\|tokens add\|list\|/m);
  });

  it('refuses an invalid serve configuration with one line and exit code 2', async () => {
    const run = await gatehouse(['serve', '--port', 'abc', '--data-dir', join(home, 'unused')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^gatehouse: .*port.*"abc"/i);
  });

  it('creates the first user on the database with no server involved, and its token works', async () => {
    const run = await gatehouse(
      ['admin', 'create-user', '--email', 'Ada@Example.com', '--name', 'Ada', '--database-url', server.databaseUrl, '--json'],
      { env: { GATEHOUSE_SECRET: server.secret } },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout) as { userId: string; token: string };
    expect(Object.keys(created).sort()).toEqual(['token', 'userId']);
    userId = created.userId;
    userToken = created.token;

    const me = await api('/users/me', userToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      id: userId,
      email: 'ada@example.com',
      name: 'Ada',
    });
  });

  it('refuses a second user with the same email, naming the problem', async () => {
    const run = await gatehouse(['admin', 'create-user', '--email', 'ada@example.com', '--database-url', server.databaseUrl], {
      env: { GATEHOUSE_SECRET: server.secret },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^gatehouse: .*already exists/);
  });

  it('creates, lists and shows projects', async () => {
    const env = { GATEHOUSE_AUTH_TOKEN: userToken };
    const created = await gatehouse(['projects', 'create', 'Demo project', '--json'], { env });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const project = JSON.parse(created.stdout) as {
      id: string;
      displayName: string;
    };
    expect(project.displayName).toBe('Demo project');
    projectId = project.id;

    const listed = await gatehouse(['projects', 'list', '--json'], { env });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((p) => p.id)).toContain(projectId);

    const shown = await gatehouse(['projects', 'get', projectId], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^ID: +${projectId}$`, 'm'));
    expect(shown.stdout).toMatch(/^Name: +Demo project$/m);
    expect(shown.stdout).toContain(userId);
  });

  it('prints the server message and reason when a request fails', async () => {
    const run = await gatehouse(['projects', 'get', 'nonexistent'], {
      env: { GATEHOUSE_AUTH_TOKEN: userToken },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^gatehouse: .*nonexistent/);
    expect(run.stderr).toMatch(/^ {2}status: 404/m);
    expect(run.stderr).toMatch(/^ {2}reason: not_found$/m);
  });

  it('adds a robot token that is shown once and can list the project users', async () => {
    const run = await gatehouse(['tokens', 'add', 'CI reader', '--project', projectId, '--role', 'viewer', '--expires', '30d'], {
      env: { GATEHOUSE_AUTH_TOKEN: userToken },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("won't be shown again");
    robotId = /^Created robot (\S+)/m.exec(run.stdout)?.[1] ?? '';
    robotToken = /^ {2}(\S+)$/m.exec(run.stdout)?.[1] ?? '';
    expect(robotId).not.toBe('');
    expect(robotToken.length).toBeGreaterThan(40);

    const users = await api(`/access/projects/${projectId}/users`, robotToken);
    expect(users.status).toBe(200);
    const body = (await users.json()) as {
      data: Array<{ sanityUserId: string }>;
    };
    expect(body.data.map((u) => u.sanityUserId)).toContain(userId);
  });

  it('refuses a past or malformed --expires before sending anything', async () => {
    const past = await gatehouse(
      ['tokens', 'add', 'old', '--project', projectId, '--role', 'viewer', '--expires', '2020-01-01'],
      {
        env: {
          GATEHOUSE_AUTH_TOKEN: userToken,
          GATEHOUSE_API_HOST: 'http://127.0.0.1:9',
        },
      },
    );
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/^gatehouse: --expires must be in the future/);
  });

  it('lists tokens with their last four characters, never the secret', async () => {
    const run = await gatehouse(['tokens', 'list', '--project', projectId], {
      env: { GATEHOUSE_AUTH_TOKEN: userToken },
    });
    expect(run.code).toBe(0);
    const row = run.stdout.split('\n').find((line) => line.startsWith(robotId));
    expect(row).toBeDefined();
    expect(row).toContain('CI reader');
    expect(row).toContain('viewer');
    expect(row).toContain(`…${robotToken.slice(-4)}`);
    expect(run.stdout).not.toContain(robotToken);
    expect(run.stdout).not.toContain(robotToken.slice(0, 20));
  });

  it('follows nextCursor to list more than one page of tokens', async () => {
    const created = await api('/projects', userToken, {
      method: 'POST',
      body: JSON.stringify({ displayName: 'Many robots' }),
    });
    const { id } = (await created.json()) as { id: string };
    // One more than the CLI's page size, created ten at a time.
    for (let start = 0; start < 101; start += 10) {
      const batch = Array.from({ length: Math.min(10, 101 - start) }, (_, i) =>
        api(`/access/project/${id}/robots`, userToken, {
          method: 'POST',
          body: JSON.stringify({
            label: `robot ${start + i}`,
            memberships: [{ resourceType: 'project', resourceId: id, roleNames: ['viewer'] }],
          }),
        }),
      );
      expect((await Promise.all(batch)).map((r) => r.status)).toEqual(batch.map(() => 201));
    }
    const run = await gatehouse(['tokens', 'list', '--project', id, '--json'], {
      env: { GATEHOUSE_AUTH_TOKEN: userToken },
    });
    expect(run.code).toBe(0);
    const robots = JSON.parse(run.stdout) as Array<{
      id: string;
      token?: string;
    }>;
    expect(robots).toHaveLength(101);
    expect(new Set(robots.map((r) => r.id)).size).toBe(101);
    expect(robots.every((r) => r.token === undefined)).toBe(true);
  });

  it('lists project users and roles', async () => {
    const env = { GATEHOUSE_AUTH_TOKEN: userToken };
    const [users, roles] = await Promise.all([
      gatehouse(['users', 'list', '--project', projectId, '--json'], { env }),
      gatehouse(['roles', 'list', '--project', projectId], { env }),
    ]);
    expect(users.code).toBe(0);
    const list = JSON.parse(users.stdout) as Array<{
      sanityUserId: string;
      profile: { email: string };
      memberships: Array<{ roleNames: string[] }>;
    }>;
    const ada = list.find((u) => u.sanityUserId === userId);
    expect(ada?.profile.email).toBe('ada@example.com');
    expect(ada?.memberships.flatMap((m) => m.roleNames)).toContain('administrator');

    expect(roles.code).toBe(0);
    expect(roles.stdout).toMatch(/^NAME +TITLE +USERS +ROBOTS/m);
    for (const role of ['administrator', 'editor', 'developer', 'contributor', 'viewer']) {
      expect(roles.stdout).toMatch(new RegExp(`^${role}\\b`, 'm'));
    }
  });

  it('debug says who you are and redacts the token unless --secrets', async () => {
    const env = { GATEHOUSE_AUTH_TOKEN: robotToken };
    const [plain, secrets] = await Promise.all([gatehouse(['debug'], { env }), gatehouse(['debug', '--secrets'], { env })]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(server.url);
    expect(plain.stdout).toMatch(/^Token source: +environment variable GATEHOUSE_AUTH_TOKEN$/m);
    expect(plain.stdout).toMatch(/^Caller: +robot$/m);
    expect(plain.stdout).toMatch(/^Auth token: +<redacted>/m);
    expect(plain.stdout).not.toContain(robotToken);

    expect(secrets.code).toBe(0);
    expect(secrets.stdout).toMatch(new RegExp(`^Auth token: +${robotToken}$`, 'm'));
  });

  it('deleting a token makes it fail with 401 on the next request', async () => {
    const run = await gatehouse(['tokens', 'delete', robotId, '--project', projectId], {
      env: { GATEHOUSE_AUTH_TOKEN: userToken },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const users = await api(`/access/projects/${projectId}/users`, robotToken);
    expect(users.status).toBe(401);
  });

  it('prints the error body as JSON with --json', async () => {
    const run = await gatehouse(['projects', 'list', '--json'], {
      env: { GATEHOUSE_AUTH_TOKEN: robotToken },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(JSON.parse(run.stderr)).toMatchObject({
      statusCode: 401,
      error: 'Unauthorized',
    });
  });

  it('login --with-token refuses a token the server rejects and saves nothing', async () => {
    const bad = await gatehouse(['login', '--with-token'], { input: `${robotToken}\n` });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^gatehouse: Token is invalid or expired$/m);
    expect(() => statSync(join(configHome, 'gatehouse', 'config.json'))).toThrow();
  });

  it('login --with-token saves the token from stdin in a private config file', async () => {
    const run = await gatehouse(['login', '--with-token'], { input: `  ${userToken}\n` });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(userToken);
    expect(statSync(join(configHome, 'gatehouse', 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(configHome, 'gatehouse')).mode & 0o777).toBe(0o700);
  });

  it('later commands use the saved token with no token in the environment', async () => {
    const [listed, debug] = await Promise.all([gatehouse(['projects', 'list']), gatehouse(['debug', '--json'])]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(projectId);
    expect(JSON.parse(debug.stdout)).toMatchObject({
      tokenSource: join(configHome, 'gatehouse', 'config.json'),
      authType: 'token',
      token: `<redacted> (…${userToken.slice(-4)})`,
      user: { kind: 'user', id: userId },
    });
  });

  it('logout removes the saved token', async () => {
    const out = await gatehouse(['logout']);
    expect(out.code).toBe(0);
    const after = await gatehouse(['projects', 'list']);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^gatehouse: not logged in/);
  });

  it('never let a token reach the server logs', () => {
    const logs = server.logs();
    expect(logs).not.toBe('');
    for (const token of [userToken, robotToken]) expect(logs).not.toContain(token);
  });
});
