import type { HttpResponse } from './http-types.ts';
import { normalizeError, type SluiceError } from '@sluice/protocol';
import type { Redact } from '../observability/create-redactor.ts';
import type { Logger } from '../observability/logger.ts';
import { redactError } from '../observability/redact-error.ts';
import { sendJsonError } from './send-json.ts';

/**
 * Answers whatever a handler threw, normalized here, once: the client gets a JSON error with the right
 * status (in `errorBody`'s shape when given), its message redacted, and never a stack trace; the log keeps
 * the cause. A response already under way is cut instead.
 */
export function sendFailure(
  { logger, redact }: { logger: Logger; redact: Redact },
  response: HttpResponse,
  requestId: string,
  error: unknown,
  errorBody?: (error: SluiceError) => unknown,
): void {
  const failure = redactError(normalizeError(error), redact);
  if (failure.code === 'internal') logger.error({ request_id: requestId, err: error }, 'request failed');
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJsonError(response, failure, { 'x-request-id': requestId }, errorBody?.(failure));
}
