import type { Source } from '@sluice/protocol';
import type { CollectionSummary, DocumentInput, DocumentSummary } from './document.ts';

/**
 * One retrieved chunk. The `Source` fields are what the `sources` event carries: `id` is the document id
 * (a document may appear more than once, one hit per chunk), `snippet` a short excerpt around the query
 * terms. `text` is the whole chunk, for the prompt (`buildGroundedMessages`).
 */
export interface SearchHit extends Source {
  /** Unique within the collection: `<document id>#<chunk index>`. */
  chunkId: string;
  /** The Markdown headings the chunk sits under, outermost first. */
  headingPath: string[];
  text: string;
  /**
   * Higher is better; comparable only within one result list. Lexical search returns the BM25 (SQLite)
   * or `ts_rank` (PostgreSQL) score, hybrid search the reciprocal-rank-fusion score.
   */
  score: number;
}

export interface UpsertResult {
  documents: { id: string; chunkCount: number; replaced: boolean }[];
}

export interface ListDocumentsOptions {
  /** @default 100, at most 1000 */
  limit?: number;
  /** Continue after this document id (the `nextAfterId` of the previous page). */
  afterId?: string;
}

export interface DocumentPage {
  /** Ordered by id. */
  documents: DocumentSummary[];
  /** Set when more documents follow; pass it as `afterId` to get them. */
  nextAfterId?: string;
}

export interface SearchOptions {
  /** Cancels the query embedding request of a hybrid search. */
  signal?: AbortSignal;
}

export interface UpsertOptions {
  /** Cancels the chunk embedding requests of a hybrid store; nothing is written then. */
  signal?: AbortSignal;
}

/**
 * Collections of documents, split into chunks and ranked for a query. Every method validates its input
 * against the store's `RetrievalLimits` before touching storage and throws `SluiceError`:
 * `bad_request` for a malformed name, document or query, `payload_too_large` for a document or batch over
 * a limit, `not_found` for a missing collection or document, and the embedder's errors in hybrid mode.
 *
 * A store with an `Embedder` ranks hybrid (lexical and vector rankings fused by reciprocal rank); without
 * one, lexically. Chunks stored without a vector (uploaded while no embedder was configured) take part
 * in the lexical ranking only.
 */
export interface RetrievalStore {
  /** `'sqlite'` or `'postgres'`, and whether vectors are used; for logs and the `meta` event. */
  readonly description: { backend: 'sqlite' | 'postgres'; hybrid: boolean };

  /** Creates the collection if it does not exist (idempotent) and returns it. */
  createCollection(name: string): Promise<CollectionSummary>;
  /** All collections, ordered by name. */
  listCollections(): Promise<CollectionSummary[]>;
  /** Throws `not_found` when missing. */
  getCollection(name: string): Promise<CollectionSummary>;
  /** Deletes the collection with its documents and chunks. Throws `not_found` when missing. */
  deleteCollection(name: string): Promise<void>;

  /**
   * Adds or replaces a batch of documents, all or none: a document whose id exists is replaced with its
   * chunks. Creates the collection when it does not exist (the HTTP API has no separate create call).
   */
  upsertDocuments(collection: string, documents: DocumentInput[], options?: UpsertOptions): Promise<UpsertResult>;
  /** A page of the collection's documents, without their text. Throws `not_found` for a missing collection. */
  listDocuments(collection: string, options?: ListDocumentsOptions): Promise<DocumentPage>;
  /** Removes a document and its chunks. Throws `not_found` for a missing collection or document. */
  deleteDocument(collection: string, documentId: string): Promise<void>;

  /**
   * The `topK` chunks that best match `query`, best first. The query is plain text: its words are
   * searched as literal terms (any of them may match), never as query syntax. A query with no letters or
   * digits finds nothing in a lexical store. Throws `not_found` for a missing collection.
   */
  search(collection: string, query: string, topK: number, options?: SearchOptions): Promise<SearchHit[]>;

  /** Releases the database (file handle or connection pool). */
  close(): Promise<void>;
}
