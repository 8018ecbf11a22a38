import { type ErrorPart, SluiceError } from '@sluice/protocol';

// The errors a hub gives readers; before a response's first byte each is the HTTP status the client gets.

export function unknownStream(streamId: string): SluiceError {
  return new SluiceError('not_found', `No stream ${streamId}: it never existed here or it expired`);
}

export function fellBehind(sequence: number, firstKeptSequence: number, maxEntries: number): SluiceError {
  return new SluiceError(
    'gone',
    `The events after sequence ${sequence} are no longer kept: the log keeps the last ${maxEntries} or so and starts at ${firstKeptSequence}`,
  );
}

export function storeUnavailable(cause: unknown): SluiceError {
  return new SluiceError('overloaded', 'The shared stream store (Redis) is unavailable; retry shortly', { cause });
}

/** What a reader gets when the instance (or worker) generating its stream stopped before the end. */
export const ownerLostPart: ErrorPart = {
  type: 'error',
  code: 'internal',
  message: 'The instance generating this stream stopped before it finished; ask again',
  retryable: true,
};
