/**
 * The console's HTTP client: the public API on this origin, authenticated by the browser session
 * cookie (HttpOnly, set by `/auth/fetch`), with `X-CSRF-Token` on every write. Failures become
 * `ApiError`s that keep the server's envelope, so every screen can show `reason.hint`.
 */
import { CSRF_COOKIE, readCookie } from '../lib/cookies';
import type { ErrorBody } from './types';

/** The dated API version the console is written against. */
export const API_VERSION = 'v2025-01-09';
export const API = `/${API_VERSION}`;

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];

export class ApiError extends Error {
  readonly status: number;
  readonly reason: ErrorBody['reason'];
  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = body.statusCode;
    this.reason = body.reason;
  }

  get hint(): string | undefined {
    return typeof this.reason.hint === 'string' ? this.reason.hint : undefined;
  }

  /** The request field the server blamed (`body.origin` → `origin`), for showing the message next to it. */
  get field(): string | undefined {
    const field = (this.reason as Record<string, unknown>).field;
    return typeof field === 'string' ? field.replace(/^(body|query|params)\.?/, '') : undefined;
  }
}

/** Called on every 401 (the session ended or expired): the app sends the person to sign in. */
let onUnauthenticated: ((error: ApiError) => void) | null = null;
export function setUnauthenticatedHandler(handler: ((error: ApiError) => void) | null): void {
  onUnauthenticated = handler;
}

/** `?a=1&b=x&b=y`: arrays repeat the parameter, absent values are left out. */
export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The envelope of a failed response; a body that is not one (a proxy's page) gets a generic one. */
async function errorOf(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON
  }
  const envelope = body as Partial<ErrorBody> | null;
  if (envelope && typeof envelope.message === 'string' && envelope.reason && typeof envelope.reason.code === 'string') {
    return new ApiError({ ...envelope, statusCode: response.status } as ErrorBody);
  }
  return new ApiError({
    statusCode: response.status,
    error: response.statusText,
    message: `The server answered ${response.status} ${response.statusText}`.trim(),
    reason: { code: 'unexpected_response', hint: 'Try again; if it persists, the server log has the details.' },
  });
}

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Do not treat a 401 as the end of the session (the sign-in page probes with it). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

/** One API call. `path` is under the API version (`/projects`) unless it starts with `/v`. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const url = (/^\/v[^/]*\//.test(path) ? path : `${API}${path}`) + queryString(options.query);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = readCookie(document.cookie, CSRF_COOKIE);
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError({
      statusCode: 0,
      error: 'Network error',
      message: 'The server could not be reached',
      reason: { code: 'network_error', hint: 'Check that Gatehouse is running and that you are online, then try again.' },
    });
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (error.status === 401 && !options.quiet401) onUnauthenticated?.(error);
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const api = {
  get: <T>(path: string, query?: Record<string, QueryValue>, options: Omit<RequestOptions, 'query' | 'body'> = {}) =>
    request<T>('GET', path, { ...options, ...(query ? { query } : {}) }),
  post: <T>(path: string, body?: unknown, query?: Record<string, QueryValue>) =>
    request<T>('POST', path, { body, ...(query ? { query } : {}) }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/** `/access/project/p1` */
export function accessPath(resource: { type: string; id: string }): string {
  return `/access/${resource.type}/${encodeURIComponent(resource.id)}`;
}
