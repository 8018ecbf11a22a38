/**
 * Turns texts into vectors for the vector half of hybrid search. Stores call it on upsert (one vector per
 * chunk) and on search (one for the query); without an embedder a store ranks lexically only.
 */
export interface Embedder {
  /**
   * One vector per text, in the order of `texts`, all of the same length. Throws a `SluiceError`
   * (`upstream_error`, `upstream_timeout`, `rate_limited`, or `cancelled` when `signal` aborts).
   */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** Scales a vector to length 1, so that a dot product is the cosine similarity. A zero vector stays zero. */
export function normalizeVector(vector: ArrayLike<number>): Float32Array {
  let sumOfSquares = 0;
  for (let index = 0; index < vector.length; index++) sumOfSquares += vector[index]! * vector[index]!;
  const length = Math.sqrt(sumOfSquares);
  const normalized = new Float32Array(vector.length);
  if (length === 0) return normalized;
  for (let index = 0; index < vector.length; index++) normalized[index] = vector[index]! / length;
  return normalized;
}
