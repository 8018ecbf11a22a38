import type { SluiceError, SluiceErrorCode } from '@sluice/protocol';

/** Anthropic's error types (https://docs.anthropic.com/en/api/errors) for each Sluice code. */
const errorTypes: Record<SluiceErrorCode, string> = {
  bad_request: 'invalid_request_error',
  not_found: 'not_found_error',
  gone: 'not_found_error',
  method_not_allowed: 'invalid_request_error',
  payload_too_large: 'request_too_large',
  unsupported_media_type: 'invalid_request_error',
  unauthorized: 'authentication_error',
  forbidden: 'permission_error',
  rate_limited: 'rate_limit_error',
  budget_exceeded: 'rate_limit_error',
  upstream_error: 'api_error',
  upstream_timeout: 'timeout_error',
  timeout: 'timeout_error',
  cancelled: 'api_error',
  overloaded: 'overloaded_error',
  shutting_down: 'overloaded_error',
  internal: 'api_error',
};

export function anthropicErrorType(code: SluiceErrorCode): string {
  return errorTypes[code];
}

/** `{"type":"error","error":{"type","message"}}`: the body of an HTTP error and the data of an `error` event. */
export function anthropicErrorBody(error: Pick<SluiceError, 'code' | 'message'>): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: errorTypes[error.code], message: error.message } };
}
