/**
 * Retrieval for grounded answers (issue 7): collections of documents split into chunks, ranked lexically
 * (BM25 in SQLite, full-text search in PostgreSQL) or hybrid with an embeddings endpoint, and the prompt
 * and citation helpers around a grounded answer.
 *
 * The usual path of a request with `retrieval: { collection, top_k }`:
 *
 * ```ts
 * const store = await createRetrievalStore({ databaseUrl: process.env.DATABASE_URL, embeddings });
 * const question = findQuestion(request.messages);               // undefined → 400
 * const hits = await store.search(collection, question, topK, { signal }); // missing → SluiceError not_found (404)
 * // emit { type: 'sources', sources: hits.map(({ id, title, snippet, score, metadata }) => ...) }
 * const messages = buildGroundedMessages(request.messages, hits);
 * // stream the answer from `messages`; at the end:
 * const cited = findCitations(answerText, hits.length).map((number) => hits[number - 1]);
 * ```
 */
export type { CollectionSummary, DocumentFormat, DocumentInput, DocumentSummary } from './document.ts';
export type {
  DocumentPage,
  ListDocumentsOptions,
  RetrievalStore,
  SearchHit,
  SearchOptions,
  UpsertOptions,
  UpsertResult,
} from './retrieval-store.ts';
export { createRetrievalStore, type RetrievalStoreConfig } from './create-retrieval-store.ts';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.ts';
export { createPostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.ts';
export type { StoreOptions } from './store-options.ts';
export { defaultRetrievalLimits, type RetrievalLimits } from './retrieval-limits.ts';
export { chunkDocument, defaultChunkingOptions, type Chunk, type ChunkingOptions } from './chunk-document.ts';
export type { Embedder } from './embedder.ts';
export { createOpenAiEmbedder, type OpenAiEmbedderOptions } from './openai-embedder.ts';
export { ingestFolder, type IngestFolderOptions, type IngestFolderResult } from './ingest-folder.ts';
export { buildGroundedMessages, findQuestion, type GroundingSource } from './prompt/build-grounded-messages.ts';
export { findCitations } from './prompt/find-citations.ts';
