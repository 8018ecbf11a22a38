import { defaultChunkingOptions, type ChunkingOptions } from './chunk-document.ts';
import type { Embedder } from './embedder.ts';
import { defaultRetrievalLimits, type RetrievalLimits } from './retrieval-limits.ts';
import { createVectorCache, type VectorCache } from './vector-index.ts';

/** What every store takes besides where its data lives. */
export interface StoreOptions {
  /** Makes the store hybrid: chunk vectors on upsert, lexical and vector rankings fused on search. */
  embedder?: Embedder;
  /** Overrides of `defaultRetrievalLimits`. */
  limits?: Partial<RetrievalLimits>;
  /** Overrides of `defaultChunkingOptions`; they apply to documents uploaded from then on. */
  chunking?: Partial<ChunkingOptions>;
  /**
   * Memory for the chunk vectors of hybrid search, kept per collection (4 bytes per dimension per chunk:
   * 10,000 chunks of 1536 dimensions take 61 MB). Least recently searched collections are dropped first;
   * a collection larger than this is read from the database on every search. @default 268435456
   */
  maxVectorCacheBytes?: number;
}

export interface ResolvedStoreOptions {
  embedder: Embedder | undefined;
  limits: RetrievalLimits;
  chunking: ChunkingOptions;
  vectorCache: VectorCache;
}

export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  return {
    embedder: options.embedder,
    limits: { ...defaultRetrievalLimits, ...options.limits },
    chunking: { ...defaultChunkingOptions, ...options.chunking },
    vectorCache: createVectorCache(options.maxVectorCacheBytes ?? 268_435_456),
  };
}

/** The not-found errors of every store, worded once. */
export const notFoundMessages = {
  collection: (name: string) => `Collection ${JSON.stringify(name)} does not exist`,
  document: (collection: string, id: string) => `Document ${JSON.stringify(id)} does not exist in collection ${JSON.stringify(collection)}`,
};
