import { errorCodes, type SluiceErrorCode } from '@sluice/protocol';

/**
 * Failures only the client can see: the server never sends these codes, it cannot know that the
 * network dropped or that nothing arrived in time.
 */
export const clientErrorCodes = [
  /** The connection failed or dropped and could not be re-established. */
  'network_error',
  /** The server answered something that is not a well-formed Sluice stream (bad JSON, wrong content type). */
  'malformed_stream',
  /** The stream ended without a `done` or `error` event: the answer is incomplete. */
  'truncated_stream',
  /** The connection dropped and the server could not resume the stream (unknown or expired id, no resume support). */
  'resume_unavailable',
  /** No token arrived within `firstTokenTimeoutMs` of the request. */
  'first_token_timeout',
  /** No event arrived within `idleTimeoutMs` of the previous one (heartbeats do not count). */
  'idle_timeout',
] as const;

export type ClientOnlyErrorCode = (typeof clientErrorCodes)[number];

/** A server code (from an HTTP error body or an `error` event) or a client-only code. */
export type SluiceClientErrorCode = SluiceErrorCode | ClientOnlyErrorCode;

export interface SluiceClientErrorOptions {
  /** The HTTP status of the response that carried the error, when there was one. */
  status?: number;
  retryable?: boolean;
  /** Seconds from a `retry-after` header. */
  retryAfterSeconds?: number;
  /** The request field at fault, from the server's error body. */
  param?: string;
  cause?: unknown;
}

/** Every failure of `sluice/client` is one of these, with a literal `code` to switch on. */
export class SluiceClientError extends Error {
  override readonly name = 'SluiceClientError';
  readonly code: SluiceClientErrorCode;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly param: string | undefined;

  constructor(code: SluiceClientErrorCode, message: string, options: SluiceClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.param = options.param;
  }
}

export function isSluiceClientError(value: unknown): value is SluiceClientError {
  return value instanceof SluiceClientError;
}

const knownCodes: ReadonlySet<string> = new Set<string>([...errorCodes, ...clientErrorCodes]);

/** Narrows a code read off the wire; anything unknown becomes `fallback`. */
export function toClientErrorCode(value: unknown, fallback: SluiceClientErrorCode): SluiceClientErrorCode {
  return typeof value === 'string' && knownCodes.has(value) ? (value as SluiceClientErrorCode) : fallback;
}

/** The user (or a `break` out of the loop) stopped the stream. Not a failure; callers usually ignore it. */
export function createCancelledError(reason: unknown): SluiceClientError {
  return new SluiceClientError('cancelled', 'The stream was cancelled by the client', { cause: reason });
}
