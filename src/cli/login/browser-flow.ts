/**
 * `gatehouse login` through the browser, as Sanity's CLI does it:
 *
 *   1. `GET /auth/providers` (or an organization's SSO providers with --sso) → the provider's URL;
 *   2. listen on a loopback callback, `http://127.0.0.1:<port>/callback?state=<random>`;
 *   3. the browser opens `<provider url>?origin=<callback>&type=token&label=<host> / <platform>`;
 *   4. the server sends the browser back to the callback with a single-use `?sid=…`;
 *   5. `GET /auth/fetch?sid=…` → the personal token, saved with `authType: "normal"`;
 *   6. a previous personal token saved in the config file is logged out (`POST /auth/logout`).
 *
 * The `state` in the callback URL is known only to this process and the login it started, so no
 * other page the browser visits can hand the CLI a session of somebody else's choosing. The
 * token, the sid and the state are never printed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LoginProvider, OrganizationLoginProvider } from '../api-types.js';
import { type ClientOptions, connect } from '../client-options.js';
import { callerKind } from '../commands/debug.js';
import { configFilePath } from '../config-file.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_USAGE, usageError } from '../errors.js';
import type { ApiClient } from '../http.js';
import { formatTime, printJson, printLines } from '../output.js';
import { callbackPortFromEnv, listenForCallback, page } from './loopback-server.js';
import { describeCaller, noteEnvToken, retiredLines, retirePrevious, saveToken, whoAmI } from './saved-token.js';

/** The server forgets a started login after ten minutes; waiting longer than an hour helps nobody. */
const MAX_TIMEOUT_SECONDS = 60 * 60;

export interface BrowserLoginOptions extends ClientOptions {
  provider?: string;
  sso?: string;
  open: boolean;
  timeout: string;
}

/** A provider to log in with: one of `GET /auth/providers`, or an organization's SSO provider in that shape. */
export type Provider = LoginProvider;

/** `GET /auth/fetch` (its response schema is written inline in src/http/routes/auth.ts). */
interface Fetched {
  token?: string;
  label?: string;
  expiresAt?: string;
}

export async function browserLogin(ctx: CliContext, options: BrowserLoginOptions): Promise<void> {
  const timeoutSeconds = parseTimeout(options.timeout);
  const fixedPort = callbackPortFromEnv(ctx.env);
  if (options.provider !== undefined && options.provider.trim() === '') throw usageError('--provider must not be empty');
  if (options.sso !== undefined && !/^[a-z0-9][a-z0-9-]{0,63}$/i.test(options.sso)) {
    throw usageError(`--sso takes an organization's slug, such as acme, got "${options.sso}"`);
  }
  const { client } = connect(ctx, options, { requireToken: false });
  const provider = await chooseProvider(client, options);

  const state = randomBytes(24).toString('base64url');
  const callback = await listenForCallback(fixedPort, state);
  try {
    const origin = `http://127.0.0.1:${callback.port}/callback?state=${state}`;
    const loginUrl = providerUrl(provider, client.apiHost);
    loginUrl.searchParams.set('origin', origin);
    loginUrl.searchParams.set('type', 'token');
    loginUrl.searchParams.set('label', loginLabel());

    // With --json stdout holds only the final answer, so the instructions go to stderr.
    const say = options.json ? ctx.stderr : ctx.stdout;
    const title = provider.title ? `${provider.title} (${provider.name})` : provider.name;
    if (options.open) {
      const opened = openBrowser(loginUrl.toString());
      say(`${opened ? 'Opening your browser to log in with' : 'Open this URL in your browser to log in with'} ${title}:\n`);
      say(`\n  ${loginUrl.toString()}\n\n`);
      if (opened) say('If no browser opens, open the URL above yourself.\n');
    } else {
      say(`Open this URL in your browser to log in with ${title}:\n\n  ${loginUrl.toString()}\n\n`);
    }
    say(`Waiting for the browser to come back to http://127.0.0.1:${callback.port}/callback …\n`);

    const arrival = await callback.wait(timeoutSeconds * 1000);
    if (arrival === 'timeout') {
      throw new CliError(`no login arrived within ${formatSeconds(timeoutSeconds)}`, 1, [
        '  hint: run `gatehouse login` again and finish the login in the browser; --timeout gives you longer.',
      ]);
    }
    if ('error' in arrival) {
      arrival.answer(400, page('Login failed', arrival.error, false));
      throw new CliError(`the login did not finish: ${arrival.error}`, 1, ['  hint: run `gatehouse login` again.']);
    }

    let fetched: Fetched | undefined;
    try {
      fetched = await client.get<Fetched>('/auth/fetch', { query: { sid: arrival.sid }, token: undefined });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      arrival.answer(502, page('Login failed', `The server did not accept the login: ${reason}`, false));
      if (error instanceof CliError) {
        throw new CliError(`the server did not accept the login: ${error.message}`, 1, [
          ...error.details,
          '  hint: the sid works once, within two minutes: run `gatehouse login` again.',
        ]);
      }
      throw error;
    }
    const token = typeof fetched?.token === 'string' ? fetched.token.trim() : '';
    if (token === '' || /\s/.test(token)) {
      arrival.answer(502, page('Login failed', 'The server answered without a token.', false));
      throw new CliError('the server answered /auth/fetch without a token');
    }

    const path = configFilePath(ctx.env);
    let previous: string | undefined;
    try {
      previous = saveToken(path, token, 'normal');
    } catch (error) {
      arrival.answer(500, page('Login failed', 'The CLI could not save the token: see your terminal.', false));
      throw error;
    }
    arrival.answer(200, page('You are logged in', 'The Gatehouse CLI has your token. You can close this tab.', true));
    await callback.close();

    const [me, retired] = await Promise.all([whoAmI(client, token), retirePrevious(ctx, client, previous, token)]);
    noteEnvToken(ctx);
    const expiresAt = typeof fetched?.expiresAt === 'string' ? fetched.expiresAt : null;
    if (options.json) {
      return printJson(ctx, {
        user: me ? { kind: callerKind(me), ...me } : null,
        provider: provider.name,
        label: fetched?.label ?? null,
        expiresAt,
        configFile: path,
        previousToken: retired,
      });
    }
    printLines(ctx, [
      `Logged in to ${client.apiHost}${me?.id ? ` as ${describeCaller(me)}` : ''}.`,
      `Token saved to ${path}${expiresAt ? `; it expires ${formatTime(expiresAt)}` : ''}.`,
      ...retiredLines(retired),
    ]);
  } finally {
    await callback.close();
  }
}

/**
 * The provider to log in with: `--sso <slug>` → the organization's enabled providers; otherwise
 * the server's global providers. `--provider` picks one by name (or, under --sso, by id). Without
 * it, a single provider is used; several are listed and the user picks with --provider.
 */
export async function chooseProvider(client: ApiClient, options: { provider?: string; sso?: string }): Promise<Provider> {
  let providers: Provider[];
  let where: string;
  if (options.sso !== undefined) {
    const path = `/auth/organizations/by-slug/${encodeURIComponent(options.sso)}/providers`;
    const listed = await client.get<OrganizationLoginProvider[]>(path, { token: undefined });
    if (!Array.isArray(listed)) throw new CliError("the server's list of the organization's providers is not an array");
    providers = listed
      .filter((p) => !p.disabled && typeof p.loginUrl === 'string')
      // Named by id (what the login URL carries); --provider also matches the title.
      .map((p) => ({ name: p.id ?? p.name ?? '?', title: p.title ?? p.name ?? '', url: p.loginUrl }));
    where = `organization ${options.sso}`;
    if (providers.length === 0) {
      throw new CliError(`organization ${options.sso} has no enabled single sign-on provider`, 1, [
        '  hint: an organization administrator configures one; or log in without --sso.',
      ]);
    }
  } else {
    const listed = await client.get<{ providers: LoginProvider[] }>('/auth/providers', { token: undefined });
    if (!listed || !Array.isArray(listed.providers)) throw new CliError('the server\'s answer has no "providers" list');
    providers = listed.providers.filter((p) => typeof p.name === 'string' && typeof p.url === 'string');
    where = client.apiHost;
    if (providers.length === 0) throw new CliError(`${client.apiHost} offers no login provider`);
  }

  if (options.provider !== undefined) {
    const wanted = options.provider.trim();
    const found = providers.find((p) => p.name === wanted) ?? providers.find((p) => p.title === wanted);
    if (!found) {
      throw new CliError(`no login provider "${wanted}" on ${where}`, 1, [
        `  providers: ${providers.map((p) => p.name).join(', ')}`,
      ]);
    }
    return found;
  }
  const [only] = providers;
  if (providers.length === 1 && only) return only;
  throw new CliError(`${where} offers several login providers: choose one with --provider <name>`, EXIT_USAGE, [
    ...providers.map((p) => `  ${p.name}${p.title && p.title !== p.name ? `  (${p.title})` : ''}`),
  ]);
}

/** The provider's login URL (relative ones against the API host); only http(s). */
function providerUrl(provider: Provider, apiHost: string): URL {
  let url: URL;
  try {
    url = new URL(provider.url, `${apiHost}/`);
  } catch {
    throw new CliError(`the server gave provider ${provider.name} an invalid login URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`the server gave provider ${provider.name} a login URL that is not http(s)`);
  }
  return url;
}

/** `<hostname> / <platform>`, as Sanity's CLI labels its tokens: what `auth tokens` shows. */
export function loginLabel(): string {
  const platforms: Record<string, string> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows', freebsd: 'FreeBSD' };
  const host = (hostname() || 'unknown host').slice(0, 150);
  return `${host} / ${platforms[process.platform] ?? process.platform}`;
}

/** `--timeout`: seconds (`90`, `90s`), minutes (`10m`) or hours (`1h`), from 1 second to 1 hour. */
export function parseTimeout(value: string): number {
  const match = /^(\d{1,5})([smh]?)$/.exec(value.trim());
  if (!match) throw usageError(`--timeout must be a duration like 90s, 10m or 1h, got "${value}"`);
  const unit = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  const seconds = Number(match[1]) * unit;
  if (seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
    throw usageError(`--timeout must be between 1s and 1h, got "${value}"`);
  }
  return seconds;
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Starts the system's browser on the URL; false when there is none to start. Never waits for it. */
function openBrowser(url: string): boolean {
  const windows = process.platform === 'win32';
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : windows
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, windowsHide: true, windowsVerbatimArguments: windows });
    child.on('error', () => {
      // No browser opener: the URL is printed anyway.
    });
    child.unref();
    return true;
  } catch {
    return false;
  }
}
