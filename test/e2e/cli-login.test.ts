/**
 * `gatehouse login` through the browser, end to end: the built CLI in a child process with its own
 * empty config directory, its loopback callback, the server's e-mail and password form driven in a
 * real headless Chromium, and the token the CLI saves used by later commands. Then a second login
 * (which logs the first token out), `auth tokens` (list and revoke), `logout`, and robots.
 *
 * Runs on both databases. Under CI a missing Chromium fails the run (test/support/browser.ts);
 * elsewhere the browser steps are reported as skipped without it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchBrowser } from '../support/browser.js';
import { type CliRun, cleanEnv, ROOT, runCli, spawnCli } from '../support/cli.js';
import { approveSsoDomain, createOrganization, createProject, createRobot, V } from '../support/fixtures.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { type Api, apiClient, startTestServer, type TestServer } from '../support/server.js';

type Run = CliRun;

let server: TestServer;
let api: Api;
let browser: Browser | undefined;
let home: string;
let configHome: string;

const EMAIL = 'lou.login@example.com';
const PASSWORD = 'violet-otter-sings-at-dawn';

/** The environment of a user's shell: no GATEHOUSE_* leaking in from the test runner. */
function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return cleanEnv({ HOME: home, XDG_CONFIG_HOME: configHome, GATEHOUSE_API_HOST: server.url, NO_COLOR: '1', ...extra });
}

function gatehouse(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<Run> {
  return runCli(args, baseEnv(options.env ?? {}), options.input ?? '');
}

/** Starts `gatehouse login …` and waits for the login URL it prints. */
async function startLogin(args: string[], env: Record<string, string | undefined> = {}) {
  const cli = spawnCli(['login', ...args], baseEnv(env));
  cli.child.stdin?.end();
  const url = await new Promise<URL>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no login URL printed:\n${JSON.stringify(cli.output())}`)), 20_000);
    const check = () => {
      // Without --json the URL is on stdout; with --json on stderr (stdout holds only the answer).
      const match = /^ {2}(http\S+)$/m.exec(cli.output().stdout + cli.output().stderr);
      if (match?.[1]) {
        clearTimeout(deadline);
        resolve(new URL(match[1]));
      } else if (cli.output().code !== null) {
        clearTimeout(deadline);
        reject(new Error(`login exited before printing a URL:\n${JSON.stringify(cli.output())}`));
      } else setTimeout(check, 50);
    };
    check();
  });
  return { ...cli, url };
}

/** The e-mail and password form in Chromium; resolves with the page the CLI's callback shows. */
async function submitPasswordForm(url: URL, email: string, password: string): Promise<{ status: string; pageUrl: string }> {
  if (!browser) throw new Error('no browser');
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(url.toString(), { waitUntil: 'load' });
    await page.locator('input[name="email"]').fill(email);
    await page.locator('input[name="password"]').fill(password);
    await Promise.all([
      page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/, { timeout: 20_000 }),
      page.locator('form button[type="submit"], form input[type="submit"]').first().click(),
    ]);
    await page.locator('#status').waitFor({ timeout: 20_000 });
    return { status: ((await page.locator('#status').textContent()) ?? '').trim(), pageUrl: page.url() };
  } catch (error) {
    await page.screenshot({ path: '/tmp/gatehouse-cli-login-failure.png', fullPage: true }).catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
}

function savedConfig(dir = configHome): { authToken?: string; authType?: string } {
  return JSON.parse(readFileSync(join(dir, 'gatehouse', 'config.json'), 'utf8'));
}

async function status(token: string): Promise<number> {
  return (await api('GET', `${V}/users/me`, { token })).status;
}

/** Fails with a clear message instead of testing yesterday's build. */
function assertBuilt(): void {
  const src = join(ROOT, 'src');
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const built = join(ROOT, 'dist', relative(src, path)).replace(/\.ts$/, '.js');
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
  walk(join(src, 'cli'));
  if (stale.length > 0) throw new Error(`dist/ is older than ${stale.join(', ')}: run \`npm run build\` first`);
}

let userId: string;
let adminToken: string;

beforeAll(async () => {
  assertBuilt();
  server = await startTestServer();
  api = apiClient(server.url);
  home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-login-'));
  configHome = join(home, 'xdg');
  if (haveChromium) browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

// Every step spawns node, and a login also drives Chromium: generous timeouts for a busy machine.
describe.skipIf(!haveChromium)('gatehouse login through the browser', { timeout: 90_000 }, () => {
  let firstToken: string;
  let secondToken: string;

  beforeAll(async () => {
    // An account as an operator creates it, which then sets its own password.
    const user = await server.createUser(EMAIL, 'Lou Login');
    userId = user.userId;
    adminToken = user.token;
    const set = await api('PUT', `${V}/users/me/password`, { token: adminToken, body: { newPassword: PASSWORD } });
    expect(set.status, set.text).toBeLessThan(300);
  });

  it('prints the provider URL with a loopback callback, and saves the token once the password form is sent', async () => {
    const login = await startLogin(['--no-open', '--provider', 'sanity']);
    try {
      expect(`${login.url.origin}${login.url.pathname}`).toBe(`${server.url}/v1/auth/login/sanity`);
      expect(login.url.searchParams.get('type')).toBe('token');
      expect(login.url.searchParams.get('label')).toBe(
        `${hostname()} / ${process.platform === 'linux' ? 'Linux' : process.platform}`,
      );
      const origin = new URL(login.url.searchParams.get('origin') ?? '');
      expect(origin.protocol).toBe('http:');
      expect(origin.hostname).toBe('127.0.0.1');
      expect(origin.pathname).toBe('/callback');
      expect(origin.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{32}$/);

      // Another page of the browser cannot end this login: without the state it is turned away.
      const stray = await fetch(`http://127.0.0.1:${origin.port}/callback?sid=${'a'.repeat(43)}`);
      expect(stray.status).toBe(400);
      expect((await fetch(`http://127.0.0.1:${origin.port}/favicon.ico`)).status).toBe(404);
      expect(login.output().code).toBeNull();

      const landed = await submitPasswordForm(login.url, EMAIL, PASSWORD);
      expect(landed.status).toBe('You are logged in');
      expect(landed.pageUrl).toMatch(/[?&]sid=/);

      const run = await login.result;
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Logged in to ${server.url} as Lou Login <${EMAIL}> (${userId}).`);
      expect(run.stdout).toMatch(/^Token saved to .*config\.json; it expires \d{4}-\d{2}-\d{2}/m);

      const config = savedConfig();
      expect(config.authType).toBe('normal');
      firstToken = config.authToken ?? '';
      expect(firstToken).toMatch(/^gth_user_/);
      expect(run.stdout).not.toContain(firstToken);
      expect(statSync(join(configHome, 'gatehouse', 'config.json')).mode & 0o777).toBe(0o600);
      expect(await status(firstToken)).toBe(200);
    } finally {
      login.child.kill();
    }
  });

  it('debug --secrets shows the token, the auth type "normal", its source and its expiry', async () => {
    const run = await gatehouse(['debug', '--secrets']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Auth token: +${firstToken}$`, 'm'));
    expect(run.stdout).toMatch(/^Auth type: +normal$/m);
    const source = run.stdout.split('\n').find((line) => line.startsWith('Token source:'));
    expect(source?.replace(/^Token source: +/, '')).toBe(join(configHome, 'gatehouse', 'config.json'));
    expect(run.stdout).toMatch(/^Token expires: +\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/m);
    expect(run.stdout).toMatch(new RegExp(`^ID: +${userId}$`, 'm'));

    const fromEnv = await gatehouse(['debug', '--json'], { env: { GATEHOUSE_AUTH_TOKEN: adminToken } });
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ authType: 'env', tokenSource: 'GATEHOUSE_AUTH_TOKEN' });
  });

  it('later commands use the saved token', async () => {
    const projectId = await createProject(api, firstToken, 'Logged in');
    const run = await gatehouse(['projects', 'list']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(projectId);
  });

  it('a second login logs the first token out', async () => {
    const login = await startLogin(['--no-open', '--provider', 'sanity', '--json'], { GATEHOUSE_CLI_CALLBACK_PORT: '0' });
    try {
      expect((await submitPasswordForm(login.url, EMAIL, PASSWORD)).status).toBe('You are logged in');
      const run = await login.result;
      expect(run.code).toBe(0);
      const answer = JSON.parse(run.stdout);
      expect(answer).toMatchObject({ user: { kind: 'user', id: userId }, provider: 'sanity', previousToken: 'logged-out' });
      expect(JSON.stringify(answer)).not.toContain('gth_');
      secondToken = savedConfig().authToken ?? '';
      expect(secondToken).not.toBe(firstToken);
      expect(await status(firstToken)).toBe(401);
      expect(await status(secondToken)).toBe(200);
    } finally {
      login.child.kill();
    }
  });

  it('auth tokens lists your personal tokens, marks the current one, and revokes one', async () => {
    const listed = await gatehouse(['auth', 'tokens', '--json']);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const tokens = JSON.parse(listed.stdout) as Array<{ id: string; label: string; current: boolean }>;
    const current = tokens.filter((t) => t.current);
    expect(current).toHaveLength(1);
    expect(current[0]?.label).toBe(`${hostname()} / ${process.platform === 'linux' ? 'Linux' : process.platform}`);
    expect(listed.stdout).not.toContain('gth_');

    // The operator-made token is another of the user's personal tokens: find it as its holder sees it.
    const asAdmin = JSON.parse(
      (await gatehouse(['auth', 'tokens', '--json'], { env: { GATEHOUSE_AUTH_TOKEN: adminToken } })).stdout,
    ) as Array<{
      id: string;
      current: boolean;
    }>;
    const adminTokenId = asAdmin.find((t) => t.current)?.id ?? '';
    expect(tokens.map((t) => t.id)).toContain(adminTokenId);

    const table = await gatehouse(['auth', 'tokens']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID +LABEL +SOURCE +CREATED +EXPIRES +LAST USED +CURRENT$/m);
    expect(table.stdout).toMatch(new RegExp(`^${current[0]?.id} .* yes$`, 'm'));

    const revoked = await gatehouse(['auth', 'tokens', 'revoke', adminTokenId]);
    expect(revoked.stderr).toBe('');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe(`Revoked token ${adminTokenId}.\n`);
    expect(await status(adminToken)).toBe(401);
    expect(await status(secondToken)).toBe(200);
  });

  it('logout revokes the saved token and removes it from the config file', async () => {
    const run = await gatehouse(['logout']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('the token no longer works');
    expect(await status(secondToken)).toBe(401);
    expect(savedConfig().authToken).toBeUndefined();

    const again = await gatehouse(['logout']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^No saved token in /);
  });

  it('never lets a token or password reach the server logs', () => {
    const logs = server.logs();
    for (const secret of [firstToken, secondToken, adminToken, PASSWORD]) expect(logs).not.toContain(secret);
  });
});

describe.skipIf(!haveChromium)('gatehouse login --sso <orgSlug>', { timeout: 90_000 }, () => {
  const SSO_DAYS = 3;
  const ACCOUNT = {
    login: 'sam',
    password: 'sam-password',
    claims: { email: 'sam@sso.example', email_verified: true, name: 'Sam Sso' },
  };
  let idp: TestOidcProvider;
  let providerId: string;
  let ssoHome: string;

  beforeAll(async () => {
    idp = await startOidcProvider({ accounts: [ACCOUNT] });
    ssoHome = join(home, 'sso-xdg');
    const owner = await server.createUser();
    const organizationId = await createOrganization(api, owner.token, 'SSO Org');
    await approveSsoDomain(server, organizationId, 'sso.example');
    const slug = await api('PATCH', `${V}/organizations/${organizationId}`, { token: owner.token, body: { slug: 'cli-sso' } });
    expect(slug.status, slug.text).toBe(200);
    const policies = await api('PATCH', `${V}/organizations/${organizationId}/policies`, {
      token: owner.token,
      body: { ssoTokenLifetimeDays: SSO_DAYS },
    });
    expect(policies.status, policies.text).toBe(200);
    // A disabled provider first: the CLI must leave it out and pick the one that works.
    const disabled = await api('POST', `${V}/organizations/${organizationId}/providers`, {
      token: owner.token,
      body: { type: 'oidc', title: 'Old SSO', disabled: true, config: { issuer: idp.issuer, clientId: 'old' } },
    });
    expect(disabled.status, disabled.text).toBe(201);
    const created = await api('POST', `${V}/organizations/${organizationId}/providers`, {
      token: owner.token,
      body: {
        type: 'oidc',
        title: 'SSO Org login',
        config: { issuer: idp.issuer, clientId: 'gatehouse-cli-sso', clientSecret: 'cli-sso-secret' },
      },
    });
    expect(created.status, created.text).toBe(201);
    providerId = created.body.id;
    idp.registerClient({
      clientId: 'gatehouse-cli-sso',
      clientSecret: 'cli-sso-secret',
      redirectUris: [created.body.callbackUrl],
    });
  });

  afterAll(async () => {
    await idp?.close();
  });

  it("logs in with the organization's enabled provider, and the token gets its SSO lifetime", async () => {
    const login = await startLogin(['--sso', 'cli-sso', '--no-open'], { XDG_CONFIG_HOME: ssoHome });
    try {
      expect(`${login.url.origin}${login.url.pathname}`).toBe(`${server.url}/v1/auth/login/${providerId}`);
      expect(login.output().stdout).toContain(`log in with SSO Org login (${providerId})`);
      if (!browser) throw new Error('no browser');
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(login.url.toString());
        await page.locator('#login').fill(ACCOUNT.login);
        await page.locator('#password').fill(ACCOUNT.password);
        await page.locator('#sign-in').click();
        await page.locator('#allow').click();
        await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/, { timeout: 20_000 });
        expect(((await page.locator('#status').textContent()) ?? '').trim()).toBe('You are logged in');
      } finally {
        await context.close();
      }
      const run = await login.result;
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('as Sam Sso <sam@sso.example>');
    } finally {
      login.child.kill();
    }

    const listed = await gatehouse(['auth', 'tokens', '--json'], { env: { XDG_CONFIG_HOME: ssoHome } });
    expect(listed.code).toBe(0);
    const [token] = JSON.parse(listed.stdout) as Array<{ source: string; expiresAt: string; current: boolean }>;
    expect(token).toMatchObject({ source: `oidc:${providerId}`, current: true });
    expect(Math.abs(Date.parse(token?.expiresAt ?? '') - (Date.now() + SSO_DAYS * 86_400_000))).toBeLessThan(120_000);
  });

  it('names an organization that does not exist', async () => {
    const run = await gatehouse(['login', '--sso', 'no-such-org', '--no-open']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ {2}status: 404/m);
  });
});

describe('gatehouse login without a browser', { timeout: 60_000 }, () => {
  it('gives up after --timeout with a clear message, and saves nothing', async () => {
    const own = join(home, 'timeout-xdg');
    const login = await startLogin(['--no-open', '--provider', 'sanity', '--timeout', '2s'], { XDG_CONFIG_HOME: own });
    const run = await login.result;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^gatehouse: no login arrived within 2 s$/m);
    expect(existsSync(join(own, 'gatehouse', 'config.json'))).toBe(false);
  });

  it('names the providers when --provider matches none', async () => {
    const run = await gatehouse(['login', '--provider', 'nope', '--no-open']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^gatehouse: no login provider "nope"/);
    expect(run.stderr).toMatch(/^ {2}providers: sanity/m);
  });

  it('refuses a bad --timeout and a bad callback port before sending anything', async () => {
    const bad = await gatehouse(['login', '--timeout', 'soon'], { env: { GATEHOUSE_API_HOST: 'http://127.0.0.1:9' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gatehouse: --timeout must be a duration/);
    const port = await gatehouse(['login'], {
      env: { GATEHOUSE_API_HOST: 'http://127.0.0.1:9', GATEHOUSE_CLI_CALLBACK_PORT: 'x' },
    });
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/^gatehouse: GATEHOUSE_CLI_CALLBACK_PORT must be a port number/);
  });

  it('logout with a robot token says the server refused and how to stop a robot token', async () => {
    const owner = await server.createUser();
    const projectId = await createProject(api, owner.token, 'Robots');
    const robot = await createRobot(api, owner.token, { type: 'project', id: projectId }, ['viewer']);
    const own = join(home, 'robot-xdg');
    const env = { XDG_CONFIG_HOME: own };
    const saved = await gatehouse(['login', '--with-token'], { env, input: robot.token });
    expect(saved.code, saved.stderr).toBe(0);

    const debug = await gatehouse(['debug', '--json'], { env });
    expect(JSON.parse(debug.stdout)).toMatchObject({ authType: 'token', user: { kind: 'robot' } });

    const run = await gatehouse(['logout'], { env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('The server refused to log out a robot token: it still works.');
    expect(run.stderr).toMatch(/robot tokens are not logged out: delete the robot .* or rotate its token/);
    expect(savedConfig(own).authToken).toBeUndefined();
    expect(await status(robot.token)).toBe(200);
  });
});
