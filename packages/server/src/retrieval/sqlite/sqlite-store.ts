import { DatabaseSync } from 'node:sqlite';
import { SluiceError } from '@sluice/protocol';
import type { CollectionSummary, DocumentInput } from '../document.ts';
import { createOperationQueue } from '../create-operation-queue.ts';
import { createTimeSlicer } from '../create-time-slicer.ts';
import { prepareDocuments, describeChunkHeading, type PreparedDocument } from '../prepare-documents.ts';
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
import { createFtsTableSql, ftsTableName, migrateSqliteSchema } from './sqlite-schema.ts';

export interface SqliteStoreOptions extends StoreOptions {
  /** A file (created if missing) or `':memory:'`. One Sluice process per file: share through PostgreSQL. */
  path: string;
}

/** BM25 column weights: a term in the title or a heading says more about a chunk than one in its body. */
const headingWeight = 3;
const bodyWeight = 1;

interface CollectionRow {
  id: number;
  name: string;
  /** A 64-bit integer, read as text. */
  revision: string;
}

/**
 * The embedded store: one SQLite file through Node's built-in `node:sqlite`, ranked by FTS5's BM25, and
 * by vectors too when an embedder is configured (chunk vectors are float32 blobs, searched in memory:
 * see `vector-index.ts`).
 *
 * `node:sqlite` is synchronous: each call holds the event loop for the length of its query. A batch
 * upload (FTS5 indexing 12 MB took 1.8 s) is written in one transaction whose statements are spread
 * over turns of the event loop; every operation on the database takes its turn through `exclusive`,
 * so none runs inside another's open transaction or reads what it has not committed.
 */
export function createSqliteStore(options: SqliteStoreOptions): RetrievalStore {
  const { embedder, limits, chunking, vectorCache } = resolveStoreOptions(options);
  const database = new DatabaseSync(options.path, { timeout: 5000 });
  if (options.path !== ':memory:') database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA foreign_keys = ON');
  migrateSqliteSchema(database);

  const statements = {
    findCollection: database.prepare('SELECT id, name, CAST(revision AS TEXT) AS revision FROM collections WHERE name = ?'),
    insertCollection: database.prepare(
      'INSERT INTO collections (name, created_at) VALUES (?, ?) RETURNING id, name, CAST(revision AS TEXT) AS revision',
    ),
    touchCollection: database.prepare('UPDATE collections SET revision = random() WHERE id = ?'),
    summarizeCollections: database.prepare(`
      SELECT c.name, c.created_at, count(d.id) AS document_count, coalesce(sum(d.chunk_count), 0) AS chunk_count
      FROM collections c LEFT JOIN documents d ON d.collection_id = c.id
      WHERE ? IS NULL OR c.name = ? GROUP BY c.id ORDER BY c.name`),
    findDocument: database.prepare('SELECT 1 FROM documents WHERE collection_id = ? AND id = ?'),
    deleteDocument: database.prepare('DELETE FROM documents WHERE collection_id = ? AND id = ?'),
    insertDocument: database.prepare(`
      INSERT INTO documents (collection_id, id, title, metadata, text_bytes, chunk_count, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    listDocuments: database.prepare(`
      SELECT id, title, metadata, text_bytes, chunk_count, updated_at FROM documents
      WHERE collection_id = ? AND id > ? ORDER BY id LIMIT ?`),
    chunkIdsOfDocument: database.prepare('SELECT id FROM chunks WHERE collection_id = ? AND document_id = ?'),
    deleteChunksOfDocument: database.prepare('DELETE FROM chunks WHERE collection_id = ? AND document_id = ?'),
    insertChunk: database.prepare(`
      INSERT INTO chunks (collection_id, document_id, chunk_index, heading_path, text, embedding) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
    loadVectors: database.prepare(`
      SELECT document_id, chunk_index, embedding FROM chunks
      WHERE collection_id = ? AND length(embedding) = ? ORDER BY document_id, chunk_index`),
    readChunk: database.prepare(`
      SELECT c.document_id, c.chunk_index, c.heading_path, c.text, d.title, d.metadata
      FROM chunks c JOIN documents d ON d.collection_id = c.collection_id AND d.id = c.document_id
      WHERE c.collection_id = ? AND c.document_id = ? AND c.chunk_index = ?`),
  };

  const exclusive = createOperationQueue();

  function transaction<T>(work: () => T): T {
    database.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      database.exec('COMMIT');
      return result;
    } catch (error) {
      database.exec('ROLLBACK');
      throw error;
    }
  }

  function requireCollection(name: string): CollectionRow {
    assertCollectionName(name);
    const row = statements.findCollection.get(name) as CollectionRow | undefined;
    if (row === undefined) throw new SluiceError('not_found', notFoundMessages.collection(name), { param: 'collection' });
    return row;
  }

  function ensureCollection(name: string): CollectionRow {
    const existing = statements.findCollection.get(name) as CollectionRow | undefined;
    if (existing !== undefined) return existing;
    const created = statements.insertCollection.get(name, new Date().toISOString()) as unknown as CollectionRow;
    database.exec(createFtsTableSql(created.id));
    return created;
  }

  function summarizeCollections(name: string | null): CollectionSummary[] {
    return statements.summarizeCollections.all(name, name).map((row) => ({
      name: row.name as string,
      documentCount: row.document_count as number,
      chunkCount: row.chunk_count as number,
      createdAt: row.created_at as string,
    }));
  }

  function removeDocument(collectionId: number, documentId: string): boolean {
    if (statements.findDocument.get(collectionId, documentId) === undefined) return false;
    const deleteFromFts = database.prepare(`DELETE FROM ${ftsTableName(collectionId)} WHERE rowid = ?`);
    for (const { id } of statements.chunkIdsOfDocument.all(collectionId, documentId)) deleteFromFts.run(id as number);
    statements.deleteChunksOfDocument.run(collectionId, documentId);
    statements.deleteDocument.run(collectionId, documentId);
    statements.touchCollection.run(collectionId);
    return true;
  }

  async function writeDocuments(collection: string, documents: PreparedDocument[]): Promise<UpsertResult> {
    const yieldWhenSliceSpent = createTimeSlicer();
    database.exec('BEGIN IMMEDIATE');
    try {
      const { id: collectionId } = ensureCollection(collection);
      statements.touchCollection.run(collectionId);
      const insertIntoFts = database.prepare(`INSERT INTO ${ftsTableName(collectionId)} (rowid, heading, body) VALUES (?, ?, ?)`);
      const updatedAt = new Date().toISOString();
      const written: UpsertResult['documents'] = [];
      for (const document of documents) {
        const replaced = removeDocument(collectionId, document.id);
        statements.insertDocument.run(
          collectionId,
          document.id,
          document.title,
          JSON.stringify(document.metadata),
          document.textBytes,
          document.chunks.length,
          updatedAt,
        );
        for (const chunk of document.chunks) {
          await yieldWhenSliceSpent();
          const embedding =
            chunk.embedding === undefined
              ? null
              : new Uint8Array(chunk.embedding.buffer, chunk.embedding.byteOffset, chunk.embedding.byteLength);
          const { id } = statements.insertChunk.get(
            collectionId,
            document.id,
            chunk.index,
            JSON.stringify(chunk.headingPath),
            chunk.text,
            embedding,
          ) as { id: number };
          insertIntoFts.run(id, describeChunkHeading(document.title, chunk.headingPath), chunk.text);
        }
        written.push({ id: document.id, chunkCount: document.chunks.length, replaced });
      }
      database.exec('COMMIT');
      return { documents: written };
    } catch (error) {
      database.exec('ROLLBACK');
      throw error;
    }
  }

  function rankLexically(collectionId: number, terms: string[], limit: number): ChunkRow[] {
    const fts = ftsTableName(collectionId);
    // Each term is a quoted FTS5 string: a literal, whatever it holds (quotes doubled per the FTS5 grammar).
    const match = terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' OR ');
    const rows = database
      .prepare(
        `SELECT c.document_id, c.chunk_index, c.heading_path, c.text, d.title, d.metadata, -bm25(${fts}, ${headingWeight}, ${bodyWeight}) AS score
         FROM ${fts} JOIN chunks c ON c.id = ${fts}.rowid JOIN documents d ON d.collection_id = c.collection_id AND d.id = c.document_id
         WHERE ${fts} MATCH ? ORDER BY score DESC, c.document_id, c.chunk_index LIMIT ?`,
      )
      .all(match, limit);
    return rows.map((row) => ({ ...toChunk(row), score: row.score as number }));
  }

  function rankByVector(collection: CollectionRow, vector: Float32Array, limit: number): Promise<ChunkRow[]> {
    return rankByCachedVectors(
      {
        cache: vectorCache,
        collection: collection.name,
        revision: collection.revision,
        loadVectors: (dimensions) =>
          exclusive(() => statements.loadVectors.all(collection.id, dimensions * 4)).then((rows) => rows.map((row) => ({
            documentId: row.document_id as string,
            chunkIndex: row.chunk_index as number,
            embedding: row.embedding as Uint8Array,
          }))),
        readChunks: (keys) =>
          exclusive(() =>
            keys.flatMap(({ documentId, chunkIndex }) => {
              const row = statements.readChunk.get(collection.id, documentId, chunkIndex);
              return row === undefined ? [] : [toChunk(row)];
            }),
          ),
      },
      vector,
      limit,
    );
  }

  return {
    description: { backend: 'sqlite', hybrid: embedder !== undefined },

    async createCollection(name: string) {
      assertCollectionName(name);
      return exclusive(() => {
        transaction(() => ensureCollection(name));
        return summarizeCollections(name)[0]!;
      });
    },

    async listCollections() {
      return exclusive(() => summarizeCollections(null));
    },

    async getCollection(name: string) {
      return exclusive(() => {
        requireCollection(name);
        return summarizeCollections(name)[0]!;
      });
    },

    async deleteCollection(name: string) {
      return exclusive(() => {
        const { id } = requireCollection(name);
        transaction(() => {
          database.exec(`DROP TABLE IF EXISTS ${ftsTableName(id)}`);
          database.prepare('DELETE FROM chunks WHERE collection_id = ?').run(id);
          database.prepare('DELETE FROM collections WHERE id = ?').run(id);
        });
      });
    },

    async upsertDocuments(collection: string, documents: DocumentInput[], upsertOptions: UpsertOptions = {}) {
      assertCollectionName(collection);
      const prepared = await prepareDocuments(documents, { limits, chunking, embedder, signal: upsertOptions.signal });
      return exclusive(() => writeDocuments(collection, prepared));
    },

    async listDocuments(collection: string, listOptions: ListDocumentsOptions = {}): Promise<DocumentPage> {
      const { limit, afterId } = resolveListDocumentsOptions(listOptions);
      const rows = await exclusive(() => statements.listDocuments.all(requireCollection(collection).id, afterId ?? '', limit + 1));
      const documents = rows.slice(0, limit).map((row) => ({
        id: row.id as string,
        title: row.title as string,
        metadata: JSON.parse(row.metadata as string) as Record<string, unknown>,
        chunkCount: row.chunk_count as number,
        textBytes: row.text_bytes as number,
        updatedAt: row.updated_at as string,
      }));
      return rows.length > limit ? { documents, nextAfterId: documents.at(-1)!.id } : { documents };
    },

    async deleteDocument(collection: string, documentId: string) {
      const removed = await exclusive(() => {
        const { id } = requireCollection(collection);
        return transaction(() => removeDocument(id, documentId));
      });
      if (!removed) {
        throw new SluiceError('not_found', notFoundMessages.document(collection, documentId), { param: 'document_id' });
      }
    },

    async search(collection: string, query: string, topK: number, searchOptions: SearchOptions = {}): Promise<SearchHit[]> {
      assertSearchRequest(query, topK, limits);
      const collectionRow = await exclusive(() => requireCollection(collection));
      return rankChunks(
        query,
        topK,
        {
          rankLexically: (terms, limit) => exclusive(() => rankLexically(collectionRow.id, terms, limit)),
          rankByVector: (vector, limit) => rankByVector(collectionRow, vector, limit),
        },
        embedder,
        searchOptions.signal,
      );
    },

    async close() {
      await exclusive(() => {
        if (database.isOpen) database.close();
      });
    },
  };
}

function toChunk(row: Record<string, unknown>): Omit<ChunkRow, 'score'> {
  return {
    documentId: row.document_id as string,
    chunkIndex: row.chunk_index as number,
    title: row.title as string,
    headingPath: JSON.parse(row.heading_path as string) as string[],
    text: row.text as string,
    metadata: JSON.parse(row.metadata as string) as Record<string, unknown>,
  };
}
