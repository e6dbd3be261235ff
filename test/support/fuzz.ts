/**
 * A fuzzer derived from the server's own OpenAPI document, as an adversary would build one: every
 * operation, with path parameters, query strings and bodies generated from their schemas — valid,
 * almost valid, and hostile (wrong types, huge and strange strings, prototype keys, broken JSON,
 * wrong content types, oversized bodies) — under every kind of credential.
 *
 * The contract checked on every answer: no 5xx (other than the 502s that mean an identity provider
 * could not be reached), and every error in the envelope `{statusCode, error, message, reason}` (or
 * an HTML page, on the routes that answer browsers). `test/e2e/fuzz.test.ts` runs a bounded number
 * of requests on every `npm test`; `npm run fuzz` runs the full-size campaign (scripts/fuzz.ts).
 */
import fc from 'fast-check';

type Schema = Record<string, unknown>;

export interface FuzzOperation {
  method: string;
  /** The OpenAPI path, e.g. `/{apiVersion}/access/{resourceType}/{resourceId}/users`. */
  path: string;
  parameters: Array<{ name: string; in: 'path' | 'query'; required?: boolean; schema: Schema }>;
  body?: { mediaType: string; schema: Schema; required: boolean };
}

export interface FuzzContext {
  /** Real ids the server knows, so generated requests reach past "not found". */
  ids: Record<string, string[]>;
  /** Credentials: `Bearer` values, and undefined for anonymous. */
  tokens: Array<string | undefined>;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Which operation it aims at, for the report. */
  operation: string;
}

export interface FuzzVerdict {
  ok: boolean;
  reason?: string;
}

/** The operations of an OpenAPI 3 document. */
export function operationsOf(document: {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: FuzzOperation['parameters'];
        requestBody?: { content: Record<string, { schema: Schema }>; required?: boolean };
      }
    >
  >;
}): FuzzOperation[] {
  const out: FuzzOperation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = op.requestBody?.content ?? {};
      const [mediaType, media] = Object.entries(content)[0] ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query'),
        ...(mediaType && media ? { body: { mediaType, schema: media.schema, required: op.requestBody?.required ?? false } } : {}),
      });
    }
  }
  return out;
}

/** Strings an attacker tries everywhere. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '../../etc/passwd',
  '..%2f..%2f',
  '%00',
  '\u0000',
  '__proto__',
  'constructor',
  'prototype',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '<script>alert(1)</script>',
  `$${'{'}7*7}`,
  '{{7*7}}',
  'gth_user_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  '\uD800',
  '🙂'.repeat(50),
  'a'.repeat(70),
  'a'.repeat(9000),
  '-1',
  '1e309',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

/** Any JSON value, hostile shapes included. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileString,
  fc.constantFrom(null, true, -1, 0, 1e308, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, -0.5),
  fc.constant({ __proto__: { admin: true } }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}')),
);

/** A value that follows the schema (as far as a generator can), or not, about `chaos` of the time. */
export function valueFor(schema: Schema | undefined, chaos: number): fc.Arbitrary<unknown> {
  const weight = Math.round(chaos * 100);
  return fc.oneof({ weight: 100 - weight, arbitrary: validFor(schema ?? {}) }, { weight, arbitrary: anyJson });
}

/** Arbitraries of string patterns, built once: building one parses the pattern, which is slow. */
const patterns = new Map<string, fc.Arbitrary<string>>();

function validFor(schema: Schema): fc.Arbitrary<unknown> {
  const anyOf = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (anyOf && anyOf.length > 0) return fc.oneof(...anyOf.map((s) => validFor(s)));
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...(schema.enum as unknown[]));
  if ('const' in schema) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? (schema.type as string[])[0] : (schema.type as string | undefined);
  switch (type) {
    case 'string': {
      const min = (schema.minLength as number | undefined) ?? 0;
      const max = Math.min((schema.maxLength as number | undefined) ?? 60, 200);
      if (typeof schema.pattern === 'string') {
        const key = `${schema.pattern}\n${min}\n${max}`;
        let arbitrary = patterns.get(key);
        if (!arbitrary) {
          try {
            arbitrary = fc
              .stringMatching(new RegExp(schema.pattern), { size: 'xsmall' })
              .map((s) => (s.length > max ? s.slice(0, max) : s));
          } catch {
            arbitrary = fc.string({ minLength: min, maxLength: Math.max(min, max) });
          }
          patterns.set(key, arbitrary);
        }
        return arbitrary;
      }
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      return fc.string({ minLength: min, maxLength: Math.max(min, max) });
    }
    case 'integer':
      return fc.integer({
        min: (schema.minimum as number | undefined) ?? -1000,
        max: (schema.maximum as number | undefined) ?? 100_000,
      });
    case 'number':
      return fc.double({ noNaN: true, min: -1e6, max: 1e6 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validFor((schema.items as Schema | undefined) ?? {}), {
        minLength: (schema.minItems as number | undefined) ?? 0,
        maxLength: Math.min((schema.maxItems as number | undefined) ?? 4, 6),
      });
    case 'object':
    case undefined: {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, property] of Object.entries(properties)) record[name] = validFor(property);
      if (Object.keys(record).length === 0) return type === 'object' ? fc.constant({}) : anyJson;
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
    }
    default:
      return anyJson;
  }
}

function pathValue(name: string, schema: Schema, context: FuzzContext): fc.Arbitrary<string> {
  const known = context.ids[name] ?? [];
  const fromSchema = validFor(schema).map((v) => String(v));
  return fc.oneof(
    { weight: 4, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fromSchema },
    { weight: 2, arbitrary: fromSchema },
    { weight: 1, arbitrary: hostileString },
  );
}

/** One request: mostly shaped like the operation, with hostile variations. */
export function requestFor(operations: readonly FuzzOperation[], context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  // One arbitrary per operation, built once.
  return fc.oneof(...operations.map((op) => requestForOperation(op, context)));
}

function requestForOperation(op: FuzzOperation, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  {
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    const params: Record<string, fc.Arbitrary<string>> = {};
    for (const p of pathParams)
      params[p.name] =
        p.name === 'apiVersion'
          ? fc.constantFrom('v2025-01-09', 'v1', 'vX', 'v2', 'v9999-01-01', '')
          : pathValue(p.name, p.schema, context);
    const query: Record<string, fc.Arbitrary<unknown>> = {};
    for (const p of queryParams) query[p.name] = valueFor(p.schema, 0.2);
    return fc
      .record({
        path: fc.record(params),
        query: fc.record(query, { requiredKeys: [] }),
        extraQuery: fc.option(fc.tuple(hostileString, hostileString), { freq: 5 }),
        body: op.body ? valueFor(op.body.schema, 0.25) : fc.constant(undefined),
        bodyMode: fc.constantFrom('json', 'json', 'json', 'json', 'raw-garbage', 'wrong-type', 'huge', 'none', 'form'),
        token: fc.constantFrom(...context.tokens),
        method: fc.oneof(
          { weight: 19, arbitrary: fc.constant(op.method) },
          { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') },
        ),
      })
      .map((r) => {
        let path = op.path;
        for (const [name, value] of Object.entries(r.path)) path = path.replace(`{${name}}`, encodeSegment(value));
        const search = new URLSearchParams();
        for (const [name, value] of Object.entries(r.query)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value])
            search.append(name, typeof v === 'string' ? v : JSON.stringify(v));
        }
        if (r.extraQuery) search.append(r.extraQuery[0], r.extraQuery[1]);
        const qs = search.toString();
        const headers: Record<string, string> = {};
        if (r.token) headers.authorization = `Bearer ${r.token}`;
        let body: string | undefined;
        if (op.body && r.bodyMode !== 'none' && r.method !== 'GET' && r.method !== 'HEAD') {
          switch (r.bodyMode) {
            case 'raw-garbage':
              headers['content-type'] = op.body.mediaType;
              body = '{"unterminated": [1, 2,';
              break;
            case 'wrong-type':
              headers['content-type'] = 'text/plain';
              body = JSON.stringify(r.body);
              break;
            case 'huge':
              headers['content-type'] = op.body.mediaType;
              body = JSON.stringify({ padding: 'x'.repeat(70 * 1024) });
              break;
            case 'form':
              headers['content-type'] = 'application/x-www-form-urlencoded';
              body = new URLSearchParams(
                Object.entries((r.body ?? {}) as Record<string, unknown>).map(([k, v]) => [
                  k,
                  typeof v === 'string' ? v : JSON.stringify(v),
                ]),
              ).toString();
              break;
            default:
              if (op.body.mediaType === 'application/x-www-form-urlencoded') {
                headers['content-type'] = op.body.mediaType;
                body = new URLSearchParams(
                  Object.entries((r.body ?? {}) as Record<string, unknown>).map(([k, v]) => [
                    k,
                    typeof v === 'string' ? v : JSON.stringify(v),
                  ]),
                ).toString();
              } else {
                headers['content-type'] = 'application/json';
                body = JSON.stringify(r.body) ?? 'null';
              }
          }
        }
        return {
          method: r.method,
          path: qs ? `${path}?${qs}` : path,
          headers,
          ...(body !== undefined ? { body } : {}),
          operation: `${op.method} ${op.path}`,
        };
      });
  }
}

/** Percent-encoding that also takes lone surrogates (as their UTF-8 replacement character). */
function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}

/** 502s a request may legitimately get: an identity provider that cannot be reached or is refused. */
const ALLOWED_5XX_CODES = new Set(['provider_unavailable', 'provider_address_refused']);

/** Whether an answer keeps the contract. */
export function judge(request: FuzzRequest, status: number, contentType: string | null, text: string): FuzzVerdict {
  if (status === 0) return { ok: false, reason: 'no answer' };
  // A HEAD answer has the headers of the GET and, by definition, no body.
  if (request.method === 'HEAD') return status < 500 ? { ok: true } : { ok: false, reason: `${status} to HEAD` };
  let body: { statusCode?: unknown; error?: unknown; message?: unknown; reason?: { code?: unknown } } | null = null;
  if (contentType?.startsWith('application/json')) {
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'JSON content type with a body that is not JSON' };
    }
  }
  if (status >= 500) {
    const code = body?.reason?.code;
    if (!(status === 502 && typeof code === 'string' && ALLOWED_5XX_CODES.has(code))) {
      return { ok: false, reason: `${status} ${text.slice(0, 200)}` };
    }
  }
  if (status >= 400) {
    if (contentType?.startsWith('text/html') && request.path.includes('/auth/')) return { ok: true };
    if (
      !body ||
      body.statusCode !== status ||
      typeof body.error !== 'string' ||
      typeof body.message !== 'string' ||
      typeof body.reason?.code !== 'string'
    ) {
      return { ok: false, reason: `error outside the envelope: ${status} ${contentType} ${text.slice(0, 200)}` };
    }
  }
  return { ok: true };
}

export interface FuzzReport {
  requests: number;
  failures: Array<{ request: FuzzRequest; reason: string }>;
  statuses: Record<string, number>;
  operations: number;
  elapsedMs: number;
}

/** Sends `count` generated requests, `concurrency` at a time, and judges every answer. */
export async function fuzz(
  baseUrl: string,
  operations: readonly FuzzOperation[],
  context: FuzzContext,
  { count, concurrency = 8, seed = 42 }: { count: number; concurrency?: number; seed?: number },
): Promise<FuzzReport> {
  const arbitrary = requestFor(operations, context);
  const covered = new Set<string>();
  const report: FuzzReport = { requests: 0, failures: [], statuses: {}, operations: 0, elapsedMs: 0 };
  const started = Date.now();
  // Generated in batches: a full-size run has too many large bodies to hold at once.
  let batch: FuzzRequest[] = [];
  let generated = 0;
  const take = (): FuzzRequest | undefined => {
    if (batch.length === 0 && generated < count) {
      const size = Math.min(1_000, count - generated);
      batch = fc.sample(arbitrary, { numRuns: size, seed: seed + generated });
      generated += size;
    }
    return batch.shift();
  };
  const worker = async () => {
    for (let request = take(); request !== undefined; request = take()) {
      covered.add(request.operation);
      const sentAt = Date.now();
      let status = 0;
      let contentType: string | null = null;
      let text = '';
      try {
        const res = await fetch(baseUrl + request.path, {
          method: request.method,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          redirect: 'manual',
          signal: AbortSignal.timeout(15_000),
        });
        status = res.status;
        contentType = res.headers.get('content-type');
        text = await res.text();
      } catch (error) {
        text = String(error);
      }
      report.requests += 1;
      if (process.env.GATEHOUSE_FUZZ_DEBUG && Date.now() - sentAt > 2000) {
        console.warn(
          'slow',
          Date.now() - sentAt,
          status,
          request.method,
          request.path.slice(0, 120),
          JSON.stringify(request.headers),
          (request.body ?? '').slice(0, 100),
        );
      }
      report.statuses[String(status)] = (report.statuses[String(status)] ?? 0) + 1;
      const verdict = judge(request, status, contentType, text);
      if (!verdict.ok) report.failures.push({ request, reason: verdict.reason ?? '' });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  report.operations = covered.size;
  report.elapsedMs = Date.now() - started;
  return report;
}
