/**
 * The access commands of the `gatehouse` CLI (roles, permissions, users roles, tokens rotate, orgs,
 * explain, check), run as users run them: the built binary in a child process against a real
 * server. Each test is one step of a session, so they run in order and share what earlier steps
 * created.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, runCli } from '../support/cli.js';
import { addMember } from '../support/fixtures.js';
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

/** A run that must succeed with nothing on stderr; its stdout parsed as JSON. */
// biome-ignore lint/suspicious/noExplicitAny: tests read CLI output freely.
async function json<T = any>(args: string[], env: Record<string, string | undefined>): Promise<T> {
  const run = await gatehouse([...args, '--json'], { env });
  expect(run.stderr, `${args.join(' ')}: ${run.stderr}`).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
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
  walk(join(ROOT, 'src', 'cli'));
  if (stale.length > 0) throw new Error(`dist/ is older than ${stale.join(', ')}: run \`npm run build\` first`);
}

beforeAll(async () => {
  assertBuilt();
  server = await startTestServer();
  home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-access-'));
  configHome = join(home, 'xdg');
});

afterAll(async () => {
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

// Every step spawns node; on a busy two-core machine a start can take a second or more.
describe('gatehouse CLI: access commands', { timeout: 60_000 }, () => {
  let admin: { userId: string; token: string };
  let other: { userId: string; token: string };
  let projectId: string;
  let viewerRobot: { id: string; token: string };
  let asAdmin: Record<string, string>;

  beforeAll(async () => {
    admin = await server.createUser('ada@example.com', 'Ada');
    other = await server.createUser('bob@example.com', 'Bob');
    asAdmin = { GATEHOUSE_AUTH_TOKEN: admin.token };
    const created = await api('/projects', admin.token, {
      method: 'POST',
      body: JSON.stringify({ displayName: 'Access CLI' }),
    });
    expect(created.status).toBe(201);
    projectId = ((await created.json()) as { id: string }).id;
    const robot = await api(`/access/project/${projectId}/robots`, admin.token, {
      method: 'POST',
      body: JSON.stringify({
        label: 'viewer robot',
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
      }),
    });
    expect(robot.status).toBe(201);
    viewerRobot = (await robot.json()) as { id: string; token: string };
  });

  it('lists the new commands in --help', async () => {
    const run = await gatehouse(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['orgs', 'permissions', 'check', 'explain']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  it('refuses neither or both of --project and --organization, and a bad --permission, before sending', async () => {
    const env = { ...asAdmin, GATEHOUSE_API_HOST: 'http://127.0.0.1:9' };
    const [neither, both, badPermission] = await Promise.all([
      gatehouse(['roles', 'list'], { env }),
      gatehouse(['permissions', 'list', '--project', 'p', '--organization', 'o'], { env }),
      gatehouse(['roles', 'create', '--project', 'p', '--name', 'x', '--permission', 'no-action'], { env }),
    ]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/^gatehouse: this command needs --project <id> or --organization <id>$/m);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    expect(badPermission.code).toBe(2);
    expect(badPermission.stderr).toMatch(/^gatehouse: --permission must be <name>:<action>/m);
  });

  it('permissions create, list and get a custom permission', async () => {
    const created = await json(
      [
        'permissions',
        'create',
        '--project',
        projectId,
        '--name',
        'articles',
        '--type',
        'sanity.document.filter',
        '--title',
        'Articles',
        '--description',
        'Every article',
        '--filter',
        '_type == "article"',
        '--dataset',
        'production',
      ],
      asAdmin,
    );
    expect(created).toMatchObject({
      name: 'articles',
      type: 'sanity.document.filter',
      title: 'Articles',
      isCustom: true,
      config: { filter: '_type == "article"', dataset: 'production' },
    });

    const [listed, table, shown] = await Promise.all([
      json(['permissions', 'list', '--project', projectId], asAdmin),
      gatehouse(['permissions', 'list', '--project', projectId], { env: asAdmin }),
      gatehouse(['permissions', 'get', 'articles', '--project', projectId], { env: asAdmin }),
    ]);
    const names = (listed as Array<{ name: string }>).map((p) => p.name);
    expect(names).toContain('articles');
    expect(names).toContain('sanity-project');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME +TYPE +ACTIONS +CUSTOM +TITLE$/m);
    expect(table.stdout).toMatch(/^articles +sanity\.document\.filter +.* yes +Articles$/m);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Custom: +yes$/m);
    expect(shown.stdout).toMatch(/^Config filter: +_type == "article"$/m);
    expect(shown.stdout).toMatch(/^Config dataset: +production$/m);
  });

  it('roles create, get, update and delete a custom role', async () => {
    const created = await gatehouse(
      [
        'roles',
        'create',
        '--project',
        projectId,
        '--name',
        'translator',
        '--title',
        'Translator',
        '--description',
        'Edits articles',
        '--users',
        '--no-robots',
        '--permission',
        'sanity-project:read',
        '--permission',
        'articles:read',
      ],
      { env: asAdmin },
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^Created role translator on project ${projectId}$`, 'm'));
    expect(created.stdout).toMatch(/^Robots: +no$/m);

    const role = await json(['roles', 'get', 'translator', '--project', projectId], asAdmin);
    expect(role).toMatchObject({
      name: 'translator',
      title: 'Translator',
      description: 'Edits articles',
      isCustom: true,
      appliesToUsers: true,
      appliesToRobots: false,
      resourceType: 'project',
      resourceId: projectId,
    });
    expect(role.permissions.map((p: { name: string; action: string }) => `${p.name}:${p.action}`).sort()).toEqual([
      'articles:read',
      'sanity-project:read',
    ]);

    // Only the title changes: the rest is read back and sent again.
    const renamed = await json(['roles', 'update', 'translator', '--project', projectId, '--title', 'Translators'], asAdmin);
    expect(renamed).toMatchObject({ title: 'Translators', description: 'Edits articles', appliesToRobots: false });
    expect(renamed.permissions).toHaveLength(2);

    // --file gives the whole body; flags still apply on top.
    const file = join(home, 'role.json');
    writeFileSync(
      file,
      JSON.stringify({
        title: 'From file',
        description: 'Whole body',
        appliesToUsers: true,
        appliesToRobots: false,
        permissions: [{ name: 'sanity-project', action: 'read' }],
      }),
    );
    const replaced = await gatehouse(['roles', 'update', 'translator', '--project', projectId, '--file', file, '--robots'], {
      env: asAdmin,
    });
    expect(replaced.stderr).toBe('');
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toMatch(/^Title: +From file$/m);
    expect(replaced.stdout).toMatch(/^Robots: +yes$/m);
    expect(replaced.stdout).toMatch(/^sanity-project +read +-$/m);
    expect(replaced.stdout).not.toMatch(/^articles /m);

    const listed = await gatehouse(['roles', 'list', '--project', projectId], { env: asAdmin });
    expect(listed.stdout).toMatch(/^translator +From file +yes +yes +yes\b/m);

    const deleted = await gatehouse(['roles', 'delete', 'translator', '--project', projectId], { env: asAdmin });
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`Deleted role translator from project ${projectId}\n`);
    const gone = await gatehouse(['roles', 'get', 'translator', '--project', projectId], { env: asAdmin });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^ {2}status: 404/m);
  });

  it('permissions delete removes the custom permission', async () => {
    const deleted = await json(['permissions', 'delete', 'articles', '--project', projectId], asAdmin);
    expect(deleted).toEqual({ deleted: 'articles' });
    const listed = await json(['permissions', 'list', '--project', projectId], asAdmin);
    expect((listed as Array<{ name: string }>).map((p) => p.name)).not.toContain('articles');
  });

  it('users roles add, remove and set change a member’s roles', async () => {
    await addMember(server, { type: 'project', id: projectId }, other.userId, ['viewer']);
    const rolesOf = (user: { memberships: Array<{ resourceType: string; resourceId: string; roleNames: string[] }> }) =>
      user.memberships
        .filter((m) => m.resourceType === 'project' && m.resourceId === projectId)
        .flatMap((m) => m.roleNames)
        .sort();

    const added = await gatehouse(['users', 'roles', 'add', other.userId, 'editor', '--project', projectId], {
      env: asAdmin,
    });
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(new RegExp(`^Granted role editor to user ${other.userId} on project ${projectId}$`, 'm'));
    expect(added.stdout).toMatch(/^Roles now: .*\beditor\b/m);
    expect(added.stdout).toMatch(/^Roles now: .*\bviewer\b/m);

    const removed = await json(['users', 'roles', 'remove', other.userId, 'viewer', '--project', projectId], asAdmin);
    expect(removed).toEqual({ userId: other.userId, removed: 'viewer' });

    const listed = await json(['users', 'list', '--project', projectId], asAdmin);
    const bob = (listed as Array<{ sanityUserId: string }>).find((u) => u.sanityUserId === other.userId);
    expect(bob && rolesOf(bob as never)).toEqual(['editor']);

    const set = await json(['users', 'roles', 'set', other.userId, 'contributor', 'viewer', '--project', projectId], asAdmin);
    expect(set.sanityUserId).toBe(other.userId);
    expect(rolesOf(set)).toEqual(['contributor', 'viewer']);

    const refused = await gatehouse(['users', 'roles', 'add', other.userId, 'no-such-role', '--project', projectId], {
      env: asAdmin,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^gatehouse: /);
    expect(refused.stderr).toMatch(/^ {2}status: 4\d\d/m);
    expect(refused.stderr).toMatch(/^ {2}reason: \S+$/m);
  });

  it('tokens rotate --grace prints the new token once; old and new both work', async () => {
    const robot = await api(`/access/project/${projectId}/robots`, admin.token, {
      method: 'POST',
      body: JSON.stringify({
        label: 'deployer',
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
      }),
    });
    const { id, token: oldToken } = (await robot.json()) as { id: string; token: string };

    const run = await gatehouse(['tokens', 'rotate', '--grace', '10m'], { env: { GATEHOUSE_AUTH_TOKEN: oldToken } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Rotated the token of robot ${id} "deployer"$`, 'm'));
    expect(run.stdout).toMatch(/^New token id: +\S+$/m);
    expect(run.stdout).toMatch(/^Old token: +keeps working until about \d{4}-\d\d-\d\d \d\d:\d\d UTC \(grace 10m\)$/m);
    expect(run.stdout).toContain('shown only now');
    expect(run.stdout).toContain('environment variable GATEHOUSE_AUTH_TOKEN; the CLI does not change it');
    const newToken = /^ {2}(\S+)$/m.exec(run.stdout)?.[1] ?? '';
    expect(newToken.length).toBeGreaterThan(40);
    expect(newToken).not.toBe(oldToken);

    for (const token of [oldToken, newToken]) {
      const me = await api('/access/robots/me', token);
      expect(me.status).toBe(200);
      expect(((await me.json()) as { id: string }).id).toBe(id);
    }

    // Without --grace the calling token stops at once.
    const again = await json(['tokens', 'rotate'], { GATEHOUSE_AUTH_TOKEN: newToken });
    expect(again).toMatchObject({ id, label: 'deployer', token: expect.any(String), tokenId: expect.any(String) });
    expect((await api('/access/robots/me', newToken)).status).toBe(401);
    expect((await api('/access/robots/me', again.token)).status).toBe(200);
  });

  it('tokens rotate never rewrites the saved token, and refuses more than 24h of grace locally', async () => {
    const saved = await gatehouse(['tokens', 'rotate', '--grace', '25h'], {
      env: { GATEHOUSE_AUTH_TOKEN: viewerRobot.token, GATEHOUSE_API_HOST: 'http://127.0.0.1:9' },
    });
    expect(saved.code).toBe(2);
    expect(saved.stderr).toMatch(/^gatehouse: --grace must be at most 24h/m);

    const robot = await api(`/access/project/${projectId}/robots`, admin.token, {
      method: 'POST',
      body: JSON.stringify({
        label: 'laptop',
        memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['viewer'] }],
      }),
    });
    const { token } = (await robot.json()) as { token: string };
    const ownConfig = join(home, 'rotate-xdg');
    const env = { XDG_CONFIG_HOME: ownConfig };
    const login = await gatehouse(['login', '--with-token'], { env, input: token });
    expect(login.code).toBe(0);
    const file = join(ownConfig, 'gatehouse', 'config.json');
    const before = readFileSync(file, 'utf8');

    const run = await gatehouse(['tokens', 'rotate', '--grace', '90'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`The old token comes from ${file}; the CLI does not change it.`);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('tokens rotate with a personal token surfaces the server’s refusal', async () => {
    const run = await gatehouse(['tokens', 'rotate'], { env: asAdmin });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^ {2}status: 403/m);
  });

  it('orgs create, list, get and policies (show and change)', async () => {
    const org = await json(['orgs', 'create', 'Acme', '--slug', 'acme-cli'], asAdmin);
    expect(org).toMatchObject({ name: 'Acme', slug: 'acme-cli' });

    const [listed, shown, roles] = await Promise.all([
      gatehouse(['orgs', 'list'], { env: asAdmin }),
      gatehouse(['orgs', 'get', org.id], { env: asAdmin }),
      gatehouse(['roles', 'list', '--organization', org.id], { env: asAdmin }),
    ]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${org.id} +Acme +acme-cli `, 'm'));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^ID: +${org.id}$`, 'm'));
    expect(shown.stdout).toMatch(/^Slug: +acme-cli$/m);
    expect(shown.stdout).toContain(admin.userId);
    expect(roles.code).toBe(0);
    expect(roles.stdout).toMatch(/^administrator\b/m);

    const before = await gatehouse(['orgs', 'policies', org.id], { env: asAdmin });
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(new RegExp(`^Organization: +${org.id}$`, 'm'));
    expect(before.stdout).toMatch(/^Robot token max lifetime: +\S+/m);
    expect(before.stdout).toMatch(/^Robots may manage members: +(yes|no)$/m);

    const changed = await json(
      ['orgs', 'policies', org.id, '--robot-token-max-lifetime-days', '30', '--robots-may-manage-members', 'true'],
      asAdmin,
    );
    expect(changed).toMatchObject({ organizationId: org.id, robotTokenMaxLifetimeDays: 30, robotsMayManageMembers: true });

    const unlimited = await gatehouse(['orgs', 'policies', org.id, '--robot-token-max-lifetime-days', 'none'], {
      env: asAdmin,
    });
    expect(unlimited.code).toBe(0);
    expect(unlimited.stdout).toMatch(/^Updated the policies of organization /m);
    expect(unlimited.stdout).toMatch(/^Robot token max lifetime: +none$/m);
    expect(unlimited.stdout).toMatch(/^Robots may manage members: +yes$/m);

    const bad = await gatehouse(['orgs', 'policies', org.id, '--robots-may-manage-members', 'maybe'], { env: asAdmin });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gatehouse: --robots-may-manage-members must be true or false/m);
  });

  it('explain: exit 0 and ALLOWED for an allowed call', async () => {
    const run = await gatehouse(['explain', 'GET', `/${API}/projects/${projectId}`], { env: asAdmin });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('ALLOWED');
    expect(run.stdout).toMatch(/^Accepts: +.*user/m);
    expect(run.stdout).toMatch(new RegExp(`^Caller: +user ${admin.userId}$`, 'm'));
    expect(run.stdout).toMatch(/^Roles: +.*administrator/m);
    expect(run.stdout).not.toMatch(/^fix:/m);
  });

  it('explain passes a path without the version prefix on as given', async () => {
    const run = await gatehouse(['explain', 'get', `/projects/${projectId}`, '--json'], { env: asAdmin });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      allowed: false,
      status: 404,
      route: null,
      reason: { code: 'route_not_found' },
      fix: expect.stringContaining('/v2025-01-09'),
    });
    const bad = await gatehouse(['explain', 'FETCH', '/x'], { env: asAdmin });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gatehouse: <method> must be one of GET, POST, PUT, PATCH, DELETE/m);
  });

  it('explain: exit 1, DENIED with the status, requirement and a fix for a denied call', async () => {
    const path = `/${API}/access/project/${projectId}/robots/${viewerRobot.id}`;
    const env = { GATEHOUSE_AUTH_TOKEN: viewerRobot.token };
    const [run, asJson] = await Promise.all([
      gatehouse(['explain', 'DELETE', path], { env }),
      gatehouse(['explain', 'DELETE', path, '--json'], { env }),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[0]).toMatch(/^DENIED \(403\): \S/);
    expect(run.stdout).toMatch(/^Permission: +sanity\.project\.tokens\.delete$/m);
    expect(run.stdout).toMatch(new RegExp(`^Caller: +robot ${viewerRobot.id}$`, 'm'));
    expect(run.stdout).toMatch(/^Roles: +viewer/m);
    expect(run.stdout).toMatch(/^fix: \S/m);

    expect(asJson.code).toBe(1);
    expect(asJson.stderr).toBe('');
    expect(JSON.parse(asJson.stdout)).toMatchObject({ allowed: false, status: 403, caller: { kind: 'robot' } });
  });

  it('check: exit 0 when every permission is held, 1 when one is missing', async () => {
    const [held, missing, asJson] = await Promise.all([
      gatehouse(['check', 'sanity.project.read', 'sanity.project.tokens.create', '--project', projectId], { env: asAdmin }),
      gatehouse(['check', 'sanity.project.read', 'sanity.project.tokens.create', '--project', projectId], {
        env: { GATEHOUSE_AUTH_TOKEN: viewerRobot.token },
      }),
      gatehouse(['check', 'sanity.project.read', 'sanity.project.tokens.create', '--project', projectId, '--json'], {
        env: { GATEHOUSE_AUTH_TOKEN: viewerRobot.token },
      }),
    ]);
    expect(held.stderr).toBe('');
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(/^PERMISSION +ALLOWED$/m);
    expect(held.stdout).toMatch(/^sanity\.project\.tokens\.create +yes$/m);

    expect(missing.stderr).toBe('');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^sanity\.project\.read +yes$/m);
    expect(missing.stdout).toMatch(/^sanity\.project\.tokens\.create +no$/m);

    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toEqual({
      data: { 'sanity.project.read': true, 'sanity.project.tokens.create': false },
    });
  });

  it('never let a token reach the server logs', () => {
    const logs = server.logs();
    expect(logs).not.toBe('');
    for (const token of [admin.token, other.token, viewerRobot.token]) expect(logs).not.toContain(token);
  });
});
