/**
 * CORS origins (Sanity's CORS rules): which browser origins may call the API for a project.
 *
 * An entry is `protocol://host[:port]` (http or https; default ports stripped, host lower-cased),
 * with `*` allowed inside host labels (`https://*.example.org`, `https://pr-*.example.org`) and as
 * the port (`http://localhost:*`), or one of three special values: `*` (any origin, never with
 * credentials), `null` (sandboxed pages, `file:` pages in some browsers) and `file:///*` (local
 * files; the only `file:` entry allowed).
 *
 * Matching a request's `Origin` header: an exact entry wins over a wildcard one; among wildcards,
 * the oldest (lowest id) wins. The matched entry decides whether credentials are allowed.
 * Pure: no I/O.
 */

export const DEFAULT_CORS_ORIGIN = 'http://localhost:3333';
export const MAX_ORIGIN_LENGTH = 300;

export interface CorsEntry {
  id: number;
  origin: string;
  allowCredentials: boolean;
}

export type OriginCheck = { ok: true; origin: string; wildcard: boolean } | { ok: false; message: string };

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;
const HOST_LABEL = /^[a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

function quoted(input: string): string {
  return JSON.stringify(input.length > 100 ? `${input.slice(0, 100)}…` : input);
}

/** Validates and normalizes an origin to be allowed. `allowCredentials` matters for `*`. */
export function normalizeOrigin(input: string, allowCredentials: boolean): OriginCheck {
  const raw = input.trim();
  if (raw === '') return { ok: false, message: 'Invalid origin "", must include protocol (https://some.host)' };
  if (raw.length > MAX_ORIGIN_LENGTH) {
    return { ok: false, message: `Invalid origin ${quoted(raw)}: at most ${MAX_ORIGIN_LENGTH} characters` };
  }
  if (raw === '*') {
    if (allowCredentials) {
      return {
        ok: false,
        message: 'Invalid origin "*": allowing every site may not include credentials (set allowCredentials to false)',
      };
    }
    return { ok: true, origin: '*', wildcard: true };
  }
  if (raw.toLowerCase() === 'null') return { ok: true, origin: 'null', wildcard: false };
  if (raw.toLowerCase().startsWith('file:')) {
    if (raw.toLowerCase() === 'file:///*') return { ok: true, origin: 'file:///*', wildcard: true };
    return { ok: false, message: `Invalid origin ${quoted(raw)}: the only file origin allowed is file:///*` };
  }
  const match = SCHEME.exec(raw);
  if (!match) return { ok: false, message: `Invalid origin ${quoted(raw)}, must include protocol (https://some.host)` };
  const scheme = (match[1] ?? '').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    return { ok: false, message: `Invalid origin ${quoted(raw)}: the protocol must be http or https` };
  }
  // A trailing slash is forgiven (people paste URLs); any other path, query or fragment is not.
  const authority = (match[2] ?? '').replace(/\/$/, '');
  if (/[/?#\s\\]/.test(authority)) {
    return { ok: false, message: `Invalid origin ${quoted(raw)}: an origin is protocol://host[:port], without a path` };
  }
  if (authority.includes('@')) {
    return { ok: false, message: `Invalid origin ${quoted(raw)}: an origin has no user name or password` };
  }
  const parts = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(authority);
  const host = (parts?.[1] ?? '').toLowerCase();
  let port = parts?.[2];
  if (!parts || host === '') return { ok: false, message: `Invalid origin ${quoted(raw)}: the host is missing` };
  if (port !== undefined && port !== '*') {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      return { ok: false, message: `Invalid origin ${quoted(raw)}: the port must be a number from 1 to 65535, or *` };
    }
    port = String(Number(port));
    if (DEFAULT_PORTS[scheme] === port) port = undefined;
  }
  if (!IPV6.test(host)) {
    const labels = host.split('.');
    if (host.length > 253 || labels.some((label) => label.length > 63 || !HOST_LABEL.test(label))) {
      return {
        ok: false,
        message: `Invalid origin ${quoted(raw)}: the host may hold letters, digits, hyphens, dots and * wildcards only`,
      };
    }
  }
  const origin = `${scheme}://${host}${port === undefined ? '' : `:${port}`}`;
  return { ok: true, origin, wildcard: origin.includes('*') };
}

interface ParsedOrigin {
  scheme: string;
  host: string;
  /** Empty for the scheme's default port. */
  port: string;
}

/** A request's `Origin` header, canonical (lower-case host, default port dropped); null when unusable. */
export function canonicalRequestOrigin(header: string): string | null {
  if (header === 'null') return 'null';
  if (header.length > MAX_ORIGIN_LENGTH) return null;
  if (header.toLowerCase().startsWith('file://')) return header.toLowerCase();
  try {
    const url = new URL(header);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (url.pathname !== '/' || url.search !== '' || url.username !== '' || url.password !== '') return null;
    if (!/^https?:\/\/[^/]+\/?$/i.test(header)) return null;
    return `${url.protocol}//${url.host}`;
  } catch {
    return null;
  }
}

function parse(origin: string): ParsedOrigin | null {
  const match = /^(https?):\/\/(\[[^\]]*\]|[^:/]+)(?::([0-9*]+))?$/.exec(origin);
  if (!match) return null;
  return { scheme: match[1] ?? '', host: match[2] ?? '', port: match[3] ?? '' };
}

function globToRegExp(glob: string, anything: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))
    .join(anything);
  return new RegExp(`^${body}$`);
}

/** Why `entry` does not match the (canonical) request origin, or null when it does. */
export function mismatch(entry: string, origin: string): string | null {
  if (entry === '*') return null;
  if (entry === 'null') return origin === 'null' ? null : 'the entry "null" matches only pages whose origin is "null"';
  if (entry === 'file:///*') return origin.startsWith('file://') ? null : 'the entry file:///* matches only local files';
  if (origin === 'null' || origin.startsWith('file://')) return `the page's origin is "${origin}", not a web origin`;
  const want = parse(entry);
  const got = parse(origin);
  if (!want || !got) return 'not comparable';
  if (want.scheme !== got.scheme) return `the protocol differs (${got.scheme} is not ${want.scheme})`;
  if (want.port !== '*' && want.port !== got.port) {
    const show = (p: string, scheme: string) => p || `${DEFAULT_PORTS[scheme]} (default)`;
    return `the port differs (${show(got.port, got.scheme)} is not ${show(want.port, want.scheme)})`;
  }
  if (!globToRegExp(want.host, '[a-z0-9.-]+').test(got.host)) {
    return want.host.includes('*')
      ? `the host ${got.host} does not match the pattern ${want.host} (a * stands for at least one character)`
      : `the host differs (${got.host} is not ${want.host})`;
  }
  return null;
}

export interface OriginExplanation {
  /** The origin as asked about, and its canonical form (null when it is not a usable origin). */
  origin: string;
  normalized: string | null;
  allowed: boolean;
  withCredentials: boolean;
  matched: CorsEntry | null;
  entries: Array<CorsEntry & { matches: boolean; reason: string }>;
  summary: string;
}

/**
 * Which entry lets `origin` in, or why none does. An exact entry wins over wildcards; among
 * wildcards the oldest wins. Every entry is listed with the reason it matches or not.
 */
export function explainOrigin(origin: string, entries: readonly CorsEntry[]): OriginExplanation {
  const normalized = canonicalRequestOrigin(origin);
  const sorted = [...entries].sort((a, b) => a.id - b.id);
  const rows = sorted.map((entry) => {
    if (normalized === null) return { ...entry, matches: false, reason: 'the origin asked about is not a valid origin' };
    const why = mismatch(entry.origin, normalized);
    return {
      ...entry,
      matches: why === null,
      reason: why ?? (entry.origin === normalized ? 'exact match' : 'wildcard match'),
    };
  });
  const matches = rows.filter((r) => r.matches);
  const best = matches.find((r) => r.origin === normalized) ?? matches[0];
  const matched = best ? { id: best.id, origin: best.origin, allowCredentials: best.allowCredentials } : null;
  let summary: string;
  if (normalized === null) {
    summary = `${quoted(origin)} is not a valid origin: a browser sends protocol://host[:port], "null", or file://.`;
  } else if (matched) {
    summary = `${normalized} is allowed by entry ${matched.id} (${matched.origin}), ${
      matched.allowCredentials
        ? 'with credentials'
        : 'without credentials: requests that send a token or cookies are refused by the browser'
    }.`;
  } else if (rows.length === 0) {
    summary = `${normalized} is not allowed: the project allows no origins.`;
  } else {
    summary = `${normalized} is not allowed: no entry matches.`;
  }
  return {
    origin,
    normalized,
    allowed: matched !== null,
    withCredentials: matched?.allowCredentials ?? false,
    matched,
    entries: rows,
    summary,
  };
}

/** The entry that lets `origin` (a request's `Origin` header) in, or null. */
export function matchOrigin(origin: string, entries: readonly CorsEntry[]): CorsEntry | null {
  return explainOrigin(origin, entries).matched;
}
