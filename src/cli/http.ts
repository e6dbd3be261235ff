/**
 * The CLI's HTTP client: one versioned base URL, the bearer token, and errors that say what the
 * server said. The CLI is a client of the public API like any user's script: it sends nothing a
 * script could not send.
 */

import type { Command } from 'commander';
import type { ResourceRef } from '../model/policy.js';
import { ApiError, CliError, usageError } from './errors.js';

/** Every call the CLI makes is pinned to one API version, so server-side changes are opt-in. */
export const API_VERSION = 'v2025-01-09';
export const API_HOST_ENV = 'GATEHOUSE_API_HOST';
export const DEFAULT_API_HOST = 'http://127.0.0.1:3333';
const TIMEOUT_MS = 30_000;

/**
 * The API host from `--api-host` or GATEHOUSE_API_HOST: the server's address, `http(s)://host[:port]`,
 * optionally with the path a proxy mounts it under (`https://example.com/gatehouse`). Every mistake
 * seen in practice gets its own message, before anything is sent: no scheme, another scheme (a
 * database URL), a query, or a path that already holds what the CLI adds (an API version, `/docs`,
 * `/openapi.json`).
 */
export function resolveApiHost(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const fromFlag = flag !== undefined;
  const name = fromFlag ? '--api-host' : API_HOST_ENV;
  const value = (flag ?? (env[API_HOST_ENV] || DEFAULT_API_HOST)).trim();
  const bad = (problem: string, fix = `e.g. ${DEFAULT_API_HOST}`) => usageError(`${name} ${problem}, got "${value}"; ${fix}`);
  if (value === '') throw bad('is empty');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    // `localhost:3333`, `127.0.0.1:3333`, `example.com`: the scheme is missing.
    throw bad('needs a scheme', `write it as http://${value.replace(/^\/+/, '')} (or https://… behind TLS)`);
  }
  if (scheme !== 'http' && scheme !== 'https') {
    const database = ['postgres', 'postgresql', 'sqlite'].includes(scheme);
    throw bad(
      `must be an http:// or https:// address${database ? ' (that is a database URL: the CLI talks to a running server over HTTP)' : ''}`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('is not a valid URL');
  }
  if (url.username || url.password)
    throw bad('must not hold a user name or password', 'send a token with GATEHOUSE_AUTH_TOKEN instead');
  if (url.search || url.hash)
    throw bad('must not have a query or fragment', `use ${url.origin}${url.pathname.replace(/\/+$/, '')}`);
  const segments = url.pathname.split('/').filter(Boolean);
  const versionAt = segments.findIndex((segment) => /^v(?:\d+|X|\d{4}-\d{2}-\d{2})$/.test(segment));
  const docsAt = segments.findIndex((segment) => segment === 'docs' || segment === 'openapi.json');
  const cut = [versionAt, docsAt].filter((i) => i >= 0).sort((a, b) => a - b)[0];
  if (cut !== undefined) {
    const base = `${url.origin}${segments
      .slice(0, cut)
      .map((s) => `/${s}`)
      .join('')}`;
    const what = cut === versionAt ? `an API version (/${segments[versionAt]})` : `/${segments[cut]}`;
    const adds = cut === versionAt ? ` (the CLI adds /${API_VERSION} to every call itself)` : '';
    throw bad(`is the server's address, without ${what}`, `use ${base}${adds}`);
  }
  // A path is kept, so a server mounted behind a proxy at /gatehouse works.
  return url.toString().replace(/\/+$/, '');
}

export interface RequestOptions {
  /** An array value repeats the parameter: `{ permissions: ['a', 'b'] }` → `permissions=a&permissions=b`. */
  query?: Record<string, string | number | string[] | undefined>;
  body?: unknown;
  /** Overrides the client's token for this call (login validates a token it has not saved yet). */
  token?: string | undefined;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
  totalCount?: number;
}

export class ApiClient {
  constructor(
    readonly apiHost: string,
    private readonly token: string | undefined,
    private readonly userAgent = 'gatehouse-cli',
  ) {}

  url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(`${this.apiHost}/${API_VERSION}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, item);
      else if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.send<T>(method, path, options)).body;
  }

  /** The same as `request`, with the success status and the headers (e.g. 200 vs 201 for an idempotent create). */
  async send<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; headers: Headers; body: T }> {
    const token = 'token' in options ? options.token : this.token;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
    };
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    const url = this.url(path, options.query);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new CliError(`cannot reach ${this.apiHost}: ${networkReason(error)}`, 1, [
        `  hint: is the server running? Start one with \`gatehouse serve\`, or point --api-host / GATEHOUSE_API_HOST at it.`,
      ]);
    }

    const raw = await response.text();
    let body: unknown;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
    }

    if (response.status >= 200 && response.status < 300) {
      if (raw !== '' && body === undefined) {
        throw new CliError(`${method} ${path}: the server answered ${response.status} with a body that is not JSON`);
      }
      return { status: response.status, headers: response.headers, body: body as T };
    }
    throw apiError(method, path, response, body, raw);
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  put<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body });
  }

  patch<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body });
  }

  delete(path: string): Promise<unknown> {
    return this.request('DELETE', path);
  }

  /**
   * Every item of a cursor-paginated list. Follows `nextCursor` until the server says `null`,
   * and refuses to loop if a server hands back a cursor it already gave.
   */
  async getAll<T>(path: string, query: RequestOptions['query'] = {}): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (;;) {
      const page = await this.get<Page<T>>(path, {
        query: { ...query, ...(cursor ? { nextCursor: cursor } : {}) },
      });
      if (!page || !Array.isArray(page.data)) {
        throw new CliError(`GET ${path}: the server's answer has no "data" array`);
      }
      items.push(...page.data);
      if (page.nextCursor === null || page.nextCursor === undefined) return items;
      if (seen.has(page.nextCursor)) throw new CliError(`GET ${path}: the server repeated a page cursor`);
      seen.add(page.nextCursor);
      cursor = page.nextCursor;
    }
  }
}

interface ErrorEnvelope {
  statusCode?: unknown;
  error?: unknown;
  message?: unknown;
  reason?: Record<string, unknown>;
}

function apiError(method: string, path: string, response: Response, body: unknown, raw: string): ApiError {
  const envelope = (body && typeof body === 'object' ? body : {}) as ErrorEnvelope;
  const statusText = typeof envelope.error === 'string' ? envelope.error : response.statusText;
  let message: string;
  if (typeof envelope.message === 'string' && envelope.message !== '') {
    message = envelope.message;
  } else if (response.status >= 300 && response.status < 400) {
    message = `${method} ${path} was redirected to ${response.headers.get('location') ?? '(nowhere)'}: is --api-host the API's address?`;
  } else {
    const snippet = raw.trim().slice(0, 200);
    message = `${method} ${path} failed${snippet && body === undefined ? `: ${snippet}` : ''}`;
  }
  const details = [`  status: ${response.status}${statusText ? ` ${statusText}` : ''}`];
  const reason = envelope.reason;
  if (reason && typeof reason === 'object') {
    if (typeof reason.code === 'string') details.push(`  reason: ${reason.code}`);
    const hint = cliHint(reason) ?? reason.hint;
    if (typeof hint === 'string') details.push(`  hint: ${hint}`);
  }
  return new ApiError(response.status, body ?? (raw === '' ? undefined : raw), message, details);
}

/**
 * The server's hints name HTTP calls, which suit any client; where the CLI has a command for the
 * same thing, it says that instead.
 */
function cliHint(reason: Record<string, unknown>): string | undefined {
  if (reason.code === 'role_not_found' && typeof reason.resourceType === 'string' && typeof reason.resourceId === 'string') {
    const list = `\`gatehouse roles list --${reason.resourceType} ${reason.resourceId}\` lists the roles of ${reason.resourceType} ${reason.resourceId}`;
    return typeof reason.didYouMean === 'string' ? `did you mean ${reason.didYouMean}? ${list}` : list;
  }
  return undefined;
}

function networkReason(error: unknown): string {
  const err = error as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (err.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
}

// --- The resource an Access API command acts on --------------------------------------------------

export interface ResourceFlags {
  project?: string;
  organization?: string;
}

/**
 * `--project <id>` or `--organization <id>`, exactly one: the resource of `/access/{type}/{id}/…`.
 * Neither or both is a usage error, raised before anything is sent.
 */
export function resourceOf(flags: ResourceFlags): ResourceRef {
  const { project, organization } = flags;
  if (project !== undefined && organization !== undefined) {
    throw usageError('give either --project <id> or --organization <id>, not both');
  }
  if (project !== undefined && project.trim() !== '') return { type: 'project', id: project };
  if (organization !== undefined && organization.trim() !== '') return { type: 'organization', id: organization };
  throw usageError('this command needs --project <id> or --organization <id>');
}

/** `project uc3abxgv`: how messages name the resource. */
export function describeResource(resource: ResourceRef): string {
  return `${resource.type} ${resource.id}`;
}

/** `/access/{type}/{id}/<segments…>`, every segment URL-encoded. */
export function accessPath(resource: ResourceRef, ...segments: string[]): string {
  return ['/access', resource.type, resource.id, ...segments].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}

/** Adds `--project <id>` and `--organization <id>`; the action calls `resourceOf` on its options. */
export function withResource(command: Command): Command {
  return command
    .option('--project <projectId>', 'the project to act on (give this or --organization)')
    .option('--organization <organizationId>', 'the organization to act on (give this or --project)');
}
