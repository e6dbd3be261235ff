/**
 * `gatehouse login` and `gatehouse logout`: get a personal token through the browser (or save one
 * read from stdin with --with-token), keep it in the CLI's config file, and revoke it again.
 *
 * Browser login, as Sanity's CLI does it:
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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import { configFilePath, readConfigFile, TOKEN_ENV, writeConfigFile } from '../config-file.js';
import type { CliContext } from '../context.js';
import { ApiError, CliError, EXIT_USAGE, usageError } from '../errors.js';
import type { ApiClient } from '../http.js';
import { formatTime, printJson, printLines } from '../output.js';
import { callerKind, type Me } from './debug.js';

/** The port Sanity's CLI tries first; then the operating system picks one. */
export const DEFAULT_CALLBACK_PORT = 4321;
export const CALLBACK_PORT_ENV = 'GATEHOUSE_CLI_CALLBACK_PORT';
const DEFAULT_TIMEOUT = '5m';
/** The server forgets a started login after ten minutes; waiting longer than an hour helps nobody. */
const MAX_TIMEOUT_SECONDS = 60 * 60;

interface LoginOptions extends ClientOptions {
  withToken?: boolean;
  provider?: string;
  sso?: string;
  open: boolean;
  timeout: string;
}

export interface Provider {
  name: string;
  title?: string;
  url: string;
}

interface SsoProvider {
  id?: string;
  name?: string;
  title?: string;
  type?: string;
  loginUrl?: string;
  disabled?: boolean;
}

interface Fetched {
  token?: string;
  label?: string;
  expiresAt?: string;
}

export function registerLogin(program: Command, ctx: CliContext): void {
  withClientOptions(program.command('login'))
    .description('log in through the browser and save a personal token (or save a token from stdin with --with-token)')
    .option('--provider <name>', 'the login provider, e.g. sanity (e-mail and password); see GET /auth/providers')
    .option('--sso <orgSlug>', "log in with an organization's single sign-on provider")
    .option('--no-open', 'print the login URL instead of opening a browser')
    .option('--timeout <duration>', 'how long to wait for the browser: 90s, 10m (at most 1h)', DEFAULT_TIMEOUT)
    .option('--with-token', 'read the token from standard input, e.g. `gatehouse login --with-token < token.txt`')
    .addHelpText(
      'after',
      `
The browser comes back to http://127.0.0.1:<port>/callback: port ${DEFAULT_CALLBACK_PORT} when free, else one the
system picks; ${CALLBACK_PORT_ENV}=<port> sets it (0: the system picks).`,
    )
    .action(async (options: LoginOptions) => {
      if (options.withToken) {
        if (options.provider !== undefined || options.sso !== undefined) {
          throw usageError('--with-token reads a token from standard input: it takes no --provider or --sso');
        }
        return loginWithToken(ctx, options);
      }
      return browserLogin(ctx, options);
    });

  withClientOptions(program.command('logout'))
    .description('log the saved token out on the server and remove it from the config file')
    .action((options: ClientOptions) => logout(ctx, options));
}

// --- login --with-token ----------------------------------------------------------------------------

async function loginWithToken(ctx: CliContext, options: LoginOptions): Promise<void> {
  if (ctx.stdinIsTTY) {
    // Typing a secret into a terminal echoes it and keeps it in the scrollback.
    throw usageError(
      '--with-token reads the token from standard input: pipe it in, e.g. `gatehouse login --with-token < token.txt`',
    );
  }
  const token = (await ctx.readStdin()).trim();
  if (token === '') throw usageError('no token on standard input');
  if (/\s/.test(token)) throw usageError('standard input must hold exactly one token');

  const { client } = connect(ctx, options, { requireToken: false });
  let me: Me;
  try {
    me = (await client.get<Me>('/users/me', { token })) ?? {};
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      throw new CliError('Token is invalid or expired', 1, [`  server: ${error.message}`, ...error.details]);
    }
    throw error;
  }
  if (!me.id) throw new CliError('Token is invalid or expired', 1, ['  the server does not know this token']);

  const path = configFilePath(ctx.env);
  const previous = saveToken(path, token, 'token');
  const retired = await retirePrevious(ctx, client, previous, token);
  noteEnvToken(ctx);

  const kind = callerKind(me);
  if (options.json) return printJson(ctx, { user: { kind, ...me }, configFile: path, previousToken: retired });
  printLines(ctx, [
    `Logged in to ${client.apiHost} as ${describeCaller(me)}.`,
    `Token saved to ${path}`,
    ...retiredLines(retired),
  ]);
}

// --- login (browser) -------------------------------------------------------------------------------

async function browserLogin(ctx: CliContext, options: LoginOptions): Promise<void> {
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
    const listed = await client.get<SsoProvider[]>(`/auth/organizations/by-slug/${encodeURIComponent(options.sso)}/providers`, {
      token: undefined,
    });
    if (!Array.isArray(listed)) throw new CliError("the server's list of the organization's providers is not an array");
    providers = listed
      .filter((p) => !p.disabled && typeof p.loginUrl === 'string')
      // Named by id (what the login URL carries); --provider also matches the title.
      .map((p) => ({ name: p.id ?? p.name ?? '?', title: p.title ?? p.name ?? '', url: p.loginUrl as string }));
    where = `organization ${options.sso}`;
    if (providers.length === 0) {
      throw new CliError(`organization ${options.sso} has no enabled single sign-on provider`, 1, [
        '  hint: an organization administrator configures one; or log in without --sso.',
      ]);
    }
  } else {
    const listed = await client.get<{ providers?: Provider[] }>('/auth/providers', { token: undefined });
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

/** `GATEHOUSE_CLI_CALLBACK_PORT`: a port number (0: the system picks); unset: 4321, else any. */
export function callbackPortFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[CALLBACK_PORT_ENV]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65_535) {
    throw usageError(`${CALLBACK_PORT_ENV} must be a port number from 0 to 65535, got "${raw}"`);
  }
  return Number(raw);
}

type Arrival =
  | { sid: string; answer: (status: number, html: string) => void }
  | { error: string; answer: (status: number, html: string) => void };

interface Callback {
  port: number;
  /** The browser's return to `/callback?state=…`, or 'timeout'. */
  wait(timeoutMs: number): Promise<Arrival | 'timeout'>;
  close(): Promise<void>;
}

/**
 * A one-shot HTTP listener on 127.0.0.1 for the browser's return. Requests elsewhere (a favicon,
 * a stray tab) get a 404, and a `/callback` without this login's `state` gets an error page; only
 * the first request with the right state ends the wait.
 */
async function listenForCallback(fixedPort: number | undefined, state: string): Promise<Callback> {
  let deliver: ((arrival: Arrival) => void) | undefined;
  let delivered = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, html: string) => {
      if (res.headersSent) return;
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        connection: 'close',
      });
      res.end(html);
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return reply(404, page('Not found', 'Nothing here.', false));
    if (req.method !== 'GET') return reply(405, page('Not allowed', 'The login comes back with GET.', false));
    if (delivered) return reply(409, page('Already done', 'This CLI login has already finished. You can close this tab.', false));
    if (url.searchParams.get('state') !== state) {
      return reply(400, page('Not this login', 'This link does not belong to the login the CLI is waiting for.', false));
    }
    delivered = true;
    const sid = sidOf(url);
    deliver?.(sid ? { sid, answer: reply } : { error: 'the browser came back without a session id (sid)', answer: reply });
  });
  server.keepAliveTimeout = 1000;

  const port = await listen(server, fixedPort);
  let closed: Promise<void> | undefined;
  return {
    port,
    wait: (timeoutMs) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), timeoutMs);
        deliver = (arrival) => {
          clearTimeout(timer);
          resolve(arrival);
        };
      }),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** `?sid=…`, or the sid inside `?url=<server>/auth/fetch?sid=…` (only its query is read, never its host). */
function sidOf(url: URL): string | undefined {
  const valid = (value: string | null | undefined) => (value && /^[A-Za-z0-9_-]{20,200}$/.test(value) ? value : undefined);
  const direct = valid(url.searchParams.get('sid'));
  if (direct) return direct;
  const nested = url.searchParams.get('url');
  if (!nested) return undefined;
  try {
    return valid(new URL(nested).searchParams.get('sid'));
  } catch {
    return undefined;
  }
}

async function listen(server: Server, fixedPort: number | undefined): Promise<number> {
  const attempt = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (error: Error) => {
        server.off('listening', onListening);
        reject(error);
      };
      const onListening = () => {
        server.off('error', onError);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, '127.0.0.1');
    });
  if (fixedPort !== undefined) {
    try {
      return await attempt(fixedPort);
    } catch (error) {
      throw new CliError(
        `cannot listen on 127.0.0.1:${fixedPort} for the login callback: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        1,
        [`  hint: ${CALLBACK_PORT_ENV} chose that port; pick a free one, or unset it.`],
      );
    }
  }
  try {
    return await attempt(DEFAULT_CALLBACK_PORT);
  } catch {
    try {
      return await attempt(0);
    } catch (error) {
      throw new CliError(`cannot listen on 127.0.0.1 for the login callback: ${(error as Error).message}`);
    }
  }
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

/** The small page the browser shows at the end; all text is escaped. */
function page(title: string, message: string, ok: boolean): string {
  const html = (value: string) =>
    value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${html(title)} · Gatehouse</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem;color:${ok ? '#1a7f37' : '#b42318'}}</style>
</head>
<body><h1 id="status" data-ok="${ok}">${html(title)}</h1><p id="message">${html(message)}</p></body>
</html>
`;
}

// --- logout ----------------------------------------------------------------------------------------

async function logout(ctx: CliContext, options: ClientOptions): Promise<void> {
  const path = configFilePath(ctx.env);
  const config = readConfigFile(path);
  const token = typeof config.authToken === 'string' ? config.authToken.trim() : '';
  if (token === '') {
    if (options.json) printJson(ctx, { loggedOut: false, revoked: false, configFile: path });
    else printLines(ctx, [`No saved token in ${path}`]);
    noteEnvToken(ctx, 'still set');
    return;
  }

  const { client } = connect(ctx, options, { requireToken: false });
  let outcome: 'revoked' | 'already-invalid' | 'robot';
  try {
    await client.post('/auth/logout', undefined, { token });
    outcome = 'revoked';
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) outcome = 'already-invalid';
    else if (error instanceof ApiError && error.status === 403 && reasonCode(error) === 'robot_logout') outcome = 'robot';
    else if (error instanceof CliError) {
      throw new CliError(`the server did not log the token out: ${error.message}`, error.exitCode, [
        ...error.details,
        `  The token is still saved in ${path}; to forget it without logging it out, delete "authToken" there.`,
      ]);
    } else throw error;
  }

  delete config.authToken;
  delete config.authType;
  writeConfigFile(path, config);

  if (options.json) {
    printJson(ctx, {
      loggedOut: true,
      revoked: outcome === 'revoked',
      ...(outcome === 'robot' ? { reason: 'robot_logout' } : {}),
      configFile: path,
    });
  } else {
    const lines = [
      outcome === 'revoked'
        ? `Logged out of ${client.apiHost}: the token no longer works.`
        : outcome === 'already-invalid'
          ? 'The saved token was already expired or revoked.'
          : 'The server refused to log out a robot token: it still works.',
      `Removed the saved token from ${path}`,
    ];
    printLines(ctx, lines);
  }
  if (outcome === 'robot') {
    ctx.stderr(
      'note: robot tokens are not logged out: delete the robot (`gatehouse tokens delete <robotId> --project <id>`) or rotate its token (`gatehouse tokens rotate`) to stop it working\n',
    );
  }
  noteEnvToken(ctx, 'still set');
}

// --- shared ----------------------------------------------------------------------------------------

/** Saves the token (other keys kept) and returns the one it replaces, if any. */
function saveToken(path: string, token: string, authType: 'normal' | 'token'): string | undefined {
  const config = readConfigFile(path);
  const previous = typeof config.authToken === 'string' && config.authToken.trim() !== '' ? config.authToken.trim() : undefined;
  config.authToken = token;
  config.authType = authType;
  writeConfigFile(path, config);
  return previous;
}

type Retired = 'logged-out' | 'kept-robot' | 'already-invalid' | 'failed' | null;

/**
 * "A new login logs the previous personal token out": the token the config file held before is
 * revoked with `POST /auth/logout`, unless it is a robot's (`/users/me` says `sanity-token`), which
 * other programs may share. A failure here never undoes the login; it is reported.
 */
async function retirePrevious(
  ctx: CliContext,
  client: ApiClient,
  previous: string | undefined,
  current: string,
): Promise<Retired> {
  if (previous === undefined || previous === current) return null;
  try {
    const me = (await client.get<Me>('/users/me', { token: previous })) ?? {};
    if (!me.id) return 'already-invalid';
    if (callerKind(me) === 'robot') return 'kept-robot';
    await client.post('/auth/logout', undefined, { token: previous });
    return 'logged-out';
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return 'already-invalid';
    if (!(error instanceof CliError)) throw error;
    ctx.stderr(`warning: could not log out the previous token: ${error.message}\n`);
    return 'failed';
  }
}

function retiredLines(retired: Retired): string[] {
  switch (retired) {
    case 'logged-out':
      return ['The previous token saved here was logged out.'];
    case 'kept-robot':
      return ['The previous token saved here was a robot token: it was not logged out.'];
    default:
      return [];
  }
}

async function whoAmI(client: ApiClient, token: string): Promise<Me | undefined> {
  try {
    return (await client.get<Me>('/users/me', { token })) ?? undefined;
  } catch {
    return undefined;
  }
}

function describeCaller(me: Me): string {
  const kind = callerKind(me);
  const who = kind === 'robot' ? `robot ${me.name ?? me.id}` : `${me.name ?? me.id}${me.email ? ` <${me.email}>` : ''}`;
  return `${who} (${me.id})`;
}

function noteEnvToken(ctx: CliContext, how: 'takes precedence' | 'still set' = 'takes precedence'): void {
  if (!ctx.env[TOKEN_ENV]?.trim()) return;
  ctx.stderr(
    how === 'still set'
      ? `note: ${TOKEN_ENV} is still set in your environment, and commands keep using it\n`
      : `note: ${TOKEN_ENV} is set and takes precedence over the saved token until you unset it\n`,
  );
}

function reasonCode(error: ApiError): string | undefined {
  const body = error.body as { reason?: { code?: unknown } } | undefined;
  return typeof body?.reason?.code === 'string' ? body.reason.code : undefined;
}
