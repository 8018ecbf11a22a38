import { SluiceError } from '@sluice/protocol';
import type { Redact } from './create-redactor.ts';

/** The error as a client may see it: the same code, status and hints, its message redacted. */
export function redactError(error: SluiceError, redact: Redact): SluiceError {
  const message = redact(error.message);
  if (message === error.message) return error;
  return new SluiceError(error.code, message, {
    status: error.status,
    retryable: error.retryable,
    retryAfterSeconds: error.retryAfterSeconds,
    param: error.param,
    cause: error.cause,
  });
}
