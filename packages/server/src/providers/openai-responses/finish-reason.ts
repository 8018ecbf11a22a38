import type { FinishReason, SluiceErrorCode } from '@sluice/protocol';

/** `response.incomplete` carries why in `incomplete_details.reason`: `max_output_tokens` or `content_filter`. */
export function mapIncompleteReason(reason: string | undefined): FinishReason {
  return reason === 'content_filter' ? 'content_filter' : 'length';
}

/** The `code` of an `error` event or of a failed response's `error` (https://platform.openai.com/docs/guides/error-codes). */
export function mapErrorCode(code: string | null | undefined): SluiceErrorCode {
  return code === 'rate_limit_exceeded' ? 'rate_limited' : 'upstream_error';
}
