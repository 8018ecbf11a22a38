import { normalizeError, SluiceError } from '../protocol/errors.ts';
import type { ErrorPart, StreamPart } from '../protocol/stream-part.ts';

/**
 * The boundary between a provider and the rest of the pipeline. Whatever the upstream does, the
 * stream that leaves here ends with exactly one terminal part, `finish` or `error`:
 * a thrown error becomes an `error` part (the abort's own reason when the stream was aborted), and an
 * iterable that ends without a terminal part is an upstream failure, never a normal ending.
 *
 * `observe` runs synchronously on every part that leaves, the terminal one included (accounting, see
 * `createStreamAccounting`); a part it returns is sent just before that part.
 */
export async function* guardUpstream(
  source: AsyncIterable<StreamPart>,
  signal: AbortSignal,
  observe: (part: StreamPart) => StreamPart | undefined = () => undefined,
): AsyncGenerator<StreamPart> {
  let terminal: ErrorPart;
  try {
    for await (const part of source) {
      const before = observe(part);
      if (before !== undefined) yield before;
      yield part;
      if (part.type === 'finish' || part.type === 'error') return;
    }
    terminal = toErrorPart(new SluiceError('upstream_error', 'The upstream ended the stream without finishing'));
  } catch (error) {
    terminal = toErrorPart(signal.aborted ? signal.reason : error);
  }
  const before = observe(terminal);
  if (before !== undefined) yield before;
  yield terminal;
}

export function toErrorPart(error: unknown): ErrorPart {
  const normalized = normalizeError(error);
  return { type: 'error', code: normalized.code, message: normalized.message, retryable: normalized.retryable };
}
