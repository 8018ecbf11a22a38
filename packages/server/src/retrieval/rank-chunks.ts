import { createSnippet } from './create-snippet.ts';
import { normalizeVector, type Embedder } from './embedder.ts';
import { extractQueryTerms } from './query-terms.ts';
import { fuseRankings } from './reciprocal-rank-fusion.ts';
import type { SearchHit } from './retrieval-store.ts';
import { createChunkVectors, findNearestChunks, type StoredVector, type VectorCache } from './vector-index.ts';

/** A chunk as a store's query returns it, with the score of that ranking. */
export interface ChunkRow {
  documentId: string;
  chunkIndex: number;
  title: string;
  headingPath: string[];
  text: string;
  metadata: Record<string, unknown>;
  score: number;
}

/** The two queries a store runs; each returns at most `limit` rows, best first. */
export interface ChunkRankers {
  /** `terms` come from `extractQueryTerms`: lowercase letters and digits only, never empty. */
  rankLexically(terms: string[], limit: number): Promise<ChunkRow[]>;
  /** `vector` has unit length; only chunks whose vectors have the same length take part. */
  rankByVector(vector: Float32Array, limit: number): Promise<ChunkRow[]>;
}

/**
 * How many candidates each ranking gives to the fusion: deeper than `topK`, so a chunk ranked well by one
 * side and modestly by the other can still rise.
 */
const fusionDepth = (topK: number) => Math.max(topK * 4, 40);

/** The search flow common to all stores: lexical ranking, and with an embedder, fused with vector ranking. */
export async function rankChunks(
  query: string,
  topK: number,
  rankers: ChunkRankers,
  embedder: Embedder | undefined,
  signal: AbortSignal | undefined,
): Promise<SearchHit[]> {
  const terms = extractQueryTerms(query);
  if (embedder === undefined) {
    if (terms.length === 0) return [];
    const rows = await rankers.rankLexically(terms, topK);
    return rows.map((row) => toHit(row, row.score, terms));
  }
  const depth = fusionDepth(topK);
  const [queryVector] = await embedder.embed([query], signal);
  const [lexicalRows, vectorRows] = await Promise.all([
    terms.length === 0 ? [] : rankers.rankLexically(terms, depth),
    rankers.rankByVector(normalizeVector(queryVector!), depth),
  ]);
  const rowsByKey = new Map<string, ChunkRow>();
  for (const row of [...lexicalRows, ...vectorRows]) rowsByKey.set(chunkKey(row), row);
  return fuseRankings([lexicalRows.map(chunkKey), vectorRows.map(chunkKey)])
    .slice(0, topK)
    .map(({ key, score }) => toHit(rowsByKey.get(key)!, score, terms));
}

/** How a store reads what vector ranking needs: all vectors of a length, and chunks by key. */
export interface VectorSource {
  cache: VectorCache;
  collection: string;
  /** Changes on every write to the collection (see `VectorCache`). */
  revision: string;
  /** Every chunk vector of `dimensions`, ordered by document id and chunk index. */
  loadVectors(dimensions: number): Promise<StoredVector[]>;
  /** The chunks with these keys, in any order; chunks deleted since the vectors were read are missing. */
  readChunks(keys: { documentId: string; chunkIndex: number }[]): Promise<Omit<ChunkRow, 'score'>[]>;
}

/** `ChunkRankers.rankByVector` over a store's vectors held in a `VectorCache`. */
export async function rankByCachedVectors(source: VectorSource, vector: Float32Array, limit: number): Promise<ChunkRow[]> {
  const dimensions = vector.length;
  const vectors = await source.cache.get(source.collection, source.revision, dimensions, async () =>
    createChunkVectors(dimensions, await source.loadVectors(dimensions)),
  );
  const nearest = findNearestChunks(vectors, vector, limit);
  if (nearest.length === 0) return [];
  const rowsByKey = new Map((await source.readChunks(nearest)).map((row) => [chunkKey(row), row]));
  return nearest.flatMap((hit) => {
    const row = rowsByKey.get(chunkKey(hit));
    return row === undefined ? [] : [{ ...row, score: hit.score }];
  });
}

function chunkKey(row: { documentId: string; chunkIndex: number }): string {
  return `${row.documentId}#${row.chunkIndex}`;
}

function toHit(row: ChunkRow, score: number, terms: string[]): SearchHit {
  return {
    id: row.documentId,
    chunkId: chunkKey(row),
    title: row.title,
    headingPath: row.headingPath,
    snippet: createSnippet(row.text, terms),
    text: row.text,
    score,
    metadata: row.metadata,
  };
}
