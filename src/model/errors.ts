/**
 * Problems: every error a caller can get, as data.
 *
 * The body is the envelope the official clients parse, `{statusCode, error, message}`, plus a
 * machine-readable `reason` object beside it (`reason.code` and whatever explains the refusal).
 * The three compatible fields never change shape; `reason` is where Gatehouse says *why*.
 */
import type { RateLimitReport } from './rate-limit.js';

export interface Reason {
  code: string;
  [detail: string]: unknown;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  reason: Reason;
  /** Sanity's session error codes (SIO-401-ANF …), kept for clients that switch on them. */
  errorCode?: string;
}

export const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * What an answer carries besides its body, as data: http/errors.ts turns it into response headers
 * (src/http/headers.ts). `headers` is for the HTTP layer's own problems.
 */
export interface ProblemExtra {
  /** Sanity's session error code (`SIO-401-ANF` …), in the body as `errorCode`. */
  errorCode?: string;
  /**
   * The answer challenges the client for a bearer token (RFC 6750 §3): `token` when none was sent,
   * `invalid_token` when the one sent was refused, `invalid_request` when it was malformed.
   */
  challenge?: 'token' | 'invalid_token' | 'invalid_request';
  /** How many seconds the client should wait before trying again. */
  retryAfterSeconds?: number;
  /** The abuse-limit window the request was counted in. */
  rateLimit?: RateLimitReport;
  headers?: Record<string, string>;
}

export class Problem extends Error {
  override name = 'Problem';
  constructor(
    readonly status: number,
    message: string,
    readonly reason: Reason,
    readonly extra: ProblemExtra = {},
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return {
      statusCode: this.status,
      error: STATUS_TEXT[this.status] ?? 'Error',
      message: this.message,
      reason: this.reason,
      ...(this.extra.errorCode ? { errorCode: this.extra.errorCode } : {}),
    };
  }
}

export const problems = {
  badRequest: (message: string, reason: Reason) => new Problem(400, message, reason),
  invalidInput: (message: string, field?: string) =>
    new Problem(400, message, { code: 'invalid_input', ...(field ? { field } : {}) }),
  notFound: (message: string, reason: Omit<Reason, 'code'> = {}) => new Problem(404, message, { code: 'not_found', ...reason }),
  conflict: (message: string, reason: Reason) => new Problem(409, message, reason),
  forbidden: (message: string, reason: Reason) => new Problem(403, message, reason),
};
