/**
 * The loopback listener a browser login comes back to: `http://127.0.0.1:<port>/callback?state=…`
 * (`browserLogin` in src/cli/login/browser-flow.ts starts it), the port it listens on, and the small
 * page the browser shows at the end.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CliError, usageError } from '../errors.js';

/** The port Sanity's CLI tries first; then the operating system picks one. */
export const DEFAULT_CALLBACK_PORT = 4321;
export const CALLBACK_PORT_ENV = 'GATEHOUSE_CLI_CALLBACK_PORT';

/** `GATEHOUSE_CLI_CALLBACK_PORT`: a port number (0: the system picks); unset: 4321, else any. */
export function callbackPortFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[CALLBACK_PORT_ENV]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65_535) {
    throw usageError(`${CALLBACK_PORT_ENV} must be a port number from 0 to 65535, got "${raw}"`);
  }
  return Number(raw);
}

export type Arrival =
  | { sid: string; answer: (status: number, html: string) => void }
  | { error: string; answer: (status: number, html: string) => void };

export interface Callback {
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
export async function listenForCallback(fixedPort: number | undefined, state: string): Promise<Callback> {
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

/** The small page the browser shows at the end; all text is escaped. */
export function page(title: string, message: string, ok: boolean): string {
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
