import type { HttpResponse } from './http-types.ts';
import { normalizeError, type SluiceError } from '@sluice/protocol';
import type { Logger } from '../observability/logger.ts';
import { sendJsonError } from './send-json.ts';

/**
 * Answers whatever a handler threw, normalized here, once: the client gets a JSON error with the right
 * status (in `errorBody`'s shape when given) and never a stack trace; the log keeps the cause. A response
 * already under way is cut instead.
 */
export function sendFailure(logger: Logger, response: HttpResponse, requestId: string, error: unknown, errorBody?: (error: SluiceError) => unknown): void {
  const failure = normalizeError(error);
  if (failure.code === 'internal') logger.error({ request_id: requestId, err: error }, 'request failed');
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJsonError(response, failure, { 'x-request-id': requestId }, errorBody?.(failure));
}
