/**
 * Exact nearest-neighbour search over a collection's chunk vectors, held in memory. Neither SQLite nor
 * PostgreSQL without pgvector can score vectors fast: a SQL dot product over 10,000 chunks of 256
 * dimensions took about 40 ms (SQLite function) and 380 ms (PostgreSQL `unnest`), against about 2 ms
 * for a scan of one contiguous `Float32Array` (see `bench/retrieval.ts`).
 */

export interface ChunkVectors {
  documentIds: string[];
  chunkIndexes: number[];
  dimensions: number;
  /** Row-major: the vector of chunk `i` is `values[i * dimensions, (i + 1) * dimensions)`, unit length. */
  values: Float32Array;
}

/** A chunk vector as a store reads it: float32 in the host's byte order (little-endian in practice). */
export interface StoredVector {
  documentId: string;
  chunkIndex: number;
  embedding: Uint8Array;
}

export function createChunkVectors(dimensions: number, rows: readonly StoredVector[]): ChunkVectors {
  const values = new Float32Array(rows.length * dimensions);
  const bytes = new Uint8Array(values.buffer);
  rows.forEach((row, index) => bytes.set(row.embedding, index * dimensions * 4));
  return { documentIds: rows.map((row) => row.documentId), chunkIndexes: rows.map((row) => row.chunkIndex), dimensions, values };
}

/** The `limit` chunks with the largest dot product with `query`, best first; ties keep load order. */
export function findNearestChunks(
  vectors: ChunkVectors,
  query: Float32Array,
  limit: number,
): { documentId: string; chunkIndex: number; score: number }[] {
  const { dimensions, values } = vectors;
  const count = vectors.documentIds.length;
  const bestRows: number[] = [];
  const bestScores: number[] = [];
  for (let row = 0; row < count; row++) {
    let score = 0;
    const offset = row * dimensions;
    for (let index = 0; index < dimensions; index++) score += values[offset + index]! * query[index]!;
    if (bestRows.length === limit && score <= bestScores[limit - 1]!) continue;
    let position = bestRows.length;
    while (position > 0 && bestScores[position - 1]! < score) position--;
    bestRows.splice(position, 0, row);
    bestScores.splice(position, 0, score);
    if (bestRows.length > limit) {
      bestRows.pop();
      bestScores.pop();
    }
  }
  return bestRows.map((row, index) => ({
    documentId: vectors.documentIds[row]!,
    chunkIndex: vectors.chunkIndexes[row]!,
    score: bestScores[index]!,
  }));
}

export interface VectorCache {
  /**
   * The collection's vectors of `dimensions` at `revision`: from memory when the revision is unchanged,
   * else from `load`. A collection larger than the whole budget is loaded for each search, never kept.
   */
  get(collection: string, revision: string, dimensions: number, load: () => Promise<ChunkVectors>): Promise<ChunkVectors>;
}

/**
 * Keeps the vectors of recently searched collections up to `maxBytes`, dropping the least recently used
 * first. A store changes a collection's revision on every write, so a change made by another instance
 * is seen on the next search.
 */
export function createVectorCache(maxBytes: number): VectorCache {
  const entries = new Map<string, { key: string; vectors: ChunkVectors }>();
  let totalBytes = 0;
  return {
    async get(collection, revision, dimensions, load) {
      const key = `${revision}/${dimensions}`;
      const cached = entries.get(collection);
      if (cached?.key === key) {
        entries.delete(collection);
        entries.set(collection, cached);
        return cached.vectors;
      }
      const vectors = await load();
      const previous = entries.get(collection);
      if (previous !== undefined) {
        entries.delete(collection);
        totalBytes -= previous.vectors.values.byteLength;
      }
      if (vectors.values.byteLength > maxBytes) return vectors;
      for (const [name, entry] of entries) {
        if (totalBytes + vectors.values.byteLength <= maxBytes) break;
        entries.delete(name);
        totalBytes -= entry.vectors.values.byteLength;
      }
      entries.set(collection, { key, vectors });
      totalBytes += vectors.values.byteLength;
      return vectors;
    },
  };
}
