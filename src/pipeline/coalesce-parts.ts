import type { StreamPart } from '../protocol/stream-part.ts';

/**
 * The bounded buffer between the pipeline and a client socket. It reads ahead while the writer is busy
 * (waiting for the socket to drain), merging adjacent text deltas so that tokens that pile up leave as
 * one event in one write. Each pull takes everything pending as one batch.
 *
 * Bound and overflow policy: once the pending text reaches `maxPendingBytes` (counted as three bytes
 * per UTF-16 code unit, the most UTF-8 needs, so the real size never exceeds it), it stops reading the
 * source, which stops reading the upstream socket, so TCP pushes back on the provider. Memory per stream is therefore this
 * bound plus the socket buffers, whatever the client's speed; a client that stays stuck is cut by the
 * writer's send timeout.
 *
 * A consumer that stops early ends the read-ahead too, and the source is closed through `return()`.
 */
export function coalesceParts(source: AsyncIterable<StreamPart>, maxPendingBytes: number): AsyncIterable<StreamPart[]> {
  let pending: StreamPart[] = [];
  let pendingSize = 0;
  let finished = false;
  let stopped = false;
  let failure: unknown;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;

  const wake = (): void => {
    const resolve = wakeConsumer;
    wakeConsumer = undefined;
    resolve?.();
  };

  const pump = async (): Promise<void> => {
    try {
      for await (const part of source) {
        const last = pending[pending.length - 1];
        if (part.type === 'text-delta' && last?.type === 'text-delta') {
          pending[pending.length - 1] = { type: 'text-delta', text: last.text + part.text };
        } else if (part.type === 'reasoning-delta' && last?.type === 'reasoning-delta') {
          pending[pending.length - 1] = { type: 'reasoning-delta', text: last.text + part.text };
        } else {
          pending.push(part);
        }
        if (part.type === 'text-delta' || part.type === 'reasoning-delta') pendingSize += part.text.length * 3;
        wake();
        if (pendingSize >= maxPendingBytes) await new Promise<void>((resolve) => (wakeProducer = resolve));
        if (stopped) break;
      }
    } catch (error) {
      failure = error;
    } finally {
      finished = true;
      wake();
    }
  };

  return {
    async *[Symbol.asyncIterator]() {
      const resumeProducer = (): void => {
        const resolve = wakeProducer;
        wakeProducer = undefined;
        resolve?.();
      };
      void pump();
      try {
        while (true) {
          if (pending.length > 0) {
            const batch = pending;
            pending = [];
            pendingSize = 0;
            resumeProducer();
            yield batch;
            continue;
          }
          if (finished) {
            if (failure !== undefined) throw failure;
            return;
          }
          await new Promise<void>((resolve) => (wakeConsumer = resolve));
        }
      } finally {
        stopped = true;
        resumeProducer();
      }
    },
  };
}
