import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createOpenAiEmbedder, type OpenAiEmbedderOptions } from './openai-embedder.ts';
import { createPostgresStore } from './postgres/postgres-store.ts';
import type { RetrievalStore } from './retrieval-store.ts';
import { createSqliteStore } from './sqlite/sqlite-store.ts';
import type { StoreOptions } from './store-options.ts';

/** Where collections live and how they are ranked, as a server or CLI reads it from its settings. */
export interface RetrievalStoreConfig extends Omit<StoreOptions, 'embedder'> {
  /** A `postgres://` URL (`DATABASE_URL`): collections shared by every instance using it. */
  databaseUrl?: string;
  /** The SQLite file used when there is no `databaseUrl`; its folder is created. @default '.data/retrieval.db' */
  sqlitePath?: string;
  /** An OpenAI-compatible embeddings endpoint; with it, search is hybrid. */
  embeddings?: OpenAiEmbedderOptions;
}

/** PostgreSQL when `databaseUrl` is set, else the SQLite file; hybrid when `embeddings` is set. */
export async function createRetrievalStore(config: RetrievalStoreConfig): Promise<RetrievalStore> {
  const { databaseUrl, sqlitePath = '.data/retrieval.db', embeddings, ...storeOptions } = config;
  const options: StoreOptions = { ...storeOptions, ...(embeddings === undefined ? {} : { embedder: createOpenAiEmbedder(embeddings) }) };
  if (databaseUrl !== undefined && databaseUrl !== '') return createPostgresStore({ ...options, connectionString: databaseUrl });
  if (sqlitePath !== ':memory:') mkdirSync(dirname(sqlitePath), { recursive: true });
  return createSqliteStore({ ...options, path: sqlitePath });
}
