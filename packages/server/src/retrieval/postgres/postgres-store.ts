import pg from 'pg';
import { SluiceError } from '@sluice/protocol';
import type { CollectionSummary, DocumentInput } from '../document.ts';
import { describeChunkHeading, prepareDocuments, type PreparedDocument } from '../prepare-documents.ts';
import { rankByCachedVectors, rankChunks, type ChunkRow } from '../rank-chunks.ts';
import { assertCollectionName, assertSearchRequest, resolveListDocumentsOptions } from '../retrieval-limits.ts';
import type {
  DocumentPage,
  ListDocumentsOptions,
  RetrievalStore,
  SearchHit,
  SearchOptions,
  UpsertOptions,
  UpsertResult,
} from '../retrieval-store.ts';
import { notFoundMessages, resolveStoreOptions, type StoreOptions } from '../store-options.ts';
import { inTransaction, migratePostgresSchema, textSearchConfig } from './postgres-schema.ts';

export interface PostgresStoreOptions extends StoreOptions {
  /** A `postgres://` URL, as in `DATABASE_URL`. */
  connectionString: string;
  /** Size of the connection pool. @default 10 */
  maxConnections?: number;
  /**
   * Told when an idle pooled connection fails (the server restarted, a network cut). The pool replaces
   * the connection; without this the error is dropped, and the next query reports any lasting problem.
   */
  onConnectionError?: (error: Error) => void;
}

const chunkColumns = 'c.document_id, c.chunk_index, c.heading_path, c.text, d.title, d.metadata';
const chunkJoin = 'sluice_chunks c JOIN sluice_documents d ON d.collection = c.collection AND d.id = c.document_id';

/**
 * The shared store: collections in PostgreSQL, so every Sluice instance pointed at the same database
 * sees the same documents. Lexical ranking is full-text search (`ts_rank` over a GIN-indexed
 * `tsvector`, English stemming); vectors, when an embedder is configured, are float32 `bytea`, searched
 * in each instance's memory (`vector-index.ts`), since pgvector is not assumed to be installed.
 *
 * Writes to one collection are serialized across instances by a transaction-scoped advisory lock, so
 * two instances replacing the same document cannot interleave.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<RetrievalStore> {
  const { embedder, limits, chunking, vectorCache } = resolveStoreOptions(options);
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
  // An 'error' event without a listener would crash the process.
  pool.on('error', (error) => options.onConnectionError?.(error));
  try {
    await migratePostgresSchema(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }

  function inCollectionTransaction<T>(collection: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('sluice_collection:' || $1))`, [collection]);
      return work(client);
    });
  }

  async function summarizeCollections(name: string | null): Promise<CollectionSummary[]> {
    const { rows } = await pool.query(
      `SELECT c.name, c.created_at, count(d.id)::integer AS document_count, coalesce(sum(d.chunk_count), 0)::integer AS chunk_count
       FROM sluice_collections c LEFT JOIN sluice_documents d ON d.collection = c.name
       WHERE $1::text IS NULL OR c.name = $1 GROUP BY c.name ORDER BY c.name`,
      [name],
    );
    return rows.map((row) => ({
      name: row.name,
      documentCount: row.document_count,
      chunkCount: row.chunk_count,
      createdAt: (row.created_at as Date).toISOString(),
    }));
  }

  /** Returns the collection's revision. */
  async function requireCollection(name: string): Promise<string> {
    assertCollectionName(name);
    const { rows } = await pool.query('SELECT revision FROM sluice_collections WHERE name = $1', [name]);
    if (rows.length === 0) throw new SluiceError('not_found', notFoundMessages.collection(name), { param: 'collection' });
    return rows[0].revision as string;
  }

  async function writeDocuments(collection: string, documents: PreparedDocument[]): Promise<UpsertResult> {
    const ids = documents.map((document) => document.id);
    const chunks = documents.flatMap((document) => document.chunks.map((chunk) => ({ document, chunk })));
    return inCollectionTransaction(collection, async (client) => {
      await client.query(
        `INSERT INTO sluice_collections (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET revision = nextval('sluice_collection_revisions')`,
        [collection],
      );
      const { rows: replacedRows } = await client.query(
        'DELETE FROM sluice_documents WHERE collection = $1 AND id = ANY($2::text[]) RETURNING id',
        [collection, ids],
      );
      await client.query(
        `INSERT INTO sluice_documents (collection, id, title, metadata, text_bytes, chunk_count, updated_at)
         SELECT $1, id, title, metadata::jsonb, text_bytes, chunk_count, now()
         FROM unnest($2::text[], $3::text[], $4::text[], $5::integer[], $6::integer[]) AS t (id, title, metadata, text_bytes, chunk_count)`,
        [
          collection,
          ids,
          documents.map((document) => document.title),
          documents.map((document) => JSON.stringify(document.metadata)),
          documents.map((document) => document.textBytes),
          documents.map((document) => document.chunks.length),
        ],
      );
      await client.query(
        `INSERT INTO sluice_chunks (collection, document_id, chunk_index, heading, heading_path, text, embedding)
         SELECT $1, document_id, chunk_index, heading, heading_path::jsonb, text, embedding
         FROM unnest($2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::bytea[])
           AS t (document_id, chunk_index, heading, heading_path, text, embedding)`,
        [
          collection,
          chunks.map(({ document }) => document.id),
          chunks.map(({ chunk }) => chunk.index),
          chunks.map(({ document, chunk }) => describeChunkHeading(document.title, chunk.headingPath)),
          chunks.map(({ chunk }) => JSON.stringify(chunk.headingPath)),
          chunks.map(({ chunk }) => chunk.text),
          chunks.map(({ chunk }) =>
            chunk.embedding === undefined
              ? null
              : Buffer.from(chunk.embedding.buffer, chunk.embedding.byteOffset, chunk.embedding.byteLength),
          ),
        ],
      );
      const replaced = new Set(replacedRows.map((row) => row.id as string));
      return {
        documents: documents.map((document) => ({
          id: document.id,
          chunkCount: document.chunks.length,
          replaced: replaced.has(document.id),
        })),
      };
    });
  }

  async function rankLexically(collection: string, terms: string[], limit: number): Promise<ChunkRow[]> {
    // Terms hold letters, digits and marks only, none of which is tsquery syntax; `|` makes any term match.
    const { rows } = await pool.query(
      `SELECT ${chunkColumns}, ts_rank(c.search_vector, query, 1) AS score
       FROM ${chunkJoin}, to_tsquery('${textSearchConfig}', $2) AS query
       WHERE c.collection = $1 AND c.search_vector @@ query
       ORDER BY score DESC, c.document_id, c.chunk_index LIMIT $3`,
      [collection, terms.join(' | '), limit],
    );
    return rows.map((row) => ({ ...toChunk(row), score: row.score as number }));
  }

  function rankByVector(collection: string, revision: string, vector: Float32Array, limit: number): Promise<ChunkRow[]> {
    return rankByCachedVectors(
      {
        cache: vectorCache,
        collection,
        revision,
        loadVectors: async (dimensions) => {
          const { rows } = await pool.query(
            `SELECT document_id, chunk_index, embedding FROM sluice_chunks
             WHERE collection = $1 AND length(embedding) = $2 ORDER BY document_id, chunk_index`,
            [collection, dimensions * 4],
          );
          return rows.map((row) => ({ documentId: row.document_id, chunkIndex: row.chunk_index, embedding: row.embedding as Buffer }));
        },
        readChunks: async (keys) => {
          const { rows } = await pool.query(
            `SELECT ${chunkColumns} FROM ${chunkJoin}
             JOIN unnest($2::text[], $3::integer[]) AS k (document_id, chunk_index)
               ON k.document_id = c.document_id AND k.chunk_index = c.chunk_index
             WHERE c.collection = $1`,
            [collection, keys.map((key) => key.documentId), keys.map((key) => key.chunkIndex)],
          );
          return rows.map(toChunk);
        },
      },
      vector,
      limit,
    );
  }

  return {
    description: { backend: 'postgres', hybrid: embedder !== undefined },

    async createCollection(name: string) {
      assertCollectionName(name);
      await pool.query('INSERT INTO sluice_collections (name) VALUES ($1) ON CONFLICT DO NOTHING', [name]);
      return (await summarizeCollections(name))[0]!;
    },

    async listCollections() {
      return summarizeCollections(null);
    },

    async getCollection(name: string) {
      assertCollectionName(name);
      const [summary] = await summarizeCollections(name);
      if (summary === undefined) throw new SluiceError('not_found', notFoundMessages.collection(name), { param: 'collection' });
      return summary;
    },

    async deleteCollection(name: string) {
      assertCollectionName(name);
      const deleted = await inCollectionTransaction(name, async (client) => {
        await client.query('DELETE FROM sluice_chunks WHERE collection = $1', [name]);
        const { rowCount } = await client.query('DELETE FROM sluice_collections WHERE name = $1', [name]);
        return rowCount !== 0;
      });
      if (!deleted) throw new SluiceError('not_found', notFoundMessages.collection(name), { param: 'collection' });
    },

    async upsertDocuments(collection: string, documents: DocumentInput[], upsertOptions: UpsertOptions = {}) {
      assertCollectionName(collection);
      const prepared = await prepareDocuments(documents, { limits, chunking, embedder, signal: upsertOptions.signal });
      return writeDocuments(collection, prepared);
    },

    async listDocuments(collection: string, listOptions: ListDocumentsOptions = {}): Promise<DocumentPage> {
      const { limit, afterId } = resolveListDocumentsOptions(listOptions);
      await requireCollection(collection);
      const { rows } = await pool.query(
        `SELECT id, title, metadata, text_bytes, chunk_count, updated_at FROM sluice_documents
         WHERE collection = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [collection, afterId ?? '', limit + 1],
      );
      const documents = rows.slice(0, limit).map((row) => ({
        id: row.id as string,
        title: row.title as string,
        metadata: row.metadata as Record<string, unknown>,
        chunkCount: row.chunk_count as number,
        textBytes: row.text_bytes as number,
        updatedAt: (row.updated_at as Date).toISOString(),
      }));
      return rows.length > limit ? { documents, nextAfterId: documents.at(-1)!.id } : { documents };
    },

    async deleteDocument(collection: string, documentId: string) {
      await requireCollection(collection);
      const deleted = await inCollectionTransaction(collection, async (client) => {
        const { rowCount } = await client.query('DELETE FROM sluice_documents WHERE collection = $1 AND id = $2', [collection, documentId]);
        await client.query(`UPDATE sluice_collections SET revision = nextval('sluice_collection_revisions') WHERE name = $1`, [collection]);
        return rowCount !== 0;
      });
      if (!deleted) throw new SluiceError('not_found', notFoundMessages.document(collection, documentId), { param: 'document_id' });
    },

    async search(collection: string, query: string, topK: number, searchOptions: SearchOptions = {}): Promise<SearchHit[]> {
      assertSearchRequest(query, topK, limits);
      const revision = await requireCollection(collection);
      return rankChunks(
        query,
        topK,
        {
          rankLexically: (terms, limit) => rankLexically(collection, terms, limit),
          rankByVector: (vector, limit) => rankByVector(collection, revision, vector, limit),
        },
        embedder,
        searchOptions.signal,
      );
    },

    async close() {
      await pool.end();
    },
  };
}

function toChunk(row: Record<string, unknown>): Omit<ChunkRow, 'score'> {
  return {
    documentId: row.document_id as string,
    chunkIndex: row.chunk_index as number,
    title: row.title as string,
    headingPath: row.heading_path as string[],
    text: row.text as string,
    metadata: row.metadata as Record<string, unknown>,
  };
}
