import { type ErrorPart, isTerminalPart, normalizeError, SluiceError, type StreamPart } from '@sluice/protocol';

/**
 * The boundary between a provider and the rest of the pipeline. Whatever the upstream does, the
 * batches that leave here end with exactly one terminal part, `finish` or `error`, and none is empty:
 * a thrown error becomes an `error` part (the abort's own reason when the stream was aborted), and an
 * iterable that ends without a terminal part is an upstream failure, never a normal ending.
 *
 * `observe` runs synchronously on every part that leaves, the terminal one included (accounting, see
 * `createStreamAccounting`); a part it returns is sent just before that part. `redact` rewrites the
 * message of the terminal `error` part, which may quote the upstream, before anything sees it.
 */
export async function* guardUpstream(
  source: AsyncIterable<StreamPart[]>,
  signal: AbortSignal,
  observe: (part: StreamPart) => StreamPart | undefined = () => undefined,
  redact: (text: string) => string = (text) => text,
): AsyncGenerator<StreamPart[]> {
  const check = (batch: StreamPart[]): StreamPart[] => observeBatch(batch, observe, redact);
  let terminal: ErrorPart;
  try {
    for await (const batch of source) {
      const checked = check(batch);
      if (checked.length === 0) continue;
      yield checked;
      if (isTerminalPart(checked[checked.length - 1]!)) return;
    }
    terminal = toErrorPart(new SluiceError('upstream_error', 'The upstream ended the stream without finishing'));
  } catch (error) {
    terminal = toErrorPart(signal.aborted ? signal.reason : error);
  }
  yield check([terminal]);
}

/**
 * Observes each part of a batch, up to its first terminal part; copies the batch only to insert, cut or
 * redact.
 */
function observeBatch(batch: StreamPart[], observe: (part: StreamPart) => StreamPart | undefined, redact: (text: string) => string): StreamPart[] {
  let copy: StreamPart[] | undefined;
  for (let index = 0; index < batch.length; index += 1) {
    let part = batch[index]!;
    if (part.type === 'error') {
      const message = redact(part.message);
      if (message !== part.message) {
        part = { ...part, message };
        copy ??= batch.slice(0, index);
      }
    }
    const before = observe(part);
    if (before !== undefined) {
      copy ??= batch.slice(0, index);
      copy.push(before);
    }
    copy?.push(part);
    if (isTerminalPart(part)) return copy ?? (index === batch.length - 1 ? batch : batch.slice(0, index + 1));
  }
  return copy ?? batch;
}

export function toErrorPart(error: unknown): ErrorPart {
  const normalized = normalizeError(error);
  return { type: 'error', code: normalized.code, message: normalized.message, retryable: normalized.retryable };
}
