import type { StreamPart } from '@sluice/protocol';

/**
 * A batch with adjacent text deltas (and adjacent reasoning deltas) merged into one part each, so that
 * tokens that arrived together, or piled up while the client socket was full, leave as one event.
 * Returns the batch itself when there is nothing to merge.
 */
export function mergeDeltas(batch: StreamPart[]): StreamPart[] {
  if (batch.length < 2) return batch;
  const merged: StreamPart[] = [];
  for (const part of batch) {
    const last = merged[merged.length - 1];
    if (part.type === 'text-delta' && last?.type === 'text-delta') {
      merged[merged.length - 1] = { type: 'text-delta', text: last.text + part.text };
    } else if (part.type === 'reasoning-delta' && last?.type === 'reasoning-delta') {
      merged[merged.length - 1] = { type: 'reasoning-delta', text: last.text + part.text };
    } else {
      merged.push(part);
    }
  }
  return merged;
}
