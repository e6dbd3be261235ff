/**
 * Requests to identity providers, which organization administrators configure, made safe from
 * server-side request forgery (model/addresses.ts has the address rules):
 *
 * - **https only.** Plain http is accepted only for a loopback host the operator listed in
 *   GATEHOUSE_IDP_ALLOWED_HOSTS (development and tests).
 * - **public addresses only.** A host must resolve only to public addresses, unless the operator
 *   listed the host name, or the address (range), in GATEHOUSE_IDP_ALLOWED_HOSTS. Names that mean
 *   this machine or a local network (`localhost`, `*.local`, `*.internal`) need listing too.
 * - **checked when connecting, not just when configured.** The check runs in the DNS lookup of
 *   every connection, so a name that resolved to a public address when the provider was saved and
 *   to 127.0.0.1 now (DNS rebinding) is refused, and the connection goes to the very address that
 *   was checked. Redirects are re-checked hop by hop (openid-client follows none).
 * - **bounded.** A response larger than 1 MiB is cut off and refused.
 *
 * The operator's own global provider (GATEHOUSE_OIDC_ISSUER) is the operator's choice and is not
 * held to these rules.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { IdentityConfig } from '../../config.js';
import { AllowedHosts, isLocalName, isPublicAddress } from '../../model/addresses.js';
import { Problem } from '../../model/errors.js';

/** Largest response body accepted from an identity provider. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
/** How many redirects a `redirect: 'follow'` request may take. */
const MAX_REDIRECTS = 5;
/** How long a configuration-time name lookup may take before the name is taken as unresolvable. */
const CONFIG_LOOKUP_TIMEOUT_MS = 2_000;

/** A request the rules refused: never sent, or cut off before anything was read. */
export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
  constructor(
    message: string,
    /** Why, for the configuration error's `reason.why`. */
    readonly why: 'scheme' | 'address' | 'name' | 'size',
  ) {
    super(message);
  }
}

type Lookup = (hostname: string, callback: (error: Error | null, addresses: LookupAddress[]) => void) => void;

const systemLookup: Lookup = (hostname, callback) => dnsLookup(hostname, { all: true }, callback);

/** The subset of fetch's options openid-client passes (its CustomFetchOptions). */
export interface OutboundInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | URLSearchParams | Uint8Array | ArrayBuffer | null | ReadableStream;
  redirect?: 'manual' | 'follow' | 'error';
  signal?: AbortSignal | null;
}

function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

export class OutboundPolicy {
  readonly allowed: AllowedHosts;

  constructor(
    allowedHosts: readonly string[],
    private readonly lookup: Lookup = systemLookup,
  ) {
    this.allowed = new AllowedHosts(allowedHosts);
  }

  /** Scheme and host of a URL, before any name is resolved. Throws OutboundRefused. */
  checkUrl(url: URL): void {
    const host = bare(url.hostname);
    const listed = this.allowed.allowsHost(host);
    if (url.protocol === 'http:') {
      const loopback = host === 'localhost' || (isIP(host) !== 0 && !isPublicAddress(host) && /^(127\.|::1$)/.test(host));
      if (!(loopback && listed)) {
        throw new OutboundRefused(`${url.protocol}//${url.host} is not https`, 'scheme');
      }
    } else if (url.protocol !== 'https:') {
      throw new OutboundRefused(`${url.protocol} is not https`, 'scheme');
    }
    if (isIP(host) !== 0) {
      if (!listed && !isPublicAddress(host)) throw new OutboundRefused(`${host} is not a public address`, 'address');
    } else if (isLocalName(host) && !listed) {
      throw new OutboundRefused(`${host} names a local host`, 'name');
    }
  }

  /** Whether a connection to `hostname` may go to `address`. */
  addressAllowed(hostname: string, address: string): boolean {
    return isPublicAddress(address) || this.allowed.allowsHost(bare(hostname)) || this.allowed.allowsAddress(address);
  }

  /**
   * The configuration-time check of an identity provider URL: shape (checkUrl) and, when the name
   * resolves now, every address it resolves to. A name that does not resolve is accepted here (it
   * may be created later) and checked when it is used. Throws 400 `idp_url_not_allowed`.
   */
  async checkConfigured(value: string, field: string): Promise<void> {
    const refuse = (refusal: OutboundRefused) =>
      new Problem(400, `${field} is not allowed: ${refusal.message}`, {
        code: 'idp_url_not_allowed',
        field,
        why: refusal.why,
        hint: 'Identity providers must be reached over https at a public address. If yours is on a private network, the server’s operator can allow its host in GATEHOUSE_IDP_ALLOWED_HOSTS.',
      });
    const url = new URL(value);
    try {
      this.checkUrl(url);
    } catch (error) {
      if (error instanceof OutboundRefused) throw refuse(error);
      throw error;
    }
    const host = bare(url.hostname);
    if (isIP(host) !== 0) return;
    const addresses = await new Promise<LookupAddress[]>((resolve) => {
      const timer = setTimeout(() => resolve([]), CONFIG_LOOKUP_TIMEOUT_MS);
      this.lookup(host, (error, found) => {
        clearTimeout(timer);
        resolve(error ? [] : found);
      });
    });
    const bad = addresses.find((a) => !this.addressAllowed(host, a.address));
    if (bad) throw refuse(new OutboundRefused(`${host} resolves to ${bad.address}, which is not a public address`, 'address'));
  }

  /** The DNS lookup of every outbound connection: only allowed addresses are ever connected to. */
  private connectLookup(): LookupFunction {
    return (hostname, options, callback) => {
      this.lookup(hostname, (error, addresses) => {
        if (error) return callback(error, '', 0);
        const usable = addresses.filter(
          (a) => options.family === undefined || options.family === 0 || a.family === options.family,
        );
        const bad = usable.find((a) => !this.addressAllowed(hostname, a.address));
        if (bad || usable.length === 0) {
          const refusal = new OutboundRefused(
            bad ? `${hostname} resolves to ${bad.address}, which is not a public address` : `${hostname} has no usable address`,
            'address',
          );
          return callback(refusal as NodeJS.ErrnoException, '', 0);
        }
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
        const first = usable[0] as LookupAddress;
        return callback(null, first.address, first.family);
      });
    };
  }

  /** A fetch for openid-client (`customFetch`) that keeps to the rules. */
  readonly fetch = async (input: string | URL, init: OutboundInit = {}): Promise<Response> => {
    let url = new URL(input);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    for (let hop = 0; ; hop++) {
      this.checkUrl(url);
      const response = await this.once(url, method, init, body);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location || init.redirect !== 'follow') return response;
      if (hop >= MAX_REDIRECTS) throw new OutboundRefused(`more than ${MAX_REDIRECTS} redirects`, 'address');
      url = new URL(location, url);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
    }
  };

  private once(url: URL, method: string, init: OutboundInit, body: OutboundInit['body']): Promise<Response> {
    const headers: Record<string, string> =
      init.headers instanceof Headers ? Object.fromEntries(init.headers.entries()) : { ...(init.headers ?? {}) };
    let payload: Buffer | undefined;
    if (typeof body === 'string') payload = Buffer.from(body);
    else if (body instanceof URLSearchParams) payload = Buffer.from(body.toString());
    else if (body instanceof Uint8Array) payload = Buffer.from(body);
    else if (body instanceof ArrayBuffer) payload = Buffer.from(new Uint8Array(body));
    else if (body) throw new Error('streamed request bodies are not supported');
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers,
          lookup: this.connectLookup(),
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              req.destroy(new OutboundRefused(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`, 'size'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 502;
            const responseHeaders = new Headers();
            for (let i = 0; i < res.rawHeaders.length; i += 2) {
              responseHeaders.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
            }
            const nullBody = status === 204 || status === 205 || status === 304;
            resolve(
              new Response(nullBody ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage ?? '',
                headers: responseHeaders,
              }),
            );
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

const policies = new WeakMap<IdentityConfig, OutboundPolicy>();

/** The outbound policy of a server's identity settings (one per configuration). */
export function outboundPolicyOf(identity: IdentityConfig): OutboundPolicy {
  let policy = policies.get(identity);
  if (!policy) {
    policy = new OutboundPolicy(identity.idpAllowedHosts);
    policies.set(identity, policy);
  }
  return policy;
}
