/**
 * The one error type that crosses layers. Anything else is normalized once, at the boundary where it
 * enters (see `normalizeError`), so a client never sees a stack trace or an upstream secret.
 */

export const errorCodes = [
  'bad_request',
  'not_found',
  'gone',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'budget_exceeded',
  'upstream_error',
  'upstream_timeout',
  'timeout',
  'cancelled',
  'overloaded',
  'shutting_down',
  'internal',
] as const;

export type SluiceErrorCode = (typeof errorCodes)[number];

const defaults: Record<SluiceErrorCode, { status: number; retryable: boolean; type: string }> = {
  bad_request: { status: 400, retryable: false, type: 'invalid_request_error' },
  not_found: { status: 404, retryable: false, type: 'invalid_request_error' },
  // A resume whose events are no longer kept: the stream is known, the part asked for is not.
  gone: { status: 410, retryable: false, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, retryable: false, type: 'invalid_request_error' },
  payload_too_large: { status: 413, retryable: false, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, retryable: false, type: 'invalid_request_error' },
  unauthorized: { status: 401, retryable: false, type: 'authentication_error' },
  // A valid key that may not do this (a model it is not allowed).
  forbidden: { status: 403, retryable: false, type: 'permission_error' },
  rate_limited: { status: 429, retryable: true, type: 'rate_limit_error' },
  // 429 as OpenAI answers a spent quota (`insufficient_quota`): waiting does not help, a bigger budget does.
  budget_exceeded: { status: 429, retryable: false, type: 'insufficient_quota' },
  upstream_error: { status: 502, retryable: true, type: 'upstream_error' },
  upstream_timeout: { status: 504, retryable: true, type: 'upstream_error' },
  timeout: { status: 504, retryable: true, type: 'timeout_error' },
  // 499 is the de-facto status for "client closed request" (nginx); it only ever reaches logs.
  cancelled: { status: 499, retryable: false, type: 'cancelled' },
  overloaded: { status: 503, retryable: true, type: 'overloaded_error' },
  shutting_down: { status: 503, retryable: true, type: 'service_unavailable' },
  internal: { status: 500, retryable: false, type: 'server_error' },
};

export interface SluiceErrorOptions {
  status?: number;
  retryable?: boolean;
  /** Seconds, from an upstream `retry-after`, passed on to the client as the same header. */
  retryAfterSeconds?: number;
  /** The request field at fault, for `bad_request`. */
  param?: string;
  cause?: unknown;
}

export class SluiceError extends Error {
  override readonly name = 'SluiceError';
  readonly code: SluiceErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly param: string | undefined;

  constructor(code: SluiceErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? defaults[code].status;
    this.retryable = options.retryable ?? defaults[code].retryable;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.param = options.param;
  }

  /** The OpenAI-style JSON body for an HTTP error response. */
  toResponseBody(): { error: { message: string; type: string; code: SluiceErrorCode; param: string | null } } {
    return { error: { message: this.message, type: defaults[this.code].type, code: this.code, param: this.param ?? null } };
  }
}

export function isSluiceError(value: unknown): value is SluiceError {
  return value instanceof SluiceError;
}

/**
 * Turns anything thrown into a SluiceError. An unknown error becomes `internal` with a generic message:
 * its own message may hold a URL with a key or an internal path, so it stays in `cause` for the logs.
 */
export function normalizeError(error: unknown): SluiceError {
  if (isSluiceError(error)) return error;
  return new SluiceError('internal', 'Internal error', { cause: error });
}
