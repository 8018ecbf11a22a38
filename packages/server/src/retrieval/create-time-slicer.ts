import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * For long synchronous work done in pieces (chunking a batch of documents, writing its chunks): call the
 * returned function between pieces, and once `sliceMs` of work has passed it lets the event loop run a
 * turn before the next piece, so that streams and probes are not held for the whole batch.
 */
export function createTimeSlicer(sliceMs = 10): () => Promise<void> | undefined {
  let sliceStartedAt = performance.now();
  return () => {
    if (performance.now() - sliceStartedAt < sliceMs) return undefined;
    return nextTurn().then(() => {
      sliceStartedAt = performance.now();
    });
  };
}
