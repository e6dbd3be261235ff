/**
 * The CLI's HTTP client: one versioned base URL, the bearer token, and errors that say what the
 * server said. The CLI is a client of the public API like any user's script: it sends nothing a
 * script could not send.
 */
import type { Command } from 'commander';
import { ApiError, CliError, usageError } from './errors.js';

/** Every call the CLI makes is pinned to one API version, so server-side changes are opt-in. */
export const API_VERSION = 'v2025-01-09';
export const API_HOST_ENV = 'GATEHOUSE_API_HOST';
export const DEFAULT_API_HOST = 'http://127.0.0.1:3333';
const TIMEOUT_MS = 30_000;

export function resolveApiHost(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const value = flag ?? (env[API_HOST_ENV] || DEFAULT_API_HOST);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--api-host must be an absolute URL such as ${DEFAULT_API_HOST}, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`--api-host must use http or https, got "${value}"`);
  }
  if (url.search || url.hash) throw usageError(`--api-host must not have a query or fragment, got "${value}"`);
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
      return body as T;
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
  reason?: { code?: unknown; hint?: unknown };
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
    if (typeof reason.hint === 'string') details.push(`  hint: ${reason.hint}`);
  }
  return new ApiError(response.status, body ?? (raw === '' ? undefined : raw), message, details);
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

export type AccessResourceType = 'project' | 'organization';

export interface AccessResource {
  type: AccessResourceType;
  id: string;
}

export interface ResourceFlags {
  project?: string;
  organization?: string;
}

/**
 * `--project <id>` or `--organization <id>`, exactly one: the resource of `/access/{type}/{id}/…`.
 * Neither or both is a usage error, raised before anything is sent.
 */
export function resourceOf(flags: ResourceFlags): AccessResource {
  const { project, organization } = flags;
  if (project !== undefined && organization !== undefined) {
    throw usageError('give either --project <id> or --organization <id>, not both');
  }
  if (project !== undefined && project.trim() !== '') return { type: 'project', id: project };
  if (organization !== undefined && organization.trim() !== '') return { type: 'organization', id: organization };
  throw usageError('this command needs --project <id> or --organization <id>');
}

/** `project uc3abxgv`: how messages name the resource. */
export function describeResource(resource: AccessResource): string {
  return `${resource.type} ${resource.id}`;
}

/** `/access/{type}/{id}/<segments…>`, every segment URL-encoded. */
export function accessPath(resource: AccessResource, ...segments: string[]): string {
  return ['/access', resource.type, resource.id, ...segments].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}

/** Adds `--project <id>` and `--organization <id>`; the action calls `resourceOf` on its options. */
export function withResource(command: Command): Command {
  return command
    .option('--project <projectId>', 'the project to act on (give this or --organization)')
    .option('--organization <organizationId>', 'the organization to act on (give this or --project)');
}
