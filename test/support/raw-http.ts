/**
 * Bytes over a raw TCP socket, for the HTTP edge cases a real client library would never send
 * (no Host, two Hosts, blank lines, a lying Content-Length). Resolves with everything the server
 * wrote and whether it closed the connection, after the close or after `waitMs`.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  /** Everything the server sent. */
  text: string;
  /** Whether the server closed the connection before `waitMs`. */
  closed: boolean;
  /** Milliseconds from connecting to the close (or to giving up). */
  elapsedMs: number;
  status: number | null;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON body freely.
  body: any;
}

export function rawSocket(baseUrl: string, bytes: string, waitMs = 3_000): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, elapsedMs: Date.now() - started, ...parse(text) });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('close', () => finish(true));
    socket.on('error', (error) => {
      if (!settled && text === '') reject(error);
    });
    socket.write(bytes);
  });
}

/** The first response in `text`: status, lower-cased headers, and the body as JSON when it is JSON. */
function parse(text: string): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return { status: null, headers: {}, body: null };
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let raw = text.slice(end + 4);
  if (headers['content-length'] !== undefined) raw = raw.slice(0, Number(headers['content-length']));
  let body: unknown = raw;
  try {
    body = raw === '' ? null : JSON.parse(raw);
  } catch {
    // not JSON
  }
  return { status: Number.isFinite(status) ? status : null, headers, body };
}
