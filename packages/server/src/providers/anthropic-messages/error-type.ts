import type { SluiceErrorCode } from '@sluice/protocol';

/**
 * Maps the `error.type` of an in-stream `error` event (https://docs.anthropic.com/en/api/errors) onto a
 * Sluice code. Overload, rate limits, timeouts and Anthropic's own failures are worth retrying; a request
 * Anthropic refuses mid-stream is not.
 */
export function mapErrorType(type: string | undefined): { code: SluiceErrorCode; retryable: boolean } {
  switch (type) {
    case 'overloaded_error':
      return { code: 'overloaded', retryable: true };
    case 'rate_limit_error':
      return { code: 'rate_limited', retryable: true };
    case 'timeout_error':
      return { code: 'upstream_timeout', retryable: true };
    case 'api_error':
    case undefined:
      return { code: 'upstream_error', retryable: true };
    default:
      return { code: 'upstream_error', retryable: false };
  }
}
